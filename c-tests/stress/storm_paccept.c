/*
 * paccept storm (issue 5, item 1).
 *
 * THREADS threads wait in paccept() on one listener, each with its own temporary mask,
 * while client threads connect without pause (each connection sends a unique 32-bit id)
 * and the main thread queues real-time signals at the waiting threads with
 * pthread_sigqueue() (h_thread_sigqueue). Real-time signals queue instead of merging, and each carries its
 * sequence number, so every signal can be followed from send to handler:
 *
 *   A = SIGRTMIN+3, B = SIGRTMIN+4  handlers without SA_RESTART
 *   R = SIGRTMIN+5                  handler with SA_RESTART
 *
 paccept masks, by thread index mod 8 (each also blocks SIGWINCH, a marker):
 *   0: A unblocked   1: B   2: R only (must restart: never EINTR)   3: A B R
 *   4: nothing       5: A R 6: B      7: A B
 * A thread's own mask, outside paccept, is {SIGHUP} (the other marker, so that a handler
 * can tell which mask it runs under) for threads 0-7 mod 16, and {SIGHUP, A, B, R} for
 * threads 8-15 mod 16 and in the non-blocking mode: signals sent to those while they
 * handle a connection are pending when paccept starts (SPEC paccept clause 3 "pending
 * at entry", clause 5), and the ones paccept's mask blocks stay pending until the
 * thread finally unblocks them.
 *
 * --mode=block     blocking listener: threads sleep in paccept.
 * --mode=nonblock  non-blocking listener: threads poll() under a mask that blocks A, B and
 *                  R, then paccept() must deliver the pending signals its mask unblocks
 *                  before it returns (SPEC paccept clause 5) and never fail with EINTR.
 *
 * Asserted: every connection returned exactly once (by id); every signal handled exactly
 * once, by its target thread; a signal the temporary mask blocks never runs under it (it
 * runs later, under the thread's own mask); a handler never runs under a third mask;
 * every thread's mask is restored after every call; R-only threads never see EINTR; no
 * EINTR without a handler; no unexpected error; the delay from a signal the mask
 * unblocks to its handler, and from it to paccept's EINTR, stays under --bound-ms; and,
 * after the storm, every idle thread is interrupted by a signal its mask unblocks.
 *
 * Documented limits this test respects rather than hides (docs/design.md "Known limits"):
 * a thread whose mask lets through both R and a handler without SA_RESTART may answer
 * EINTR for R (threads 3 and 5); and a connection taken by another thread between
 * paccept's ppoll and accept4, with a signal in that gap, makes the thread wait for the
 * next connection: clients keep connecting until after the last signal, so that window
 * shows up as latency (reported as the worst handler-to-return delay), not as a hang.
 */
#include "common.h"

#define MAXT 64
#define STOP_ID 0xffffffffu
enum { KA = 0, KB, KR, NK };

static int sig_of[NK];
static int nonblock_mode;
static int nthreads;
static int L;
static struct sockaddr_in laddr;
static sigset_t orig_mask, nonblock_wait_mask;

/* connections */
static uint32_t max_ids;
static uint32_t next_id;           /* atomic: ids handed to clients */
static uint8_t *seen;              /* per id: times accepted */
static volatile int stop_clients;
static long client_errors;

/* signals */
static int max_sigs;
static int nsent;
static int *sig_target, *sig_kind, *sig_count, *sig_where, *sig_by;
static double *sent_at, *handled_at;
static long stray;
static long handled_total; /* atomic */

struct thr {
    int idx;
    sigset_t temp;
    int unblocks[NK];
    int r_only;
    sigset_t own; /* the thread's mask outside paccept */
    int closed;   /* own mask blocks A, B and R (signals sent meanwhile are pending at entry) */
    pthread_t th;
    pid_t tid; /* atomic: gettid() in the thread, once it runs */
    long accepted, eintr, eagain, other_err, mask_bad, bad_id, eintr_no_handler, restart_violation,
        clause5_violation, calls;
    int last_errno;
    long in_call[NK], outside[NK];
    long eintr_live; /* atomic */
    int pause_req, paused; /* atomic: main asks the thread to stay outside paccept for a while */
    int held_to_end;       /* signals sent that both its masks block: pending until it ends */
    double worst_eintr_ms, worst_ret_ms, sum_eintr_ms;
};
static struct thr T[MAXT];

