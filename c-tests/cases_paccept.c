/*
 * paccept(2): the man page's signal-mask clauses (NETBSD-NOTES.md 9a.16-18), the
 * NetBSD-source clauses (9b.31, 37-41) and SPEC.md's paccept clauses 1-10.
 * Every case here needs paccept and reports SKIP when no sockshim is loaded.
 */
#include "harness.h"

/* A signal set from a 0-terminated list. */
static sigset_t sigs(int first, ...)
{
    sigset_t m;
    sigemptyset(&m);
    va_list ap;
    va_start(ap, first);
    for (int s = first; s; s = va_arg(ap, int)) sigaddset(&m, s);
    va_end(ap);
    return m;
}

static void set_mask(const sigset_t *m)
{
    CHECK(pthread_sigmask(SIG_SETMASK, m, NULL) == 0, "pthread_sigmask");
}

static void expect_mask(const sigset_t *want, const char *when)
{
    sigset_t m = current_mask();
    CHECK(same_mask(&m, want), "%s: thread mask %s, expected %s", when, mask_str(&m), mask_str(want));
}

/* A handler hook that connects a prepared client while the handler runs. */
static int hook_client = -1;
static struct addr hook_addr;
static volatile int hook_rc = -2;
static void connect_hook(int sig)
{
    if (sig == SIGUSR1 && hook_client >= 0) {
        hook_rc = connect(hook_client, (struct sockaddr *)&hook_addr.ss, hook_addr.len);
        hook_client = -1;
    }
}

static int arm_hook_client(const struct addr *a)
{
    hook_addr = *a;
    hook_rc = -2;
    hook_client = OK(socket(AF_INET, SOCK_STREAM, 0));
    sig_hook = connect_hook;
    return hook_client;
}

/* ---------------------------------------------------------------------------- */
/* NetBSD accept(2) 9a.16-18                                                      */
/* ---------------------------------------------------------------------------- */

static void t_paccept_interrupted_eintr(void)
{
    need_paccept();
    on_signal(SIGUSR1, 0);
    sigset_t orig = sigs(SIGUSR1, 0), temp = sigs(0);
    set_mask(&orig);
    int l = tcp_listener(AF_INET, 0, 8, NULL);
    struct delayed_kill k;
    double t0 = now_ms();
    delayed_kill_start(&k, pthread_self(), SIGUSR1, 100);
    EXPECT_ERR(paccept(l, NULL, NULL, &temp, 0), EINTR);
    double el = now_ms() - t0;
    CHECK(el >= 80, "EINTR after %.0f ms, before the signal", el);
    EXPECT_EQ(sig_count[SIGUSR1], 1);
    expect_mask(&orig, "after EINTR");
    pthread_join(k.th, NULL);
}

struct deferred {
    struct addr a;
    pthread_t target;
    volatile int count_at_connect;
    int fd;
};

static void *kill_then_connect(void *p)
{
    struct deferred *d = p;
    sleep_ms(50);
    pthread_kill(d->target, SIGUSR2);
    sleep_ms(100);
    d->count_at_connect = sig_count[SIGUSR2];
    d->fd = tcp_connect(&d->a);
    return NULL;
}

static void t_paccept_blocked_signal_deferred(void)
{
    need_paccept();
    on_signal(SIGUSR2, 0);
    sigset_t orig = sigs(0), temp = sigs(SIGUSR2, 0);
    set_mask(&orig);
    struct deferred d;
    memset(&d, 0, sizeof d);
    int l = tcp_listener(AF_INET, 0, 8, &d.a);
    d.target = pthread_self();
    pthread_t th = spawn(kill_then_connect, &d);
    int s = paccept(l, NULL, NULL, &temp, 0);
    CHECK(s >= 0, "paccept: %s (the blocked SIGUSR2 must not interrupt it)", strerror(errno));
    pthread_join(th, NULL);
    EXPECT_EQ(d.count_at_connect, 0); /* not delivered during the wait */
    EXPECT_EQ(sig_count[SIGUSR2], 1);  /* delivered once the original mask was back */
}

static void t_paccept_mask_restored_simple(void)
{
    need_paccept();
    sigset_t orig = sigs(SIGHUP, SIGUSR1, 0), temp = sigs(SIGUSR2, SIGTERM, 0);
    set_mask(&orig);
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    OK(paccept(l, NULL, NULL, &temp, 0));
    expect_mask(&orig, "after success");
    int u = OK(socket(AF_INET, SOCK_STREAM, 0));
    EXPECT_ERR(paccept(u, NULL, NULL, &temp, 0), EINVAL);
    expect_mask(&orig, "after EINVAL");
}

/* ---------------------------------------------------------------------------- */
/* NetBSD source 9b                                                               */
/* ---------------------------------------------------------------------------- */

static void t_paccept_unknown_flags_ignored(void)
{
    need_paccept();
    sigset_t none = sigs(0);
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    int flags[] = { 0x1, INT_MIN, 0x1 | SOCK_NONBLOCK, 0x100 | SOCK_CLOEXEC, -1 };
    int wantfl[] = { O_RDWR, O_RDWR, O_RDWR | O_NONBLOCK, O_RDWR, O_RDWR | O_NONBLOCK };
    int wantfd[] = { 0, 0, 0, FD_CLOEXEC, FD_CLOEXEC };
    int wantns[] = { 0, 0, 0, 0, 1 }; /* -1 has every bit, SOCK_NOSIGPIPE included */
    for (int masked = 0; masked < 2; masked++)
        for (int i = 0; i < 5; i++) {
            tcp_connect(&a);
            wait_queued(l, 1, 1000);
            int s = paccept(l, NULL, NULL, masked ? &none : NULL, flags[i]);
            CHECK(s >= 0, "paccept(flags 0x%x, %s mask): %s", (unsigned)flags[i], masked ? "empty" : "NULL",
                  strerror(errno));
            EXPECT_EQ(getfl(s), wantfl[i] | (wantns[i] ? O_NOSIGPIPE : 0));
            EXPECT_EQ(getfd(s), wantfd[i]);
            EXPECT_EQ(fcntl(s, F_GETNOSIGPIPE), wantns[i]);
            close(s);
        }
}

