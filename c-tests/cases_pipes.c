/*
 * SPEC.md "No-SIGPIPE state", "Any descriptor, as on NetBSD": FNOSIGPIPE is a file flag
 * on NetBSD, so F_SETNOSIGPIPE works on pipes and FIFOs (c-ares sets it on its wake-up
 * pipe), pipe2(fds, O_NOSIGPIPE) and fcntl(F_SETFL, ... | O_NOSIGPIPE) set it, F_GETFL
 * shows it, and every write path to such a pipe whose reader left gives EPIPE with no
 * SIGPIPE, while a SIGPIPE pending before the call is delivered exactly once and stale
 * state never reaches a descriptor that did not ask for it.
 *
 * SIGPIPE is counted with a handler; every case needs the shim (natively F_SETNOSIGPIPE
 * and O_NOSIGPIPE do not exist: SKIP).
 */
#include "harness.h"
#include <sys/sendfile.h>

static void need_shim(void)
{
    if (!shim_loaded()) skip("no-SIGPIPE on a pipe needs sockshim");
}

/* The write end of a pipe whose read end is closed (pipe2 with `flags`). */
static int broken_pipe(int flags)
{
    int p[2];
    CHECK(pipe2(p, flags) == 0, "pipe2(0x%x): %s", (unsigned)flags, strerror(errno));
    OK(close(p[0]));
    return p[1];
}

/* A pipe holding one byte to read from: [0] read end, [1] write end. */
static void loaded_pipe(int p[2])
{
    OK(pipe(p));
    CHECK(write(p[1], "x", 1) == 1, "pipe write: %s", strerror(errno));
}

/* Every call that writes to a pipe: write, writev, vmsplice, splice, tee, sendfile. */
enum { PIPE_CALLS = 6 };
static const char *const pipe_call_name[PIPE_CALLS] = { "write", "writev", "vmsplice", "splice", "tee", "sendfile" };

static ssize_t pipe_call(int how, int fd)
{
    static char b = 'x';
    struct iovec iov = { &b, 1 };
    int src[2] = { -1, -1 }, mem = -1;
    ssize_t r;
    if (how == 3 || how == 4) loaded_pipe(src);
    if (how == 5) {
        mem = memfd_create("sockshim-pipe", 0);
        CHECK(mem >= 0 && pwrite(mem, "x", 1, 0) == 1, "memfd: %s", strerror(errno));
    }
    errno = 0;
    switch (how) {
    case 0: r = write(fd, &b, 1); break;
    case 1: r = writev(fd, &iov, 1); break;
    case 2: r = vmsplice(fd, &iov, 1, 0); break;
    case 3: r = splice(src[0], NULL, fd, NULL, 1, 0); break;
    case 4: r = tee(src[0], fd, 1, 0); break;
    default: {
        off_t off = 0;
        r = sendfile(fd, mem, &off, 1);
    }
    }
    int e = errno;
    if (src[0] >= 0) {
        close(src[0]);
        close(src[1]);
    }
    if (mem >= 0) close(mem);
    errno = e;
    return r;
}

/* Each write path to `fd` fails with EPIPE and raises `want` SIGPIPEs. */
static void expect_pipe_writes(int fd, int want, const char *what)
{
    for (int how = 0; how < PIPE_CALLS; how++) {
        int before = sig_count[SIGPIPE];
        ssize_t r = pipe_call(how, fd);
        int e = errno;
        CHECK(r == -1 && e == EPIPE, "%s: %s returned %zd (%s), expected -1/EPIPE", what, pipe_call_name[how], r,
              strerror(e));
        CHECK(sig_count[SIGPIPE] - before == want, "%s: %s raised %d SIGPIPE, expected %d", what, pipe_call_name[how],
              sig_count[SIGPIPE] - before, want);
    }
}

