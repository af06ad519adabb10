/*
 * Edge cases of the write paths and of the descriptor state: each pins down a defect a
 * review found in an earlier version of the library (SPEC.md "No-SIGPIPE state" and
 * "What every exported function must keep"; NetBSD accept(2) where it says so).
 */
#include "harness.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static void set_nosig(int fd)
{
    if (shim_loaded()) OK(fcntl(fd, F_SETNOSIGPIPE, 1));
}

/* writev() of an empty vector, or of empty buffers only, returns 0 before it reaches the
 * socket (vfs_writev): the no-SIGPIPE conversion must not change that. */
static void t_nosigpipe_writev_empty(void)
{
    on_signal(SIGPIPE, 0);
    char b = 'x';
    struct iovec empty[2] = { { &b, 0 }, { &b, 0 } };

    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    set_nosig(sv[0]);
    close(sv[1]);
    EXPECT_EQ(writev(sv[0], empty, 0), 0);
    EXPECT_EQ(writev(sv[0], empty, 2), 0);
    EXPECT_ERR(writev(sv[0], (struct iovec[]){ { &b, 1 } }, 1), EPIPE); /* the socket is broken */
    EXPECT_EQ(sig_count[SIGPIPE], shim_loaded() ? 0 : 1);

    /* An empty vector sends no record on a SEQPACKET socket (the peer would read EOF). */
    int sp[2];
    OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp));
    set_nosig(sp[0]);
    EXPECT_EQ(writev(sp[0], empty, 0), 0);
    char r[4];
    EXPECT_ERR(recv(sp[1], r, sizeof r, MSG_DONTWAIT), EAGAIN);
}

/* setsockopt(SO_NOSIGPIPE) takes its int from any address, as the kernel takes option
 * values (no alignment requirement). */
static void t_nosigpipe_setsockopt_unaligned(void)
{
    if (!shim_loaded()) skip("SO_NOSIGPIPE needs sockshim");
    int s = OK(socket(AF_INET, SOCK_STREAM, 0));
    char buf[16];
    int one = 1, zero = 0;
    memcpy(buf + 1, &one, sizeof one);
    OK(setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, buf + 1, sizeof(int)));
    EXPECT_EQ(getnosig(s), 1);
    memcpy(buf + 3, &zero, sizeof zero);
    OK(setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, buf + 3, sizeof(int)));
    EXPECT_EQ(getnosig(s), 0);
    EXPECT_ERR(setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, unmapped_page(), sizeof(int)), EFAULT);
}

/* NetBSD copyout_sockname with a socklen_t that is not 4-byte aligned (packed structures
 * do that): the same rules as an aligned one. */
static void t_accept_addrlen_unaligned(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    struct sockaddr_storage peer;
    char lenbuf[8];
    socklen_t supplied = 4, got;
    memcpy(lenbuf + 1, &supplied, sizeof supplied);
    int s = OK(accept(l, (struct sockaddr *)&peer, (socklen_t *)(void *)(lenbuf + 1)));
    memcpy(&got, lenbuf + 1, sizeof got);
    CHECK(s >= 0, "accept failed");
    if (got == 4) observe(OBS_NETBSD, "*addrlen is the truncated length 4");
    if (got == sizeof(struct sockaddr_in)) observe(OBS_LINUX, "*addrlen is the full length 16");
    observe(OBS_OTHER, "*addrlen is %u", (unsigned)got);
}

/* NetBSD sonewconn copies so_pgid: the SIGIO/SIGURG owner is inherited even without
 * O_ASYNC (a process group owner as well as a process). */
static void t_accept_inherit_owner_without_async(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    OK(fcntl(l, F_SETOWN, -getpgrp()));
    tcp_connect(&a);
    tcp_connect(&a);
    wait_queued(l, 2, 1000);
    int s1 = OK(accept(l, NULL, NULL));
    int s2 = OK(accept4(l, NULL, NULL, SOCK_CLOEXEC));
    int o1 = fcntl(s1, F_GETOWN), o2 = fcntl(s2, F_GETOWN);
    if (o1 == -getpgrp() && o2 == -getpgrp()) observe(OBS_NETBSD, "both inherit owner -%d", (int)getpgrp());
    if (o1 == 0 && o2 == 0) observe(OBS_LINUX, "no owner inherited");
    observe(OBS_OTHER, "accept owner %d, accept4 owner %d (listener -%d)", o1, o2, (int)getpgrp());
}