static _Thread_local int self = -1;
static _Thread_local volatile int call_seq = -1;       /* last signal handled under the temporary mask in this call */
static _Thread_local volatile double call_handler_at;  /* when */
static _Thread_local volatile int call_kinds[NK];       /* kinds handled under the temporary mask in this call */

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int e = errno;
    double t = now_ms();
    int seq = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
    if (self < 0 || seq < 0 || seq >= max_sigs) {
        __atomic_add_fetch(&stray, 1, __ATOMIC_SEQ_CST);
        errno = e;
        return;
    }
    sigset_t m;
    sigemptyset(&m);
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    int temp = sigismember(&m, SIGWINCH) == 1 && sigismember(&m, SIGHUP) == 0;
    int own = sigismember(&m, SIGHUP) == 1 && sigismember(&m, SIGWINCH) == 0;
    int where = temp ? 1 : own ? 2 : 3;
    int k = sig == sig_of[KA] ? KA : sig == sig_of[KB] ? KB : KR;
    __atomic_add_fetch(&sig_count[seq], 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&handled_total, 1, __ATOMIC_RELAXED);
    sig_where[seq] = where;
    sig_by[seq] = self;
    handled_at[seq] = t;
    struct thr *th = &T[self];
    if (where == 1) {
        th->in_call[k]++;
        call_seq = seq;
        call_handler_at = t;
        call_kinds[k]++;
    } else {
        th->outside[k]++;
    }
    errno = e;
}

static int read_id(int fd, uint32_t *id)
{
    size_t got = 0;
    double end = now_ms() + 5000;
    while (got < sizeof *id && now_ms() < end) {
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, 100);
        if (r < 0 && errno != EINTR) return -1;
        if (r <= 0) continue;
        ssize_t n = recv(fd, (char *)id + got, sizeof *id - got, MSG_DONTWAIT);
        if (n == 0) return -1;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return -1;
        }
        got += (size_t)n;
    }
    return got == sizeof *id ? 0 : -1;
}