static void t_pipe_setnosigpipe_all_writes(void)
{
    need_shim();
    on_signal(SIGPIPE, 0);
    int w = broken_pipe(0);
    expect_pipe_writes(w, 1, "a plain pipe"); /* as without the shim */
    EXPECT_EQ(getnosig(w), 0);
    EXPECT_EQ(OK(fcntl(w, F_SETNOSIGPIPE, 1)), 0);
    EXPECT_EQ(getnosig(w), 1);
    expect_pipe_writes(w, 0, "a pipe after F_SETNOSIGPIPE 1");
    EXPECT_EQ(OK(fcntl(w, F_SETNOSIGPIPE, 0)), 0);
    EXPECT_EQ(getnosig(w), 0);
    expect_pipe_writes(w, 1, "a pipe after F_SETNOSIGPIPE 0");

    /* the read end is another open file: not changed by the write end's flag */
    int p[2];
    OK(pipe(p));
    OK(fcntl(p[1], F_SETNOSIGPIPE, 1));
    EXPECT_EQ(getnosig(p[0]), 0);
    EXPECT_EQ(getnosig(p[1]), 1);
    /* a write that succeeds is unchanged: the byte arrives */
    EXPECT_EQ(write(p[1], "y", 1), 1);
    char c = 0;
    EXPECT_EQ(read(p[0], &c, 1), 1);
    EXPECT_EQ(c, 'y');
    /* any descriptor: a regular file takes the flag too, and writes as before */
    int n = devnull();
    EXPECT_EQ(getnosig(n), 0);
    EXPECT_EQ(OK(fcntl(n, F_SETNOSIGPIPE, 1)), 0);
    EXPECT_EQ(getnosig(n), 1);
    EXPECT_EQ(write(n, "z", 1), 1);
    EXPECT_ERR(fcntl(999, F_SETNOSIGPIPE, 1), EBADF);
    EXPECT_EQ(sig_count[SIGPIPE], 2 * PIPE_CALLS);
}

static void t_fifo_setnosigpipe(void)
{
    need_shim();
    on_signal(SIGPIPE, 0);
    char dir[] = "/tmp/sockshim-fifo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
    char path[64];
    snprintf(path, sizeof path, "%s/f", dir);
    CHECK(mkfifo(path, 0600) == 0, "mkfifo: %s", strerror(errno));
    int r = OK(open(path, O_RDONLY | O_NONBLOCK));
    int w = OK(open(path, O_WRONLY | O_NONBLOCK));
    unlink(path);
    rmdir(dir);
    OK(close(r));
    EXPECT_ERR(write(w, "x", 1), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 1);
    OK(fcntl(w, F_SETNOSIGPIPE, 1));
    EXPECT_EQ(getnosig(w), 1);
    expect_pipe_writes(w, 0, "a FIFO after F_SETNOSIGPIPE 1");
    EXPECT_EQ(sig_count[SIGPIPE], 1);
}

static void t_pipe2_o_nosigpipe(void)
{
    need_shim();
    on_signal(SIGPIPE, 0);
    int p[2];
    OK(pipe2(p, O_NOSIGPIPE | O_CLOEXEC | O_NONBLOCK));
    for (int k = 0; k < 2; k++) {
        EXPECT_EQ(getnosig(p[k]), 1); /* NetBSD's pipe2 sets FNOSIGPIPE on both files */
        EXPECT_EQ(getfd(p[k]), FD_CLOEXEC);
        EXPECT_EQ(getfl(p[k]), (k ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_NOSIGPIPE);
    }
    OK(close(p[0]));
    expect_pipe_writes(p[1], 0, "pipe2(O_NOSIGPIPE)");
    int q[2];
    OK(pipe2(q, 0));
    EXPECT_EQ(getnosig(q[0]), 0);
    EXPECT_EQ(getnosig(q[1]), 0);
    EXPECT_EQ(getfl(q[1]), O_WRONLY);
    /* the other flags still go to the kernel, which rejects what it does not know */
    EXPECT_ERR(pipe2(q, O_NOSIGPIPE | O_APPEND), EINVAL);
    EXPECT_ERR(pipe2((int *)unmapped_page(), O_NOSIGPIPE), EFAULT);
    EXPECT_EQ(sig_count[SIGPIPE], 0);
}

static void t_fsetfl_o_nosigpipe(void)
{
    need_shim();
    on_signal(SIGPIPE, 0);
    int w = broken_pipe(0);
    EXPECT_EQ(getfl(w), O_WRONLY);
    OK(fcntl(w, F_SETFL, fcntl(w, F_GETFL) | O_NOSIGPIPE | O_NONBLOCK));
    EXPECT_EQ(getnosig(w), 1);
    EXPECT_EQ(getfl(w), O_WRONLY | O_NONBLOCK | O_NOSIGPIPE);
    expect_pipe_writes(w, 0, "a pipe after F_SETFL O_NOSIGPIPE");
    /* the usual read-modify-write keeps it */
    OK(fcntl(w, F_SETFL, fcntl(w, F_GETFL) & ~O_NONBLOCK));
    EXPECT_EQ(getfl(w), O_WRONLY | O_NOSIGPIPE);
    EXPECT_EQ(getnosig(w), 1);
    /* ... and clears it when the caller takes it out, as NetBSD's F_SETFL does */
    OK(fcntl(w, F_SETFL, fcntl(w, F_GETFL) & ~O_NOSIGPIPE));
    if (personality_netbsd()) {
        EXPECT_EQ(getnosig(w), 0);
        EXPECT_EQ(getfl(w), O_WRONLY);
    }
    /* a socket: the same flag, the same state as SOCK_NOSIGPIPE */
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    OK(fcntl(sv[0], F_SETFL, O_NOSIGPIPE));
    EXPECT_EQ(getnosig(sv[0]), 1);
    EXPECT_EQ(sockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE), 1);
    EXPECT_EQ(getfl(sv[0]), O_RDWR | O_NOSIGPIPE);
    EXPECT_EQ(getfl(sv[1]), O_RDWR);
    OK(close(sv[1]));
    EXPECT_ERR(write(sv[0], "x", 1), EPIPE);
    EXPECT_ERR(fcntl(999, F_SETFL, O_NOSIGPIPE), EBADF);
    EXPECT_EQ(sig_count[SIGPIPE], 0);
}