static void t_paccept_mask_read_first(void)
{
    need_paccept();
    const sigset_t *bad = unmapped_page();
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    int c = tcp_connect(&a);
    wait_queued(l, 1, 1000);
    EXPECT_ERR(paccept(l, NULL, NULL, bad, 0), EFAULT);
    EXPECT_EQ(queue_len(l, NULL), 1); /* nothing was dequeued */
    int nb = tcp_listener(AF_INET, SOCK_NONBLOCK, 8, NULL);
    EXPECT_ERR(paccept(nb, NULL, NULL, bad, 0), EFAULT);   /* not EAGAIN */
    EXPECT_ERR(paccept(udp_socket(AF_INET), NULL, NULL, bad, 0), EFAULT); /* not EOPNOTSUPP */
    EXPECT_ERR(paccept(OK(socket(AF_INET, SOCK_STREAM, 0)), NULL, NULL, bad, 0), EFAULT); /* not EINVAL */
    sigset_t none = sigs(0);
    struct sockaddr_storage peer, want = local_name(c);
    socklen_t len = sizeof peer;
    OK(paccept(l, (struct sockaddr *)&peer, &len, &none, 0));
    CHECK(same_addr(&peer, &want), "the queued connection was not the one returned afterwards");
}

/* 9b.38 / SPEC table "pending signal unblocked by the mask, connection ready" */
static void t_paccept_pending_signal_ready(void)
{
    need_paccept();
    on_signal(SIGUSR1, 0);
    sigset_t orig = sigs(SIGUSR1, 0), temp = sigs(0);
    set_mask(&orig);
    int delivered = 0, left_pending = 0;
    char msg[300] = "";
    for (int nonblock = 0; nonblock < 2; nonblock++) {
        struct addr a;
        int l = tcp_listener(AF_INET, nonblock ? SOCK_NONBLOCK : 0, 8, &a);
        tcp_connect(&a);
        wait_queued(l, 1, 1000);
        raise(SIGUSR1);
        int before = sig_count[SIGUSR1];
        errno = 0;
        int s = paccept(l, NULL, NULL, &temp, 0);
        int e = errno;
        int ran = sig_count[SIGUSR1] - before;
        int pend = is_pending(SIGUSR1);
        size_t n = strlen(msg);
        snprintf(msg + n, sizeof msg - n, "%s%s listener: paccept %s, handler ran %d, still pending %d",
                 nonblock ? "; " : "", nonblock ? "non-blocking" : "blocking", s >= 0 ? "returned the fd" : strerror(e),
                 ran, pend);
        CHECK(s >= 0, "%s", msg);
        if (ran == 1 && !pend) delivered++;
        if (ran == 0 && pend) left_pending++;
        /* clear it for the next round */
        if (pend) {
            sigset_t u = sigs(SIGUSR1, 0);
            pthread_sigmask(SIG_UNBLOCK, &u, NULL);
            set_mask(&orig);
        }
    }
    if (delivered == 2) observe(OBS_NETBSD, "delivered before paccept returned (%s)", msg);
    if (left_pending == 2) observe(OBS_LINUX, "left pending, as ppoll does (%s)", msg);
    observe(OBS_OTHER, "%s", msg);
}

static void t_paccept_no_delivery_on_fd_errors(void)
{
    need_paccept();
    on_signal(SIGUSR1, 0);
    sigset_t orig = sigs(SIGUSR1, 0), temp = sigs(0);
    set_mask(&orig);
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    int c = tcp_connect(&a);
    int spare = devnull();
    wait_queued(l, 1, 1000);
    raise(SIGUSR1);
    EXPECT_ERR(paccept(-1, NULL, NULL, &temp, 0), EBADF);
    EXPECT_ERR(paccept(spare, NULL, NULL, &temp, 0), ENOTSOCK);
    struct rlimit old, lim;
    OK(getrlimit(RLIMIT_NOFILE, &old));
    lim = old;
    lim.rlim_cur = (rlim_t)spare + 1;
    OK(setrlimit(RLIMIT_NOFILE, &lim));
    EXPECT_ERR(paccept(l, NULL, NULL, &temp, 0), EMFILE);
    OK(setrlimit(RLIMIT_NOFILE, &old));
    EXPECT_EQ(sig_count[SIGUSR1], 0);
    CHECK(is_pending(SIGUSR1), "SIGUSR1 no longer pending");
    EXPECT_EQ(queue_len(l, NULL), 1); /* EMFILE consumed nothing */
    struct sockaddr_storage peer, want = local_name(c);
    socklen_t len = sizeof peer;
    OK(accept(l, (struct sockaddr *)&peer, &len));
    CHECK(same_addr(&peer, &want), "the connection accepted after EMFILE is not the queued one");
    unblock_signal(SIGUSR1);
    EXPECT_EQ(sig_count[SIGUSR1], 1);
}

/* 9b.40 / SPEC table "SA_RESTART handler during paccept" */
static void t_paccept_sa_restart(void)
{
    need_paccept();
    on_signal(SIGUSR1, SA_RESTART);
    sigset_t orig = sigs(SIGUSR1, 0), temp;
    sigfillset(&temp);
    sigdelset(&temp, SIGUSR1);
    set_mask(&orig);
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    int client = arm_hook_client(&a);
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    struct delayed_kill k;
    delayed_kill_start(&k, pthread_self(), SIGUSR1, 100);
    errno = 0;
    int s = paccept(l, (struct sockaddr *)&peer, &len, &temp, 0);
    int e = errno;
    pthread_join(k.th, NULL);
    CHECK(hook_rc == 0, "the handler's connect failed (%d)", hook_rc);
    EXPECT_EQ(sig_count[SIGUSR1], 1);
    struct sockaddr_storage want = local_name(client);
    if (s >= 0 && same_addr(&peer, &want))
        observe(OBS_NETBSD, "restarted: returned the connection made by the SA_RESTART handler");
    if (s == -1 && e == EINTR) observe(OBS_LINUX, "EINTR although the handler has SA_RESTART");
    observe(OBS_OTHER, "paccept returned %d (%s)", s, s < 0 ? strerror(e) : addr_str(&peer));
}

