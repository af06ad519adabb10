/*
 * Loopback accept storm: client threads connect and reset, server threads accept and
 * close. Prints one JSON line per measured segment: {"variant":..,"rate":conn/s,
 * "server_cpu_ns": the server threads' CPU time per accepted connection}.
 *
 * Built twice from this file:
 *   accept_storm_linked  (-DLINKED, -lsockshim): in-process variants, alternated
 *       segment by segment in one process:
 *         native        glibc's accept4 and close (found in libc.so.6 itself)
 *         accept4       the shim's accept4 and close
 *         paccept-null  the shim's paccept with a NULL mask
 *         paccept-mask  paccept with a mask that only adds signals to the thread's
 *                       (thread mask {}, paccept mask {SIGUSR1})
 *         paccept-unblock  paccept whose mask unblocks a signal the thread blocks
 *                       (thread mask {SIGUSR1}, paccept mask {}): the pselect idiom
 *   accept_storm         (plain): variants "accept4" and "accept" use whatever the
 *       dynamic linker finds (glibc natively, the shim when preloaded).
 *
 * The client side (socket, setsockopt, connect, close) always calls glibc directly, so
 * that only the server's accept path differs between variants.
 *
 * usage: accept_storm[_linked] THREADS nonblock|blocking MS ROUNDS VARIANT...
 *   Runs ROUNDS rounds; each round runs every VARIANT once, in a random order, each
 *   segment MS milliseconds after a short warm-up.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef LINKED
#include <sockshim.h>
#endif

typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);
typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);
typedef int (*close_fn)(int);
typedef int (*socket_fn)(int, int, int);
typedef int (*setsockopt_fn)(int, int, int, const void *, socklen_t);

static accept4_fn libc_accept4;
static close_fn libc_close;
static socket_fn libc_socket;
static setsockopt_fn libc_setsockopt;

static void *libc_sym(void *h, const char *name)
{
    void *p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "dlsym %s: %s\n", name, dlerror());
        exit(2);
    }
    return p;
}

static void resolve_libc(void)
{
    void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (!h) {
        fprintf(stderr, "dlopen libc.so.6: %s\n", dlerror());
        exit(2);
    }
    /* dlsym on libc's own handle gives libc's definitions, never an interposer's. */
    *(void **)&libc_accept4 = libc_sym(h, "accept4");
    *(void **)&libc_close = libc_sym(h, "close");
    *(void **)&libc_socket = libc_sym(h, "socket");
    *(void **)&libc_setsockopt = libc_sym(h, "setsockopt");
}

enum variant { V_NATIVE, V_ACCEPT4, V_ACCEPT, V_PACCEPT_NULL, V_PACCEPT_MASK, V_PACCEPT_UNBLOCK };
static const char *const vnames[] = { "native", "accept4", "accept", "paccept-null", "paccept-mask",
                                      "paccept-unblock" };

static int nthreads, nonblock, seg_ms;
static int listener;
static struct sockaddr_in laddr;
static atomic_long accepted;
/* The measurement window: 0 warm-up, 1 measuring, 2 over. Each server thread samples
 * its own CPU clock and accept count when it sees the window open and close. */
static atomic_int window;
static atomic_long win_cpu_ns, win_accepts;
static atomic_int stop_server, stop_client;
static enum variant cur;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int one_accept(sigset_t *mask)
{
    switch (cur) {
    case V_NATIVE:
        return libc_accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    case V_ACCEPT4:
        return accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    case V_ACCEPT:
        return accept(listener, NULL, NULL);
#ifdef LINKED
    case V_PACCEPT_NULL:
        return paccept(listener, NULL, NULL, NULL, SOCK_CLOEXEC);
    case V_PACCEPT_MASK:
    case V_PACCEPT_UNBLOCK:
        return paccept(listener, NULL, NULL, mask, SOCK_CLOEXEC);
#endif
    default:
        (void)mask;
        errno = ENOSYS;
        return -1;
    }
}

static void *server(void *arg)
{
    (void)arg;
    sigset_t thread_mask, paccept_mask;
    sigemptyset(&thread_mask);
    sigemptyset(&paccept_mask);
    if (cur == V_PACCEPT_MASK) sigaddset(&paccept_mask, SIGUSR1);
    if (cur == V_PACCEPT_UNBLOCK) sigaddset(&thread_mask, SIGUSR1);
    pthread_sigmask(SIG_SETMASK, &thread_mask, NULL);
    close_fn do_close = cur == V_NATIVE ? libc_close : close;
    int seen = 0;
    long mine = 0, cpu0 = 0, mine0 = 0;
    while (!atomic_load_explicit(&stop_server, memory_order_relaxed)) {
        int w = atomic_load_explicit(&window, memory_order_relaxed);
        if (w != seen) {
            if (seen == 0 && w >= 1) {
                cpu0 = thread_cpu_ns();
                mine0 = mine;
            }
            if (w == 2 && seen == 1) {
                atomic_fetch_add(&win_cpu_ns, thread_cpu_ns() - cpu0);
                atomic_fetch_add(&win_accepts, mine - mine0);
            }
            seen = w;
        }
        int fd = one_accept(&paccept_mask);
        if (fd >= 0) {
            do_close(fd);
            mine++;
            atomic_fetch_add_explicit(&accepted, 1, memory_order_relaxed);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            struct pollfd p = { listener, POLLIN, 0 };
            poll(&p, 1, 10);
        } else if (errno == ECONNABORTED) {
            atomic_fetch_add_explicit(&accepted, 1, memory_order_relaxed);
        } else if (errno != EINTR) {
            fprintf(stderr, "%s: accept: %s\n", vnames[cur], strerror(errno));
            exit(3);
        }
    }
    if (seen == 1) { /* stopped before seeing the window close: count up to now */
        atomic_fetch_add(&win_cpu_ns, thread_cpu_ns() - cpu0);
        atomic_fetch_add(&win_accepts, mine - mine0);
    }
    return NULL;
}