/* NetBSD's F_SETFL replaces every file flag: without O_NOSIGPIPE it clears FNOSIGPIPE.
 * The linux personality keeps it, so that `fcntl(fd, F_SETFL, O_NONBLOCK)` does not undo
 * SOCK_NOSIGPIPE or the nosigpipe policy. */
static void t_fsetfl_without_o_nosigpipe(void)
{
    need_shim();
    int p[2];
    OK(pipe2(p, O_NOSIGPIPE));
    OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
    EXPECT_EQ(getfl(p[1]) & O_NONBLOCK, O_NONBLOCK);
    int s = OK(socket(AF_INET, SOCK_STREAM | SOCK_NOSIGPIPE, 0));
    OK(fcntl(s, F_SETFL, O_NONBLOCK));
    int pipe_kept = getnosig(p[1]), sock_kept = getnosig(s);
    if (!pipe_kept && !sock_kept) observe(OBS_NETBSD, "F_SETFL(O_NONBLOCK) cleared no-SIGPIPE on a pipe and a socket");
    if (pipe_kept && sock_kept) observe(OBS_LINUX, "F_SETFL(O_NONBLOCK) changed only the kernel's flags");
    observe(OBS_OTHER, "pipe kept %d, socket kept %d", pipe_kept, sock_kept);
}

/* A SIGPIPE pending before the call, for the thread (raise) or for the process (kill),
 * is delivered exactly once, with its own siginfo, after a write to a no-SIGPIPE pipe
 * or socket fails with EPIPE; the call's own SIGPIPE is not delivered. */
static volatile sig_atomic_t info_count, info_code, info_pid;
static void info_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    info_count++;
    info_code = si->si_code;
    info_pid = si->si_pid;
}

static int broken_socket(void)
{
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv));
    OK(close(sv[1]));
    return sv[0];
}

