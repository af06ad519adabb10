/*
 * SPEC.md "No-SIGPIPE state", and the NetBSD-source clauses 9b.46-47.
 * SIGPIPE is counted with a handler (relibc's msg_nosignal.c style): EPIPE is
 * asserted on every call, and the number of SIGPIPEs exactly.
 */
#include "harness.h"
#include <sys/sendfile.h>

/* Each write-type call on fd fails with EPIPE and raises `want` SIGPIPEs. */
static void expect_writes(int fd, int want, const char *what)
{
    for (int how = 0; how < WRITE_CALLS; how++) {
        int before = sig_count[SIGPIPE];
        errno = 0;
        ssize_t r = write_call(how, fd);
        int e = errno;
        int raised = sig_count[SIGPIPE] - before;
        CHECK(r == -1 && e == EPIPE, "%s: %s returned %zd (%s), expected -1/EPIPE", what, write_call_name[how], r, strerror(e));
        CHECK(raised == want, "%s: %s raised %d SIGPIPE, expected %d", what, write_call_name[how], raised, want);
    }
}

/* An AF_LOCAL stream socket whose peer is closed. */
static int broken_unix(int type_flags)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | type_flags, 0, sv) == 0, "socketpair(0x%x): %s", (unsigned)type_flags,
          strerror(errno));
    close(sv[1]);
    return sv[0];
}

/* A TCP client socket created with type_flags, connected and then reset by its peer. */
static int broken_tcp(int type_flags)
{
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 4, &a);
    int c = socket(AF_INET, SOCK_STREAM | type_flags, 0);
    CHECK(c >= 0, "socket(SOCK_STREAM|0x%x): %s", (unsigned)type_flags, strerror(errno));
    CHECK(connect(c, (struct sockaddr *)&a.ss, a.len) == 0, "connect: %s", strerror(errno));
    int s = OK(accept(l, NULL, NULL));
    close(l);
    break_tcp(c, s);
    return c;
}

static void t_nosigpipe_all_write_calls(void)
{
    on_signal(SIGPIPE, 0);
    expect_writes(broken_unix(SOCK_NOSIGPIPE), 0, "AF_LOCAL socketpair(SOCK_NOSIGPIPE)");
    expect_writes(broken_tcp(SOCK_NOSIGPIPE), 0, "TCP socket(SOCK_NOSIGPIPE)");
    EXPECT_EQ(sig_count[SIGPIPE], 0);
}

static void t_plain_socket_raises_sigpipe(void)
{
    on_signal(SIGPIPE, 0);
    expect_writes(broken_unix(0), 1, "plain AF_LOCAL socket");
    expect_writes(broken_tcp(0), 1, "plain TCP socket");
    int fd = broken_unix(0);
    int before = sig_count[SIGPIPE];
    char b = 'x';
    EXPECT_ERR(send(fd, &b, 1, MSG_NOSIGNAL), EPIPE); /* the caller's own MSG_NOSIGNAL still works */
    EXPECT_EQ(sig_count[SIGPIPE], before);
}

static ssize_t try_sendfile(int sock)
{
    int f = memfd_create("sockshim-sendfile", 0);
    CHECK(f >= 0, "memfd_create: %s", strerror(errno));
    CHECK(pwrite(f, "x", 1, 0) == 1, "pwrite: %s", strerror(errno));
    off_t off = 0;
    errno = 0;
    ssize_t r = sendfile(sock, f, &off, 1);
    int e = errno;
    close(f);
    errno = e;
    return r;
}

static ssize_t try_splice(int sock)
{
    int p[2];
    OK(pipe(p));
    CHECK(write(p[1], "x", 1) == 1, "pipe write: %s", strerror(errno));
    errno = 0;
    ssize_t r = splice(p[0], NULL, sock, NULL, 1, 0);
    int e = errno;
    close(p[0]);
    close(p[1]);
    errno = e;
    return r;
}

