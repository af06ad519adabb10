/*
 * SPEC.md: socket/socketpair, listen, accept4, address handling, and "What every
 * exported function must keep" (errno, cancellation, async-signal safety, no
 * descriptors of its own).
 */
#include "harness.h"
#include <dirent.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

/* ---- socket / socketpair ---- */

static void t_socket_nosigpipe_recorded(void)
{
    on_signal(SIGPIPE, 0);
    struct {
        int fam, type;
    } rows[] = { { AF_INET, SOCK_STREAM }, { AF_INET, SOCK_DGRAM }, { AF_UNIX, SOCK_STREAM }, { AF_UNIX, SOCK_DGRAM } };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int s = socket(rows[i].fam, rows[i].type | SOCK_NOSIGPIPE, 0);
        CHECK(s >= 0, "socket(%d, %d|SOCK_NOSIGPIPE): %s", rows[i].fam, rows[i].type, strerror(errno));
        EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_TYPE), rows[i].type); /* the bit never reached the kernel */
        EXPECT_EQ(getnosig(s), 1);
        EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_NOSIGPIPE), 1);
        EXPECT_EQ(getfl(s), O_RDWR | O_NOSIGPIPE); /* F_GETFL shows it, as NetBSD's FNOSIGPIPE */
        EXPECT_EQ(getfd(s), 0);
        close(s);
        s = OK(socket(rows[i].fam, rows[i].type | SOCK_NOSIGPIPE | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        EXPECT_EQ(getnosig(s), 1);
        EXPECT_EQ(getfl(s), O_RDWR | O_NONBLOCK | O_NOSIGPIPE);
        EXPECT_EQ(getfd(s), FD_CLOEXEC);
        close(s);
    }
    EXPECT_EQ(getnosig(OK(socket(AF_INET, SOCK_STREAM, 0))), 0);
}

static void t_socketpair_nosigpipe_both(void)
{
    on_signal(SIGPIPE, 0);
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv));
    EXPECT_EQ(sv[0], 3);
    EXPECT_EQ(sv[1], 4);
    EXPECT_EQ(getnosig(sv[0]), 1);
    EXPECT_EQ(getnosig(sv[1]), 1);
    EXPECT_EQ(sockopt(sv[0], SOL_SOCKET, SO_TYPE), SOCK_STREAM);
    close(sv[1]);
    EXPECT_ERR(write(sv[0], "x", 1), EPIPE);
    int sv2[2];
    OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NOSIGPIPE | SOCK_CLOEXEC, 0, sv2));
    EXPECT_EQ(getfd(sv2[0]), FD_CLOEXEC);
    EXPECT_EQ(getfd(sv2[1]), FD_CLOEXEC);
    close(sv2[0]);
    EXPECT_ERR(send(sv2[1], "x", 1, 0), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 0);
}

static void t_socket_unknown_bits_einval(void)
{
    int bits[] = { 0x10000000, 0x20000000, INT_MIN, 0x100, 0x1000 };
    int sv[2] = { -1, -1 };
    for (int i = 0; i < 5; i++) {
        EXPECT_ERR(socket(AF_INET, SOCK_STREAM | bits[i], 0), EINVAL);
        EXPECT_ERR(socket(AF_UNIX, SOCK_DGRAM | bits[i] | SOCK_NOSIGPIPE, 0), EINVAL);
        EXPECT_ERR(socketpair(AF_UNIX, SOCK_STREAM | bits[i], 0, sv), EINVAL);
    }
    EXPECT_EQ(OK(socket(AF_INET, SOCK_STREAM, 0)), 3); /* no descriptor was used up */
}

/* t_socketpair.c style: after closing all fds >= 3, the pair is 3 and 4, connected, with exactly the flags asked */
static void t_socketpair_flags_exact(void)
{
    int flagsets[] = { 0, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_CLOEXEC | SOCK_NONBLOCK };
    for (int i = 0; i < 4; i++) {
        int f = flagsets[i];
        int sv[2];
        OK(socketpair(AF_UNIX, SOCK_DGRAM | f, 0, sv));
        EXPECT_EQ(sv[0], 3);
        EXPECT_EQ(sv[1], 4);
        for (int k = 0; k < 2; k++) {
            struct sockaddr_storage ss;
            socklen_t len = sizeof ss;
            OK(getpeername(sv[k], (struct sockaddr *)&ss, &len));
            EXPECT_EQ(getfd(sv[k]), (f & SOCK_CLOEXEC) ? FD_CLOEXEC : 0);
            EXPECT_EQ(getfl(sv[k]), O_RDWR | ((f & SOCK_NONBLOCK) ? O_NONBLOCK : 0));
        }
        OK(close(sv[0]));
        OK(close(sv[1]));
    }
}

