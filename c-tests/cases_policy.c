/* SPEC.md "Policies": SOCKSHIM_NOSIGPIPE, SOCKSHIM_CLOEXEC, SOCKSHIM_ACCEPT_INHERIT,
 * read once at load. A policy is fixed when the library loads, so every case here runs
 * its checks in a fresh program: this binary again (/proc/self/exe, linked or preloaded
 * as the case's configuration), with the variables set, in `--policy-probe NAME` mode.
 * A probe exits 0 when everything held, 1 with the reasons on stderr, 77 when the shim
 * is not loaded in it.
 */
#include "harness.h"
#include <grp.h>
#include <pwd.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

enum { PROBE_OK = 0, PROBE_FAILED = 1, PROBE_NO_SHIM = 77 };

/* ---------------------------------------------------------------- the probes -------- */

static int probe_failures;
#define PCHECK(cond, ...)                                                                                   \
    do {                                                                                                   \
        if (!(cond)) {                                                                                     \
            fprintf(stderr, "line %d: ", __LINE__);                                                        \
            fprintf(stderr, __VA_ARGS__);                                                                  \
            fputc('\n', stderr);                                                                           \
            probe_failures++;                                                                              \
        }                                                                                                  \
    } while (0)

static volatile sig_atomic_t probe_sigpipes;
static void count_sigpipe(int sig)
{
    (void)sig;
    probe_sigpipes++;
}

/* One of each way a socket comes to exist: socket, both ends of socketpair, and an
 * accepted connection from accept, accept4 and paccept (NULL and non-NULL mask). */
enum { N_MADE = 7 };
static const char *const made_how[N_MADE] = {
    "socket", "socketpair[0]", "socketpair[1]", "accept", "accept4(0)", "paccept(NULL mask)", "paccept(mask)",
};

static void make_sockets(int fds[N_MADE], int with_flags)
{
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 8, &a);
    for (int i = 0; i < 4; i++) tcp_connect(&a);
    wait_queued(l, 4, 2000);
    if (with_flags && forbid_fd_flag_changes() != 0)
        PCHECK(0, "cannot install the seccomp filter: %s", strerror(errno));
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    int sv[2] = { -1, -1 };
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    fds[1] = sv[0];
    fds[2] = sv[1];
    fds[3] = accept(l, NULL, NULL);
    fds[4] = accept4(l, NULL, NULL, 0);
    fds[5] = paccept(l, NULL, NULL, NULL, 0);
    sigset_t none;
    sigemptyset(&none);
    fds[6] = paccept(l, NULL, NULL, &none, 0);
    for (int i = 0; i < N_MADE; i++) PCHECK(fds[i] >= 0, "%s failed: %s", made_how[i], strerror(errno));
}

/* "Gets" includes sockets received with SCM_RIGHTS: a socket (the end of a socketpair
 * whose other end is *peer) and a pipe's write end, sent over a socketpair and received
 * with recvmsg (how 0) or recvmmsg (how 1). The originals are closed. */
struct received {
    int sock, pipe_w, peer;
};

