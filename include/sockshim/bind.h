/*
 * sockshim: binding by the header, not by link order (SPEC.md "Linked use").
 *
 * Included by <sockshim.h> (and so by every overlay header). It redeclares the C
 * library's socket, write and descriptor functions with an assembler name of
 * sockshim's own, `sockshim_socket` for `socket` and so on, as glibc itself redirects
 * `fcntl` to `fcntl64` under _FILE_OFFSET_BITS=64. No other library defines those
 * names, so a call compiled against this header reaches libsockshim whatever comes
 * first in the lookup scope: a program that links -lsockshim, a shared library that
 * does (with glibc before libsockshim in the program's scope), a library opened with
 * dlopen(RTLD_LOCAL). Code compiled without the header keeps calling the C library's
 * functions, which libsockshim interposes only when it is preloaded or linked into the
 * program itself. The prototypes are the C library's own (same types, same exception
 * specifications in C++), so the redeclarations neither drift nor clash.
 *
 * Define SOCKSHIM_NO_BINDING before including <sockshim.h> to get only its names (for
 * code that reaches sockshim by LD_PRELOAD or by linking the program).
 *
 * This file is the one place that knows each C library's declarations.
 */
#ifndef SOCKSHIM_BIND_H
#define SOCKSHIM_BIND_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/sendfile.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GLIBC__)
/* glibc: its own redirection macros, types and feature tests, so that each declaration
 * is exactly the one <sys/socket.h>, <unistd.h>... made (in C++, __REDIRECT_NTH keeps
 * glibc's noexcept). */
#define SOCKSHIM_BIND_(name, proto) __REDIRECT(name, proto, sockshim_##name)
#define SOCKSHIM_BIND_NTH_(name, proto) __REDIRECT_NTH(name, proto, sockshim_##name)

extern int SOCKSHIM_BIND_NTH_(socket, (int, int, int));
extern int SOCKSHIM_BIND_NTH_(socketpair, (int, int, int, int[2]));
extern int SOCKSHIM_BIND_NTH_(listen, (int, int));
extern int SOCKSHIM_BIND_(accept, (int, __SOCKADDR_ARG, socklen_t *__restrict));
extern int SOCKSHIM_BIND_NTH_(setsockopt, (int, int, int, const void *, socklen_t));
extern int SOCKSHIM_BIND_NTH_(getsockopt, (int, int, int, void *__restrict, socklen_t *__restrict));
extern ssize_t SOCKSHIM_BIND_(send, (int, const void *, size_t, int));
extern ssize_t SOCKSHIM_BIND_(sendto, (int, const void *, size_t, int, __CONST_SOCKADDR_ARG, socklen_t));
extern ssize_t SOCKSHIM_BIND_(sendmsg, (int, const struct msghdr *, int));
extern ssize_t SOCKSHIM_BIND_(recvmsg, (int, struct msghdr *, int));
extern ssize_t SOCKSHIM_BIND_(writev, (int, const struct iovec *, int));
extern ssize_t SOCKSHIM_BIND_(write, (int, const void *, size_t));
extern int SOCKSHIM_BIND_(close, (int));
extern int SOCKSHIM_BIND_NTH_(dup, (int));
extern int SOCKSHIM_BIND_NTH_(dup2, (int, int));
extern int SOCKSHIM_BIND_NTH_(execve, (const char *, char *const[], char *const[]));
extern int SOCKSHIM_BIND_NTH_(execv, (const char *, char *const[]));
extern int SOCKSHIM_BIND_NTH_(execvp, (const char *, char *const[]));
extern int SOCKSHIM_BIND_(posix_spawn, (pid_t *__restrict, const char *__restrict,
                                        const posix_spawn_file_actions_t *__restrict,
                                        const posix_spawnattr_t *__restrict, char *const[],
                                        char *const[]));
extern int SOCKSHIM_BIND_(posix_spawnp, (pid_t *, const char *, const posix_spawn_file_actions_t *,
                                         const posix_spawnattr_t *, char *const[], char *const[]));
#ifdef __USE_GNU
extern int SOCKSHIM_BIND_(accept4, (int, __SOCKADDR_ARG, socklen_t *__restrict, int));
extern int SOCKSHIM_BIND_(sendmmsg, (int, struct mmsghdr *, unsigned int, int));
extern int SOCKSHIM_BIND_(recvmmsg, (int, struct mmsghdr *, unsigned int, int, struct timespec *));
extern int SOCKSHIM_BIND_NTH_(dup3, (int, int, int));
extern int SOCKSHIM_BIND_NTH_(pipe2, (int[2], int));
extern int SOCKSHIM_BIND_NTH_(execvpe, (const char *, char *const[], char *const[]));
extern __ssize_t SOCKSHIM_BIND_(splice, (int, __off64_t *, int, __off64_t *, size_t, unsigned int));
extern __ssize_t SOCKSHIM_BIND_(vmsplice, (int, const struct iovec *, size_t, unsigned int));
extern __ssize_t SOCKSHIM_BIND_(tee, (int, int, size_t, unsigned int));
#if __GLIBC_PREREQ(2, 34)
extern int SOCKSHIM_BIND_NTH_(execveat, (int, const char *, char *const[], char *const[], int));
extern int SOCKSHIM_BIND_NTH_(close_range, (unsigned int, unsigned int, int));
#endif
#endif
#if defined(__USE_MISC) && __GLIBC_PREREQ(2, 34)
extern void SOCKSHIM_BIND_NTH_(closefrom, (int));
#endif
#ifdef __USE_XOPEN2K8
extern int SOCKSHIM_BIND_NTH_(fexecve, (int, char *const[], char *const[]));
#endif
#ifdef __USE_LARGEFILE64
extern int SOCKSHIM_BIND_(fcntl64, (int, int, ...));
extern ssize_t SOCKSHIM_BIND_NTH_(sendfile64, (int, int, __off64_t *, size_t));
#endif
#ifndef __USE_FILE_OFFSET64
extern int SOCKSHIM_BIND_(fcntl, (int, int, ...));
extern ssize_t SOCKSHIM_BIND_NTH_(sendfile, (int, int, off_t *, size_t));
#else
/* glibc has already named these fcntl64 and sendfile64, and a declaration cannot be
 * renamed twice: the names are macros instead, defined after glibc's declarations (this
 * header included <fcntl.h> and <sys/sendfile.h> above), as glibc does where its
 * compiler has no __REDIRECT. */
extern int sockshim_fcntl(int, int, ...);
extern ssize_t sockshim_sendfile(int, int, off_t *, size_t) __THROW;
#define fcntl sockshim_fcntl
#define sendfile sockshim_sendfile
#endif
#if defined(__x86_64__) || defined(__aarch64__)
/* The execl family and vfork have entry points where the library has them (src/arch.rs:
 * x86_64 and aarch64). */
extern int SOCKSHIM_BIND_NTH_(execl, (const char *, const char *, ...));
extern int SOCKSHIM_BIND_NTH_(execle, (const char *, const char *, ...));
extern int SOCKSHIM_BIND_NTH_(execlp, (const char *, const char *, ...));
#if (defined __USE_XOPEN_EXTENDED && !defined __USE_XOPEN2K8) || defined __USE_MISC
extern __pid_t SOCKSHIM_BIND_NTH_(vfork, (void)) __attribute__((__returns_twice__));
#endif
#endif

#else
#error "sockshim/bind.h: no declarations for this C library yet (define SOCKSHIM_NO_BINDING)"
#endif

#ifdef __cplusplus
}
#endif

#endif /* SOCKSHIM_BIND_H */