static void *splice_blocked(void *p)
{
    int *fds = p; /* fds[0]: pipe read end with data, fds[1]: a full socket */
    for (;;) splice(fds[0], NULL, fds[1], NULL, 1, 0);
    return NULL;
}

/* splice() is a cancellation point (glibc makes it one): pthread_cancel of a thread
 * blocked in it acts within a second, whether or not the socket is no-SIGPIPE. */
static void t_cancel_splice(void)
{
    int sv[2], pp[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    set_nosig(sv[0]);
    int small = 4096;
    OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small));
    OK(fcntl(sv[0], F_SETFL, getfl(sv[0]) | O_NONBLOCK));
    char fill[4096];
    memset(fill, 'x', sizeof fill);
    while (send(sv[0], fill, sizeof fill, MSG_DONTWAIT) > 0) {
    }
    OK(fcntl(sv[0], F_SETFL, getfl(sv[0]) & ~O_NONBLOCK));
    OK(pipe(pp));
    OK(write(pp[1], fill, 64));
    int fds[2] = { pp[0], sv[0] };
    pthread_t t = spawn(splice_blocked, fds);
    sleep_ms(100);
    OK(pthread_cancel(t));
    void *ret = NULL;
    CHECK(join_ms(t, 1000, &ret) == 0, "a thread blocked in splice() was not cancelled within 1 s");
    CHECK(ret == PTHREAD_CANCELED, "the thread ended without being cancelled");
}

#if defined(__x86_64__)
#define E_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define E_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* closefrom() closes every descriptor from lowfd up even where close_range is
 * unavailable (kernels before 5.9, seccomp profiles), and only the closed descriptors
 * lose their state. */
static void t_closefrom_without_close_range(void)
{
#ifndef E_AUDIT_ARCH
    skip("seccomp filter written for x86_64 and aarch64 only");
#else
    if (!H_HAVE_CLOSEFROM) skip("this C library has no closefrom() and no sockshim is loaded");
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)); /* 3, 4 */
    set_nosig(sv[0]);
    int extra = OK(dup(sv[1])); /* 5 */
    CHECK(sv[0] == 3 && sv[1] == 4 && extra == 5, "descriptor layout %d %d %d", sv[0], sv[1], extra);
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, E_AUDIT_ARCH, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close_range, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { (unsigned short)(sizeof f / sizeof f[0]), f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        skip("cannot install a seccomp filter here: %s", strerror(errno));
    EXPECT_ERR(syscall(SYS_close_range, 10, 20, 0), ENOSYS); /* the filter is active */
    closefrom(4);
    EXPECT_ERR(fcntl(4, F_GETFD), EBADF);
    EXPECT_ERR(fcntl(5, F_GETFD), EBADF);
    OK(fcntl(3, F_GETFD));
    if (shim_loaded()) EXPECT_EQ(getnosig(3), 1); /* still open: state kept */
#endif
}

/* A dup made before the process created any socket (as with a socket inherited from
 * inetd or systemd) still shares the flag set through the original afterwards. */
static void t_nosigpipe_dup_before_any_socket(void)
{
    on_signal(SIGPIPE, 0);
    int raw[2];
    OK(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, raw)); /* behind the shim: "inherited" */
    int d = OK(dup(raw[0]));
    if (!shim_loaded()) skip("F_SETNOSIGPIPE needs sockshim");
    OK(fcntl(raw[0], F_SETNOSIGPIPE, 1));
    EXPECT_EQ(getnosig(d), 1);
    close(raw[1]);
    char b = 'x';
    EXPECT_ERR(write(d, &b, 1), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 0);
}

/* Copies spread over the number range before the first F_SETNOSIGPIPE of the process
 * (the shim only starts keeping its alias table then): a set or a clear through any
 * copy shows through all of them, including one whose original was closed, and never
 * through another socket, dup'ed or not. */