static void t_flags_atomic_seccomp(void)
{
    /* Prepare connections first: the filter forbids setting descriptor flags afterwards. */
    struct addr a, b;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    int ln = tcp_listener(AF_INET, SOCK_NONBLOCK, 8, &b);
    for (int i = 0; i < 3; i++) tcp_connect(&a);
    tcp_connect(&b);
    wait_queued(l, 3, 1000);
    wait_queued(ln, 1, 1000);

    if (forbid_fd_flag_changes() != 0) skip("cannot install a seccomp filter here: %s", strerror(errno));
    int probe = OK(socket(AF_INET, SOCK_STREAM, 0));
    EXPECT_ERR(fcntl(probe, F_SETFD, FD_CLOEXEC), EPERM); /* the filter is active */
    EXPECT_ERR(fcntl(probe, F_SETFL, O_NONBLOCK), EPERM);

    const int both = SOCK_CLOEXEC | SOCK_NONBLOCK;
    int extra = shim_loaded() ? SOCK_NOSIGPIPE : 0;
    int s = OK(socket(AF_INET, SOCK_STREAM | both | extra, 0));
    EXPECT_EQ(getfd(s), FD_CLOEXEC);
    EXPECT_EQ(getfl(s), O_RDWR | O_NONBLOCK | (extra ? O_NOSIGPIPE : 0));
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM | both | extra, 0, sv));
    EXPECT_EQ(getfd(sv[1]), FD_CLOEXEC);
    EXPECT_EQ(getfl(sv[1]), O_RDWR | O_NONBLOCK | (extra ? O_NOSIGPIPE : 0));
    s = OK(accept4(l, NULL, NULL, both | extra));
    EXPECT_EQ(getfd(s), FD_CLOEXEC);
    EXPECT_EQ(getfl(s), O_RDWR | O_NONBLOCK | (extra ? O_NOSIGPIPE : 0));
    if (have_paccept()) {
        sigset_t none;
        sigemptyset(&none);
        s = OK(paccept(l, NULL, NULL, NULL, both | SOCK_NOSIGPIPE));
        EXPECT_EQ(getfd(s), FD_CLOEXEC);
        EXPECT_EQ(getfl(s), O_RDWR | O_NONBLOCK | O_NOSIGPIPE);
        s = OK(paccept(l, NULL, NULL, &none, both));
        EXPECT_EQ(getfd(s), FD_CLOEXEC);
        EXPECT_EQ(getfl(s), O_RDWR | O_NONBLOCK);
    }
    if (shim_loaded() && personality_netbsd()) {
        s = OK(accept(ln, NULL, NULL)); /* O_NONBLOCK inherited in the same accept4 call */
        EXPECT_EQ(getfl(s), O_RDWR | O_NONBLOCK);
    }
}

/* ---- listen ---- */

static void t_listen_errors(void)
{
    EXPECT_ERR(listen(-1, 5), EBADF);
    EXPECT_ERR(listen(60, 5), EBADF);
    EXPECT_ERR(listen(devnull(), 5), ENOTSOCK);
    EXPECT_ERR(listen(udp_socket(AF_INET), 5), EOPNOTSUPP);
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    EXPECT_ERR(listen(sv[0], 5), EOPNOTSUPP);
    int srv, cli;
    tcp_pair(&srv, &cli);
    EXPECT_ERR(listen(cli, 5), EINVAL);
    EXPECT_ERR(listen(-1, -1), EBADF);
    /* and a listen that works, with each personality's negative backlog */
    int l = OK(socket(AF_INET, SOCK_STREAM, 0));
    EXPECT_EQ(OK(listen(l, -1)), 0);
}

/* ---- accept4 ---- */

static void t_accept4_nosigpipe_flag(void)
{
    on_signal(SIGPIPE, 0);
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    int c = tcp_connect(&a);
    wait_queued(l, 1, 1000);
    int s = OK(accept4(l, NULL, NULL, SOCK_NOSIGPIPE));
    EXPECT_EQ(getnosig(s), 1);
    EXPECT_EQ(getnosig(l), 0); /* the listener is not changed */
    EXPECT_EQ(getfl(s), O_RDWR | O_NOSIGPIPE);
    EXPECT_EQ(getfd(s), 0);
    break_tcp(s, c);
    EXPECT_ERR(write(s, "x", 1), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 0);
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    s = OK(accept4(l, NULL, NULL, SOCK_NOSIGPIPE | SOCK_CLOEXEC | SOCK_NONBLOCK));
    EXPECT_EQ(getnosig(s), 1);
    EXPECT_EQ(getfd(s), FD_CLOEXEC);
    EXPECT_EQ(getfl(s), O_RDWR | O_NONBLOCK | O_NOSIGPIPE);
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    EXPECT_EQ(getnosig(OK(accept4(l, NULL, NULL, 0))), 0);
}

static void t_accept4_unknown_flags(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    errno = 0;
    int rb = accept4(-1, NULL, NULL, 0x1);
    if (!(rb == -1 && errno == EBADF)) observe(OBS_OTHER, "accept4(-1, flags 0x1) gave %d (%s), expected EBADF first", rb, strerror(errno));
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    errno = 0;
    int r = accept4(l, NULL, NULL, 0x1);
    int e = errno;
    if (r >= 0) {
        int fl = getfl(r), fd = getfd(r);
        tcp_connect(&a);
        wait_queued(l, 1, 1000);
        int r2 = accept4(l, NULL, NULL, 0x1 | 0x4000 | SOCK_NONBLOCK);
        if (fl == O_RDWR && fd == 0 && r2 >= 0 && getfl(r2) == (O_RDWR | O_NONBLOCK))
            observe(OBS_NETBSD, "unknown bits ignored (0x1 and 0x4000; SOCK_NONBLOCK beside them applied)");
        observe(OBS_OTHER, "0x1 accepted with FL 0x%x FD 0x%x; 0x4001|SOCK_NONBLOCK gave %d", (unsigned)fl,
                (unsigned)fd, r2);
    }
    if (e == EINVAL && queue_len(l, NULL) == 1) observe(OBS_LINUX, "EINVAL, connection left queued");
    observe(OBS_OTHER, "accept4(flags 0x1) failed with %s", strerror(e));
}