/* 9b.41 for paccept (netbsd-only, NetBSD semantics in every personality) */
static void t_paccept_rcvtimeo_ignored(void)
{
    need_paccept();
    sigset_t none = sigs(0);
    int ignored = 0, timed_out = 0;
    char msg[300] = "";
    for (int masked = 0; masked < 2; masked++) {
        struct addr a;
        int l = tcp_listener(AF_INET, 0, 8, &a);
        struct timeval tv = { 0, 50 * 1000 };
        OK(setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
        struct delayed_connect d;
        double t0 = now_ms();
        delayed_connect_start(&d, &a, 250);
        errno = 0;
        int s = paccept(l, NULL, NULL, masked ? &none : NULL, 0);
        int e = errno;
        double el = now_ms() - t0;
        pthread_join(d.th, NULL);
        if (s >= 0 && el >= 200) ignored++;
        if (s == -1 && e == EAGAIN) timed_out++; /* only SO_RCVTIMEO gives EAGAIN here */
        size_t n = strlen(msg);
        snprintf(msg + n, sizeof msg - n, "%s%s mask: %s after %.0f ms", masked ? "; " : "", masked ? "empty" : "NULL",
                 s >= 0 ? "connection" : strerror(e), el);
    }
    if (ignored == 2) observe(OBS_NETBSD, "SO_RCVTIMEO ignored (%s)", msg);
    if (timed_out == 2) observe(OBS_LINUX, "timed out (%s)", msg);
    observe(OBS_OTHER, "%s", msg);
}

/* ---------------------------------------------------------------------------- */
/* SPEC.md paccept clauses 1-10                                                   */
/* ---------------------------------------------------------------------------- */

static void t_paccept_c1_mask_efault_first(void)
{
    need_paccept();
    sigset_t orig = sigs(SIGHUP, 0);
    set_mask(&orig);
    const sigset_t *unmapped = unmapped_page();
    const sigset_t *noaccess = page_with_prot(PROT_NONE);
    const sigset_t *bads[] = { unmapped, noaccess };
    int p[2];
    OK(pipe(p));
    int closed = devnull();
    close(closed);
    for (int b = 0; b < 2; b++) {
        EXPECT_ERR(paccept(-1, NULL, NULL, bads[b], 0), EFAULT);
        EXPECT_ERR(paccept(closed, NULL, NULL, bads[b], 0), EFAULT);
        EXPECT_ERR(paccept(p[0], NULL, NULL, bads[b], 0), EFAULT);
        EXPECT_ERR(paccept(INT_MAX, NULL, NULL, bads[b], SOCK_NONBLOCK), EFAULT);
    }
    expect_mask(&orig, "after EFAULT");
}

static void t_paccept_c2_fd_errors_untouched(void)
{
    need_paccept();
    on_signal(SIGUSR1, 0);
    sigset_t orig = sigs(SIGUSR1, SIGHUP, 0), temp = sigs(0);
    set_mask(&orig);
    raise(SIGUSR1);
    EXPECT_ERR(paccept(-1, NULL, NULL, &temp, 0), EBADF);
    expect_mask(&orig, "after EBADF");
    EXPECT_ERR(paccept(1000, NULL, NULL, &temp, 0), EBADF);
    int f = devnull();
    EXPECT_ERR(paccept(f, NULL, NULL, &temp, 0), ENOTSOCK);
    expect_mask(&orig, "after ENOTSOCK");
    EXPECT_EQ(sig_count[SIGUSR1], 0);

    for (int nonblock = 0; nonblock < 2; nonblock++) {
        struct addr a;
        int l = tcp_listener(AF_INET, nonblock ? SOCK_NONBLOCK : 0, 8, &a);
        int c = tcp_connect(&a);
        (void)c;
        wait_queued(l, 1, 1000);
        struct rlimit old, lim;
        OK(getrlimit(RLIMIT_NOFILE, &old));
        lim = old;
        lim.rlim_cur = (rlim_t)c + 1;
        OK(setrlimit(RLIMIT_NOFILE, &lim));
        EXPECT_ERR(paccept(l, NULL, NULL, &temp, 0), EMFILE);
        OK(setrlimit(RLIMIT_NOFILE, &old));
        expect_mask(&orig, "after EMFILE");
        EXPECT_EQ(sig_count[SIGUSR1], 0);
        EXPECT_EQ(queue_len(l, NULL), 1);
    }
    CHECK(is_pending(SIGUSR1), "the pending SIGUSR1 was consumed");
    unblock_signal(SIGUSR1);
    EXPECT_EQ(sig_count[SIGUSR1], 1);
}

struct pkill {
    int ms;
    int sig;
};

static void *process_kill_after(void *p)
{
    struct pkill *k = p;
    sleep_ms(k->ms);
    kill(getpid(), k->sig);
    return NULL;
}

static void check_seen_under_temp(const char *when)
{
    const sigset_t *m = &sig_mask_seen[SIGUSR1];
    CHECK(sigismember(m, SIGUSR2) == 1 && sigismember(m, SIGHUP) == 0,
          "%s: handler ran under %s, expected paccept's mask {SIGUSR2} (+SIGUSR1), not the original {SIGHUP,SIGUSR1}",
          when, mask_str(m));
}

static void t_paccept_c3_interrupt_under_mask(void)
{
    need_paccept();
    on_signal(SIGUSR1, 0);
    sigset_t orig = sigs(SIGUSR1, SIGHUP, 0), temp = sigs(SIGUSR2, 0);
    set_mask(&orig);
    int l = tcp_listener(AF_INET, 0, 8, NULL);

    /* pending at entry: no sleep at all */
    raise(SIGUSR1);
    double t0 = now_ms();
    EXPECT_ERR(paccept(l, NULL, NULL, &temp, 0), EINTR);
    double el = now_ms() - t0;
    CHECK(el < 100, "pending signal: EINTR only after %.0f ms", el);
    EXPECT_EQ(sig_count[SIGUSR1], 1);
    check_seen_under_temp("pending at entry");
    expect_mask(&orig, "after EINTR");

    /* arriving during the wait, thread-directed */
    struct delayed_kill k;
    t0 = now_ms();
    delayed_kill_start(&k, pthread_self(), SIGUSR1, 100);
    EXPECT_ERR(paccept(l, NULL, NULL, &temp, 0), EINTR);
    CHECK(now_ms() - t0 >= 80, "EINTR before the signal was sent");
    EXPECT_EQ(sig_count[SIGUSR1], 2);
    check_seen_under_temp("thread-directed during the wait");
    pthread_join(k.th, NULL);

    /* arriving during the wait, process-directed (the helper thread blocks it) */
    struct pkill pk = { 100, SIGUSR1 };
    pthread_t th = spawn(process_kill_after, &pk);
    EXPECT_ERR(paccept(l, NULL, NULL, &temp, 0), EINTR);
    EXPECT_EQ(sig_count[SIGUSR1], 3);
    check_seen_under_temp("process-directed during the wait");
    pthread_join(th, NULL);
    expect_mask(&orig, "at the end");
}

static void t_paccept_c4_blocked_stays_pending(void)
{
    need_paccept();
    on_signal(SIGUSR2, 0);
    /* pending at entry, blocked by both masks: untouched */
    sigset_t orig = sigs(SIGUSR2, 0), temp = sigs(SIGUSR2, 0);
    set_mask(&orig);
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    raise(SIGUSR2);
    struct delayed_connect d;
    double t0 = now_ms();
    delayed_connect_start(&d, &a, 100);
    int s = paccept(l, NULL, NULL, &temp, 0);
    CHECK(s >= 0, "paccept: %s", strerror(errno));
    CHECK(now_ms() - t0 >= 80, "paccept returned before the connection");
    pthread_join(d.th, NULL);
    EXPECT_EQ(sig_count[SIGUSR2], 0);
    CHECK(is_pending(SIGUSR2), "SIGUSR2 no longer pending");
    unblock_signal(SIGUSR2);
    EXPECT_EQ(sig_count[SIGUSR2], 1);

    /* arriving during the wait, unblocked by the original mask: delivered after */
    sigset_t none = sigs(0);
    set_mask(&none);
    struct deferred df;
    memset(&df, 0, sizeof df);
    df.a = a;
    df.target = pthread_self();
    pthread_t th = spawn(kill_then_connect, &df);
    s = paccept(l, NULL, NULL, &temp, 0);
    CHECK(s >= 0, "paccept: %s", strerror(errno));
    pthread_join(th, NULL);
    EXPECT_EQ(df.count_at_connect, 1); /* only the first round's delivery */
    EXPECT_EQ(sig_count[SIGUSR2], 2);
}

static void nosleep_outcome(const char *what, int fd, int want_errno)
{
    sigset_t orig = sigs(SIGUSR1, SIGHUP, 0), temp = sigs(SIGUSR2, 0);
    set_mask(&orig);
    raise(SIGUSR1);
    CHECK(is_pending(SIGUSR1), "raise did not leave SIGUSR1 pending");
    int before = sig_count[SIGUSR1];
    errno = 0;
    int r = paccept(fd, NULL, NULL, &temp, 0);
    int e = errno;
    int ran = sig_count[SIGUSR1] - before;
    if (want_errno == 0)
        CHECK(r >= 0 && fcntl(r, F_GETFD) != -1, "%s: paccept returned %d (%s), expected a descriptor", what, r,
              strerror(e));
    else
        CHECK(r == -1 && e == want_errno, "%s: paccept returned %d (%s), expected -1/%s", what, r, strerror(e),
              h_errname(want_errno));
    CHECK(ran == 1, "%s: the pending SIGUSR1 ran its handler %d times before paccept returned, expected 1", what,
          ran);
    CHECK(!is_pending(SIGUSR1), "%s: SIGUSR1 still pending", what);
    check_seen_under_temp(what);
    expect_mask(&orig, what);
}

static void t_paccept_c5_nosleep_delivers(void)
{
    need_paccept();
    on_signal(SIGUSR1, 0);
    struct addr a, b;
    int lb = tcp_listener(AF_INET, 0, 8, &a);
    tcp_connect(&a);
    wait_queued(lb, 1, 1000);
    nosleep_outcome("success, blocking listener", lb, 0);
    int ln = tcp_listener(AF_INET, SOCK_NONBLOCK, 8, &b);
    tcp_connect(&b);
    wait_queued(ln, 1, 1000);
    nosleep_outcome("success, non-blocking listener", ln, 0);
    nosleep_outcome("EAGAIN", ln, EAGAIN);
    nosleep_outcome("EINVAL", OK(socket(AF_INET, SOCK_STREAM, 0)), EINVAL);
    nosleep_outcome("EOPNOTSUPP (UDP)", udp_socket(AF_INET), EOPNOTSUPP);
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    nosleep_outcome("EOPNOTSUPP (AF_LOCAL datagram)", sv[0], EOPNOTSUPP);
}

static void t_paccept_c6_eintr_keeps_connection(void)
{
    need_paccept();
    sigset_t orig = sigs(SIGUSR1, 0), empty = sigs(0), allbut;
    sigfillset(&allbut);
    sigdelset(&allbut, SIGUSR1);
    set_mask(&orig);
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);

    /* without SA_RESTART: EINTR, and the connection made meanwhile stays queued */
    on_signal(SIGUSR1, 0);
    int client = arm_hook_client(&a);
    struct delayed_kill k;
    delayed_kill_start(&k, pthread_self(), SIGUSR1, 100);
    EXPECT_ERR(paccept(l, NULL, NULL, &empty, 0), EINTR);
    pthread_join(k.th, NULL);
    EXPECT_EQ(hook_rc, 0);
    EXPECT_EQ(sig_count[SIGUSR1], 1);
    wait_queued(l, 1, 1000);
    EXPECT_EQ(queue_len(l, NULL), 1);
    struct sockaddr_storage peer, want = local_name(client);
    socklen_t len = sizeof peer;
    OK(accept(l, (struct sockaddr *)&peer, &len));
    CHECK(same_addr(&peer, &want), "the connection made in the handler was not kept for the next accept");

    /* with SA_RESTART: the wait resumes and returns the connection made after the signal */
    on_signal(SIGUSR1, SA_RESTART);
    client = arm_hook_client(&a);
    delayed_kill_start(&k, pthread_self(), SIGUSR1, 100);
    len = sizeof peer;
    errno = 0;
    int s = paccept(l, (struct sockaddr *)&peer, &len, &allbut, 0);
    int e = errno;
    pthread_join(k.th, NULL);
    CHECK(s >= 0, "with SA_RESTART paccept returned -1/%s, expected the connection", h_errname(e));
    want = local_name(client);
    CHECK(same_addr(&peer, &want), "with SA_RESTART paccept returned %s, expected %s", addr_str(&peer),
          addr_str(&want));
    EXPECT_EQ(sig_count[SIGUSR1], 2);
}