static void connect_once(void)
{
    int c = libc_socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0) {
        perror("client socket");
        exit(3);
    }
    struct linger lg = { 1, 0 }; /* close with RST: no TIME_WAIT pile-up */
    libc_setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (connect(c, (struct sockaddr *)&laddr, sizeof laddr) != 0 && errno != ECONNREFUSED) {
        perror("client connect");
        exit(3);
    }
    libc_close(c);
}

static void *client(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop_client, memory_order_relaxed)) connect_once();
    return NULL;
}

/* conn/s over the window; *cpu_per_conn: the server threads' CPU time per connection
 * they accepted in it (ns), a figure the other load on the machine disturbs less. */
static double segment(enum variant v, double *cpu_per_conn)
{
    cur = v;
    listener = libc_socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
    int one = 1;
    libc_setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&laddr, 0, sizeof laddr);
    laddr.sin_family = AF_INET;
    laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof laddr;
    if (bind(listener, (struct sockaddr *)&laddr, sizeof laddr) || listen(listener, 4096) ||
        getsockname(listener, (struct sockaddr *)&laddr, &len)) {
        perror("listener");
        exit(3);
    }
    atomic_store(&stop_server, 0);
    atomic_store(&stop_client, 0);
    atomic_store(&accepted, 0);
    atomic_store(&window, 0);
    atomic_store(&win_cpu_ns, 0);
    atomic_store(&win_accepts, 0);
    pthread_t srv[8], cli[8];
    for (int i = 0; i < nthreads; i++) pthread_create(&srv[i], NULL, server, NULL);
    for (int i = 0; i < nthreads; i++) pthread_create(&cli[i], NULL, client, NULL);
    struct timespec warm = { 0, 30 * 1000 * 1000 };
    nanosleep(&warm, NULL);
    long a0 = atomic_load(&accepted);
    double t0 = now_s();
    atomic_store(&window, 1);
    struct timespec run = { seg_ms / 1000, (long)(seg_ms % 1000) * 1000 * 1000 };
    nanosleep(&run, NULL);
    long a1 = atomic_load(&accepted);
    double t1 = now_s();
    atomic_store(&window, 2);
    atomic_store(&stop_server, 1);
    atomic_store(&stop_client, 1);
    for (int i = 0; i < nthreads; i++) pthread_join(cli[i], NULL);
    /* wake servers asleep in a blocking accept: one connection each */
    for (int i = 0; i < nthreads; i++) connect_once();
    for (int i = 0; i < nthreads; i++) pthread_join(srv[i], NULL);
    libc_close(listener);
    long n = atomic_load(&win_accepts);
    *cpu_per_conn = n > 0 ? (double)atomic_load(&win_cpu_ns) / (double)n : 0;
    return (double)(a1 - a0) / (t1 - t0);
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s THREADS nonblock|blocking MS ROUNDS VARIANT...\n", argv[0]);
        return 2;
    }
    resolve_libc();
    nthreads = atoi(argv[1]);
    if (nthreads < 1 || nthreads > 8) nthreads = 1;
    nonblock = strcmp(argv[2], "nonblock") == 0;
    seg_ms = atoi(argv[3]);
    int rounds = atoi(argv[4]);
    int nv = argc - 5;
    enum variant vs[16];
    for (int i = 0; i < nv && i < 16; i++) {
        int found = -1;
        for (int k = 0; k < (int)(sizeof vnames / sizeof vnames[0]); k++)
            if (strcmp(argv[5 + i], vnames[k]) == 0) found = k;
        if (found < 0) {
            fprintf(stderr, "unknown variant %s\n", argv[5 + i]);
            return 2;
        }
        vs[i] = (enum variant)found;
    }
    unsigned rng = 2463534242u;
    for (int r = 0; r < rounds; r++) {
        /* a fresh random order each round, so that no variant always runs first or
         * always follows the same one (a segment's teardown can slow the next) */
        int order[16];
        for (int i = 0; i < nv && i < 16; i++) order[i] = i;
        for (int i = nv - 1; i > 0; i--) {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            int j = (int)(rng % (unsigned)(i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int i = 0; i < nv && i < 16; i++) {
            int k = order[i];
            double cpu = 0, rate = segment(vs[k], &cpu);
            printf("{\"variant\":\"%s\",\"round\":%d,\"rate\":%.1f,\"server_cpu_ns\":%.0f}\n", vnames[vs[k]], r,
                   rate, cpu);
            fflush(stdout);
        }
    }
    return 0;
}
