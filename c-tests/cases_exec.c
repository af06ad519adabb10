/* SPEC.md "No-SIGPIPE state": "Inherited across fork. Across exec it should survive for
 * descriptors that stay open", and issue 3's "the state after fork in a threaded parent
 * and in vfork children is right". Each exec case starts this binary again in
 * `--exec-probe` mode, which reports F_GETNOSIGPIPE of the descriptors it is given and
 * whether the variable that carried the state is gone from its environment.
 */
#include "harness.h"
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* sockshim's execl where the library has one (src/arch.rs), else NULL: a weak reference */
int sockshim_execl(const char *, const char *, ...);
#pragma weak sockshim_execl

extern char **environ;

/* The probe: argv = conformance --exec-probe FD...; prints one digit per descriptor
 * (F_GETNOSIGPIPE: 1, 0, or 'x' on error), then 'E' if SOCKSHIM_NOSIGPIPE_FDS is still
 * in its environment. Also checks that a no-SIGPIPE descriptor really gives a quiet
 * EPIPE (the peers were closed by the parent): 'S' if one raised SIGPIPE. */
static volatile sig_atomic_t probe_sigpipes;
static void count_sigpipe(int sig)
{
    (void)sig;
    probe_sigpipes++;
}

int exec_probe(int argc, char **argv, int out_fd)
{
    if (argc == 3 && strcmp(argv[0], "alias") == 0) { /* F_SETNOSIGPIPE(a, 0) shows through b? */
        int a = atoi(argv[1]), b = atoi(argv[2]);
        char out[4] = { fcntl(b, F_GETNOSIGPIPE) == 1 ? '1' : '0', '-', '?', '\n' };
        fcntl(a, F_SETNOSIGPIPE, 0);
        out[2] = fcntl(b, F_GETNOSIGPIPE) == 0 ? '0' : '1';
        return write(out_fd, out, 4) == 4 ? 0 : 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_sigpipe;
    sigaction(SIGPIPE, &sa, NULL);
    char out[64];
    size_t n = 0;
    for (int i = 0; i < argc && n < sizeof out - 3; i++) {
        int fd = atoi(argv[i]);
        int v = fcntl(fd, F_GETNOSIGPIPE);
        out[n++] = v == 1 ? '1' : v == 0 ? '0' : 'x';
        if (v == 1) {
            ssize_t r = write(fd, "x", 1);
            if (r != -1 || probe_sigpipes != 0) out[n++] = 'S';
        }
    }
    if (getenv("SOCKSHIM_NOSIGPIPE_FDS") != NULL) out[n++] = 'E';
    out[n++] = '\n';
    return write(out_fd, out, n) == (ssize_t)n ? 0 : 1;
}

/* A stream socket whose peer is closed; no-SIGPIPE as asked. */
static int broken(int nosigpipe, int cloexec)
{
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM | (nosigpipe ? SOCK_NOSIGPIPE : 0) | (cloexec ? SOCK_CLOEXEC : 0), 0, sv));
    close(sv[1]);
    return sv[0];
}

enum how { EXECVE, EXECV, EXECVP, EXECVPE, EXECL, EXECLE, EXECLP, FEXECVE, EXECVEAT, SPAWN, SPAWNP, N_HOW };
static const char *const how_name[N_HOW] = { "execve",  "execv",   "execvp",   "execvpe",     "execl",       "execle",
                                             "execlp",  "fexecve", "execveat", "posix_spawn", "posix_spawnp" };

/* Runs the probe through `how` about two descriptors and returns its output line. */
static void run_probe(enum how how, const int fds[2], char *line, size_t size)
{
    char num[2][12];
    snprintf(num[0], sizeof num[0], "%d", fds[0]);
    snprintf(num[1], sizeof num[1], "%d", fds[1]);
    char *av[] = { "conformance", "--exec-probe", num[0], num[1], NULL };
    int p[2];
    OK(pipe2(p, O_CLOEXEC));
    const char *exe = "/proc/self/exe";
    pid_t pid;
    if (how == SPAWN || how == SPAWNP) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        int e = how == SPAWN ? posix_spawn(&pid, exe, &fa, NULL, av, environ)
                             : posix_spawnp(&pid, exe, &fa, NULL, av, environ);
        CHECK(e == 0, "%s: %s", how_name[how], strerror(e));
        posix_spawn_file_actions_destroy(&fa);
    } else {
        pid = fork();
        CHECK(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            dup2(p[1], 1);
            int self = how == FEXECVE || how == EXECVEAT ? open(exe, O_RDONLY | O_CLOEXEC) : -1;
            switch (how) {
            case EXECVE: execve(exe, av, environ); break;
            case EXECV: execv(exe, av); break;
            case EXECVP: execvp(exe, av); break;
            case EXECVPE: execvpe(exe, av, environ); break;
            case EXECL: execl(exe, av[0], av[1], av[2], av[3], (char *)NULL); break;
            case EXECLE: execle(exe, av[0], av[1], av[2], av[3], (char *)NULL, environ); break;
            case EXECLP: execlp(exe, av[0], av[1], av[2], av[3], (char *)NULL); break;
            case FEXECVE: fexecve(self, av, environ); break;
            case EXECVEAT: h_execveat(self, "", av, environ, AT_EMPTY_PATH); break;
            default: break;
            }
            _exit(127);
        }
    }
    close(p[1]);
    ssize_t n = read(p[0], line, size - 1);
    line[n > 0 ? n : 0] = '\0';
    close(p[0]);
    int st = wait_child(pid, 5000);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: probe status 0x%x", how_name[how], (unsigned)st);
}