/* SPEC clause 6 when other handled signals lack SA_RESTART */
static void t_paccept_sa_restart_other_handlers(void)
{
    need_paccept();
    on_signal(SIGUSR1, SA_RESTART);
    on_signal(SIGUSR2, 0); /* installed, never sent */
    on_signal(SIGCHLD, 0); /* typical of real programs; never raised here */
    sigset_t orig = sigs(SIGUSR1, 0), empty = sigs(0);
    set_mask(&orig);
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    int client = arm_hook_client(&a);
    struct delayed_kill k;
    delayed_kill_start(&k, pthread_self(), SIGUSR1, 100);
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    errno = 0;
    int s = paccept(l, (struct sockaddr *)&peer, &len, &empty, 0);
    int e = errno;
    pthread_join(k.th, NULL);
    EXPECT_EQ(sig_count[SIGUSR1], 1);
    EXPECT_EQ(sig_count[SIGUSR2], 0);
    if (s >= 0) {
        struct sockaddr_storage want = local_name(client);
        CHECK(same_addr(&peer, &want), "returned %s, expected %s", addr_str(&peer), addr_str(&want));
        observe(OBS_NETBSD, "restarted: returned the connection made after the SA_RESTART handler ran");
    }
    if (s == -1 && e == EINTR) observe(OBS_LINUX, "EINTR (the interrupting signal cannot be identified on Linux)");
    observe(OBS_OTHER, "paccept returned %d (%s)", s, s < 0 ? strerror(e) : "?");
}