/* ---- address handling ---- */

static int accept_call(int which, int l, struct sockaddr *addr, socklen_t *len)
{
    sigset_t none;
    sigemptyset(&none);
    switch (which) {
    case 0: return accept(l, addr, len);
    case 1: return accept4(l, addr, len, SOCK_CLOEXEC);
    case 2: return paccept(l, addr, len, NULL, 0);
    default: return paccept(l, addr, len, &none, 0);
    }
}
static const char *const call_name[] = { "accept", "accept4", "paccept(NULL mask)", "paccept(mask)" };

static void t_addr_null_addrlen_untouched(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    socklen_t *noaccess = page_with_prot(PROT_NONE);
    int n = have_paccept() ? 4 : 2;
    for (int w = 0; w < n; w++) {
        socklen_t sentinel = 0xdeadbeef;
        tcp_connect(&a);
        wait_queued(l, 1, 1000);
        int s = accept_call(w, l, NULL, &sentinel);
        CHECK(s >= 0, "%s(addr NULL): %s", call_name[w], strerror(errno));
        CHECK(sentinel == 0xdeadbeef, "%s wrote *addrlen (0x%x) although addr is NULL", call_name[w],
              (unsigned)sentinel);
        if (H_ASAN) continue; /* ASan's interceptors read *addrlen themselves */
        tcp_connect(&a);
        wait_queued(l, 1, 1000);
        s = accept_call(w, l, NULL, (socklen_t *)1);
        CHECK(s >= 0, "%s(NULL, (socklen_t *)1): %s", call_name[w], strerror(errno));
        tcp_connect(&a);
        wait_queued(l, 1, 1000);
        s = accept_call(w, l, NULL, noaccess);
        CHECK(s >= 0, "%s(NULL, unreadable addrlen): %s", call_name[w], strerror(errno));
    }
    if (H_ASAN) note("ASan build: garbage addrlen pointers not tried");
}

static void t_addr_bad_pointer_efault(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    void *unmapped = unmapped_page();
    socklen_t *ro = page_with_prot(PROT_READ | PROT_WRITE);
    *ro = sizeof(struct sockaddr_in);
    OK(mprotect(ro, 4096, PROT_READ));
    int n = have_paccept() ? 4 : 2;
    for (int w = 0; w < n; w++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(struct sockaddr_in);
        tcp_connect(&a);
        wait_queued(l, 1, 1000);
        errno = 0;
        int r = accept_call(w, l, (struct sockaddr *)unmapped, &len);
        CHECK(r == -1 && errno == EFAULT, "%s(unmapped addr): %d (%s)", call_name[w], r, strerror(errno));
        EXPECT_EQ(queue_len(l, NULL), 0);
        if (!H_ASAN) {
            tcp_connect(&a);
            wait_queued(l, 1, 1000);
            errno = 0;
            r = accept_call(w, l, (struct sockaddr *)&ss, (socklen_t *)unmapped);
            CHECK(r == -1 && errno == EFAULT, "%s(unmapped addrlen): %d (%s)", call_name[w], r, strerror(errno));
        }
        tcp_connect(&a);
        wait_queued(l, 1, 1000);
        errno = 0;
        r = accept_call(w, l, (struct sockaddr *)&ss, ro);
        CHECK(r == -1 && errno == EFAULT, "%s(read-only addrlen): %d (%s)", call_name[w], r, strerror(errno));
        EXPECT_EQ(queue_len(l, NULL), 0);
    }
}

/* ---- hostile arguments: Linux's own errors, no crash ---- */

static void t_hostile_args_linux_errors(void)
{
    ignore_signal(SIGPIPE);
    EXPECT_ERR(socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT);
    EXPECT_ERR(socket(AF_INET, -1, 0), EINVAL);
    EXPECT_ERR(socket(AF_INET, SOCK_STREAM, -1), EINVAL);
    EXPECT_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, NULL), EFAULT);
    EXPECT_ERR(socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){ 0, 0 }), EOPNOTSUPP);
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int s = sv[0];
    if (shim_loaded()) OK(fcntl(s, F_SETNOSIGPIPE, 1)); /* the converted write paths */
    EXPECT_ERR(dup(-5), EBADF);
    EXPECT_ERR(dup2(s, -1), EBADF);
    EXPECT_ERR(dup2(-1, 10), EBADF);
    EXPECT_ERR(dup3(s, s, 0), EINVAL);
    EXPECT_ERR(dup3(s, 9, 0x1), EINVAL);
    EXPECT_ERR(fcntl(s, 0x7fff), EINVAL);
    EXPECT_ERR(fcntl(s, F_DUPFD, -1), EINVAL);
    EXPECT_ERR(fcntl(s, F_DUPFD, INT_MAX), EINVAL);
    void *bad = unmapped_page();
    volatile int neg = -1;
    EXPECT_ERR(write(s, bad, 1), EFAULT);
    EXPECT_ERR(writev(s, bad, 1), EFAULT);
    EXPECT_ERR(writev(s, bad, neg), EINVAL);
    static struct iovec many[2000];
    EXPECT_ERR(writev(s, many, 2000), EINVAL); /* more than UIO_MAXIOV: EINVAL, not EMSGSIZE */
    EXPECT_ERR(send(s, bad, 1, 0), EFAULT);
    EXPECT_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)1, 16), EFAULT);
    EXPECT_ERR(sendmsg(s, bad, 0), EFAULT);
    EXPECT_ERR(sendmmsg(s, bad, 1, 0), EFAULT);
    EXPECT_EQ(writev(s, bad, 0), 0);
    int v = 0;
    EXPECT_ERR(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, NULL, sizeof(int)), EFAULT);
    EXPECT_ERR(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, NULL), EFAULT);
    if (shim_loaded()) {
        EXPECT_ERR(setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, NULL, sizeof(int)), EFAULT);
        EXPECT_ERR(getsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &v, NULL), EFAULT);
        EXPECT_ERR(getsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, NULL, &(socklen_t){ 4 }), EFAULT);
    }
    int l = OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    EXPECT_EQ(OK(listen(l, INT_MIN)), 0);
    EXPECT_EQ(OK(listen(l, INT_MAX)), 0);
    if (!H_ASAN) /* an empty non-blocking queue is reported before the pointers are looked at */
        EXPECT_ERR(accept(l, (struct sockaddr *)1, (socklen_t *)8), EAGAIN);
}