static void *server(void *p)
{
    struct thr *t = p;
    self = t->idx;
    __atomic_store_n(&t->tid, gettid(), __ATOMIC_SEQ_CST);
    const sigset_t *own = &t->own;
    pthread_sigmask(SIG_SETMASK, own, NULL);
    for (;;) {
        if (__atomic_load_n(&t->pause_req, __ATOMIC_SEQ_CST)) {
            /* outside paccept, under the own mask, until main has queued a signal */
            __atomic_store_n(&t->paused, 1, __ATOMIC_SEQ_CST);
            double until = now_ms() + 5000;
            while (__atomic_load_n(&t->pause_req, __ATOMIC_SEQ_CST) && now_ms() < until) sleep_us(500);
            __atomic_store_n(&t->paused, 0, __ATOMIC_SEQ_CST);
        }
        if (nonblock_mode) {
            struct pollfd pf = { L, POLLIN, 0 };
            poll(&pf, 1, 10);
        }
        sigset_t pend;
        sigemptyset(&pend);
        sigpending(&pend);
        call_seq = -1;
        for (int k = 0; k < NK; k++) call_kinds[k] = 0;
        t->calls++;
        errno = 0;
        int r = paccept(L, NULL, NULL, &t->temp, SOCK_CLOEXEC);
        int e = errno;
        double end = now_ms();
        sigset_t now;
        sigemptyset(&now);
        pthread_sigmask(SIG_BLOCK, NULL, &now);
        for (int s = 1; s < 65; s++) {
            if (s == 32 || s == 33 || s == SIGKILL || s == SIGSTOP) continue;
            if (sigismember(&now, s) != sigismember(own, s)) {
                t->mask_bad++;
                break;
            }
        }
        if (t->closed)
            for (int k = 0; k < NK; k++)
                if (t->unblocks[k] && sigismember(&pend, sig_of[k]) == 1 && call_kinds[k] == 0)
                    t->clause5_violation++;
        int cs = call_seq;
        if (cs >= 0 && sig_kind[cs] != KR) {
            double d = end - call_handler_at;
            if (d > t->worst_ret_ms) t->worst_ret_ms = d;
        }
        if (r < 0) {
            if (e == EINTR) {
                t->eintr++;
                if (cs < 0) {
                    t->eintr_no_handler++;
                } else {
                    double d = end - sent_at[cs];
                    if (d > t->worst_eintr_ms) t->worst_eintr_ms = d;
                    t->sum_eintr_ms += d;
                }
                if (t->r_only || nonblock_mode) t->restart_violation++;
                __atomic_store_n(&t->eintr_live, t->eintr, __ATOMIC_SEQ_CST);
                continue;
            }
            if (e == EAGAIN && nonblock_mode) {
                t->eagain++;
                continue;
            }
            t->other_err++;
            t->last_errno = e;
            if (t->other_err > 100) break;
            continue;
        }
        uint32_t id = 0;
        int ok = read_id(r, &id) == 0;
        close(r);
        if (!ok) {
            t->bad_id++;
            continue;
        }
        if (id == STOP_ID) break;
        if (id < max_ids)
            __atomic_add_fetch(&seen[id], 1, __ATOMIC_SEQ_CST);
        else
            t->bad_id++;
        t->accepted++;
    }
    /* release what the own mask kept pending: delivered now, under {SIGHUP} */
    pthread_sigmask(SIG_SETMASK, &orig_mask, NULL);
    return NULL;
}

static int connect_id(uint32_t id, int wait_close)
{
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0) return -1;
    int one = 1;
    setsockopt(c, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in src;
    memset(&src, 0, sizeof src);
    src.sin_family = AF_INET;
    /* spread the 4-tuples over 250 source addresses: no ephemeral port exhaustion */
    src.sin_addr.s_addr = htonl(0x7f000000u | (2u + (id % 250u)));
    if (bind(c, (struct sockaddr *)&src, sizeof src) != 0) {
        close(c);
        return -1;
    }
    struct timeval tv = { 10, 0 };
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int r = -1;
    if (connect(c, (struct sockaddr *)&laddr, sizeof laddr) == 0 &&
        send(c, &id, sizeof id, MSG_NOSIGNAL) == (ssize_t)sizeof id) {
        r = 0;
        if (wait_close) {
            /* the server closes first: then no TIME_WAIT is left on this side */
            char b;
            ssize_t n;
            do n = recv(c, &b, 1, 0);
            while (n < 0 && errno == EINTR);
            if (n != 0) r = -2;
        }
    }
    struct linger lg = { 1, 0 };
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c);
    return r;
}

static void *client(void *p)
{
    (void)p;
    while (!__atomic_load_n(&stop_clients, __ATOMIC_SEQ_CST)) {
        uint32_t id = __atomic_fetch_add(&next_id, 1, __ATOMIC_SEQ_CST);
        if (id >= max_ids) {
            __atomic_fetch_sub(&next_id, 1, __ATOMIC_SEQ_CST);
            break;
        }
        int r = connect_id(id, 1);
        if (r != 0) {
            long n = __atomic_add_fetch(&client_errors, 1, __ATOMIC_SEQ_CST);
            if (n <= 5) FAIL("client id %u: %s", id, r == -2 ? "server did not close" : strerror(errno));
        }
    }
    return NULL;
}