static struct received receive_two(int how)
{
    struct received got = { -1, -1, -1 };
    int chan[2], sv[2], p[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, chan) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(p) != 0) {
        PCHECK(0, "socketpair/pipe: %s", strerror(errno));
        return got;
    }
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    char byte = 'x';
    struct iovec iov = { &byte, 1 };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = u.buf;
    m.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    int sent[2] = { sv[0], p[1] };
    memcpy(CMSG_DATA(c), sent, sizeof sent);
    PCHECK(sendmsg(chan[0], &m, 0) == 1, "sendmsg(SCM_RIGHTS): %s", strerror(errno));
    close(sv[0]);
    close(p[0]);
    close(p[1]);
    memset(&u, 0, sizeof u);
    m.msg_controllen = sizeof u.buf;
    int r;
    if (how == 0) {
        r = (int)recvmsg(chan[1], &m, 0);
    } else {
        struct mmsghdr mm;
        memset(&mm, 0, sizeof mm);
        mm.msg_hdr = m;
        r = recvmmsg(chan[1], &mm, 1, 0, NULL) == 1 ? 1 : -1;
        m = mm.msg_hdr;
    }
    c = CMSG_FIRSTHDR(&m);
    PCHECK(r == 1 && c && c->cmsg_type == SCM_RIGHTS, "%s: %d (%s)", how ? "recvmmsg" : "recvmsg", r, strerror(errno));
    if (r != 1 || !c) return got;
    /* the caller passed no flag, so none comes back (the kernel echoes MSG_CMSG_CLOEXEC
     * in msg_flags when it was passed: Python's test_socket saw the policy's) */
    PCHECK(m.msg_flags == 0, "%s: msg_flags %#x", how ? "recvmmsg" : "recvmsg", (unsigned)m.msg_flags);
    int fds[2];
    memcpy(fds, CMSG_DATA(c), sizeof fds);
    got.sock = fds[0];
    got.pipe_w = fds[1];
    got.peer = sv[1];
    close(chan[0]);
    close(chan[1]);
    return got;
}

/* SOCKSHIM_CLOEXEC: FD_CLOEXEC on every socket, set by the kernel at creation or
 * reception (a seccomp filter forbids setting it afterwards). `want` 0 checks the
 * policy is off. */
static void probe_cloexec(int want)
{
    /* Other descriptors are not the policy's business, received ones neither (checked
     * before the filter that forbids F_SETFD, with which the shim gives it back). */
    for (int how = 0; how < 2; how++) {
        struct received r = receive_two(how);
        if (r.pipe_w >= 0) PCHECK(getfd(r.pipe_w) == 0, "a pipe received with %s got FD_CLOEXEC", how ? "recvmmsg" : "recvmsg");
    }
    int fds[N_MADE];
    make_sockets(fds, want);
    for (int i = 0; i < N_MADE; i++)
        if (fds[i] >= 0) PCHECK(getfd(fds[i]) == (want ? FD_CLOEXEC : 0), "%s: FD flags %d", made_how[i], getfd(fds[i]));
    for (int how = 0; how < 2; how++) {
        struct received r = receive_two(how);
        if (r.sock >= 0)
            PCHECK(getfd(r.sock) == (want ? FD_CLOEXEC : 0), "a socket received with %s: FD flags %d",
                   how ? "recvmmsg" : "recvmsg", getfd(r.sock));
    }
    int p[2];
    PCHECK(pipe(p) == 0 && getfd(p[0]) == 0, "a pipe got FD_CLOEXEC");
}

/* SOCKSHIM_NOSIGPIPE: every socket is no-SIGPIPE; pipes still raise SIGPIPE. */
static void probe_nosigpipe(int want)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_sigpipe;
    sigaction(SIGPIPE, &sa, NULL);
    int fds[N_MADE];
    make_sockets(fds, 0);
    for (int i = 0; i < N_MADE; i++)
        if (fds[i] >= 0) PCHECK(fcntl(fds[i], F_GETNOSIGPIPE) == want, "%s: F_GETNOSIGPIPE %d", made_how[i],
                                fcntl(fds[i], F_GETNOSIGPIPE));
    int sv[2];
    PCHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s", strerror(errno));
    close(sv[1]);
    probe_sigpipes = 0;
    errno = 0;
    ssize_t r = write(sv[0], "x", 1);
    PCHECK(r == -1 && errno == EPIPE && probe_sigpipes == !want, "socket write: %zd errno %d, %d SIGPIPE", r, errno,
           (int)probe_sigpipes);
    int p[2];
    PCHECK(pipe(p) == 0, "pipe");
    close(p[0]);
    probe_sigpipes = 0;
    errno = 0;
    r = write(p[1], "x", 1);
    PCHECK(r == -1 && errno == EPIPE && probe_sigpipes == 1, "pipe write: %zd errno %d, %d SIGPIPE", r, errno,
           (int)probe_sigpipes);
    /* received with SCM_RIGHTS: the socket is no-SIGPIPE, the pipe is left as it came */
    for (int how = 0; how < 2; how++) {
        const char *call = how ? "recvmmsg" : "recvmsg";
        struct received g = receive_two(how);
        if (g.sock < 0) continue;
        PCHECK(fcntl(g.sock, F_GETNOSIGPIPE) == want, "a socket received with %s: F_GETNOSIGPIPE %d", call,
               fcntl(g.sock, F_GETNOSIGPIPE));
        PCHECK(fcntl(g.pipe_w, F_GETNOSIGPIPE) == 0, "a pipe received with %s is no-SIGPIPE", call);
        close(g.peer);
        probe_sigpipes = 0;
        errno = 0;
        r = write(g.sock, "x", 1);
        PCHECK(r == -1 && errno == EPIPE && probe_sigpipes == !want, "write to a socket received with %s: %zd errno %d, %d SIGPIPE",
               call, r, errno, (int)probe_sigpipes);
    }
}

