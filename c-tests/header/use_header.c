/* The public header compiles cleanly on its own, as C99, C11 and (use_header.cpp) C++17,
 * and declares nothing that clashes with glibc's own socket declarations. */
#include <sockshim.h>
#include <sys/socket.h>
#include <fcntl.h>

#if SOCK_NOSIGPIPE == 0
#error "SOCK_NOSIGPIPE must be usable in #if and non-zero"
#endif
#if (SOCK_NOSIGPIPE & (SOCK_CLOEXEC | SOCK_NONBLOCK)) != 0
#error "SOCK_NOSIGPIPE overlaps a Linux flag"
#endif

int (*const p_paccept)(int, struct sockaddr *, socklen_t *, const sigset_t *, int) = paccept;
const char *(*const p_version)(void) = sockshim_version;
#ifdef _GNU_SOURCE
/* glibc's own accept4 declaration is untouched by the header. */
int (*const p_accept4)(int, struct sockaddr *, socklen_t *, int) = accept4;
#endif

int main(void)
{
    return (SO_NOSIGPIPE == 0x0800 && F_GETNOSIGPIPE != F_SETNOSIGPIPE) ? 0 : 1;
}