/* SPEC clause 6, exact: a SA_RESTART signal already pending at entry */
static void t_paccept_sa_restart_pending_at_entry(void)
{
    need_paccept();
    on_signal(SIGUSR1, SA_RESTART);
    on_signal(SIGUSR2, 0); /* installed, never sent */
    on_signal(SIGCHLD, 0);
    sigset_t orig = sigs(SIGUSR1, 0), empty = sigs(0);
    set_mask(&orig);
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    int client = arm_hook_client(&a);
    raise(SIGUSR1); /* pending, blocked until paccept's mask unblocks it */
    EXPECT_EQ(sig_count[SIGUSR1], 0);
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    errno = 0;
    int s = paccept(l, (struct sockaddr *)&peer, &len, &empty, 0);
    CHECK(s >= 0, "paccept returned -1/%s: the signal pending at entry has SA_RESTART, so the wait must resume",
          h_errname(errno));
    EXPECT_EQ(sig_count[SIGUSR1], 1);
    CHECK(hook_rc == 0, "the handler's connect failed (%d)", hook_rc);
    struct sockaddr_storage want = local_name(client);
    CHECK(same_addr(&peer, &want), "returned %s, expected %s", addr_str(&peer), addr_str(&want));
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    CHECK(sigismember(&now, SIGUSR1), "the original mask was not restored");
}

static void t_paccept_c7_mask_restored(void)
{
    need_paccept();
    on_signal(SIGUSR2, 0);
    sigset_t orig = sigs(SIGHUP, SIGUSR1, SIGRTMIN + 3, 0);
    set_mask(&orig);
    sigset_t temps[3];
    temps[0] = sigs(0);
    temps[1] = sigs(SIGUSR2, 0);
    memset(&temps[2], 0xff, sizeof temps[2]);
    const char *tn[] = { "empty", "{SIGUSR2}", "all bits" };
    struct addr a, b;
    int lb = tcp_listener(AF_INET, 0, 8, &a);
    int ln = tcp_listener(AF_INET, SOCK_NONBLOCK, 8, &b);
    int u = OK(socket(AF_INET, SOCK_STREAM, 0));
    int udp = udp_socket(AF_INET);
    int f = devnull();
    char what[128];
    for (int t = 0; t < 3; t++) {
        const sigset_t *m = &temps[t];
#define RESTORED(desc) do { snprintf(what, sizeof what, "mask %s, %s", tn[t], desc); expect_mask(&orig, what); } while (0)
        tcp_connect(&a);
        wait_queued(lb, 1, 1000);
        close(OK(paccept(lb, NULL, NULL, m, 0)));
        RESTORED("success (blocking)");
        tcp_connect(&b);
        wait_queued(ln, 1, 1000);
        close(OK(paccept(ln, NULL, NULL, m, 0)));
        RESTORED("success (non-blocking)");
        EXPECT_ERR(paccept(ln, NULL, NULL, m, 0), EAGAIN);
        RESTORED("EAGAIN");
        EXPECT_ERR(paccept(u, NULL, NULL, m, 0), EINVAL);
        RESTORED("EINVAL");
        EXPECT_ERR(paccept(udp, NULL, NULL, m, 0), EOPNOTSUPP);
        RESTORED("EOPNOTSUPP");
        EXPECT_ERR(paccept(-1, NULL, NULL, m, 0), EBADF);
        RESTORED("EBADF");
        EXPECT_ERR(paccept(f, NULL, NULL, m, 0), ENOTSOCK);
        RESTORED("ENOTSOCK");
        int c = tcp_connect(&a);
        wait_queued(lb, 1, 1000);
        socklen_t len = 16;
        EXPECT_ERR(paccept(lb, (struct sockaddr *)unmapped_page(), &len, m, 0), EFAULT);
        RESTORED("EFAULT (addr)");
        close(c);
        if (!sigismember(m, SIGUSR2)) {
            struct delayed_kill k;
            delayed_kill_start(&k, pthread_self(), SIGUSR2, 50);
            EXPECT_ERR(paccept(lb, NULL, NULL, m, 0), EINTR);
            pthread_join(k.th, NULL);
            RESTORED("EINTR");
        }
#undef RESTORED
    }
    EXPECT_ERR(paccept(lb, NULL, NULL, unmapped_page(), 0), EFAULT);
    expect_mask(&orig, "EFAULT (mask)");
}

struct cancel_state {
    int l;
    volatile int cleanup_ran;
};

static void cleanup_flag(void *p)
{
    ((struct cancel_state *)p)->cleanup_ran = 1;
}

static void *paccept_fullmask_thread(void *p)
{
    struct cancel_state *st = p;
    sigset_t all;
    memset(&all, 0xff, sizeof all);
    pthread_cleanup_push(cleanup_flag, st);
    paccept(st->l, NULL, NULL, &all, 0);
    pthread_cleanup_pop(0);
    return NULL;
}

static void t_paccept_c8_fullmask_cancel(void)
{
    need_paccept();
    struct cancel_state st = { tcp_listener(AF_INET, 0, 8, NULL), 0 };
    pthread_t th = spawn(paccept_fullmask_thread, &st);
    sleep_ms(100);
    double t0 = now_ms();
    OK(pthread_cancel(th) == 0 ? 0 : -1);
    void *ret = NULL;
    int e = join_ms(th, 1000, &ret);
    CHECK(e == 0, "thread blocked in paccept with an all-ones mask not cancelled within 1 s");
    CHECK(ret == PTHREAD_CANCELED, "thread returned instead of being cancelled");
    EXPECT_EQ(st.cleanup_ran, 1);
    note("cancelled in %.0f ms", now_ms() - t0);
}

/* ---- clause 9: the storm ---- */

#define ST_N 4
#define ST_CONNS 200
#define ST_STOP 0xffffu

struct st_thr {
    int idx;
    sigset_t temp;
    int unblocks[2]; /* SIGUSR1, SIGUSR2 */
    pthread_t th;
    int accepted, eintr, other_err, last_errno, mask_bad, bad_id;
    int handled;
    volatile int eintr_live; /* read by main while the thread runs */
    double sent_at[2];       /* when main last sent SIGUSR1/SIGUSR2 to this thread */
    double handler_at;       /* when this thread's handler last ran */
};

/* The residual window of src/paccept.rs (a connection taken by another thread between
 * ppoll and accept4 while a signal arrives) shows as a signal the thread's paccept mask
 * unblocks whose handler runs late: it is held until the thread's accept4 returns.
 * Worst observed send-to-handler delay, in microseconds, for such signals (measured
 * from the latest send, so merged signals are counted once). */
