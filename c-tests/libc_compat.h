/*
 * What the suite and the stress programs use that glibc has and musl does not: the one
 * place that knows (SPEC.md "Platforms"). Header only; every function is static inline.
 *
 * - errno's and a signal's name: glibc's strerrorname_np and sigabbrev_np, a table here.
 * - execveat, close_range, closefrom: musl 1.2 has no wrappers; sockshim exports all
 *   three. Weak references: sockshim's when it is loaded, NULL when not, and then
 *   h_execveat and h_close_range make the system call, as a musl program would.
 * - pthread_sigqueue: rt_tgsigqueueinfo with the thread's kernel id under musl.
 * - sendmmsg's flags: int in glibc, unsigned int in musl (H_SENDMMSG_FLAGS).
 */
#ifndef SOCKSHIM_LIBC_COMPAT_H
#define SOCKSHIM_LIBC_COMPAT_H

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__GLIBC__)
#define H_SENDMMSG_FLAGS int
#define H_HAVE_CLOSEFROM 1
static inline const char *h_errname(int e) { return strerrorname_np(e); }
static inline const char *h_signame(int sig) { return sigabbrev_np(sig); }
static inline int h_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
    return execveat(dirfd, path, argv, envp, flags);
}
static inline int h_close_range(unsigned int first, unsigned int last, int flags)
{
    return close_range(first, last, flags);
}
#else
#define H_SENDMMSG_FLAGS unsigned int
int execveat(int, const char *, char *const[], char *const[], int);
int close_range(unsigned int, unsigned int, int);
void closefrom(int);
#pragma weak execveat
#pragma weak close_range
#pragma weak closefrom
#define H_HAVE_CLOSEFROM (closefrom != NULL)
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define H_NAME(x)                                                                                          \
    case x: return #x;
static inline const char *h_errname(int e)
{
    switch (e) {
    H_NAME(EPERM) H_NAME(ENOENT) H_NAME(ESRCH) H_NAME(EINTR) H_NAME(EIO) H_NAME(ENXIO) H_NAME(E2BIG)
    H_NAME(ENOEXEC) H_NAME(EBADF) H_NAME(ECHILD) H_NAME(EAGAIN) H_NAME(ENOMEM) H_NAME(EACCES)
    H_NAME(EFAULT) H_NAME(EBUSY) H_NAME(EEXIST) H_NAME(ENODEV) H_NAME(ENOTDIR) H_NAME(EISDIR)
    H_NAME(EINVAL) H_NAME(ENFILE) H_NAME(EMFILE) H_NAME(ENOTTY) H_NAME(EFBIG) H_NAME(ENOSPC)
    H_NAME(ESPIPE) H_NAME(EROFS) H_NAME(EPIPE) H_NAME(ERANGE) H_NAME(ENOSYS) H_NAME(ENOTSOCK)
    H_NAME(EDESTADDRREQ) H_NAME(EMSGSIZE) H_NAME(EPROTOTYPE) H_NAME(ENOPROTOOPT)
    H_NAME(EPROTONOSUPPORT) H_NAME(ESOCKTNOSUPPORT) H_NAME(EOPNOTSUPP) H_NAME(EAFNOSUPPORT)
    H_NAME(EADDRINUSE) H_NAME(EADDRNOTAVAIL) H_NAME(ENETDOWN) H_NAME(ENETUNREACH)
    H_NAME(ECONNABORTED) H_NAME(ECONNRESET) H_NAME(ENOBUFS) H_NAME(EISCONN) H_NAME(ENOTCONN)
    H_NAME(ETIMEDOUT) H_NAME(ECONNREFUSED) H_NAME(EALREADY) H_NAME(EINPROGRESS) H_NAME(ECANCELED)
    H_NAME(EOVERFLOW) H_NAME(ELOOP) H_NAME(ENAMETOOLONG) H_NAME(EPROTO)
    default: return NULL;
    }
}
#undef H_NAME
#define H_NAME(x)                                                                                          \
    case SIG##x: return #x;
static inline const char *h_signame(int sig)
{
    switch (sig) {
    H_NAME(HUP) H_NAME(INT) H_NAME(QUIT) H_NAME(ILL) H_NAME(TRAP) H_NAME(ABRT) H_NAME(BUS) H_NAME(FPE)
    H_NAME(KILL) H_NAME(USR1) H_NAME(SEGV) H_NAME(USR2) H_NAME(PIPE) H_NAME(ALRM) H_NAME(TERM)
    H_NAME(CHLD) H_NAME(SYS) H_NAME(XCPU) H_NAME(XFSZ) H_NAME(URG) H_NAME(IO)
    default: return NULL;
    }
}
#undef H_NAME
static inline int h_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
    if (execveat) return execveat(dirfd, path, argv, envp, flags);
    return (int)syscall(SYS_execveat, dirfd, path, argv, envp, flags);
}
static inline int h_close_range(unsigned int first, unsigned int last, int flags)
{
    if (close_range) return close_range(first, last, flags);
    return (int)syscall(SYS_close_range, first, last, flags);
}
#endif

/* pthread_sigqueue(thread, sig, value) for a thread whose kernel id is `tid` (gettid()
 * in that thread): 0 or an error number. */
static inline int h_thread_sigqueue(pthread_t thread, pid_t tid, int sig, union sigval value)
{
#if defined(__GLIBC__)
    (void)tid;
    return pthread_sigqueue(thread, sig, value);
#else
    (void)thread;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value = value;
    return syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, sig, &si) == 0 ? 0 : errno;
#endif
}

#endif /* SOCKSHIM_LIBC_COMPAT_H */