/* ---- errno ---- */

#define KEEP(expr) do { errno = 12345; long long r_ = (long long)(expr); int e_ = errno; \
        CHECK(r_ != -1, "%s failed: %s", #expr, strerror(e_)); \
        CHECK(e_ == 12345, "%s succeeded but changed errno to %d (%s)", #expr, e_, \
              h_errname(e_) ? h_errname(e_) : "?"); } while (0)

static void errno_preserved(void)
{
    on_signal(SIGUSR1, 0);
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    int one = 1, v;
    socklen_t vl = sizeof v;
    KEEP(socket(AF_INET, SOCK_STREAM, 0));
    KEEP(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    int sv[2];
    KEEP(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int s = OK(socket(AF_INET, SOCK_STREAM, 0));
    KEEP(listen(s, 3));
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    KEEP(accept(l, NULL, NULL));
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    KEEP(accept(l, (struct sockaddr *)&ss, &len));
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    len = 4; /* truncating */
    KEEP(accept(l, (struct sockaddr *)&ss, &len));
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    KEEP(accept4(l, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC));
    char b = 'x';
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            if (!shim_loaded()) break;
            KEEP(fcntl(sv[0], F_SETNOSIGPIPE, 1)); /* the converted write paths */
        }
        for (int how = 0; how < WRITE_CALLS; how++) {
            errno = 12345;
            ssize_t r = write_call(how, sv[0]);
            int e = errno;
            CHECK(r != -1, "%s failed: %s", write_call_name[how], strerror(e));
            CHECK(e == 12345, "%s succeeded but changed errno to %d", write_call_name[how], e);
        }
    }
    KEEP(dup(sv[0]));
    KEEP(dup2(sv[0], 40));
    KEEP(dup3(sv[0], 41, O_CLOEXEC));
    KEEP(fcntl(sv[0], F_DUPFD, 50));
    KEEP(fcntl(sv[0], F_DUPFD_CLOEXEC, 60));
    KEEP(fcntl(sv[0], F_GETFL));
    KEEP(fcntl(sv[0], F_SETFL, O_NONBLOCK));
    KEEP(fcntl(sv[0], F_GETFD));
    KEEP(fcntl(sv[0], F_SETFD, FD_CLOEXEC));
    KEEP(fcntl(sv[0], F_SETOWN, getpid()));
    KEEP(fcntl(sv[0], F_GETOWN));
    KEEP(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    KEEP(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl));
    KEEP(close(40));
    int p[2];
    OK(pipe(p));
    KEEP(write(p[1], &b, 1));
    if (!shim_loaded()) return;

    KEEP(socket(AF_INET, SOCK_STREAM | SOCK_NOSIGPIPE, 0));
    KEEP(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv));
    KEEP(fcntl(sv[0], F_GETNOSIGPIPE));
    KEEP(fcntl(sv[0], F_SETNOSIGPIPE, 0));
    KEEP(setsockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one));
    vl = sizeof v;
    KEEP(getsockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE, &v, &vl));
    KEEP(dup(sv[0]));
    KEEP(close(sv[0]));
    /* a stale no-SIGPIPE number reused by a pipe: the converted call's internal ENOTSOCK must not leak */
    int hole = devnull();
    int q = OK(socket(AF_UNIX, SOCK_STREAM, 0));
    OK(fcntl(q, F_SETNOSIGPIPE, 1));
    syscall(SYS_close, q);
    close(hole);
    int p2[2];
    OK(pipe(p2));
    EXPECT_EQ(p2[1], q);
    KEEP(write(p2[1], &b, 1));
    KEEP(write_call(1, p2[1])); /* writev */
    sigset_t none, orig;
    sigemptyset(&none);
    sigemptyset(&orig);
    sigaddset(&orig, SIGUSR1);
    pthread_sigmask(SIG_SETMASK, &orig, NULL);
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    KEEP(paccept(l, NULL, NULL, NULL, 0));
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    KEEP(paccept(l, (struct sockaddr *)&ss, &len, &none, SOCK_NOSIGPIPE));
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    raise(SIGUSR1); /* delivered inside paccept (clause 5): still no errno change */
    KEEP(paccept(l, NULL, NULL, &none, 0));
    EXPECT_EQ(sig_count[SIGUSR1], 1);
    int ln = tcp_listener(AF_INET, SOCK_NONBLOCK, 8, &a);
    tcp_connect(&a);
    wait_queued(ln, 1, 1000);
    raise(SIGUSR1);
    KEEP(paccept(ln, NULL, NULL, &none, 0));
    EXPECT_EQ(sig_count[SIGUSR1], 2);
}