static void t_nosigpipe_sendfile_splice(void)
{
    on_signal(SIGPIPE, 0);
    /* as without the shim: a plain socket raises SIGPIPE */
    int plain = broken_unix(0);
    EXPECT_ERR(try_sendfile(plain), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 1);
    EXPECT_ERR(try_splice(plain), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 2);
    int fds[2] = { broken_unix(SOCK_NOSIGPIPE), broken_tcp(SOCK_NOSIGPIPE) };
    const char *names[2] = { "AF_LOCAL", "TCP" };
    for (int i = 0; i < 2; i++) {
        int before = sig_count[SIGPIPE];
        EXPECT_ERR(try_sendfile(fds[i]), EPIPE);
        CHECK(sig_count[SIGPIPE] == before, "sendfile to a no-SIGPIPE %s socket raised SIGPIPE", names[i]);
        EXPECT_ERR(try_splice(fds[i]), EPIPE);
        CHECK(sig_count[SIGPIPE] == before, "splice to a no-SIGPIPE %s socket raised SIGPIPE", names[i]);
    }
}

static void t_nosigpipe_pending_sigpipe_kept(void)
{
    on_signal(SIGPIPE, 0);
    block_signal(SIGPIPE);
    raise(SIGPIPE);
    int fds[2] = { broken_unix(SOCK_NOSIGPIPE), broken_tcp(SOCK_NOSIGPIPE) };
    for (int i = 0; i < 2; i++)
        for (int how = 0; how < WRITE_CALLS; how++) {
            errno = 0;
            ssize_t r = write_call(how, fds[i]);
            CHECK(r == -1 && errno == EPIPE, "%s returned %zd (%s)", write_call_name[how], r, strerror(errno));
            CHECK(is_pending(SIGPIPE), "the SIGPIPE pending before %s on a no-SIGPIPE %s socket was swallowed",
                  write_call_name[how], i ? "TCP" : "AF_LOCAL");
        }
    EXPECT_EQ(sig_count[SIGPIPE], 0);
    unblock_signal(SIGPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 1);
}

/* "Every other result (errno included, e.g. EFAULT for a length write rejects) is what
 * the plain call gives": write() with a length the kernel's write refuses for the buffer
 * (sendto would clamp it and send), on a connected and on a broken socket. */
static void t_nosigpipe_write_length_as_plain(void)
{
    on_signal(SIGPIPE, 0);
    /* 64 bytes before an inaccessible page: the kernel copies them and then faults, so
     * the plain write's result is fixed (EFAULT) whatever memory follows the suite's
     * data, and no write can fill the socket's buffer and block. */
    long page = sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(map != MAP_FAILED, "mmap: %s", strerror(errno));
    OK(mprotect(map + page, (size_t)page, PROT_NONE));
    const char *buf = map + page - 64;
    const size_t lens[] = { SIZE_MAX >> 1, SIZE_MAX, (size_t)1 << 47, (size_t)INT_MAX + 1 };
    for (int broken = 0; broken < 2; broken++)
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            int plain[2], quiet[2];
            OK(socketpair(AF_UNIX, SOCK_STREAM, 0, plain));
            OK(socketpair(AF_UNIX, SOCK_STREAM | (shim_loaded() ? SOCK_NOSIGPIPE : 0), 0, quiet));
            if (broken) {
                close(plain[1]);
                close(quiet[1]);
            }
            int before = sig_count[SIGPIPE];
            errno = 0;
            ssize_t rp = write(plain[0], buf, lens[i]);
            int ep = errno;
            before = sig_count[SIGPIPE];
            errno = 0;
            ssize_t rq = write(quiet[0], buf, lens[i]);
            int eq = errno;
            int sq = sig_count[SIGPIPE] - before;
            CHECK(rp == rq && ep == eq,
                  "%s socket, write of %zu bytes: plain %zd (%s), no-SIGPIPE %zd (%s)", broken ? "broken" : "connected",
                  lens[i], rp, strerror(ep), rq, strerror(eq));
            CHECK(!shim_loaded() || sq == 0, "write of %zu bytes to a no-SIGPIPE socket raised %d SIGPIPE", lens[i], sq);
            close(plain[0]);
            close(quiet[0]);
            if (!broken) {
                close(plain[1]);
                close(quiet[1]);
            }
        }
    munmap(map, 2 * (size_t)page);
}