static long st_worst_latency_us;
/* The window itself: a handler ran during a paccept call, yet the call went on sleeping
 * (until the next connection) instead of returning at once. Worst delay between a
 * handler running inside a call and that call returning, in microseconds. */
static long st_worst_return_us;

static struct st_thr st[ST_N];
static _Thread_local int st_self = -1;
static int st_l;
static struct addr st_addr;
static sigset_t st_orig;
static int st_seen[ST_CONNS];
static int st_handler_outside, st_handler_forbidden, st_handler_badmask;

static void st_handler(int sig)
{
    int e = errno;
    int self = st_self;
    if (self < 0) {
        __atomic_add_fetch(&st_handler_outside, 1, __ATOMIC_SEQ_CST);
        errno = e;
        return;
    }
    struct st_thr *t = &st[self];
    int k = sig == SIGUSR1 ? 0 : 1;
    __atomic_add_fetch(&t->handled, 1, __ATOMIC_SEQ_CST);
    if (!t->unblocks[k]) __atomic_add_fetch(&st_handler_forbidden, 1, __ATOMIC_SEQ_CST);
    double sent, ran = now_ms();
    __atomic_load(&t->sent_at[k], &sent, __ATOMIC_SEQ_CST);
    t->handler_at = ran;
    long us = (long)((ran - sent) * 1000.0);
    long worst = __atomic_load_n(&st_worst_latency_us, __ATOMIC_SEQ_CST);
    while (us > worst && !__atomic_compare_exchange_n(&st_worst_latency_us, &worst, us, 0, __ATOMIC_SEQ_CST,
                                                      __ATOMIC_SEQ_CST)) {
    }
    sigset_t m;
    sigemptyset(&m);
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    /* paccept's mask (plus the signal itself, plus a signal whose handler this one
     * interrupted when two arrive together), never the original mask (SIGHUP) */
    int ok = sigismember(&m, SIGHUP) == 0 && sigismember(&m, sig) == 1 &&
             (sigismember(&t->temp, SIGUSR1) == 0 || sigismember(&m, SIGUSR1) == 1) &&
             (sigismember(&t->temp, SIGUSR2) == 0 || sigismember(&m, SIGUSR2) == 1);
    if (!ok) __atomic_add_fetch(&st_handler_badmask, 1, __ATOMIC_SEQ_CST);
    errno = e;
}

static void *st_main(void *p)
{
    struct st_thr *t = p;
    st_self = t->idx;
    pthread_sigmask(SIG_SETMASK, &st_orig, NULL);
    for (;;) {
        errno = 0;
        double start = now_ms();
        int r = paccept(st_l, NULL, NULL, &t->temp, 0);
        int e = errno;
        if (t->handler_at >= start) {
            long us = (long)((now_ms() - t->handler_at) * 1000.0);
            if (us > st_worst_return_us) st_worst_return_us = us;
        }
        sigset_t now;
        sigemptyset(&now);
        pthread_sigmask(SIG_BLOCK, NULL, &now);
        if (!same_mask(&now, &st_orig)) t->mask_bad++;
        if (r < 0) {
            if (e == EINTR) {
                t->eintr++;
                __atomic_store_n(&t->eintr_live, t->eintr, __ATOMIC_SEQ_CST);
                continue;
            }
            t->other_err++;
            t->last_errno = e;
            if (t->other_err > 50) break;
            continue;
        }
        uint32_t id = 0;
        ssize_t n = recv(r, &id, sizeof id, MSG_WAITALL);
        close(r);
        if (n != (ssize_t)sizeof id) {
            t->bad_id++;
            continue;
        }
        if (id == ST_STOP) break;
        if (id < ST_CONNS)
            __atomic_add_fetch(&st_seen[id], 1, __ATOMIC_SEQ_CST);
        else
            t->bad_id++;
        t->accepted++;
    }
    return NULL;
}

static volatile int st_clients_done;