static void t_errno_preserved_on_success(void)
{
    errno_preserved();
}

static void *no_op_thread(void *p)
{
    return p;
}

/* The same calls once the process has had a second thread: the shim then reaches the
 * kernel through other paths (the C library's own functions, cancellation switches). */
static void t_errno_preserved_threaded(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, no_op_thread, NULL) == 0, "pthread_create failed");
    pthread_join(t, NULL);
    errno_preserved();
}

/* ---- cancellation ---- */

struct cstate {
    int what, fd;
    volatile int cleanup_ran, returned;
};

static void cleanup_flag(void *p)
{
    ((struct cstate *)p)->cleanup_ran = 1;
}

static void *cancel_body(void *p)
{
    struct cstate *st = p;
    sigset_t none;
    sigemptyset(&none);
    static char big[65536];
    pthread_cleanup_push(cleanup_flag, st);
    switch (st->what) {
    case 0: accept(st->fd, NULL, NULL); break;
    case 1: accept4(st->fd, NULL, NULL, SOCK_CLOEXEC); break;
    case 2: paccept(st->fd, NULL, NULL, NULL, 0); break;
    case 3: paccept(st->fd, NULL, NULL, &none, 0); break;
    case 4: write(st->fd, big, sizeof big); break;
    case 5: send(st->fd, big, sizeof big, 0); break;
    case 6: {
        struct iovec iov = { big, sizeof big };
        writev(st->fd, &iov, 1);
        break;
    }
    default: {
        struct iovec iov = { big, sizeof big };
        struct msghdr m;
        memset(&m, 0, sizeof m);
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        sendmsg(st->fd, &m, 0);
        break;
    }
    }
    pthread_cleanup_pop(0);
    st->returned = 1;
    return NULL;
}

static void cancel_one(int what, int fd, const char *name)
{
    struct cstate st = { what, fd, 0, 0 };
    pthread_t th = spawn(cancel_body, &st);
    sleep_ms(100);
    CHECK(!st.returned, "%s returned instead of blocking", name);
    double t0 = now_ms();
    CHECK(pthread_cancel(th) == 0, "pthread_cancel failed");
    void *ret = NULL;
    int e = join_ms(th, 1000, &ret);
    CHECK(e == 0, "thread blocked in %s not cancelled within 1 s", name);
    CHECK(ret == PTHREAD_CANCELED, "%s returned instead of being cancelled", name);
    CHECK(st.cleanup_ran, "%s: cleanup handler did not run", name);
    note("%s cancelled in %.0f ms", name, now_ms() - t0);
}

static void t_cancel_accept(void)
{
    cancel_one(0, tcp_listener(AF_INET, 0, 4, NULL), "accept");
}

static void t_cancel_accept4(void)
{
    cancel_one(1, tcp_listener(AF_INET, 0, 4, NULL), "accept4");
}

static void t_cancel_paccept(void)
{
    need_paccept();
    cancel_one(2, tcp_listener(AF_INET, 0, 4, NULL), "paccept(NULL mask)");
    cancel_one(3, tcp_listener(AF_INET, 0, 4, NULL), "paccept(empty mask)");
}

static int full_socket(int nosig)
{
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
    if (nosig) OK(fcntl(sv[0], F_SETNOSIGPIPE, 1));
    static char chunk[4096];
    while (send(sv[0], chunk, sizeof chunk, 0) > 0) {
    }
    CHECK(errno == EAGAIN, "filling the socket: %s", strerror(errno));
    OK(fcntl(sv[0], F_SETFL, O_RDWR)); /* blocking again: the next write sleeps */
    return sv[0];
}

static void t_cancel_write(void)
{
    static const char *const names[] = { "write", "send", "writev", "sendmsg" };
    for (int i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s (plain socket)", names[i]);
        cancel_one(4 + i, full_socket(0), name);
        if (!shim_loaded()) continue;
        snprintf(name, sizeof name, "%s (no-SIGPIPE socket)", names[i]);
        cancel_one(4 + i, full_socket(1), name);
    }
}

/* A cancellation request already pending when a cancellation point is entered acts
 * at once, before the call does anything (glibc's SYSCALL_CANCEL). */
struct pend {
    int what, fd;
    volatile int go, reached, returned, cleanup_ran;
};

static void pend_cleanup(void *p)
{
    ((struct pend *)p)->cleanup_ran = 1;
}

static void *pend_body(void *p)
{
    struct pend *st = p;
    sigset_t none;
    sigemptyset(&none);
    pthread_cleanup_push(pend_cleanup, st);
    st->reached = 1;
    while (!__atomic_load_n(&st->go, __ATOMIC_SEQ_CST)) {
    } /* no cancellation point here */
    switch (st->what) {
    case 0: accept(st->fd, NULL, NULL); break;
    case 1: accept4(st->fd, NULL, NULL, 0); break;
    case 2: paccept(st->fd, NULL, NULL, NULL, 0); break;
    case 3: paccept(st->fd, NULL, NULL, &none, 0); break;
    case 4: write(st->fd, "x", 1); break;
    default: send(st->fd, "x", 1, 0); break;
    }
    pthread_cleanup_pop(0);
    st->returned = 1;
    return NULL;
}