static void t_nosigpipe_dup_spread_before_first_set(void)
{
    if (!shim_loaded()) skip("F_SETNOSIGPIPE needs sockshim");
    struct rlimit rl;
    OK(getrlimit(RLIMIT_NOFILE, &rl));
    int high = rl.rlim_cur > 1000 ? 1000 : (int)rl.rlim_cur - 1;
    int a = OK(socket(AF_INET, SOCK_STREAM, 0));
    int b = OK(socket(AF_INET, SOCK_STREAM, 0));
    int lone = OK(socket(AF_INET, SOCK_STREAM, 0));
    int a1 = OK(dup2(a, high));
    int a2 = OK(fcntl(a, F_DUPFD_CLOEXEC, high / 2));
    int b1 = OK(dup(b));
    int t = OK(socket(AF_INET, SOCK_STREAM, 0)); /* a copy whose original is gone */
    int t1 = OK(dup3(t, high - 1, 0));
    OK(close(t));

    OK(fcntl(a2, F_SETNOSIGPIPE, 1));
    EXPECT_EQ(getnosig(a), 1);
    EXPECT_EQ(getnosig(a1), 1);
    EXPECT_EQ(getnosig(a2), 1);
    EXPECT_EQ(getnosig(b), 0);
    EXPECT_EQ(getnosig(b1), 0);
    EXPECT_EQ(getnosig(lone), 0);
    EXPECT_EQ(getnosig(t1), 0);

    int one = 1;
    OK(setsockopt(b1, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one));
    EXPECT_EQ(getnosig(b), 1);
    OK(fcntl(t1, F_SETNOSIGPIPE, 1));
    EXPECT_EQ(getnosig(t1), 1);
    OK(fcntl(a1, F_SETNOSIGPIPE, 0));
    EXPECT_EQ(getnosig(a), 0);
    EXPECT_EQ(getnosig(a2), 0);
    EXPECT_EQ(getnosig(b), 1);
    EXPECT_EQ(getnosig(lone), 0);
}

/* The first F_SETNOSIGPIPE of a process races a thread that keeps dup'ing the same
 * socket: every copy, made before, during or after it, ends up no-SIGPIPE, and a later
 * clear reaches all of them. Each round is a fresh child, so each one is a first set. */
#define FR_ROUNDS 150
#define FR_DUPS 48
static int fr_sock;
static int fr_copies[FR_DUPS];
static pthread_barrier_t fr_go;

static void *fr_duper(void *p)
{
    (void)p;
    pthread_barrier_wait(&fr_go);
    for (int i = 0; i < FR_DUPS; i++) fr_copies[i] = dup(fr_sock);
    return NULL;
}

static void t_nosigpipe_first_set_races_dup(void)
{
    if (!shim_loaded()) skip("F_SETNOSIGPIPE needs sockshim");
    int missed = 0;
    for (int r = 0; r < FR_ROUNDS; r++) {
        pid_t pid = OK(fork());
        if (pid == 0) {
            fr_sock = socket(AF_UNIX, SOCK_STREAM, 0);
            pthread_barrier_init(&fr_go, NULL, 2);
            pthread_t th;
            if (fr_sock < 0 || pthread_create(&th, NULL, fr_duper, NULL)) _exit(2);
            pthread_barrier_wait(&fr_go);
            for (volatile int spin = 0; spin < (r % 16) * 200; spin++) {
            }
            if (fcntl(fr_sock, F_SETNOSIGPIPE, 1)) _exit(2);
            pthread_join(th, NULL);
            for (int i = 0; i < FR_DUPS; i++)
                if (fr_copies[i] < 0 || fcntl(fr_copies[i], F_GETNOSIGPIPE) != 1) _exit(1);
            /* and the copies are known from now on: a clear shows through all of them */
            if (fcntl(fr_sock, F_SETNOSIGPIPE, 0)) _exit(2);
            for (int i = 0; i < FR_DUPS; i++)
                if (fcntl(fr_copies[i], F_GETNOSIGPIPE) != 0) _exit(1);
            _exit(0);
        }
        int st;
        OK(waitpid(pid, &st, 0));
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 2, "round %d: child status %#x", r, st);
        missed += WIFEXITED(st) && WEXITSTATUS(st) == 1;
    }
    EXPECT_EQ(missed, 0);
}