static void t_pipe_pending_sigpipe_once(void)
{
    need_shim();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    OK(sigaction(SIGPIPE, &sa, NULL));
    int pipe_w = broken_pipe(O_NOSIGPIPE), sock = broken_socket();
    for (int directed = 0; directed < 2; directed++)
        for (int target = 0; target < 2; target++)
            for (int how = 0; how < PIPE_CALLS; how++) {
                if (target == 1 && (how == 2 || how == 4)) continue; /* vmsplice and tee write to pipes only */
                const char *what = target ? "socket" : "pipe";
                block_signal(SIGPIPE);
                info_count = 0;
                if (directed)
                    OK(kill(getpid(), SIGPIPE)); /* process-directed: SI_USER */
                else
                    OK(raise(SIGPIPE)); /* thread-directed: SI_TKILL */
                ssize_t r = pipe_call(how, target ? sock : pipe_w);
                int e = errno;
                CHECK(r == -1 && e == EPIPE, "%s on a no-SIGPIPE %s: %zd (%s)", pipe_call_name[how], what, r,
                      strerror(e));
                CHECK(is_pending(SIGPIPE), "%s on a no-SIGPIPE %s swallowed the %s SIGPIPE pending before it",
                      pipe_call_name[how], what, directed ? "process-directed" : "thread-directed");
                EXPECT_EQ(info_count, 0);
                unblock_signal(SIGPIPE);
                CHECK(info_count == 1, "%s on a no-SIGPIPE %s, %s SIGPIPE pending: the handler ran %d times, not once",
                      pipe_call_name[how], what, directed ? "a process-directed" : "a thread-directed",
                      (int)info_count);
                CHECK(info_code == (directed ? SI_USER : SI_TKILL) && info_pid == getpid(),
                      "%s on a no-SIGPIPE %s: the pending SIGPIPE arrived with si_code %d, si_pid %d", pipe_call_name[how],
                      what, (int)info_code, (int)info_pid);
            }
    /* with nothing pending, nothing arrives */
    block_signal(SIGPIPE);
    info_count = 0;
    for (int how = 0; how < PIPE_CALLS; how++) EXPECT_ERR(pipe_call(how, pipe_w), EPIPE);
    CHECK(!is_pending(SIGPIPE), "a write to a no-SIGPIPE pipe left a SIGPIPE pending");
    unblock_signal(SIGPIPE);
    EXPECT_EQ(info_count, 0);
}

/* "must never keep stale state": a no-SIGPIPE pipe closed behind the shim's back (a raw
 * close system call), its number reused by a pipe or a socket the shim did not see made:
 * the newcomer raises SIGPIPE as without the shim, and F_GETNOSIGPIPE says 0. */
static void t_pipe_stale_state(void)
{
    need_shim();
    on_signal(SIGPIPE, 0);
    int p[2];
    OK(pipe2(p, O_NOSIGPIPE));
    EXPECT_EQ(p[0], 3);
    EXPECT_EQ(p[1], 4);
    CHECK(syscall(SYS_close, 3) == 0 && syscall(SYS_close, 4) == 0, "raw close: %s", strerror(errno));
    int q[2];
    CHECK(syscall(SYS_pipe2, q, 0) == 0, "raw pipe2: %s", strerror(errno));
    EXPECT_EQ(q[0], 3);
    EXPECT_EQ(q[1], 4);
    EXPECT_EQ(write(q[1], "ab", 2), 2); /* a working pipe writes as before */
    CHECK(syscall(SYS_close, q[0]) == 0, "raw close: %s", strerror(errno));
    EXPECT_ERR(write(q[1], "x", 1), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 1);
    EXPECT_EQ(getnosig(q[1]), 0);
    EXPECT_ERR(write(q[1], "x", 1), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 2);

    /* a pipe's state, its number reused by a socket made by a raw system call */
    int r[2];
    OK(pipe2(r, O_NOSIGPIPE));
    EXPECT_EQ(r[0], 3);
    CHECK(syscall(SYS_close, r[0]) == 0 && syscall(SYS_close, r[1]) == 0, "raw close: %s", strerror(errno));
    CHECK(syscall(SYS_close, q[1]) == 0, "raw close: %s", strerror(errno));
    int sv[2];
    CHECK(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv) == 0, "raw socketpair: %s", strerror(errno));
    EXPECT_EQ(sv[0], 3);
    CHECK(syscall(SYS_close, sv[1]) == 0, "raw close: %s", strerror(errno));
    EXPECT_ERR(write(sv[0], "x", 1), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 3);
    int v = -1;
    socklen_t len = sizeof v;
    OK(getsockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE, &v, &len));
    EXPECT_EQ(v, 0);
}

/* FNOSIGPIPE lives on the open file: dup, dup2, F_DUPFD copies of a pipe share it,
 * F_SETNOSIGPIPE through one shows through the others, and a copy outlives the original. */