static void t_cancel_pending_at_entry(void)
{
    const char *names[] = { "accept", "accept4", "paccept(NULL)", "paccept(mask)", "write", "send" };
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    for (int what = 0; what < 6; what++) {
        if ((what == 2 || what == 3) && !have_paccept()) continue;
        for (int nosig = 0; nosig < (what >= 4 && shim_loaded() ? 2 : 1); nosig++) {
            if (what >= 4) OK(fcntl(sv[0], F_SETFL, O_RDWR));
            if (nosig) OK(fcntl(sv[0], F_SETNOSIGPIPE, 1));
            struct pend st = { what, what >= 4 ? sv[0] : l, 0, 0, 0, 0 };
            pthread_t th = spawn(pend_body, &st);
            while (!st.reached) sleep_ms(1);
            CHECK(pthread_cancel(th) == 0, "pthread_cancel");
            __atomic_store_n(&st.go, 1, __ATOMIC_SEQ_CST);
            void *ret = NULL;
            CHECK(join_ms(th, 1000, &ret) == 0, "%s with a pending cancel did not end within 1 s", names[what]);
            CHECK(ret == PTHREAD_CANCELED && st.cleanup_ran && !st.returned,
                  "%s%s returned instead of acting on the pending cancellation", names[what],
                  nosig ? " (no-SIGPIPE socket)" : "");
            if (what < 4)
                CHECK(queue_len(l, NULL) == 1, "%s consumed the queued connection before acting on the cancel",
                      names[what]);
            else {
                char b;
                CHECK(recv(sv[1], &b, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN,
                      "%s%s wrote its data before acting on the cancel", names[what], nosig ? " (no-SIGPIPE)" : "");
            }
        }
    }
}

/* ---- async-signal safety ---- */

static struct {
    int l_ready, l_main;
    struct addr main_addr;
    volatile int sock, lis, acc, acc4, pair, wr, cl, nosig, pacc, conn;
} hs;

static void calls_in_handler(int sig)
{
    if (sig != SIGUSR1) return;
    hs.sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    hs.lis = hs.sock >= 0 ? listen(hs.sock, 1) : -2;
    hs.acc = accept(hs.l_ready, NULL, NULL);
    hs.acc4 = accept4(hs.l_ready, NULL, NULL, SOCK_NONBLOCK);
    int sv[2];
    hs.pair = socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    hs.wr = hs.pair == 0 ? (int)write(sv[0], "x", 1) : -2;
    hs.cl = hs.pair == 0 ? close(sv[1]) : -2;
    if (shim_loaded()) {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_NOSIGPIPE, 0);
        hs.nosig = s >= 0 ? fcntl(s, F_GETNOSIGPIPE) : -1;
        sigset_t none;
        sigemptyset(&none);
        hs.pacc = paccept(hs.l_ready, NULL, NULL, &none, 0);
    }
    /* let the interrupted main-thread call finish */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    hs.conn = c >= 0 ? connect(c, (struct sockaddr *)&hs.main_addr.ss, hs.main_addr.len) : -2;
}

static void check_handler_results(const char *when)
{
    CHECK(hs.sock >= 0 && hs.lis == 0 && hs.acc >= 0 && hs.acc4 >= 0 && hs.pair == 0 && hs.wr == 1 && hs.cl == 0 &&
              hs.conn == 0,
          "%s: in the handler socket %d listen %d accept %d accept4 %d socketpair %d write %d close %d connect %d",
          when, hs.sock, hs.lis, hs.acc, hs.acc4, hs.pair, hs.wr, hs.cl, hs.conn);
    if (shim_loaded())
        CHECK(hs.nosig == 1 && hs.pacc >= 0, "%s: in the handler socket(SOCK_NOSIGPIPE) gave %d, paccept %d", when,
              hs.nosig, hs.pacc);
}

static void prime_ready(struct addr *ra)
{
    for (int i = 0; i < 3; i++) tcp_connect(ra);
    wait_queued(hs.l_ready, 3, 1000);
}

static void t_signal_handler_calls(void)
{
    on_signal(SIGUSR1, SA_RESTART);
    sig_hook = calls_in_handler;
    struct addr ra;
    hs.l_ready = tcp_listener(AF_INET, SOCK_NONBLOCK, 16, &ra);
    hs.l_main = tcp_listener(AF_INET, 0, 8, &hs.main_addr);

    /* 1: from a handler that interrupted ordinary code */
    prime_ready(&ra);
    raise(SIGUSR1);
    check_handler_results("raise");

    /* 2: from a handler that interrupted accept() inside the shim (SA_RESTART) */
    prime_ready(&ra);
    struct delayed_kill k;
    delayed_kill_start(&k, pthread_self(), SIGUSR1, 100);
    int s = accept(hs.l_main, NULL, NULL);
    CHECK(s >= 0, "the interrupted accept failed: %s", strerror(errno));
    pthread_join(k.th, NULL);
    check_handler_results("during accept");

    /* 3: from a handler that interrupted paccept's wait */
    if (have_paccept()) {
        prime_ready(&ra);
        sigset_t orig, none;
        sigemptyset(&orig);
        sigaddset(&orig, SIGUSR1);
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &orig, NULL);
        delayed_kill_start(&k, pthread_self(), SIGUSR1, 100);
        errno = 0;
        s = paccept(hs.l_main, NULL, NULL, &none, 0);
        int e = errno;
        pthread_join(k.th, NULL);
        CHECK(s >= 0 || e == EINTR, "the interrupted paccept failed: %s", strerror(e));
        check_handler_results("during paccept");
    }
}