/* SOCKSHIM_ACCEPT_INHERIT: accept() takes the listener's O_NONBLOCK, O_ASYNC and owner;
 * accept4() and paccept() the O_ASYNC and owner (O_NONBLOCK only from their flags). */
static void probe_inherit(int want)
{
    signal(SIGIO, SIG_IGN); /* the listener has O_ASYNC and this process as owner */
    struct addr a;
    int l = tcp_listener(AF_INET, SOCK_NONBLOCK, 8, &a);
    PCHECK(fcntl(l, F_SETOWN, getpid()) == 0, "F_SETOWN: %s", strerror(errno));
    PCHECK(fcntl(l, F_SETFL, O_NONBLOCK | O_ASYNC) == 0, "F_SETFL: %s", strerror(errno));
    for (int i = 0; i < 3; i++) tcp_connect(&a);
    wait_queued(l, 3, 2000);
    int fds[3] = { accept(l, NULL, NULL), accept4(l, NULL, NULL, 0), paccept(l, NULL, NULL, NULL, 0) };
    static const char *const how[3] = { "accept", "accept4(0)", "paccept(0)" };
    for (int i = 0; i < 3; i++) {
        PCHECK(fds[i] >= 0, "%s: %s", how[i], strerror(errno));
        if (fds[i] < 0) continue;
        int nonblock = i == 0 && want ? O_NONBLOCK : 0;
        int async = want ? O_ASYNC : 0;
        PCHECK(getfl(fds[i]) == (O_RDWR | nonblock | async), "%s: F_GETFL 0x%x, want 0x%x", how[i],
               (unsigned)getfl(fds[i]), (unsigned)(O_RDWR | nonblock | async));
        int owner = fcntl(fds[i], F_GETOWN);
        PCHECK(owner == (want ? getpid() : 0), "%s: owner %d", how[i], owner);
    }
}

int policy_probe(const char *name)
{
    if (!shim_loaded()) return PROBE_NO_SHIM;
    if (strcmp(name, "cloexec") == 0) probe_cloexec(1);
    else if (strcmp(name, "cloexec-off") == 0) probe_cloexec(0);
    else if (strcmp(name, "nosigpipe") == 0) probe_nosigpipe(1);
    else if (strcmp(name, "nosigpipe-off") == 0) probe_nosigpipe(0);
    else if (strcmp(name, "inherit") == 0) probe_inherit(1);
    else if (strcmp(name, "inherit-off") == 0) probe_inherit(0);
    else if (strcmp(name, "secure") == 0) {
        PCHECK(getauxval(AT_SECURE) != 0, "not in secure-execution mode");
        probe_cloexec(0);
        probe_nosigpipe(0);
    } else {
        fprintf(stderr, "unknown probe %s\n", name);
        return PROBE_FAILED;
    }
    return probe_failures ? PROBE_FAILED : PROBE_OK;
}

