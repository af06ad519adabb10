/*
 * Scale: resident memory of the shim's descriptor tables with RLIMIT_NOFILE at 2^20
 * and 10,000 sockets spread over the range, and the cost of dup/close churn.
 * Linked with -lsockshim. Prints one JSON object.
 *
 *   scale MODE ROUNDS [SOCKETS]   (SOCKETS: default and at most 10,000)
 *     MODE shim-dup: the sockets are spread with the shim's dup2 (as a program does)
 *          raw-dup:  spread with raw dup2/close system calls the shim never sees, so
 *                    only the no-SIGPIPE table itself is measured
 *
 * Memory is the process's "Anonymous" total from /proc/self/smaps_rollup, read with
 * raw system calls into a static buffer (no allocation between the readings); the
 * table's pages are anonymous mappings written when mapped, so they all count.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <sockshim.h>

static int NSOCK = 10000;
#define BASE 100

static char rollup[8192];

static long anon_kib(void)
{
    long fd = syscall(SYS_open, "/proc/self/smaps_rollup", O_RDONLY);
    if (fd < 0) return -1;
    long n = syscall(SYS_read, fd, rollup, sizeof rollup - 1);
    syscall(SYS_close, fd);
    if (n <= 0) return -1;
    rollup[n] = 0;
    char *p = strstr(rollup, "\nAnonymous:");
    return p ? strtol(p + 11, NULL, 10) : -1;
}

typedef int (*dup_fn)(int);
typedef int (*close_fn)(int);

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double churn(dup_fn d, close_fn c, int fd, int n)
{
    double t0 = now_ns();
    for (int i = 0; i < n; i++) c(d(fd));
    return (now_ns() - t0) / n;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int fds[10000];

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s shim-dup|raw-dup ROUNDS [SOCKETS]\n", argv[0]);
        return 2;
    }
    if (argc == 4) NSOCK = atoi(argv[3]);
    if (NSOCK < 1 || NSOCK > 10000) NSOCK = 10000;
    int raw = strcmp(argv[1], "raw-dup") == 0;
    int rounds = atoi(argv[2]);
    if (rounds < 1 || rounds > 200) rounds = 5;
    /* 2^20 needs CAP_SYS_RESOURCE when the hard limit is lower (containers often
     * lack it): then the hard limit, with the sockets spread over that. */
    struct rlimit lim = { 1 << 20, 1 << 20 };
    if (setrlimit(RLIMIT_NOFILE, &lim)) {
        getrlimit(RLIMIT_NOFILE, &lim);
        lim.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &lim) || lim.rlim_cur < (rlim_t)NSOCK + BASE + 50) {
            fprintf(stderr, "RLIMIT_NOFILE: hard limit %ld is too low\n", (long)lim.rlim_max);
            return 3;
        }
    }
    int nofile = (int)(lim.rlim_cur > (1 << 20) ? (1 << 20) : lim.rlim_cur);
    int spread = (nofile - BASE - 50) / NSOCK;
    void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    dup_fn libc_dup = NULL;
    close_fn libc_close = NULL;
    if (h) {
        *(void **)&libc_dup = dlsym(h, "dup");
        *(void **)&libc_close = dlsym(h, "close");
    }
    if (!libc_dup || !libc_close) return 3;
    memset(fds, 0, sizeof fds);
    anon_kib();

    long k0 = anon_kib();
    for (int i = 0; i < NSOCK; i++) {
        int s = socket(AF_INET, SOCK_DGRAM, 0), to = BASE + i * spread;
        if (s < 0) {
            perror("socket");
            return 3;
        }
        if (raw) {
            if (syscall(SYS_dup2, s, to) != to) return 3;
            syscall(SYS_close, s);
        } else {
            if (dup2(s, to) != to) return 3;
            close(s);
        }
        fds[i] = to;
    }
    long k2 = anon_kib(); /* spread up to ~2^20 */
    double set0 = now_ns();
    for (int i = 0; i < NSOCK; i++)
        if (fcntl(fds[i], F_SETNOSIGPIPE, 1)) {
            perror("F_SETNOSIGPIPE");
            return 3;
        }
    double set_us = (now_ns() - set0) / NSOCK / 1000.0;
    long k3 = anon_kib(); /* all 10,000 no-SIGPIPE */
    int marked = 0;
    for (int i = 0; i < NSOCK; i++) marked += fcntl(fds[i], F_GETNOSIGPIPE) == 1;

    /* dup/close churn: glibc's pair vs the shim's, alternated, on a plain socket and
     * on a no-SIGPIPE one (the shim copies and clears state there) */
    int plain = socket(AF_INET, SOCK_DGRAM, 0);
    int nsp = fds[NSOCK / 2];
    enum { N = 20000 };
    double nat_p[200], shim_p[200], nat_n[200], shim_n[200];
    for (int r = 0; r < rounds; r++) {
        nat_p[r] = churn(libc_dup, libc_close, plain, N);
        shim_p[r] = churn(dup, close, plain, N);
        nat_n[r] = churn(libc_dup, libc_close, nsp, N);
        shim_n[r] = churn(dup, close, nsp, N);
    }
    qsort(nat_p, (size_t)rounds, sizeof(double), cmpd);
    qsort(shim_p, (size_t)rounds, sizeof(double), cmpd);
    qsort(nat_n, (size_t)rounds, sizeof(double), cmpd);
    qsort(shim_n, (size_t)rounds, sizeof(double), cmpd);
    printf("{\"mode\":\"%s\",\"nofile\":%d,\"sockets\":%d,\"max_fd\":%d,\"marked\":%d,"
           "\"setnosigpipe_us\":%.2f,\"anon_kib_spread\":%ld,\"anon_kib_nosigpipe\":%ld,"
           "\"churn_ns_native_plain\":%.1f,\"churn_ns_shim_plain\":%.1f,"
           "\"churn_ns_native_nosigpipe\":%.1f,\"churn_ns_shim_nosigpipe\":%.1f}\n",
           argv[1], nofile, NSOCK, fds[NSOCK - 1], marked, set_us, k2 - k0, k3 - k0, nat_p[rounds / 2],
           shim_p[rounds / 2], nat_n[rounds / 2], shim_n[rounds / 2]);
    return 0;
}