static void t_nosigpipe_set_by_fcntl(void)
{
    on_signal(SIGPIPE, 0);
    int fd = broken_unix(0);
    EXPECT_EQ(getnosig(fd), 0);
    EXPECT_EQ(OK(fcntl(fd, F_SETNOSIGPIPE, 1)), 0);
    EXPECT_EQ(getnosig(fd), 1);
    int v = -1;
    socklen_t len = sizeof v;
    OK(getsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &v, &len));
    EXPECT_EQ(v, 1);
    expect_writes(fd, 0, "after F_SETNOSIGPIPE 1");
    EXPECT_EQ(OK(fcntl(fd, F_SETNOSIGPIPE, 0)), 0);
    EXPECT_EQ(getnosig(fd), 0);
    expect_writes(fd, 1, "after F_SETNOSIGPIPE 0");
#if defined(__GLIBC__)
    /* fcntl64: what fcntl() is under _FILE_OFFSET_BITS=64 (glibc; musl has one fcntl) */
    EXPECT_EQ(OK(fcntl64(fd, F_SETNOSIGPIPE, 1)), 0);
    EXPECT_EQ(OK(fcntl64(fd, F_GETNOSIGPIPE)), 1);
    EXPECT_EQ(getnosig(fd), 1);
    int d = OK(fcntl64(fd, F_DUPFD_CLOEXEC, 0));
    EXPECT_EQ(getnosig(d), 1);
    EXPECT_EQ(OK(fcntl64(fd, F_SETNOSIGPIPE, 0)), 0);
    EXPECT_EQ(getnosig(fd), 0);
#endif
    /* a TCP socket too */
    int t = broken_tcp(0);
    OK(fcntl(t, F_SETNOSIGPIPE, 1));
    expect_writes(t, 0, "TCP after F_SETNOSIGPIPE 1");
}

static void t_nosigpipe_set_by_setsockopt(void)
{
    on_signal(SIGPIPE, 0);
    int fd = broken_unix(0);
    int one = 1, zero = 0, v = -1;
    socklen_t len = sizeof v;
    OK(getsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &v, &len));
    EXPECT_EQ(v, 0);
    EXPECT_EQ(len, sizeof(int));
    EXPECT_EQ(OK(setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one)), 0);
    v = -1;
    len = 8; /* larger than an int: the kernel's rule for int options answers 4 */
    long long big = -1;
    OK(getsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &big, &len));
    EXPECT_EQ(len, sizeof(int));
    int got;
    memcpy(&got, &big, sizeof got);
    EXPECT_EQ(got, 1);
    EXPECT_EQ(getnosig(fd), 1); /* one state, two spellings */
    expect_writes(fd, 0, "after setsockopt(SO_NOSIGPIPE, 1)");
    EXPECT_ERR(setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, 2), EINVAL); /* int option, short length */
    OK(setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &zero, sizeof zero));
    len = sizeof v;
    OK(getsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &v, &len));
    EXPECT_EQ(v, 0);
    expect_writes(fd, 1, "after setsockopt(SO_NOSIGPIPE, 0)");
    int n = devnull();
    EXPECT_ERR(setsockopt(n, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one), ENOTSOCK);
}