/* ---------------------------------------------------------------- the cases --------- */

struct probe_run {
    int status;
    char err[2048]; /* the probe's stderr */
};

/* Runs `exe --policy-probe probe` with `env` ("NAME=value" strings, NULL-terminated)
 * added to the environment; `uid` >= 0 runs it as that user. */
static struct probe_run run_probe_as(const char *exe, const char *probe, const char *const *env, int uid)
{
    struct probe_run r;
    memset(&r, 0, sizeof r);
    int p[2];
    OK(pipe(p));
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(p[1], 2);
        for (const char *const *e = env; *e; e++) putenv((char *)*e);
        if (uid >= 0 && (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0)) {
            fprintf(stderr, "cannot become uid %d: %s\n", uid, strerror(errno));
            _exit(PROBE_FAILED);
        }
        execl(exe, "conformance", "--policy-probe", probe, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", exe, strerror(errno));
        _exit(PROBE_FAILED);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t k;
    while (n < sizeof r.err - 1 && (k = read(p[0], r.err + n, sizeof r.err - 1 - n)) > 0) n += (size_t)k;
    close(p[0]);
    r.status = wait_child(pid, 8000);
    return r;
}

static void expect_probe(const char *probe, const char *const *env)
{
    if (!shim_loaded()) skip("the policies are the shim's");
    struct probe_run r = run_probe_as("/proc/self/exe", probe, env, -1);
    if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == PROBE_NO_SHIM) skip("the shim is not loaded in the probe");
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == PROBE_OK, "probe %s (status 0x%x): %s", probe,
          (unsigned)r.status, r.err);
    CHECK(r.err[0] == '\0', "probe %s wrote to stderr: %s", probe, r.err);
}

static void t_policy_cloexec(void)
{
    static const char *const on[] = { "SOCKSHIM_CLOEXEC=1", NULL };
    expect_probe("cloexec", on);
}

static void t_policy_nosigpipe(void)
{
    static const char *const on[] = { "SOCKSHIM_NOSIGPIPE=1", NULL };
    expect_probe("nosigpipe", on);
}

static void t_policy_accept_inherit(void)
{
    static const char *const on[] = { "SOCKSHIM_ACCEPT_INHERIT=1", NULL };
    expect_probe("inherit", on);
}

/* Off means off: "0" and empty, and the Linux personality without the variable. */
static void t_policy_off(void)
{
    static const char *const zero[] = { "SOCKSHIM_CLOEXEC=0", "SOCKSHIM_NOSIGPIPE=", "SOCKSHIM_ACCEPT_INHERIT=0",
                                        "SOCKSHIM_PERSONALITY=linux", NULL };
    expect_probe("cloexec-off", zero);
    expect_probe("nosigpipe-off", zero);
    expect_probe("inherit-off", zero);
}

/* "Unknown values are an error reported once on stderr at load, and the variable is
 * ignored." One line per bad variable, naming it; the good ones still apply. */
static void t_policy_invalid_value(void)
{
    if (!shim_loaded()) skip("the policies are the shim's");
    static const char *const bad[] = { "SOCKSHIM_CLOEXEC=yes", "SOCKSHIM_NOSIGPIPE=1", NULL };
    struct probe_run r = run_probe_as("/proc/self/exe", "cloexec-off", bad, -1);
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == PROBE_OK, "probe (status 0x%x): %s", (unsigned)r.status,
          r.err);
    int lines = 0;
    for (const char *c = r.err; *c; c++) lines += *c == '\n';
    CHECK(lines == 1 && strstr(r.err, "SOCKSHIM_CLOEXEC") != NULL, "stderr was: '%s'", r.err);
    r = run_probe_as("/proc/self/exe", "nosigpipe", bad, -1);
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == PROBE_OK, "the valid variable beside it: %s", r.err);
    static const char *const personality[] = { "SOCKSHIM_PERSONALITY=bsd", NULL };
    r = run_probe_as("/proc/self/exe", "inherit-off", personality, -1);
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == PROBE_OK, "probe (status 0x%x): %s", (unsigned)r.status,
          r.err);
    CHECK(strstr(r.err, "SOCKSHIM_PERSONALITY") != NULL && strchr(r.err, '\n') == strrchr(r.err, '\n'),
          "stderr was: '%s'", r.err);
}

