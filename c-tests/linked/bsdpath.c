/*
 * "BSD code": what a library ported from NetBSD does with its sockets, written against
 * NetBSD's headers only (SPEC.md "Linked use"). It is built with nothing but
 * `pkg-config --cflags --libs sockshim-overlay`, then loaded three ways by programs
 * that know nothing of sockshim (run.sh). With SIGPIPE at its default action, a write
 * that raised SIGPIPE would kill the process: every write here must give EPIPE.
 *
 * bsd_check() returns 0, or the number of the first step that failed with `why` set.
 */
#define _GNU_SOURCE /* pipe2, accept4: a port to Linux defines it */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#if !defined(SO_NOSIGPIPE) || !defined(SOCK_NOSIGPIPE) || !defined(F_SETNOSIGPIPE) || !defined(O_NOSIGPIPE)
#error "the overlay must give NetBSD's names in <sys/socket.h> and <fcntl.h>"
#endif

int bsd_check(char *why, size_t n);

#define STEP(k, cond, ...)                                                                                    \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            int e_ = errno;                                                                                  \
            snprintf(why, n, __VA_ARGS__);                                                                   \
            snprintf(why + strlen(why), n - strlen(why), " (errno %d: %s)", e_, strerror(e_));               \
            return k;                                                                                        \
        }                                                                                                    \
    } while (0)

int bsd_check(char *why, size_t n)
{
    int one = 1, sv[2];
    char b = 'x';
    struct iovec iov = { &b, 1 };

    /* libzmq, nanomsg: SO_NOSIGPIPE on every socket, asserting success */
    STEP(1, socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    STEP(2, setsockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) == 0, "setsockopt(SO_NOSIGPIPE)");
    close(sv[1]);
    errno = 0;
    STEP(3, write(sv[0], &b, 1) == -1 && errno == EPIPE, "write after the peer left");
    errno = 0;
    STEP(4, writev(sv[0], &iov, 1) == -1 && errno == EPIPE, "writev after the peer left");
    close(sv[0]);

    /* libmicrohttpd: SOCK_NOSIGPIPE on socket and accept4 */
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NOSIGPIPE | SOCK_CLOEXEC, 0);
    STEP(5, l >= 0, "socket(SOCK_NOSIGPIPE)");
    STEP(6, fcntl(l, F_GETNOSIGPIPE) == 1, "F_GETNOSIGPIPE on the new socket");
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    STEP(7, bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0 &&
                getsockname(l, (struct sockaddr *)&a, &len) == 0,
         "bind/listen");
    int c = socket(AF_INET, SOCK_STREAM, 0);
    STEP(8, c >= 0 && connect(c, (struct sockaddr *)&a, sizeof a) == 0, "connect");
    int s = accept4(l, NULL, NULL, SOCK_NOSIGPIPE);
    STEP(9, s >= 0 && fcntl(s, F_GETNOSIGPIPE) == 1, "accept4(SOCK_NOSIGPIPE)");
    struct linger lg = { 1, 0 };
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c); /* a reset */
    usleep(20000);
    int r = (int)send(s, &b, 1, 0);
    if (r == 1) r = (int)send(s, &b, 1, 0); /* the first write may still leave before the RST is seen */
    STEP(10, r == -1 && (errno == EPIPE || errno == ECONNRESET), "send to a reset peer");
    errno = 0;
    STEP(11, write(s, &b, 1) == -1 && errno == EPIPE, "write to a reset peer");
    close(s);

    /* paccept, with its signal mask */
    c = socket(AF_INET, SOCK_STREAM, 0);
    STEP(12, c >= 0 && connect(c, (struct sockaddr *)&a, sizeof a) == 0, "connect");
    sigset_t mask;
    sigfillset(&mask);
    s = paccept(l, NULL, NULL, &mask, SOCK_NOSIGPIPE);
    STEP(13, s >= 0 && fcntl(s, F_GETNOSIGPIPE) == 1, "paccept");
    close(s);
    close(c);
    close(l);

    /* c-ares: F_SETNOSIGPIPE on its wake-up pipe; NetBSD's pipe2(O_NOSIGPIPE) */
    int p[2];
    STEP(14, pipe(p) == 0 && fcntl(p[1], F_SETNOSIGPIPE, 1) == 0, "F_SETNOSIGPIPE on a pipe");
    close(p[0]);
    errno = 0;
    STEP(15, write(p[1], &b, 1) == -1 && errno == EPIPE, "write to a pipe whose reader left");
    close(p[1]);
    STEP(16, pipe2(p, O_NOSIGPIPE) == 0 && (fcntl(p[1], F_GETFL) & O_NOSIGPIPE), "pipe2(O_NOSIGPIPE)");
    close(p[0]);
    errno = 0;
    STEP(17, writev(p[1], &iov, 1) == -1 && errno == EPIPE, "writev to a pipe whose reader left");
    close(p[1]);
    return 0;
}