/* Every way into a new program keeps the state of the no-SIGPIPE socket that stays
 * open, and only that: a plain socket stays plain, and the carrier variable is gone. */
static void t_nosigpipe_exec_every_call(void)
{
    if (!shim_loaded()) skip("no-SIGPIPE is the shim's");
    on_signal(SIGPIPE, 0);
    int fds[2] = { broken(1, 0), broken(0, 0) };
    broken(1, 1); /* close-on-exec: never listed */
    for (int h = 0; h < N_HOW; h++) {
        /* the execl family is the shim's where its architecture module has a trampoline */
        if ((h == EXECL || h == EXECLE || h == EXECLP) && sockshim_execl == NULL) continue;
        char line[64];
        run_probe((enum how)h, fds, line, sizeof line);
        CHECK(strcmp(line, "10\n") == 0, "%s: the new program saw '%.*s' (want '10': no-SIGPIPE, plain)",
              how_name[h], (int)strcspn(line, "\n"), line);
    }
}

/* The state belongs to the socket, not the number: a vfork-style child (posix_spawn)
 * that moves the socket onto standard output keeps it there, and one that puts a pipe
 * where the socket was does not give the pipe the state. */
static void t_nosigpipe_exec_renumbered(void)
{
    if (!shim_loaded()) skip("no-SIGPIPE is the shim's");
    int s = broken(1, 0);
    int p[2];
    OK(pipe2(p, O_CLOEXEC));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);      /* the probe reports on stderr... */
    posix_spawn_file_actions_adddup2(&fa, s, 0);         /* ...about stdin: the socket */
    posix_spawn_file_actions_addopen(&fa, s, "/dev/null", O_WRONLY, 0); /* and a file at its number */
    char num[12];
    snprintf(num, sizeof num, "%d", s);
    char *av[] = { "conformance", "--exec-probe-stderr", "0", num, NULL };
    pid_t pid;
    int e = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, av, environ);
    CHECK(e == 0, "posix_spawn: %s", strerror(e));
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    char line[64];
    ssize_t n = read(p[0], line, sizeof line - 1);
    line[n > 0 ? n : 0] = '\0';
    int st = wait_child(pid, 5000);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "probe status 0x%x", (unsigned)st);
    CHECK(strcmp(line, "10\n") == 0, "the new program saw '%.*s' (want '10': stdin is the no-SIGPIPE socket, "
          "descriptor %d a file)", (int)strcspn(line, "\n"), line, s);
}

/* A vfork child shares its parent's memory: its close and dup2 must not change the
 * state of the parent's descriptors. */
static void t_nosigpipe_vfork_child(void)
{
    if (!shim_loaded()) skip("no-SIGPIPE is the shim's");
    int nosig = broken(1, 0);
    int plain = broken(0, 0);
    int other = broken(1, 0);
    pid_t pid = vfork();
    if (pid == 0) {
        close(nosig);            /* the parent's stays open and no-SIGPIPE */
        dup2(other, plain);      /* the parent's `plain` stays plain */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NOSIGPIPE, 0); /* a number the parent does not use */
        (void)fd;
        _exit(0);
    }
    CHECK(pid > 0, "vfork: %s", strerror(errno));
    int st = wait_child(pid, 3000);
    CHECK(WIFEXITED(st), "vfork child status 0x%x", (unsigned)st);
    EXPECT_EQ(fcntl(nosig, F_GETNOSIGPIPE), 1);
    EXPECT_EQ(fcntl(plain, F_GETNOSIGPIPE), 0);
    EXPECT_EQ(fcntl(other, F_GETNOSIGPIPE), 1);
    on_signal(SIGPIPE, 0);
    errno = 0;
    CHECK(write(plain, "x", 1) == -1 && errno == EPIPE && sig_count[SIGPIPE] == 1,
          "the parent's plain socket no longer raises SIGPIPE (%d signals)", (int)sig_count[SIGPIPE]);
    /* The number the child used: a fresh descriptor here is not no-SIGPIPE. */
    int fd = OK(socket(AF_INET, SOCK_STREAM, 0));
    EXPECT_EQ(fcntl(fd, F_GETNOSIGPIPE), 0);
}

/* Runs `argv` through execve with `envp`, returns the probe's output line. */
static int exec_line(char *const argv[], char *const envp[], char *line, size_t size)
{
    int p[2];
    OK(pipe2(p, O_CLOEXEC));
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(p[1], 1);
        execve("/proc/self/exe", argv, envp);
        dprintf(1, "execve: %d\n", errno);
        _exit(0);
    }
    close(p[1]);
    ssize_t n = read(p[0], line, size - 1);
    line[n > 0 ? n : 0] = '\0';
    close(p[0]);
    return wait_child(pid, 10000);
}