static void t_nosigpipe_copied_by_dup(void)
{
    on_signal(SIGPIPE, 0);
    int s = broken_unix(SOCK_NOSIGPIPE);
    int copies[5];
    copies[0] = OK(dup(s));
    copies[1] = OK(dup2(s, 20));
    copies[2] = OK(dup3(s, 21, O_CLOEXEC));
    copies[3] = OK(fcntl(s, F_DUPFD, 30));
    copies[4] = OK(fcntl(s, F_DUPFD_CLOEXEC, 40));
    const char *names[] = { "dup", "dup2", "dup3", "F_DUPFD", "F_DUPFD_CLOEXEC" };
    for (int i = 0; i < 5; i++) {
        CHECK(getnosig(copies[i]) == 1, "%s copy not no-SIGPIPE", names[i]);
        expect_writes(copies[i], 0, names[i]);
    }
    EXPECT_EQ(getnosig(s), 1);
    /* copies of a plain socket are plain, also over a descriptor that was no-SIGPIPE */
    int p = broken_unix(0);
    OK(dup2(p, 20));
    EXPECT_EQ(getnosig(20), 0);
    expect_writes(20, 1, "dup2 of a plain socket over a no-SIGPIPE one");
    OK(dup3(p, 21, 0));
    EXPECT_EQ(getnosig(21), 0);
}

static void t_nosigpipe_set_through_copy(void)
{
    on_signal(SIGPIPE, 0);
    int s = broken_unix(0);
    int d = OK(dup(s));
    int f = OK(fcntl(s, F_DUPFD_CLOEXEC, 10));
    OK(fcntl(d, F_SETNOSIGPIPE, 1));
    CHECK(getnosig(s) == 1 && getnosig(f) == 1, "F_SETNOSIGPIPE 1 through a dup: original %d, other copy %d",
          getnosig(s), getnosig(f));
    expect_writes(s, 0, "original after F_SETNOSIGPIPE through a dup");
    OK(fcntl(s, F_SETNOSIGPIPE, 0));
    CHECK(getnosig(d) == 0 && getnosig(f) == 0, "F_SETNOSIGPIPE 0 through the original: copies %d and %d",
          getnosig(d), getnosig(f));
    expect_writes(d, 1, "dup after F_SETNOSIGPIPE 0 through the original");
}

static void t_nosigpipe_cleared_by_close(void)
{
    on_signal(SIGPIPE, 0);
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv));
    EXPECT_EQ(sv[0], 3);
    OK(close(sv[0]));
    int n = OK(socket(AF_UNIX, SOCK_STREAM, 0));
    EXPECT_EQ(n, 3);
    EXPECT_EQ(getnosig(n), 0);
    OK(close(sv[1]));
    int pair[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
    EXPECT_EQ(pair[0], 4);
    EXPECT_EQ(getnosig(pair[0]), 0);
    close(pair[1]);
    expect_writes(pair[0], 1, "new socket on a closed no-SIGPIPE socket's number");
}

static void t_nosigpipe_cleared_by_close_range(void)
{
    on_signal(SIGPIPE, 0);
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv));
    EXPECT_EQ(sv[0], 3);
    EXPECT_EQ(sv[1], 4);
    OK(h_close_range(3, 4, 0));
    int raw[2];
    CHECK(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, raw) == 0, "raw socketpair: %s", strerror(errno));
    EXPECT_EQ(raw[0], 3);
    OK(close(raw[1]));
    if (shim_loaded()) CHECK(getnosig(3) == 0, "F_GETNOSIGPIPE of a new socket on fd 3 is 1: close_range left the state");
    expect_writes(3, 1, "new socket on a number freed by close_range");
}