static void *st_client(void *p)
{
    int base = (int)(intptr_t)p;
    for (int i = 0; i < ST_CONNS / 2; i++) {
        int c = tcp_connect(&st_addr);
        uint32_t id = (uint32_t)(base + i);
        CHECK(send(c, &id, sizeof id, MSG_NOSIGNAL) == (ssize_t)sizeof id, "client send: %s", strerror(errno));
        close(c);
        if (i % 4 == 3) sleep_ms(1); /* pace the clients so that signals interleave with connections */
    }
    __atomic_add_fetch(&st_clients_done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void t_paccept_threads_storm(void)
{
    need_paccept();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = st_handler;
    sigemptyset(&sa.sa_mask);
    OK(sigaction(SIGUSR1, &sa, NULL));
    OK(sigaction(SIGUSR2, &sa, NULL));
    st_orig = sigs(SIGUSR1, SIGUSR2, SIGHUP, 0);
    set_mask(&st_orig); /* inherited by every thread created below */
    st_l = tcp_listener(AF_INET, 0, 256, &st_addr);
    sigset_t temps[ST_N];
    temps[0] = sigs(SIGUSR2, 0);          /* SIGUSR1 interrupts */
    temps[1] = sigs(SIGUSR1, 0);          /* SIGUSR2 interrupts */
    temps[2] = sigs(SIGUSR1, SIGUSR2, 0); /* nothing interrupts */
    temps[3] = sigs(0);                   /* both interrupt */
    for (int i = 0; i < ST_N; i++) {
        st[i].idx = i;
        st[i].temp = temps[i];
        st[i].unblocks[0] = !sigismember(&temps[i], SIGUSR1);
        st[i].unblocks[1] = !sigismember(&temps[i], SIGUSR2);
        st[i].th = spawn(st_main, &st[i]);
    }
    sleep_ms(20);
    pthread_t c1 = spawn(st_client, (void *)(intptr_t)0);
    pthread_t c2 = spawn(st_client, (void *)(intptr_t)(ST_CONNS / 2));
    unsigned rng = 12345;
    int sent[ST_N][2];
    memset(sent, 0, sizeof sent);
    int nsent = 0;
    double deadline = now_ms() + 5000;
    while (__atomic_load_n(&st_clients_done, __ATOMIC_SEQ_CST) < 2 && now_ms() < deadline) {
        rng = rng * 1103515245u + 12345u;
        int t = (int)((rng >> 16) % ST_N);
        int k = (int)((rng >> 8) & 1);
        double at = now_ms();
        __atomic_store(&st[t].sent_at[k], &at, __ATOMIC_SEQ_CST);
        pthread_kill(st[t].th, k ? SIGUSR2 : SIGUSR1);
        sent[t][k]++;
        nsent++;
        struct timespec ts = { 0, 200 * 1000 };
        nanosleep(&ts, NULL);
    }
    CHECK(join_ms(c1, 3000, NULL) == 0 && join_ms(c2, 3000, NULL) == 0, "clients did not finish");

    /* every connection must be taken by somebody */
    double end = now_ms() + 3000;
    int total;
    for (;;) {
        total = 0;
        for (int i = 0; i < ST_CONNS; i++) total += __atomic_load_n(&st_seen[i], __ATOMIC_SEQ_CST) ? 1 : 0;
        if (total == ST_CONNS || now_ms() > end) break;
        sleep_ms(2);
    }
    CHECK(total == ST_CONNS, "only %d of %d connections were returned by paccept (a thread is stuck?)", total,
          ST_CONNS);

    /* nothing stuck under the wrong mask: an idle thread is interrupted by a signal it unblocks */
    for (int i = 0; i < ST_N; i++) {
        if (!st[i].unblocks[0] && !st[i].unblocks[1]) continue;
        /* The thread may still be on its way back into paccept (a loaded machine): the
         * signal is repeated every 100 ms; a thread asleep under the wrong mask never
         * answers any of them. */
        int before = __atomic_load_n(&st[i].eintr_live, __ATOMIC_SEQ_CST);
        double e2 = now_ms() + 1000;
        while (__atomic_load_n(&st[i].eintr_live, __ATOMIC_SEQ_CST) == before && now_ms() < e2) {
            double at = now_ms();
            __atomic_store(&st[i].sent_at[st[i].unblocks[0] ? 0 : 1], &at, __ATOMIC_SEQ_CST);
            pthread_kill(st[i].th, st[i].unblocks[0] ? SIGUSR1 : SIGUSR2);
            for (int k = 0; k < 100 && __atomic_load_n(&st[i].eintr_live, __ATOMIC_SEQ_CST) == before; k++)
                sleep_ms(1);
        }
        CHECK(__atomic_load_n(&st[i].eintr_live, __ATOMIC_SEQ_CST) != before,
              "idle thread %d (mask %s) was not interrupted within 1 s by signals its mask unblocks", i,
              mask_str(&st[i].temp));
    }

    /* stop: one STOP connection per thread */
    for (int i = 0; i < ST_N; i++) {
        int c = tcp_connect(&st_addr);
        uint32_t id = ST_STOP;
        CHECK(send(c, &id, sizeof id, MSG_NOSIGNAL) == (ssize_t)sizeof id, "send: %s", strerror(errno));
        close(c);
    }
    for (int i = 0; i < ST_N; i++)
        CHECK(join_ms(st[i].th, 2000, NULL) == 0, "thread %d did not take its STOP connection (stuck)", i);

    int handled = 0, eintr = 0, accepted = 0;
    char per[200] = "";
    for (int i = 0; i < ST_N; i++) {
        struct st_thr *t = &st[i];
        CHECK(t->other_err == 0, "thread %d: %d unexpected paccept failures (last %s)", i, t->other_err,
              h_errname(t->last_errno) ? h_errname(t->last_errno) : "?");
        CHECK(t->bad_id == 0, "thread %d: %d connections without a valid id", i, t->bad_id);
        CHECK(t->mask_bad == 0, "thread %d: mask not restored after %d calls", i, t->mask_bad);
        CHECK(t->eintr <= t->handled, "thread %d: %d EINTR but only %d handler runs", i, t->eintr, t->handled);
        handled += t->handled;
        eintr += t->eintr;
        accepted += t->accepted;
        size_t n = strlen(per);
        snprintf(per + n, sizeof per - n, "%s%d", i ? "/" : "", t->accepted);
    }
    for (int i = 0; i < ST_CONNS; i++) CHECK(st_seen[i] == 1, "connection %d returned %d times", i, st_seen[i]);
    EXPECT_EQ(accepted, ST_CONNS);
    EXPECT_EQ(st_handler_outside, 0);
    CHECK(st_handler_forbidden == 0, "%d handler runs in threads whose paccept mask blocks that signal",
          st_handler_forbidden);
    CHECK(st_handler_badmask == 0, "%d handler runs under a mask other than paccept's", st_handler_badmask);
    EXPECT_EQ(st[2].handled, 0);
    /* Connections keep arriving every few hundred microseconds, so even a signal held
     * in the residual window runs its handler soon; a thread left asleep under the
     * wrong mask would show here as hundreds of milliseconds or more. */
    CHECK(st_worst_latency_us < 500 * 1000, "a signal the mask unblocks waited %ld us for its handler",
          st_worst_latency_us);
    note("%d connections over %d threads (%s), %d signals sent, %d handler runs, %d EINTR (%d handler runs "
         "without EINTR: signals that arrived with a connection ready); worst signal-to-handler delay %ld us; "
         "worst handler-to-return delay %ld us",
         ST_CONNS, ST_N, per, nsent, handled, eintr, handled - eintr, st_worst_latency_us, st_worst_return_us);
}

static void t_paccept_c10_flags(void)
{
    need_paccept();
    sigset_t none = sigs(0);
    for (int masked = 0; masked < 2; masked++) {
        const sigset_t *m = masked ? &none : NULL;
        for (int nb = 0; nb < 2; nb++) {
            struct addr a;
            int l = tcp_listener(AF_INET, nb ? SOCK_NONBLOCK : 0, 8, &a);
            struct {
                int flags, fd, fl, nosig;
            } rows[] = {
                { 0, 0, O_RDWR, 0 },
                { SOCK_CLOEXEC, FD_CLOEXEC, O_RDWR, 0 },
                { SOCK_NONBLOCK, 0, O_RDWR | O_NONBLOCK, 0 },
                { SOCK_NOSIGPIPE, 0, O_RDWR | O_NOSIGPIPE, 1 },
                { SOCK_CLOEXEC | SOCK_NONBLOCK | SOCK_NOSIGPIPE, FD_CLOEXEC, O_RDWR | O_NONBLOCK | O_NOSIGPIPE, 1 },
            };
            for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
                tcp_connect(&a);
                wait_queued(l, 1, 1000);
                int s = paccept(l, NULL, NULL, m, rows[i].flags);
                CHECK(s >= 0, "paccept(flags 0x%x): %s", (unsigned)rows[i].flags, strerror(errno));
                CHECK(getfd(s) == rows[i].fd && getfl(s) == rows[i].fl && fcntl(s, F_GETNOSIGPIPE) == rows[i].nosig,
                      "%s mask, %s listener, flags 0x%x: FD 0x%x FL 0x%x NOSIGPIPE %d; expected 0x%x 0x%x %d",
                      masked ? "empty" : "NULL", nb ? "non-blocking" : "blocking", (unsigned)rows[i].flags,
                      (unsigned)getfd(s), (unsigned)getfl(s), fcntl(s, F_GETNOSIGPIPE), (unsigned)rows[i].fd,
                      (unsigned)rows[i].fl, rows[i].nosig);
                close(s);
            }
            /* no-SIGPIPE inherited from the listener, whatever the flags */
            OK(fcntl(l, F_SETNOSIGPIPE, 1));
            int fl[] = { 0, SOCK_NOSIGPIPE, SOCK_NONBLOCK };
            for (int i = 0; i < 3; i++) {
                tcp_connect(&a);
                wait_queued(l, 1, 1000);
                int s = OK(paccept(l, NULL, NULL, m, fl[i]));
                CHECK(fcntl(s, F_GETNOSIGPIPE) == 1, "flags 0x%x from a no-SIGPIPE listener: not no-SIGPIPE",
                      (unsigned)fl[i]);
                int v = -1;
                socklen_t vl = sizeof v;
                OK(getsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &v, &vl));
                EXPECT_EQ(v, 1);
                close(s);
            }
        }
    }
}