/* setsockopt() with a negative length is EINVAL for every option, SO_NOSIGPIPE too
 * (after the descriptor checks, as Linux's __sys_setsockopt orders them). */
static void t_nosigpipe_setsockopt_negative_len(void)
{
    int one = 1;
    int s = OK(socket(AF_INET, SOCK_STREAM, 0));
    EXPECT_ERR(setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &one, (socklen_t)-1), EINVAL);
    EXPECT_ERR(setsockopt(-1, SOL_SOCKET, SO_NOSIGPIPE, &one, (socklen_t)-1), EBADF);
    if (shim_loaded()) EXPECT_EQ(getnosig(s), 0);
}

#define CR_N 1000
static int cr_first, cr_last;
static pthread_barrier_t cr_start, cr_done;

static void *cr_closer(void *p)
{
    (void)p;
    for (;;) {
        pthread_barrier_wait(&cr_start);
        h_close_range((unsigned)cr_first, (unsigned)cr_last, 0);
        pthread_barrier_wait(&cr_done);
    }
    return NULL;
}

/* A socket another thread creates while close_range() runs, on a number the call just
 * freed, keeps the no-SIGPIPE state it was created with. */
static void t_nosigpipe_close_range_concurrent_socket(void)
{
    if (!shim_loaded()) skip("SOCK_NOSIGPIPE needs sockshim");
    struct rlimit rl;
    OK(getrlimit(RLIMIT_NOFILE, &rl));
    if (rl.rlim_max < 2 * CR_N) skip("RLIMIT_NOFILE hard limit %lu is too low", (unsigned long)rl.rlim_max);
    rl.rlim_cur = rl.rlim_max;
    OK(setrlimit(RLIMIT_NOFILE, &rl));
    on_signal(SIGPIPE, 0);
    int dummy = OK(socket(AF_UNIX, SOCK_STREAM, 0));
    pthread_barrier_init(&cr_start, NULL, 2);
    pthread_barrier_init(&cr_done, NULL, 2);
    spawn(cr_closer, NULL);
    int lost = 0, rounds = 150;
    for (int i = 0; i < rounds; i++) {
        cr_first = cr_last = OK(dup(dummy));
        for (int k = 1; k < CR_N; k++) cr_last = OK(dup(dummy));
        pthread_barrier_wait(&cr_start);
        int sv[2];
        for (int tries = 0;; tries++) {
            OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv));
            if (sv[0] <= cr_last) break;
            close(sv[0]);
            close(sv[1]);
            CHECK(tries < 1000000, "close_range never freed a number");
        }
        pthread_barrier_wait(&cr_done);
        close(sv[1]);
        int before = sig_count[SIGPIPE];
        if (getnosig(sv[0]) != 1 || write(sv[0], "x", 1) != -1 || sig_count[SIGPIPE] != before) lost++;
        close(sv[0]);
    }
    CHECK(lost == 0, "%d of %d sockets created during close_range lost their no-SIGPIPE state", lost, rounds);
}

/* A number whose no-SIGPIPE socket glibc closed internally (fclose of a fdopen'ed
 * socket never calls the interposed close) and that then receives a plain socket with
 * SCM_RIGHTS: the received socket raises SIGPIPE as it would without the shim. */
