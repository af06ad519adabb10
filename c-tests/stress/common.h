/*
 * sockshim reliability tests: what the stress programs share (header only).
 *
 * Every program prints what it did, fails through FAIL() (which counts and goes on, so one
 * run reports every broken property), and ends with one line that run.sh parses:
 *
 *   RESULT<TAB>name<TAB>pushed<TAB>how hard<TAB>lost<TAB>PASS|FAIL|SKIP<TAB>detail
 *
 * Exit status: 0 pass, 1 fail, 77 skip. Every loop is bounded by a count and by a deadline.
 */
#ifndef SOCKSHIM_STRESS_COMMON_H
#define SOCKSHIM_STRESS_COMMON_H

#include <sockshim.h>
#include "../libc_compat.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int st_failures;

/* A failed property: printed (the first 40 in full) and counted; the program goes on. */
#define FAIL(...) st_fail(__FILE__, __LINE__, __VA_ARGS__)
__attribute__((format(printf, 3, 4))) static inline void st_fail(const char *file, int line, const char *fmt, ...)
{
    int n = __atomic_add_fetch(&st_failures, 1, __ATOMIC_SEQ_CST);
    if (n > 40) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *b = strrchr(file, '/');
    fprintf(stderr, "FAIL %s:%d: %s\n", b ? b + 1 : file, line, buf);
}

/* A setup step that must work: the program cannot go on without it. */
#define MUST(cond, ...) do { if (!(cond)) { FAIL(__VA_ARGS__); st_result_abort(); } } while (0)

static const char *st_name = "?";

static inline void st_result(const char *pushed, const char *hard, const char *lost, const char *detail)
{
    const char *v = st_failures ? "FAIL" : "PASS";
    fflush(stderr);
    printf("RESULT\t%s\t%s\t%s\t%s\t%s\t%s\n", st_name, pushed, hard, lost, v, detail ? detail : "");
    fflush(stdout);
}

static inline _Noreturn void st_result_abort(void)
{
    printf("RESULT\t%s\t-\t-\t-\tFAIL\tsetup failed (see above)\n", st_name);
    fflush(stdout);
    _exit(1);
}

static inline _Noreturn void st_skip(const char *why)
{
    printf("RESULT\t%s\t-\t-\t-\tSKIP\t%s\n", st_name, why);
    fflush(stdout);
    exit(77);
}

static inline int st_exit(void)
{
    return st_failures ? 1 : 0;
}

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline void sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* A small seeded generator (xorshift64*), one per thread. */
static inline uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* A TCP listener on 127.0.0.1, ephemeral port. */
static inline int st_listener(int type_flags, int backlog, struct sockaddr_in *a)
{
    int l = socket(AF_INET, SOCK_STREAM | type_flags, 0);
    MUST(l >= 0, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    MUST(bind(l, (struct sockaddr *)a, sizeof *a) == 0, "bind: %s", strerror(errno));
    MUST(listen(l, backlog) == 0, "listen: %s", strerror(errno));
    socklen_t len = sizeof *a;
    MUST(getsockname(l, (struct sockaddr *)a, &len) == 0, "getsockname: %s", strerror(errno));
    return l;
}

/* Raises RLIMIT_NOFILE's soft limit to min(want, hard); returns the new soft limit. */
static inline rlim_t st_raise_nofile(rlim_t want)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
    if (r.rlim_max < want) {
        struct rlimit h = { want, want };
        if (setrlimit(RLIMIT_NOFILE, &h) == 0) return want; /* root may raise the hard limit */
    }
    r.rlim_cur = want < r.rlim_max ? want : r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    getrlimit(RLIMIT_NOFILE, &r);
    return r.rlim_cur;
}

/* Is `fd` a socket (fstat)? */
static inline int is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The scale argument: --ci (default) or --long, then optional NAME=VALUE overrides. */
static inline int st_long(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--long") == 0) return 1;
    return 0;
}

static inline long st_opt(int argc, char **argv, const char *name, long dflt)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return strtol(argv[i] + n + 1, NULL, 0);
    return dflt;
}

static inline const char *st_sopt(int argc, char **argv, const char *name, const char *dflt)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return argv[i] + n + 1;
    return dflt;
}

#endif