static void t_nosigpipe_fork_inherited(void)
{
    on_signal(SIGPIPE, 0);
    int s = broken_unix(SOCK_NOSIGPIPE);
    int p = broken_unix(0);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int code = 0;
        errno = 0;
        if (write(s, "x", 1) != -1 || errno != EPIPE) code |= 1;
        if (sig_count[SIGPIPE] != 0) code |= 2;
        if (fcntl(s, F_GETNOSIGPIPE) != 1) code |= 4;
        errno = 0;
        if (write(p, "x", 1) != -1 || errno != EPIPE || sig_count[SIGPIPE] != 1) code |= 8;
        _exit(code);
    }
    int st = wait_child(pid, 2000);
    CHECK(WIFEXITED(st), "child killed by signal %d", WTERMSIG(st));
    int code = WEXITSTATUS(st);
    CHECK(!(code & 1), "in the child, write to the no-SIGPIPE socket did not fail with EPIPE");
    CHECK(!(code & 2), "in the child, write to the no-SIGPIPE socket raised SIGPIPE");
    CHECK(!(code & 4), "in the child, F_GETNOSIGPIPE is not 1");
    CHECK(!(code & 8), "in the child, a plain socket did not raise exactly one SIGPIPE");
}

static void t_nosigpipe_stale_pipe(void)
{
    on_signal(SIGPIPE, 0);
    int n3 = devnull();
    EXPECT_EQ(n3, 3);
    int s = OK(socket(AF_UNIX, SOCK_STREAM, 0));
    EXPECT_EQ(s, 4);
    errno = 0;
    if (fcntl(s, F_SETNOSIGPIPE, 1) != 0) note("F_SETNOSIGPIPE failed (%s): no shim state to go stale", strerror(errno));
    CHECK(syscall(SYS_close, s) == 0, "raw close: %s", strerror(errno)); /* the shim does not see it */
    OK(close(n3));
    int p[2];
    OK(pipe(p));
    EXPECT_EQ(p[0], 3);
    EXPECT_EQ(p[1], 4); /* the write end reuses the stale number */
    EXPECT_EQ(write(p[1], "ab", 2), 2);
    struct iovec iov = { "c", 1 };
    EXPECT_EQ(writev(p[1], &iov, 1), 1);
    char buf[4];
    EXPECT_EQ(read(p[0], buf, sizeof buf), 3);
    OK(close(p[0]));
    EXPECT_ERR(write(p[1], "x", 1), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 1);
    EXPECT_ERR(writev(p[1], &iov, 1), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 2);
    /* the same for an eventfd-like non-socket: /dev/null on the stale number writes normally */
    int q = OK(socket(AF_UNIX, SOCK_STREAM, 0));
    if (fcntl(q, F_SETNOSIGPIPE, 1) != 0) note("F_SETNOSIGPIPE failed on the second socket");
    CHECK(syscall(SYS_close, q) == 0, "raw close: %s", strerror(errno));
    int d = devnull();
    EXPECT_EQ(d, q);
    EXPECT_EQ(write(d, "x", 1), 1);
}

static void t_nosigpipe_getnosigpipe_ebadf(void)
{
    int one = 1, v;
    socklen_t len = sizeof v;
    int fds[] = { -1, 50 };
    for (int i = 0; i < 2; i++) {
        EXPECT_ERR(fcntl(fds[i], F_GETNOSIGPIPE), EBADF);
        EXPECT_ERR(fcntl(fds[i], F_SETNOSIGPIPE, 1), EBADF);
        EXPECT_ERR(getsockopt(fds[i], SOL_SOCKET, SO_NOSIGPIPE, &v, &len), EBADF);
        EXPECT_ERR(setsockopt(fds[i], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one), EBADF);
    }
    int s = OK(socket(AF_INET, SOCK_STREAM, 0));
    close(s);
    EXPECT_ERR(fcntl(s, F_GETNOSIGPIPE), EBADF);
}