/* "a secure-execution (setuid) process ignores them all": a setuid-root copy of the
 * linked binary, run by an unprivileged user with every policy set. */
static void t_policy_secure_execution(void)
{
    if (!shim_loaded()) skip("the policies are the shim's");
    if (getenv("LD_PRELOAD") != NULL) skip("a setuid program ignores LD_PRELOAD: only the linked build can check this");
    if (geteuid() != 0) skip("needs root to make a setuid program");
    struct passwd *nobody = getpwnam("nobody");
    if (nobody == NULL) skip("no user 'nobody'");
    char dir[] = "/tmp/sockshim-suid-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
    struct statvfs vfs;
    if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_NOSUID)) {
        rmdir(dir);
        skip("/tmp is mounted nosuid");
    }
    char exe[64];
    snprintf(exe, sizeof exe, "%s/conformance", dir);
    int in = OK(open("/proc/self/exe", O_RDONLY));
    int out = OK(open(exe, O_WRONLY | O_CREAT | O_EXCL, 0700));
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) CHECK(write(out, buf, (size_t)n) == n, "copy: %s", strerror(errno));
    close(in);
    close(out);
    OK(chmod(dir, 0755));
    OK(chmod(exe, 04755));
    static const char *const all[] = { "SOCKSHIM_CLOEXEC=1", "SOCKSHIM_NOSIGPIPE=1", "SOCKSHIM_ACCEPT_INHERIT=1",
                                       NULL };
    struct probe_run r = run_probe_as(exe, "secure", all, (int)nobody->pw_uid);
    unlink(exe);
    rmdir(dir);
    if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == PROBE_NO_SHIM)
        skip("the setuid copy did not load the library (its directory is not readable by 'nobody'?)");
    CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == PROBE_OK, "setuid probe (status 0x%x): %s",
          (unsigned)r.status, r.err);
}

const struct tcase cases_policy[] = {
    CLAUSE(policy_cloexec, SRC_SPEC,
           "SOCKSHIM_CLOEXEC=1: \"every socket the process creates or accepts is close-on-exec (atomically)\": "
           "socket, socketpair, accept, accept4, paccept, and sockets received with recvmsg/recvmmsg (\"in the same "
           "call\"), under a filter that forbids F_SETFD; pipes, received or not, untouched."),
    CLAUSE(policy_nosigpipe, SRC_SPEC,
           "SOCKSHIM_NOSIGPIPE=1: \"every socket the process creates or accepts is no-SIGPIPE\" (EPIPE, no signal), "
           "sockets received with recvmsg/recvmmsg too; a pipe, received or not, still raises SIGPIPE."),
    CLAUSE(policy_accept_inherit, SRC_SPEC,
           "SOCKSHIM_ACCEPT_INHERIT=1: \"accept() inherits O_NONBLOCK, O_ASYNC and the SIGIO owner (BSD "
           "behaviour)\"; accept4/paccept inherit O_ASYNC and the owner."),
    CLAUSE(policy_off, SRC_SPEC,
           "The policies are off unless set to 1: with 0 or empty, sockets get exactly Linux's flags, SIGPIPE and "
           "accept flags."),
    CLAUSE(policy_invalid_value, SRC_SPEC,
           "\"Unknown values are an error reported once on stderr at load, and the variable is ignored\" (one line "
           "naming it; the valid ones still apply)."),
    CLAUSE(policy_secure_execution, SRC_SPEC,
           "\"a secure-execution (setuid) process ignores them all\": a setuid copy run by 'nobody' with every "
           "policy set sees none."),
};
const size_t n_cases_policy = sizeof cases_policy / sizeof cases_policy[0];