/* Copies of one socket made before exec still share the state after it (as NetBSD's
 * flag on the open file). */
static void t_nosigpipe_exec_keeps_sharing(void)
{
    if (!shim_loaded()) skip("no-SIGPIPE is the shim's");
    int s = broken(1, 0);
    int d = OK(dup2(s, s + 7));
    char a[12], b[12];
    snprintf(a, sizeof a, "%d", s);
    snprintf(b, sizeof b, "%d", d);
    char *av[] = { "conformance", "--exec-probe", "alias", a, b, NULL };
    char line[64];
    exec_line(av, environ, line, sizeof line);
    CHECK(strcmp(line, "1-0\n") == 0, "after exec, F_SETNOSIGPIPE through %d seen through %d: '%.*s' (want 1-0)",
          s, d, (int)strcspn(line, "\n"), line);
}

/* The exec family never breaks an exec Linux would make: thousands of no-SIGPIPE
 * sockets (more than one environment string can carry: the state of the excess is
 * dropped, the exec is not), and a bad envp is the kernel's EFAULT, not a crash. */
static void t_nosigpipe_exec_limits(void)
{
    if (!shim_loaded()) skip("no-SIGPIPE is the shim's");
    struct rlimit rl = { 20000, 20000 };
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) skip("cannot raise RLIMIT_NOFILE to 20000: %s", strerror(errno));
    int first = broken(1, 0);
    for (int i = 0; i < 6000; i++) broken(1, 0); /* 12,000 descriptors: ~300 KB of entries */
    char a[12];
    snprintf(a, sizeof a, "%d", first);
    char *av[] = { "conformance", "--exec-probe", a, NULL };
    char line[64];
    int st = exec_line(av, environ, line, sizeof line);
    CHECK(WIFEXITED(st) && strcmp(line, "1\n") == 0, "exec with 12,000 no-SIGPIPE sockets: '%.*s'",
          (int)strcspn(line, "\n"), line);
    char *bad_entry[] = { (char *)unmapped_page(), NULL };
    st = exec_line(av, bad_entry, line, sizeof line);
    CHECK(WIFEXITED(st), "execve with an unreadable environment string: status 0x%x", (unsigned)st);
    EXPECT_EQ(atoi(line + strcspn(line, "0123456789")), EFAULT);
    st = exec_line(av, (char **)unmapped_page(), line, sizeof line);
    CHECK(WIFEXITED(st), "execve with an unreadable environment vector: status 0x%x", (unsigned)st);
    EXPECT_EQ(atoi(line + strcspn(line, "0123456789")), EFAULT);
}

/* A child made by a raw fork system call (no atfork handlers) has its own memory and
 * owns its copy of the table. */
static void t_nosigpipe_raw_fork_child(void)
{
    if (!shim_loaded()) skip("no-SIGPIPE is the shim's");
    /* clone with only SIGCHLD is fork on every architecture (aarch64 has no fork call;
     * the zero arguments make clone's architecture-dependent argument order moot) */
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv) != 0) _exit(2);
        close(sv[1]);
        if (fcntl(sv[0], F_GETNOSIGPIPE) != 1) _exit(3);
        _exit(write(sv[0], "x", 1) == -1 && errno == EPIPE ? 0 : 4);
    }
    CHECK(pid > 0, "fork system call: %s", strerror(errno));
    int st = wait_child(pid, 3000);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "raw fork child: status 0x%x (3: state not recorded, "
          "SIGPIPE: not applied)", (unsigned)st);
}

const struct tcase cases_exec[] = {
    CLAUSE(nosigpipe_exec_every_call, SRC_SPEC,
           "\"Across exec it [no-SIGPIPE] should survive for descriptors that stay open\": execve, execv, execvp, "
           "execvpe, execl, execle, execlp, fexecve, execveat, posix_spawn, posix_spawnp; a plain socket stays "
           "plain."),
    CLAUSE(nosigpipe_exec_renumbered, SRC_SPEC,
           "Across exec the state follows the socket, not the number: dup2'd onto stdin by posix_spawn it survives; "
           "a file opened at the old number does not get it."),
    CLAUSE(nosigpipe_vfork_child, SRC_SPEC,
           "\"Inherited across fork\" without leaking back: a vfork child's close, dup2 and socket leave the "
           "parent's no-SIGPIPE state as it was."),
    CLAUSE(nosigpipe_exec_keeps_sharing, SRC_NBSD,
           "FNOSIGPIPE is on the open file: two copies of a socket made before exec still share it after exec."),
    CLAUSE(nosigpipe_exec_limits, SRC_SPEC,
           "Carrying the state never breaks an exec: 12,000 no-SIGPIPE sockets exec fine, a bad envp is EFAULT "
           "(\"never crashes the process\")."),
    CLAUSE(nosigpipe_raw_fork_child, SRC_SPEC,
           "\"Inherited across fork\", also by a child of a raw fork system call, which owns its copy of the "
           "table."),
};
const size_t n_cases_exec = sizeof cases_exec / sizeof cases_exec[0];