/* 9b.46 */
static void t_nosigpipe_shared_dup_fork(void)
{
    on_signal(SIGPIPE, 0);
    int s = broken_tcp(0);
    int d = OK(dup(s));
    int one = 1;
    OK(setsockopt(d, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one));
    int v = -1;
    socklen_t len = sizeof v;
    OK(getsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &v, &len));
    CHECK(v == 1, "SO_NOSIGPIPE set through a dup is %d through the original", v);
    EXPECT_EQ(getnosig(s), 1);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        errno = 0;
        int ok = write(s, "x", 1) == -1 && errno == EPIPE && sig_count[SIGPIPE] == 0 && fcntl(s, F_GETNOSIGPIPE) == 1;
        _exit(ok ? 0 : 1);
    }
    int st = wait_child(pid, 2000);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "in the forked child the descriptor was not no-SIGPIPE");
}

/* Runs in the exec'd image: exit 10 + bits (1: F_GETNOSIGPIPE == 1, 2: EPIPE without
 * SIGPIPE, 4: EPIPE with one SIGPIPE). */
static volatile sig_atomic_t probe_pipes;
static void probe_handler(int sig)
{
    (void)sig;
    probe_pipes++;
}

int nosigpipe_exec_probe(int fd)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = probe_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    int bits = 0;
    if (fcntl(fd, F_GETNOSIGPIPE) == 1) bits |= 1;
    errno = 0;
    ssize_t r = write(fd, "x", 1);
    if (r == -1 && errno == EPIPE && probe_pipes == 0) bits |= 2;
    if (r == -1 && errno == EPIPE && probe_pipes == 1) bits |= 4;
    return 10 + bits;
}

static void t_nosigpipe_survives_exec(void)
{
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    errno = 0;
    int set = fcntl(sv[0], F_SETNOSIGPIPE, 1);
    int set_errno = errno;
    close(sv[1]);
    char fdarg[16];
    snprintf(fdarg, sizeof fdarg, "%d", sv[0]);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        execl("/proc/self/exe", "conformance", "--probe-nosigpipe", fdarg, (char *)NULL);
        _exit(127);
    }
    int st = wait_child(pid, 3000);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) >= 10 && WEXITSTATUS(st) < 20, "exec probe failed (status 0x%x)", st);
    int bits = WEXITSTATUS(st) - 10;
    if (set != 0) note("F_SETNOSIGPIPE failed before exec (%s)", strerror(set_errno));
    if ((bits & 3) == 3) observe(OBS_NETBSD, "after exec: F_GETNOSIGPIPE 1, EPIPE without SIGPIPE");
    if (bits & 4) observe(OBS_LINUX, "after exec the descriptor raises SIGPIPE again (state lost)");
    observe(OBS_OTHER, "after exec: F_GETNOSIGPIPE==1 %d, quiet EPIPE %d, EPIPE+SIGPIPE %d", bits & 1, !!(bits & 2),
            !!(bits & 4));
}

/* 9b.47 */
static void t_msg_nosignal_per_call(void)
{
    on_signal(SIGPIPE, 0);
    int fd = broken_unix(0);
    char b = 'x';
    struct iovec iov = { &b, 1 };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    EXPECT_ERR(send(fd, &b, 1, MSG_NOSIGNAL), EPIPE);
    EXPECT_ERR(sendto(fd, &b, 1, MSG_NOSIGNAL, NULL, 0), EPIPE);
    EXPECT_ERR(sendmsg(fd, &m, MSG_NOSIGNAL), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 0);
    EXPECT_ERR(write(fd, &b, 1), EPIPE); /* write has no per-call flag */
    EXPECT_EQ(sig_count[SIGPIPE], 1);
    EXPECT_ERR(send(fd, &b, 1, 0), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 2);
}

