/*
 * The overlay headers as unmodified BSD code sees them: NetBSD's names where NetBSD has
 * them, in C89, C99, C11 and C++17 with -Wall -Wextra -Wpedantic -Werror, alone or
 * with <sockshim.h> before or after (SOCKSHIM_FIRST / SOCKSHIM_LAST). run.sh also reads
 * the object's undefined symbols: every call below must be bound to sockshim_*.
 */
#ifdef SOCKSHIM_FIRST
#include <sockshim.h>
#endif
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#ifdef SOCKSHIM_LAST
#include <sockshim.h>
#endif

#if !defined(SOCK_NOSIGPIPE) || SOCK_NOSIGPIPE == 0
#error "SOCK_NOSIGPIPE missing from <sys/socket.h>"
#endif
#ifndef SO_NOSIGPIPE
#error "SO_NOSIGPIPE missing from <sys/socket.h>"
#endif
#if !defined(F_GETNOSIGPIPE) || !defined(F_SETNOSIGPIPE) || !defined(O_NOSIGPIPE)
#error "F_GETNOSIGPIPE, F_SETNOSIGPIPE or O_NOSIGPIPE missing from <fcntl.h>"
#endif

int use(int fd, const sigset_t *mask);
int use(int fd, const sigset_t *mask)
{
    int one = 1;
    char b = 'x';
    struct iovec v;
    v.iov_base = &b;
    v.iov_len = 1;
    return socket(AF_INET, SOCK_STREAM | SOCK_NOSIGPIPE, 0) + setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one)
           + fcntl(fd, F_SETNOSIGPIPE, 1) + fcntl(fd, F_SETFL, O_NOSIGPIPE) + (int)write(fd, &b, 1)
           + (int)writev(fd, &v, 1) + (int)send(fd, &b, 1, 0) + close(fd) + dup(fd)
           + paccept(fd, (struct sockaddr *)0, (socklen_t *)0, mask, SOCK_NOSIGPIPE);
}