struct churn {
    int fd;
    volatile int stop;
};

static void *churn_main(void *p)
{
    struct churn *c = p;
    int base = 1000;
    while (!c->stop) {
        int d = dup(c->fd);
        if (d >= 0) {
            fcntl(d, F_SETNOSIGPIPE, 1);
            close(d);
        }
        int hi = dup2(c->fd, base++ % 1000 + 2000); /* touches fresh table pages */
        if (hi >= 0) {
            fcntl(hi, F_SETNOSIGPIPE, 1);
            close(hi);
        }
    }
    return NULL;
}

static void *blocked_accept_main(void *p)
{
    int l = *(int *)p;
    sigset_t none;
    sigemptyset(&none);
    if (have_paccept())
        paccept(l, NULL, NULL, &none, 0);
    else
        accept(l, NULL, NULL);
    return NULL;
}

static int child_work(void)
{
    int code = 0;
    struct addr a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.len = sizeof *sin;
    if (l < 0 || bind(l, (struct sockaddr *)sin, a.len) != 0 || listen(l, 4) != 0) return 1;
    if (getsockname(l, (struct sockaddr *)&a.ss, &a.len) != 0) return 1;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a.ss, a.len) != 0) return 2;
    int s = accept(l, NULL, NULL);
    if (s < 0) return 3;
    if (write(s, "x", 1) != 1) code |= 4;
    char ch;
    if (read(c, &ch, 1) != 1) code |= 4;
    if (shim_loaded()) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv) != 0) return 8;
        close(sv[1]);
        errno = 0;
        if (write(sv[0], "x", 1) != -1 || errno != EPIPE || sig_count[SIGPIPE] != 0) code |= 16;
        sigset_t none;
        sigemptyset(&none);
        if (fcntl(l, F_SETFL, O_NONBLOCK) != 0 || paccept(l, NULL, NULL, &none, 0) != -1 || errno != EAGAIN)
            code |= 32;
    }
    return code;
}

static void t_fork_child_of_threaded_parent(void)
{
    on_signal(SIGPIPE, 0);
    int l = tcp_listener(AF_INET, 0, 4, NULL);
    pthread_t blocked = spawn(blocked_accept_main, &l);
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    struct churn ch = { sv[0], 0 };
    pthread_t churner = spawn(churn_main, &ch);
    sleep_ms(30);
    for (int i = 0; i < 5; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) _exit(child_work());
        int st = wait_child(pid, 2000);
        CHECK(WIFEXITED(st), "child %d killed by signal %d", i, WTERMSIG(st));
        CHECK(WEXITSTATUS(st) == 0, "child %d failed (code %d)", i, WEXITSTATUS(st));
        sleep_ms(5);
    }
    ch.stop = 1;
    pthread_join(churner, NULL);
    (void)blocked;
}

/* ---- no descriptors, handlers or threads of its own ---- */

static void t_no_own_descriptors(void)
{
    EXPECT_EQ(OK(socket(AF_INET, SOCK_STREAM, 0)), 3);
    /* exercise the shim's state: table pages, a high descriptor, paccept's mask handling */
    if (shim_loaded()) {
        OK(fcntl(3, F_SETNOSIGPIPE, 1));
        OK(dup2(3, 5000));
        OK(fcntl(5000, F_SETNOSIGPIPE, 1));
        OK(close(5000));
        int sv[2];
        OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv));
        EXPECT_EQ(sv[0], 4);
        EXPECT_EQ(sv[1], 5);
        close(sv[1]);
        ignore_signal(SIGPIPE);
        EXPECT_ERR(write(sv[0], "x", 1), EPIPE);
        close(sv[0]);
    }
    if (have_paccept()) {
        int l = tcp_listener(AF_INET, SOCK_NONBLOCK, 4, NULL);
        sigset_t none;
        sigemptyset(&none);
        EXPECT_ERR(paccept(l, NULL, NULL, &none, 0), EAGAIN);
        close(l);
    }
    OK(close(3));
    EXPECT_EQ(OK(socket(AF_INET, SOCK_DGRAM, 0)), 3);
    DIR *d = opendir("/proc/self/fd");
    CHECK(d, "opendir /proc/self/fd: %s", strerror(errno));
    int dfd = dirfd(d);
    struct dirent *e;
    char extra[200] = "";
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        int fd = atoi(e->d_name);
        if (fd <= 3 || fd == dfd) continue;
        size_t n = strlen(extra);
        snprintf(extra + n, sizeof extra - n, " %d", fd);
    }
    closedir(d);
    CHECK(!extra[0], "descriptors open that nobody here opened:%s", extra);
    /* no handlers installed, no threads started */
    int sigs[] = { SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGIO, SIGURG, SIGHUP, SIGTERM, SIGINT, SIGRTMIN };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa;
        OK(sigaction(sigs[i], NULL, &sa));
        /* SIG_IGN may be inherited (a shell's background job ignores SIGINT); a handler
         * function cannot survive exec, so one here was installed in this process */
        CHECK(!(sa.sa_flags & SA_SIGINFO) && (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN),
              "signal %d has a handler nobody here installed", sigs[i]);
    }
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f, "/proc/self/status");
    char line[256];
    int threads = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &threads) == 1) break;
    fclose(f);
    EXPECT_EQ(threads, 1);
}