const struct tcase cases_nosigpipe[] = {
    CLAUSE(nosigpipe_all_write_calls, SRC_SPEC,
           "\"Every write-type call on a no-SIGPIPE socket returns -1/EPIPE without raising SIGPIPE\": write, "
           "writev, send, sendto, sendmsg, sendmmsg (AF_LOCAL and TCP)."),
    CLAUSE(plain_socket_raises_sigpipe, SRC_SPEC,
           "\"Calls without no-SIGPIPE behave exactly as they do without the shim (SIGPIPE included)\": one SIGPIPE "
           "per call."),
    CLAUSE(nosigpipe_sendfile_splice, SRC_SPEC,
           "The write-type calls include \"sendfile, splice\": EPIPE without SIGPIPE on a no-SIGPIPE socket (a plain "
           "one raises it)."),
    CLAUSE(nosigpipe_pending_sigpipe_kept, SRC_SPEC,
           "\"A SIGPIPE that was already pending before the call is never swallowed\" by a write on a no-SIGPIPE "
           "socket."),
    CLAUSE(nosigpipe_write_length_as_plain, SRC_SPEC,
           "\"Every other result (errno included, e.g. EFAULT for a length write rejects) is what the plain call "
           "gives\": write() of SIZE_MAX/2, SIZE_MAX, 2^47 and INT_MAX+1 bytes on a no-SIGPIPE socket."),
    CLAUSE(nosigpipe_set_by_fcntl, SRC_SPEC,
           "\"Set by ... fcntl(F_SETNOSIGPIPE, 1)\" and cleared by fcntl(F_SETNOSIGPIPE, 0); \"Read by "
           "fcntl(F_GETNOSIGPIPE)\" (also through fcntl64)."),
    CLAUSE(nosigpipe_set_by_setsockopt, SRC_SPEC,
           "\"Set by ... setsockopt(SOL_SOCKET, SO_NOSIGPIPE, &one)\", read by getsockopt(SO_NOSIGPIPE) as an int 0 "
           "or 1; the same state as F_GETNOSIGPIPE."),
    CLAUSE(nosigpipe_copied_by_dup, SRC_SPEC,
           "\"Copied by dup, dup2, dup3, fcntl(F_DUPFD), fcntl(F_DUPFD_CLOEXEC)\" (and a copy of a plain socket is "
           "plain)."),
    CLAUSE(nosigpipe_set_through_copy, SRC_SPEC,
           "\"a later F_SETNOSIGPIPE through one copy shows through the others\"."),
    CLAUSE(nosigpipe_cleared_by_close, SRC_SPEC,
           "\"Cleared by close\": a new socket that reuses the number is plain."),
    CLAUSE(nosigpipe_cleared_by_close_range, SRC_SPEC,
           "\"Cleared by close and close_range\": a socket created (even by a raw system call) on a number freed by "
           "close_range() is plain."),
    CLAUSE(nosigpipe_fork_inherited, SRC_SPEC,
           "\"Inherited across fork\": in the child, write to the broken no-SIGPIPE socket gives EPIPE and no "
           "signal."),
    CLAUSE(nosigpipe_stale_pipe, SRC_SPEC,
           "A number reused by a call the shim did not see \"must never keep stale state\": a pipe on a stale "
           "no-SIGPIPE number writes, and raises SIGPIPE, exactly as natively."),
    CLAUSE(nosigpipe_getnosigpipe_ebadf, SRC_SPEC,
           "F_GETNOSIGPIPE, F_SETNOSIGPIPE and SO_NOSIGPIPE on a closed descriptor fail with EBADF."),
    CLAUSE(nosigpipe_shared_dup_fork, SRC_NBSD,
           "FNOSIGPIPE lives on the open file: set through one dup it is visible through the other, and it survives "
           "fork."),
    NETBSD_ONLY(nosigpipe_survives_exec, SRC_NBSD,
                "FNOSIGPIPE survives exec for descriptors that stay open (SPEC.md: \"should\"; sockshim hands its "
                "table to the next image in the environment).",
                OBS_NETBSD, OBS_NETBSD),
    CLAUSE(msg_nosignal_per_call, SRC_NBSD,
           "MSG_NOSIGNAL on send() suppresses SIGPIPE per call; write() has no such flag and raises it."),
};
const size_t n_cases_nosigpipe = sizeof cases_nosigpipe / sizeof cases_nosigpipe[0];