static int send_signal(int t, int k)
{
    int seq = nsent;
    if (seq >= max_sigs) return -1;
    sig_target[seq] = t;
    sig_kind[seq] = k;
    double at = now_ms();
    __atomic_store(&sent_at[seq], &at, __ATOMIC_SEQ_CST);
    union sigval v;
    v.sival_int = seq;
    for (int tries = 0; tries < 1000; tries++) {
        pid_t tid = __atomic_load_n(&T[t].tid, __ATOMIC_SEQ_CST);
        int e = tid ? h_thread_sigqueue(T[t].th, tid, sig_of[k], v) : EAGAIN;
        if (e == 0) {
            nsent++;
            return seq;
        }
        if (e != EAGAIN) {
            FAIL("pthread_sigqueue: %s", strerror(e));
            return -1;
        }
        sleep_us(1000);
    }
    FAIL("pthread_sigqueue: queue stayed full for 1 s");
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int lng = st_long(argc, argv);
    const char *mode = st_sopt(argc, argv, "--mode", "block");
    nonblock_mode = strcmp(mode, "nonblock") == 0;
    st_name = nonblock_mode ? "paccept storm, non-blocking listener" : "paccept storm, blocking listener";
    nthreads = (int)st_opt(argc, argv, "--threads", lng ? 32 : 16);
    long min_conns = st_opt(argc, argv, "--conns", lng ? 1000000 : 50000);
    long min_sigs = st_opt(argc, argv, "--signals", lng ? 200000 : 10000);
    int nclients = (int)st_opt(argc, argv, "--clients", 4);
    double limit_ms = (double)st_opt(argc, argv, "--time-limit-s", lng ? 400 : 100) * 1000.0;
    double bound_ms = (double)st_opt(argc, argv, "--bound-ms", 500);
    if (nthreads < 1 || nthreads > MAXT) nthreads = 8;

    sig_of[KA] = SIGRTMIN + 3;
    sig_of[KB] = SIGRTMIN + 4;
    sig_of[KR] = SIGRTMIN + 5;
    for (int k = 0; k < NK; k++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = handler;
        sa.sa_flags = SA_SIGINFO | (k == KR ? SA_RESTART : 0);
        sigemptyset(&sa.sa_mask);
        MUST(sigaction(sig_of[k], &sa, NULL) == 0, "sigaction: %s", strerror(errno));
    }
    sigemptyset(&orig_mask);
    sigaddset(&orig_mask, SIGHUP);
    nonblock_wait_mask = orig_mask;
    for (int k = 0; k < NK; k++) sigaddset(&nonblock_wait_mask, sig_of[k]);
    /* main and the clients: the test signals blocked (they are sent to servers only) */
    pthread_sigmask(SIG_SETMASK, &nonblock_wait_mask, NULL);

    max_ids = (uint32_t)(min_conns * 3 + 1000);
    max_sigs = (int)(min_sigs * 4 + 1000);
    seen = calloc(max_ids, 1);
    sig_target = calloc((size_t)max_sigs, sizeof(int));
    sig_kind = calloc((size_t)max_sigs, sizeof(int));
    sig_count = calloc((size_t)max_sigs, sizeof(int));
    sig_where = calloc((size_t)max_sigs, sizeof(int));
    sig_by = calloc((size_t)max_sigs, sizeof(int));
    sent_at = calloc((size_t)max_sigs, sizeof(double));
    handled_at = calloc((size_t)max_sigs, sizeof(double));
    MUST(seen && sig_target && sig_kind && sig_count && sig_where && sig_by && sent_at && handled_at, "calloc");
    MUST(st_raise_nofile(4096) >= 1024, "RLIMIT_NOFILE");

    L = st_listener(nonblock_mode ? SOCK_NONBLOCK : 0, 4096, &laddr);

    static const int pattern[8][NK] = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 1, 1, 1 },
                                        { 0, 0, 0 }, { 1, 0, 1 }, { 0, 1, 0 }, { 1, 1, 0 } };
    for (int i = 0; i < nthreads; i++) {
        struct thr *t = &T[i];
        t->idx = i;
        sigemptyset(&t->temp);
        sigaddset(&t->temp, SIGWINCH);
        for (int k = 0; k < NK; k++) {
            t->unblocks[k] = pattern[i % 8][k];
            if (!t->unblocks[k]) sigaddset(&t->temp, sig_of[k]);
        }
        t->r_only = !t->unblocks[KA] && !t->unblocks[KB] && t->unblocks[KR];
        t->closed = nonblock_mode || (i / 8) % 2 == 1;
        t->own = t->closed ? nonblock_wait_mask : orig_mask;
        MUST(pthread_create(&t->th, NULL, server, t) == 0, "pthread_create");
    }
    sleep_us(20000);

    double t0 = now_ms();
    pthread_t cl[16];
    if (nclients > 16) nclients = 16;
    for (int i = 0; i < nclients; i++) MUST(pthread_create(&cl[i], NULL, client, NULL) == 0, "pthread_create");

    /* the storm: signals at random threads, of random kinds, every 50-350 us */
    uint64_t rng = 0x5eed0001u + (uint64_t)nonblock_mode;
    int timed_out = 0;
    for (;;) {
        uint32_t issued = __atomic_load_n(&next_id, __ATOMIC_SEQ_CST);
        if ((long)issued >= min_conns && nsent >= min_sigs) break;
        if (now_ms() - t0 > limit_ms) {
            timed_out = 1;
            break;
        }
        /* Pending signals count against the user's RLIMIT_SIGPENDING, shared by every
         * process of this user: keep at most a few thousand in flight, and at most 32 per
         * thread that stay pending to the end (both of its masks block them). */
        long in_flight = nsent - __atomic_load_n(&handled_total, __ATOMIC_RELAXED);
        if (nsent < max_sigs - 100 - nthreads * 2 && in_flight < 2000) {
            uint64_t x = rnd(&rng);
            int t = (int)(x % (uint64_t)nthreads), k = (int)((x >> 20) % NK);
            int to_end = T[t].closed && !T[t].unblocks[k];
            if (!to_end || T[t].held_to_end < 32) {
                if (send_signal(t, k) >= 0 && to_end) T[t].held_to_end++;
            }
        }
        sleep_us(50 + (long)(rnd(&rng) % 300));
    }
    int storm_sigs = nsent;
    double storm_ms = now_ms() - t0;
    /* connections go on for a while after the last signal (see the header comment) */
    sleep_us(50000);
    __atomic_store_n(&stop_clients, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < nclients; i++) pthread_join(cl[i], NULL);
    uint32_t issued = next_id;
    if (timed_out)
        FAIL("only %u connections and %d signals in %.0f s (wanted %ld and %ld)", issued, storm_sigs,
             limit_ms / 1000, min_conns, min_sigs);

    /* every connection returned by somebody */
    double end = now_ms() + 5000;
    uint32_t got;
    for (;;) {
        got = 0;
        for (uint32_t i = 0; i < issued; i++) got += __atomic_load_n(&seen[i], __ATOMIC_SEQ_CST) ? 1 : 0;
        if (got == issued || now_ms() > end) break;
        sleep_us(2000);
    }
    if (got != issued) FAIL("only %u of %u connections were returned by paccept (a thread is stuck?)", got, issued);

    /* idle threads: a signal the mask unblocks ends the wait at once (nobody asleep under the wrong mask) */
    int probes = 0;
    for (int i = 0; i < nthreads; i++) {
        struct thr *t = &T[i];
        int k = t->unblocks[KA] ? KA : t->unblocks[KB] ? KB : t->unblocks[KR] ? KR : KA;
        long before = __atomic_load_n(&t->eintr_live, __ATOMIC_SEQ_CST);
        int seq = send_signal(i, k);
        if (seq < 0) continue;
        probes++;
        double e2 = now_ms() + bound_ms * 2;
        if (!t->unblocks[KA] && !t->unblocks[KB] && !t->unblocks[KR]) {
            sleep_us(20000);
            if (!nonblock_mode && __atomic_load_n(&sig_count[seq], __ATOMIC_SEQ_CST) != 0)
                FAIL("thread %d: a signal its paccept mask blocks was handled during the wait", i);
            continue;
        }
        if (nonblock_mode || k == KR) {
            while (__atomic_load_n(&sig_count[seq], __ATOMIC_SEQ_CST) == 0 && now_ms() < e2) sleep_us(500);
            if (__atomic_load_n(&sig_count[seq], __ATOMIC_SEQ_CST) == 0)
                FAIL("idle thread %d: signal %d not handled within %.0f ms", i, sig_of[k], bound_ms * 2);
            continue;
        }
        while (__atomic_load_n(&t->eintr_live, __ATOMIC_SEQ_CST) == before && now_ms() < e2) sleep_us(500);
        if (__atomic_load_n(&t->eintr_live, __ATOMIC_SEQ_CST) == before)
            FAIL("idle thread %d was not interrupted within %.0f ms by a signal its mask unblocks", i, bound_ms * 2);
    }

    /* idle threads whose own mask blocks the signals: one is queued while the thread is
     * outside paccept, so it is pending when paccept starts with nothing to accept. It
     * must interrupt the wait (EINTR), or, for an SA_RESTART handler, run and let the
     * wait go on; a paccept that ran the handler and then slept would never return. */
    int entry_probes = 0;
    for (int i = 0; i < nthreads && !nonblock_mode; i++) {
        struct thr *t = &T[i];
        /* (a thread that unblocks only R cannot be called out of its wait by a signal) */
        if (!t->closed || !(t->unblocks[KA] || t->unblocks[KB])) continue;
        int k = t->unblocks[KA] ? KA : KB;
        __atomic_store_n(&t->pause_req, 1, __ATOMIC_SEQ_CST);
        long before = __atomic_load_n(&t->eintr_live, __ATOMIC_SEQ_CST);
        int wake = send_signal(i, k); /* gets the thread out of its current wait */
        double e2 = now_ms() + bound_ms * 2;
        while (!__atomic_load_n(&t->paused, __ATOMIC_SEQ_CST) && now_ms() < e2) sleep_us(500);
        if (wake < 0 || !__atomic_load_n(&t->paused, __ATOMIC_SEQ_CST)) {
            FAIL("idle thread %d did not leave paccept for a signal its mask unblocks", i);
            __atomic_store_n(&t->pause_req, 0, __ATOMIC_SEQ_CST);
            continue;
        }
        before = __atomic_load_n(&t->eintr_live, __ATOMIC_SEQ_CST);
        int seq = send_signal(i, k);
        if (seq < 0) continue;
        entry_probes++;
        sleep_us(2000);
        if (__atomic_load_n(&sig_count[seq], __ATOMIC_SEQ_CST) != 0)
            FAIL("thread %d: a signal its own mask blocks was handled outside paccept", i);
        double released = now_ms();
        __atomic_store_n(&t->pause_req, 0, __ATOMIC_SEQ_CST);
        e2 = released + bound_ms * 2;
        if (k == KR) {
            while (__atomic_load_n(&sig_count[seq], __ATOMIC_SEQ_CST) == 0 && now_ms() < e2) sleep_us(200);
            if (sig_count[seq] == 0 || sig_where[seq] != 1)
                FAIL("idle thread %d: an SA_RESTART signal pending at entry was not handled under paccept's mask", i);
            sleep_us(20000);
            if (__atomic_load_n(&t->eintr_live, __ATOMIC_SEQ_CST) != before)
                FAIL("idle thread %d: paccept answered EINTR for an SA_RESTART signal pending at entry", i);
        } else {
            while (__atomic_load_n(&t->eintr_live, __ATOMIC_SEQ_CST) == before && now_ms() < e2) sleep_us(200);
            if (__atomic_load_n(&t->eintr_live, __ATOMIC_SEQ_CST) == before)
                FAIL("idle thread %d: a signal pending when paccept began (mask unblocks it, no SA_RESTART) did not "
                     "interrupt the wait within %.0f ms (handler %s)", i, bound_ms * 2,
                     sig_count[seq] ? "ran, then paccept slept on" : "never ran");
        }
    }

    /* stop: one STOP connection per thread */
    for (int i = 0; i < nthreads; i++)
        if (connect_id(STOP_ID, 0) != 0) FAIL("STOP connection: %s", strerror(errno));
    for (int i = 0; i < nthreads; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 5;
        if (pthread_timedjoin_np(T[i].th, NULL, &ts) != 0) {
            FAIL("thread %d did not take its STOP connection within 5 s (stuck)", i);
            printf("RESULT\t%s\t-\t-\t-\tFAIL\tthread stuck\n", st_name);
            fflush(stdout);
            _exit(1);
        }
    }

    /* ---- accounting ---- */
    long dup_conn = 0, lost_conn = 0;
    for (uint32_t i = 0; i < issued; i++) {
        if (seen[i] == 0) lost_conn++;
        if (seen[i] > 1) dup_conn++;
    }
    if (lost_conn) FAIL("%ld connections never returned", lost_conn);
    if (dup_conn) FAIL("%ld connections returned more than once", dup_conn);

    long lost_sig = 0, dup_sig = 0, wrong_thread = 0, forbidden = 0, third_mask = 0, deferred = 0, late = 0;
    double worst_lat = 0, worst_def = 0;
    int nlat = 0;
    double *lat = calloc((size_t)nsent + 1, sizeof(double));
    MUST(lat, "calloc");
    for (int s = 0; s < nsent; s++) {
        if (sig_count[s] == 0) {
            lost_sig++;
            continue;
        }
        if (sig_count[s] > 1) dup_sig++;
        if (sig_by[s] != sig_target[s]) wrong_thread++;
        int unblocked = T[sig_target[s]].unblocks[sig_kind[s]];
        if (sig_where[s] == 3) third_mask++;
        if (sig_where[s] == 1 && !unblocked) forbidden++;
        double d = handled_at[s] - sent_at[s];
        if (!unblocked) {
            deferred++;
            if (d > worst_def) worst_def = d;
        } else {
            lat[nlat++] = d;
            if (d > worst_lat) worst_lat = d;
            if (d > bound_ms) late++;
        }
    }
    qsort(lat, (size_t)nlat, sizeof(double), cmp_double);
    double p99 = nlat ? lat[(size_t)((double)nlat * 0.99)] : 0;
    if (lost_sig) FAIL("%ld signals never handled", lost_sig);
    if (dup_sig) FAIL("%ld signals handled more than once", dup_sig);
    if (wrong_thread) FAIL("%ld signals handled by another thread than their target", wrong_thread);
    if (forbidden) FAIL("%ld signals ran their handler under a paccept mask that blocks them", forbidden);
    if (third_mask) FAIL("%ld handlers ran under neither paccept's mask nor the thread's own", third_mask);
    if (late) FAIL("%ld signals the mask unblocks waited more than %.0f ms for their handler (worst %.1f ms)", late,
                   bound_ms, worst_lat);
    if (stray) FAIL("%ld handler runs in a thread that is no server, or without a sequence number", stray);

    long accepted = 0, eintr = 0, in_call = 0, eagain = 0, calls = 0;
    double worst_eintr = 0, worst_ret = 0, sum_eintr = 0;
    long r_only_in_call = 0, nr_only_eintr = 0;
    char per[512] = "";
    for (int i = 0; i < nthreads; i++) {
        struct thr *t = &T[i];
        if (t->other_err)
            FAIL("thread %d: %ld unexpected paccept failures (last %s)", i, t->other_err, strerror(t->last_errno));
        if (t->bad_id) FAIL("thread %d: %ld connections without a valid id", i, t->bad_id);
        if (t->mask_bad) FAIL("thread %d: mask not restored after %ld of %ld calls", i, t->mask_bad, t->calls);
        if (t->eintr_no_handler) FAIL("thread %d: %ld EINTR without a handler run", i, t->eintr_no_handler);
        if (t->restart_violation)
            FAIL("thread %d: %ld EINTR where the call must %s", i, t->restart_violation,
                 nonblock_mode ? "not sleep (non-blocking listener)" : "restart (only SA_RESTART handlers unblocked)");
        if (t->clause5_violation)
            FAIL("thread %d: %ld calls returned with a signal pending that the mask unblocks and that was pending "
                 "at entry (clause 5)", i, t->clause5_violation);
        accepted += t->accepted;
        eintr += t->eintr;
        eagain += t->eagain;
        calls += t->calls;
        sum_eintr += t->sum_eintr_ms;
        for (int k = 0; k < NK; k++) in_call += t->in_call[k];
        if (t->r_only) r_only_in_call += t->in_call[KR];
        if (!t->unblocks[KR] && (t->unblocks[KA] || t->unblocks[KB])) nr_only_eintr += t->eintr;
        if (t->worst_eintr_ms > worst_eintr) worst_eintr = t->worst_eintr_ms;
        if (t->worst_ret_ms > worst_ret) worst_ret = t->worst_ret_ms;
        size_t n = strlen(per);
        snprintf(per + n, sizeof per - n, "%s%ld", i ? "/" : "", t->accepted);
    }
    if (accepted != (long)issued) FAIL("threads accepted %ld connections, %u were made", accepted, issued);
    if (worst_eintr > bound_ms) FAIL("worst EINTR latency %.1f ms exceeds %.0f ms", worst_eintr, bound_ms);
    if (worst_ret > bound_ms)
        FAIL("a handler without SA_RESTART ran inside paccept and the call returned only %.1f ms later (bound %.0f ms)",
             worst_ret, bound_ms);
    if (!nonblock_mode) {
        /* the paths under test were exercised */
        if (nr_only_eintr == 0) FAIL("no EINTR at all in threads with interrupting signals: nothing was tested");
        if (nthreads > 2 && r_only_in_call == 0) FAIL("no SA_RESTART handler ran inside a wait: nothing was tested");
    } else if (in_call == 0) {
        FAIL("no handler ran inside a non-blocking paccept: clause 5 was not exercised");
    }

    printf("%s: %d threads, %d clients, %.1f s storm\n", st_name, nthreads, nclients, storm_ms / 1000);
    printf("  connections: %u made, %ld accepted exactly once, %ld lost, %ld duplicated; per thread %s\n", issued,
           accepted - dup_conn, lost_conn, dup_conn, per);
    printf("  signals: %d sent (%d in the storm, %d idle probes, %d pending-at-entry probes), %d handled under paccept's mask, %ld deferred by it "
           "(all delivered later, worst %.1f ms), %ld lost, %ld duplicated\n",
           nsent, storm_sigs, probes, entry_probes, (int)in_call, deferred, worst_def, lost_sig, dup_sig);
    printf("  paccept calls %ld, EINTR %ld (mean %.3f ms, worst %.3f ms from send), EAGAIN %ld; signal-to-handler "
           "(mask unblocks) p99 %.3f ms, worst %.3f ms; worst handler-to-return (residual window) %.3f ms\n",
           calls, eintr, eintr ? sum_eintr / (double)eintr : 0.0, worst_eintr, eagain, p99, worst_lat, worst_ret);

    char pushed[160], hard[200], lost[120], detail[200];
    snprintf(pushed, sizeof pushed, "%u connections, %d signals", issued, nsent);
    snprintf(hard, sizeof hard, "%d threads x %d masks, %d clients, %.1f s", nthreads, nthreads < 8 ? nthreads : 8,
             nclients, storm_ms / 1000);
    snprintf(lost, sizeof lost, "conn %ld lost/%ld dup; sig %ld lost/%ld dup", lost_conn, dup_conn, lost_sig, dup_sig);
    snprintf(detail, sizeof detail, "%ld EINTR, worst EINTR latency %.2f ms; worst handler delay %.2f ms (p99 %.2f)",
             eintr, worst_eintr, worst_lat, p99);
    st_result(pushed, hard, lost, detail);
    return st_exit();
}