const struct tcase cases_paccept[] = {
    CLAUSE(paccept_interrupted_eintr, SRC_MAN,
           "\"If the sigmask argument is not NULL, the thread's signal mask is replaced by sigmask for the duration "
           "of the call\": a signal it unblocks interrupts the wait with EINTR."),
    CLAUSE(paccept_blocked_signal_deferred, SRC_MAN,
           "A signal that sigmask blocks does not interrupt the wait and is delivered after paccept() returns."),
    CLAUSE(paccept_mask_restored_simple, SRC_MAN,
           "After paccept() returns, successfully or not, the thread's signal mask is the one before the call."),
    CLAUSE(paccept_unknown_flags_ignored, SRC_NBSD,
           "do_sys_accept never validates flags: paccept(..., 0x1) and other unknown bits succeed like the known "
           "flags alone."),
    CLAUSE(paccept_mask_read_first, SRC_NBSD,
           "sys_paccept copies the mask in first: a bad sigmask gives EFAULT before EAGAIN, EINVAL or EOPNOTSUPP, "
           "and dequeues nothing."),
    NETBSD_ONLY(paccept_pending_signal_ready, SRC_NBSD,
                "sigsuspendteardown: a signal pending and unblocked by sigmask is delivered before paccept() "
                "returns a ready connection (ppoll would leave it pending).",
                OBS_NETBSD, OBS_NETBSD),
    CLAUSE(paccept_no_delivery_on_fd_errors, SRC_NBSD,
           "EBADF, ENOTSOCK and EMFILE are raised before sigsuspendsetup: no pending signal is delivered and EMFILE "
           "leaves the connection queued."),
    NETBSD_ONLY(paccept_sa_restart, SRC_NBSD,
                "sleepq_sigtoerror gives ERESTART for an SA_RESTART handler and do_sys_accept passes it on: paccept() "
                "restarts instead of failing with EINTR.",
                OBS_NETBSD, OBS_NETBSD),
    NETBSD_ONLY(paccept_rcvtimeo_ignored, SRC_NBSD,
                "do_sys_accept waits with no timeout: SO_RCVTIMEO on the listener does not make paccept() time out "
                "(NULL and non-NULL mask).",
                OBS_NETBSD, OBS_NETBSD),
    CLAUSE(paccept_c1_mask_efault_first, SRC_SPEC,
           "paccept 1: \"A non-NULL sigmask is read first: a bad pointer gives EFAULT even when s is also bad.\""),
    CLAUSE(paccept_c2_fd_errors_untouched, SRC_SPEC,
           "paccept 2: \"EBADF, ENOTSOCK (and EMFILE when the table is full) are reported without touching the mask "
           "and without delivering any signal.\""),
    CLAUSE(paccept_c3_interrupt_under_mask, SRC_SPEC,
           "paccept 3: a signal sigmask unblocks, \"pending at entry or arriving during the wait, interrupts it, and "
           "its handler runs under sigmask\"."),
    CLAUSE(paccept_c4_blocked_stays_pending, SRC_SPEC,
           "paccept 4: \"A signal that sigmask blocks does not interrupt the wait; it stays pending and is delivered "
           "once the original mask is back.\""),
    CLAUSE(paccept_c5_nosleep_delivers, SRC_SPEC,
           "paccept 5: without sleeping (success, EAGAIN, EINVAL, EOPNOTSUPP) \"signals pending and unblocked by "
           "sigmask are still delivered before paccept returns, and the return value is unchanged\"."),
    CLAUSE(paccept_c6_eintr_keeps_connection, SRC_SPEC,
           "paccept 6: without SA_RESTART \"-1/EINTR, and no connection is consumed\"; with SA_RESTART \"the handler "
           "runs and the wait resumes\"."),
    NETBSD_ONLY(paccept_sa_restart_other_handlers, SRC_SPEC,
           "paccept 6: a SA_RESTART signal arriving during the wait resumes it even when other signals that sigmask "
           "unblocks have handlers without SA_RESTART (Linux's ppoll does not say which signal interrupted it; sockshim "
           "then answers EINTR, never a wrong restart).",
           OBS_LINUX, OBS_LINUX),
    CLAUSE(paccept_sa_restart_pending_at_entry, SRC_SPEC,
           "paccept 6: \"With SA_RESTART: the handler runs and the wait resumes\" for a signal pending at entry, "
           "whatever handlers other signals have."),
    CLAUSE(paccept_c7_mask_restored, SRC_SPEC,
           "paccept 7: \"On return, success or failure, the thread's mask is the one it had before the call\" "
           "(every outcome, three masks)."),
    CLAUSE(paccept_c8_fullmask_cancel, SRC_SPEC,
           "paccept 8: glibc's reserved signals are never blocked: with all 64 bits set in sigmask, pthread_cancel "
           "still acts on a thread blocked in paccept within 1 s."),
    CLAUSE(paccept_threads_storm, SRC_SPEC,
           "paccept 9: threads waiting in paccept with different masks on one listener: each connection returned to "
           "exactly one, signals interrupt only threads whose mask unblocks them, masks restored, none stuck."),
    CLAUSE(paccept_c10_flags, SRC_SPEC,
           "paccept 10: \"Flags: as accept4 (SOCK_NONBLOCK from the flag only; no-SIGPIPE inherited or added)\", "
           "with NULL and non-NULL masks."),
};
const size_t n_cases_paccept = sizeof cases_paccept / sizeof cases_paccept[0];