static void t_nosigpipe_stale_number_scm_rights(void)
{
    if (!shim_loaded()) skip("no-SIGPIPE is the shim's");
    int carrier[2];
    OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, carrier));
    int plain[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM, 0, plain));
    int nosig = OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0));
    FILE *f = fdopen(nosig, "r+");
    CHECK(f != NULL, "fdopen: %s", strerror(errno));
    fclose(f); /* glibc's internal close: `nosig` is free again, its state is stale */
    for (int round = 0; round < 2; round++) {
        char byte = 'x';
        struct iovec iov = { &byte, 1 };
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof u);
        struct msghdr m;
        memset(&m, 0, sizeof m);
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = u.buf;
        m.msg_controllen = sizeof u.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &plain[0], sizeof(int));
        OK(sendmsg(carrier[0], &m, 0));
        memset(u.buf, 0, sizeof u.buf);
        m.msg_controllen = sizeof u.buf;
        int got = -1;
        if (round == 0) {
            OK(recvmsg(carrier[1], &m, 0));
        } else {
            struct mmsghdr mm;
            memset(&mm, 0, sizeof mm);
            mm.msg_hdr = m;
            CHECK(recvmmsg(carrier[1], &mm, 1, 0, NULL) == 1, "recvmmsg: %s", strerror(errno));
            m = mm.msg_hdr;
        }
        c = CMSG_FIRSTHDR(&m);
        CHECK(c != NULL && c->cmsg_type == SCM_RIGHTS, "no descriptor received");
        memcpy(&got, CMSG_DATA(c), sizeof(int));
        EXPECT_EQ(got, nosig); /* the lowest free number: the stale one */
        EXPECT_EQ(fcntl(got, F_GETNOSIGPIPE), 0);
        if (round == 1) { /* and it raises SIGPIPE like any plain socket */
            on_signal(SIGPIPE, 0);
            close(plain[1]);
            errno = 0;
            CHECK(write(got, "x", 1) == -1 && errno == EPIPE && sig_count[SIGPIPE] == 1,
                  "write to the received socket: errno %d, %d SIGPIPE (want EPIPE and 1)", errno,
                  (int)sig_count[SIGPIPE]);
        }
        close(got);
        if (round == 0) { /* make the number stale again for recvmmsg */
            int again = OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0));
            EXPECT_EQ(again, nosig);
            fclose(fdopen(again, "r+"));
        }
    }
}

/* Found by the stress fuzzer: Linux's getsockopt can succeed with a positive value (IPV6
 * options with an optlen it cannot write back return the bytes not copied); glibc passes
 * it through, and so must the shim. */
static void t_getsockopt_positive_result(void)
{
    if (!have_ipv6()) skip("no IPv6");
    char *ro = page_with_prot(PROT_READ | PROT_WRITE);
    for (int i = 0; i < 4096; i++) ro[i] = (char)(i * 7);
    OK(mprotect(ro, 4096, PROT_READ));
    socklen_t *rolen = (socklen_t *)(void *)(ro + 64);
    int s = OK(socket(AF_INET6, SOCK_STREAM, 0));
    errno = 0;
    long want = syscall(SYS_getsockopt, s, IPPROTO_IPV6, IPV6_DSTOPTS, ro, rolen);
    int want_errno = errno;
    errno = 0;
    long got = getsockopt(s, IPPROTO_IPV6, IPV6_DSTOPTS, ro, rolen);
    CHECK(got == want && (want != -1 || errno == want_errno), "getsockopt gave %ld (errno %d), the kernel %ld (%d)",
          got, errno, want, want_errno);
    note("the kernel's answer: %ld", want);
}

/* Found by the stress suite: a listener closed by another thread while paccept sleeps on
 * it (Linux does not wake the sleeper), then a signal the mask unblocks: its handler
 * runs and paccept returns EINTR, as accept4 does, whether or not the caller's own mask
 * blocked the signal. */