const struct tcase cases_spec[] = {
    CLAUSE(socket_nosigpipe_recorded, SRC_SPEC,
           "socket(): \"SOCK_NOSIGPIPE is removed before the system call and recorded as no-SIGPIPE state on the new "
           "descriptor\"."),
    CLAUSE(socketpair_nosigpipe_both, SRC_SPEC,
           "socketpair(): SOCK_NOSIGPIPE is recorded on \"both descriptors\" (3 and 4 after closing all fds >= 3)."),
    CLAUSE(socket_unknown_bits_einval, SRC_SPEC,
           "socket(): \"Other bits go to the kernel unchanged, which answers EINVAL as Linux does\", and no "
           "descriptor is used up."),
    CLAUSE(socketpair_flags_exact, SRC_SPEC,
           "socketpair() with SOCK_CLOEXEC/SOCK_NONBLOCK returns fds 3 and 4, connected, with exactly FD_CLOEXEC and "
           "O_RDWR|O_NONBLOCK as asked (t_socketpair.c)."),
    CLAUSE(flags_atomic_seccomp, SRC_SPEC,
           "\"SOCK_CLOEXEC and SOCK_NONBLOCK go to the kernel in the same system call (never applied afterwards with "
           "fcntl)\": they still work under a seccomp filter that forbids F_SETFD/F_SETFL."),
    CLAUSE(listen_errors, SRC_SPEC,
           "listen() \"Behaves as Linux. Errors: EBADF, ENOTSOCK, EOPNOTSUPP (datagram), EINVAL (connected "
           "socket).\""),
    CLAUSE(accept4_nosigpipe_flag, SRC_SPEC,
           "accept4(): \"SOCK_NOSIGPIPE recorded\" on the new socket (not the listener), beside atomic "
           "SOCK_CLOEXEC/SOCK_NONBLOCK."),
    NETBSD_ONLY(accept4_unknown_flags, SRC_SPEC,
                "accept4() unknown flag bits: \"EINVAL (Linux personality); ignored (NetBSD personality)\", after "
                "the EBADF check.",
                OBS_LINUX, OBS_NETBSD),
    CLAUSE(addr_null_addrlen_untouched, SRC_SPEC,
           "\"addr == NULL: addrlen is neither read nor written\" (accept, accept4, paccept; a garbage or unreadable "
           "addrlen)."),
    CLAUSE(addr_bad_pointer_efault, SRC_SPEC,
           "\"A bad addr or addrlen pointer gives EFAULT and never crashes the process\" (unmapped addr, unmapped or "
           "read-only addrlen)."),
    CLAUSE(hostile_args_linux_errors, SRC_SPEC,
           "\"No panic crosses into C\" and errors are \"as the C library would\": bad pointers, descriptors, "
           "commands and counts give Linux's own errno, never a crash."),
    CLAUSE(errno_preserved_on_success, SRC_SPEC,
           "\"errno: unchanged on success\" for every exported function, including the no-SIGPIPE and paccept "
           "paths."),
    CLAUSE(errno_preserved_threaded, SRC_SPEC,
           "\"errno: unchanged on success\" for every exported function in a process that has had a second "
           "thread."),
    CLAUSE(cancel_accept, SRC_SPEC,
           "\"accept ... stay pthread cancellation points\": pthread_cancel of a thread blocked in accept acts within "
           "1 s."),
    CLAUSE(cancel_accept4, SRC_SPEC, "accept4 stays a cancellation point: a blocked thread is cancelled within 1 s."),
    CLAUSE(cancel_paccept, SRC_SPEC,
           "paccept stays a cancellation point (NULL and non-NULL mask): a blocked thread is cancelled within 1 s."),
    CLAUSE(cancel_write, SRC_SPEC,
           "write, send, writev and sendmsg stay cancellation points, also on a no-SIGPIPE socket (where they "
           "become sendto/sendmsg): a thread blocked on a full socket is cancelled within 1 s."),
    CLAUSE(cancel_pending_at_entry, SRC_SPEC,
           "As glibc's cancellation points, accept, accept4, paccept, write and send act on a cancellation request "
           "pending at entry, before doing anything."),
    CLAUSE(signal_handler_calls, SRC_SPEC,
           "\"socket, accept, listen, write, send... may be called from a signal handler\", also one that "
           "interrupted accept or paccept."),
    CLAUSE(fork_child_of_threaded_parent, SRC_SPEC,
           "The exports work \"in a child after fork from a threaded parent\" whose threads were inside the shim."),
    CLAUSE(no_own_descriptors, SRC_SPEC,
           "\"the shim must not open descriptors of its own, ever\": socket() returns 3 after closing all fds >= 3; "
           "no handlers or threads either."),
};
const size_t n_cases_spec = sizeof cases_spec / sizeof cases_spec[0];