static void t_pipe_flag_shared_by_dups(void)
{
    need_shim();
    on_signal(SIGPIPE, 0);
    int p[2];
    OK(pipe(p));
    int d1 = OK(dup(p[1]));
    int d2 = OK(dup2(p[1], 30));
    OK(fcntl(d1, F_SETNOSIGPIPE, 1)); /* through a copy made before the first F_SETNOSIGPIPE */
    EXPECT_EQ(getnosig(p[1]), 1);
    EXPECT_EQ(getnosig(d2), 1);
    EXPECT_EQ(getnosig(p[0]), 0); /* the other end is another open file */
    int d3 = OK(fcntl(p[1], F_DUPFD_CLOEXEC, 40));
    EXPECT_EQ(getnosig(d3), 1);
    OK(close(p[1]));
    OK(close(p[0]));
    expect_pipe_writes(d2, 0, "a dup2 copy of a no-SIGPIPE pipe");
    OK(fcntl(d3, F_SETNOSIGPIPE, 0));
    EXPECT_EQ(getnosig(d1), 0);
    EXPECT_EQ(getnosig(d2), 0);
    EXPECT_ERR(write(d1, "x", 1), EPIPE);
    EXPECT_EQ(sig_count[SIGPIPE], 1);
}

/* "Across exec it should survive for descriptors that stay open": a no-SIGPIPE pipe too. */
static void t_pipe_nosigpipe_survives_exec(void)
{
    need_shim();
    int w = broken_pipe(O_NOSIGPIPE);
    char fdarg[16];
    snprintf(fdarg, sizeof fdarg, "%d", w);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        execl("/proc/self/exe", "conformance", "--probe-nosigpipe", fdarg, (char *)NULL);
        _exit(127);
    }
    int st = wait_child(pid, 3000);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) >= 10 && WEXITSTATUS(st) < 20, "exec probe failed (status 0x%x)", st);
    int bits = WEXITSTATUS(st) - 10;
    CHECK(bits == 3, "after exec: F_GETNOSIGPIPE==1 %d, EPIPE without SIGPIPE %d, EPIPE with SIGPIPE %d", bits & 1,
          !!(bits & 2), !!(bits & 4));
}

const struct tcase cases_pipes[] = {
    CLAUSE(pipe_setnosigpipe_all_writes, SRC_SPEC,
           "\"Any descriptor, as on NetBSD\": F_SETNOSIGPIPE/F_GETNOSIGPIPE on a pipe; write, writev, vmsplice, "
           "splice, tee and sendfile to it after the reader left give EPIPE and no SIGPIPE (the read end and other "
           "descriptors keep theirs)."),
    CLAUSE(fifo_setnosigpipe, SRC_SPEC,
           "\"F_SETNOSIGPIPE also works on pipes and FIFOs\": a FIFO whose reader left gives EPIPE without SIGPIPE."),
    CLAUSE(pipe2_o_nosigpipe, SRC_SPEC,
           "\"pipe2(fds, O_NOSIGPIPE)\" makes both ends no-SIGPIPE (O_NOSIGPIPE = 0x01000000, stripped before the "
           "kernel); the other flags still reach it."),
    CLAUSE(fsetfl_o_nosigpipe, SRC_SPEC,
           "\"fcntl(F_SETFL, ... | O_NOSIGPIPE) / F_GETFL showing it\", on a pipe and on a socket; a read-modify-write "
           "of F_GETFL keeps it."),
    NETBSD_ONLY(fsetfl_without_o_nosigpipe, SRC_NBSD,
                "fcntl(F_SETFL) replaces the file flags, FNOSIGPIPE among them: F_SETFL(O_NONBLOCK) clears no-SIGPIPE "
                "(the linux personality keeps it: only the kernel's flags change).",
                OBS_LINUX, OBS_NETBSD),
    CLAUSE(pipe_pending_sigpipe_once, SRC_SPEC,
           "\"A SIGPIPE that was already pending before the call, thread- or process-directed, is never swallowed "
           "and never duplicated\": every write path to a no-SIGPIPE pipe or socket; its siginfo is kept."),
    CLAUSE(pipe_stale_state, SRC_SPEC,
           "\"must never keep stale state\": a no-SIGPIPE pipe closed by a raw system call; a pipe or a socket made "
           "behind the shim's back at its number raises SIGPIPE as natively."),
    CLAUSE(pipe_flag_shared_by_dups, SRC_NBSD,
           "FNOSIGPIPE lives on the open file: copies of a pipe share it, through dup, dup2 and F_DUPFD_CLOEXEC; the "
           "other end is another file."),
    CLAUSE(pipe_nosigpipe_survives_exec, SRC_SPEC,
           "\"Across exec it should survive for descriptors that stay open\": a no-SIGPIPE pipe after execl."),
};
const size_t n_cases_pipes = sizeof cases_pipes / sizeof cases_pipes[0];