struct closed_wait {
    int l, block, r, e;
};
static void *closed_waiter(void *p)
{
    struct closed_wait *w = p;
    if (w->block) {
        sigset_t b;
        sigemptyset(&b);
        sigaddset(&b, SIGUSR1);
        pthread_sigmask(SIG_BLOCK, &b, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    w->r = paccept(w->l, NULL, NULL, &none, 0);
    w->e = errno;
    return NULL;
}

static void t_paccept_listener_closed_then_signal(void)
{
    need_paccept();
    on_signal(SIGUSR1, 0);
    for (int block = 0; block < 2; block++) {
        struct closed_wait w = { tcp_listener(AF_INET, 0, 4, NULL), block, 0, 0 };
        sig_count[SIGUSR1] = 0;
        pthread_t th = spawn(closed_waiter, &w);
        sleep_ms(100);
        close(w.l);
        sleep_ms(50);
        pthread_kill(th, SIGUSR1);
        CHECK(join_ms(th, 2000, NULL) == 0, "paccept did not return after the signal (caller %s SIGUSR1)",
              block ? "blocking" : "not blocking");
        CHECK(w.r == -1 && w.e == EINTR && sig_count[SIGUSR1] == 1,
              "caller %s SIGUSR1: paccept gave %d (%s), the handler ran %d times; want EINTR after 1",
              block ? "blocking" : "not blocking", w.r, strerror(w.e), (int)sig_count[SIGUSR1]);
    }
}

const struct tcase cases_edges[] = {
    CLAUSE(nosigpipe_writev_empty, SRC_SPEC,
           "\"Calls without no-SIGPIPE behave exactly as they do without the shim\" and the conversion is invisible: "
           "writev() of an empty vector or of empty buffers returns 0 on a no-SIGPIPE socket, sends no record and "
           "raises no EPIPE."),
    CLAUSE(nosigpipe_setsockopt_unaligned, SRC_SPEC,
           "setsockopt(SOL_SOCKET, SO_NOSIGPIPE) reads its int from any address (no alignment), EFAULT when "
           "unreadable."),
    NETBSD_ONLY(accept_addrlen_unaligned, SRC_NBSD,
                "copyout_sockname: *addrlen is never more than supplied, also for a socklen_t at an unaligned "
                "address.",
                OBS_LINUX, OBS_NETBSD),
    NETBSD_ONLY(accept_inherit_owner_without_async, SRC_NBSD,
                "sonewconn copies so_pgid: the F_SETOWN owner (here a process group) is inherited by accept() and "
                "accept4() even when O_ASYNC is not set.",
                OBS_LINUX, OBS_NETBSD),
    CLAUSE(cancel_splice, SRC_SPEC,
           "\"Cancellation: ... stay pthread cancellation points, as POSIX and glibc make them\": a thread blocked in "
           "splice() into a no-SIGPIPE socket is cancelled within 1 s."),
    CLAUSE(closefrom_without_close_range, SRC_SPEC,
           "\"Cleared by close and close_range\": closefrom() closes every descriptor from lowfd up even when the "
           "close_range system call is unavailable, and descriptors below lowfd keep their state."),
    CLAUSE(nosigpipe_setsockopt_negative_len, SRC_SPEC,
           "\"Calls without no-SIGPIPE behave exactly as they do without the shim\", errors included: "
           "setsockopt(SO_NOSIGPIPE) with a negative length is EINVAL, as for every option."),
    CLAUSE(nosigpipe_close_range_concurrent_socket, SRC_SPEC,
           "\"Cleared by close and close_range\", and only those: a SOCK_NOSIGPIPE socket created by another "
           "thread on a number close_range() has just freed stays no-SIGPIPE."),
    CLAUSE(nosigpipe_dup_before_any_socket, SRC_SPEC,
           "\"a later F_SETNOSIGPIPE through one copy shows through the others\", for a dup made before the process "
           "created any socket."),
    CLAUSE(nosigpipe_dup_spread_before_first_set, SRC_SPEC,
           "\"a later F_SETNOSIGPIPE through one copy shows through the others\", for copies spread over the "
           "number range (dup, dup2, dup3, F_DUPFD_CLOEXEC) before the process's first F_SETNOSIGPIPE, and never "
           "through another socket."),
    CLAUSE(nosigpipe_first_set_races_dup, SRC_SPEC,
           "\"Copied by dup ...; a later F_SETNOSIGPIPE through one copy shows through the others\", when the "
           "process's first F_SETNOSIGPIPE races a thread that is dup'ing the socket: no copy is missed."),
    CLAUSE(nosigpipe_stale_number_scm_rights, SRC_SPEC,
           "\"A descriptor number reused by a call the shim did not see ... must never keep stale state\": after "
           "glibc's fclose of a fdopen'ed no-SIGPIPE socket, a plain socket received there with SCM_RIGHTS "
           "(recvmsg, recvmmsg) is plain."),
    CLAUSE(getsockopt_positive_result, SRC_SPEC,
           "\"Calls without no-SIGPIPE behave exactly as they do without the shim\": getsockopt returns the "
           "kernel's result as it is, a positive one included."),
    CLAUSE(paccept_listener_closed_then_signal, SRC_SPEC,
           "paccept clause 6 (EINTR for a handler without SA_RESTART) when the listener was closed during the "
           "wait: the handler runs and paccept returns EINTR, as accept4 does."),
};
const size_t n_cases_edges = sizeof cases_edges / sizeof cases_edges[0];
