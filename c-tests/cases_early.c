/* SPEC.md "What every exported function must keep": the exports "may be called ... before
 * the library's constructor ran" (LESSONS.md pitfall 8: a co-preloaded library or a
 * constructor calls them first).
 *
 * This binary has a .preinit_array function: the dynamic linker runs it before the
 * constructor of any shared library, libsockshim's included, whether it is linked or
 * preloaded. When SOCKSHIM_TEST_EARLY=1 is in the environment it exercises the exports
 * there and records what it saw; the case runs this binary again with that variable (and
 * SOCKSHIM_CLOEXEC=1, which proves the constructor had not run yet: the early sockets
 * must not get FD_CLOEXEC, the later ones must) and checks the record.
 */
#include "harness.h"
#include <sys/wait.h>

static char early_log[1024];
static size_t early_len;
static int early_failures = -1; /* -1: the hook did not run */
static int early_nosig = -1;    /* a no-SIGPIPE socket made early, kept open for main */
static volatile sig_atomic_t early_sigpipes;

static void early_note(const char *what)
{
    size_t n = strlen(what);
    if (early_len + n + 2 < sizeof early_log) {
        memcpy(early_log + early_len, what, n);
        early_len += n;
        early_log[early_len++] = ';';
        early_log[early_len] = '\0';
    }
    early_failures++;
}
#define ECHECK(cond)                                                                                        \
    do {                                                                                                   \
        if (!(cond)) early_note(#cond);                                                                    \
    } while (0)

static void early_sigpipe(int sig)
{
    (void)sig;
    early_sigpipes++;
}

static void early_hook(int argc, char **argv, char **envp)
{
    (void)argc;
    (void)argv;
    int wanted = 0;
    for (char **e = envp; *e; e++) wanted |= strcmp(*e, "SOCKSHIM_TEST_EARLY=1") == 0;
    if (!wanted) return;
    early_failures = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = early_sigpipe;
    sigaction(SIGPIPE, &sa, NULL);

    errno = 1234;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NOSIGPIPE, 0);
    ECHECK(s >= 0 && errno == 1234);
    ECHECK(fcntl(s, F_GETFD) == 0); /* SOCKSHIM_CLOEXEC=1 is not read yet */
    ECHECK(fcntl(s, F_GETNOSIGPIPE) == 1);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ECHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0 && listen(s, 4) == 0 &&
           getsockname(s, (struct sockaddr *)&a, &len) == 0);
    int c1 = socket(AF_INET, SOCK_STREAM, 0), c2 = socket(AF_INET, SOCK_STREAM, 0);
    ECHECK(connect(c1, (struct sockaddr *)&a, sizeof a) == 0 && connect(c2, (struct sockaddr *)&a, sizeof a) == 0);
    int n1 = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    ECHECK(n1 >= 0 && fcntl(n1, F_GETFD) == FD_CLOEXEC && fcntl(n1, F_GETNOSIGPIPE) == 1); /* inherited */
    sigset_t none;
    sigemptyset(&none);
    int n2 = paccept(s, NULL, NULL, &none, 0);
    ECHECK(n2 >= 0 && fcntl(n2, F_GETNOSIGPIPE) == 1);
    close(c1);
    close(c2);
    /* write, send, writev to a closed peer: EPIPE, no signal */
    int sv[2];
    ECHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv) == 0);
    close(sv[1]);
    struct iovec iov = { "x", 1 };
    errno = 0;
    ECHECK(write(sv[0], "x", 1) == -1 && errno == EPIPE);
    errno = 0;
    ECHECK(send(sv[0], "x", 1, 0) == -1 && errno == EPIPE);
    errno = 0;
    ECHECK(writev(sv[0], &iov, 1) == -1 && errno == EPIPE);
    ECHECK(early_sigpipes == 0);
    /* dup keeps it, close forgets it */
    int d = dup(sv[0]);
    ECHECK(d >= 0 && fcntl(d, F_GETNOSIGPIPE) == 1);
    ECHECK(fcntl(d, F_SETNOSIGPIPE, 0) == 0 && fcntl(sv[0], F_GETNOSIGPIPE) == 0); /* shared */
    ECHECK(close(d) == 0);
    early_nosig = n1;
    close(n2);
    close(s);
    close(sv[0]);
}

#ifdef SUITE_LIBRARY /* a shared library has no .preinit_array: the hook never runs there */
__attribute__((used))
#else
__attribute__((used, section(".preinit_array")))
#endif
static void (*const early_entry)(int, char **, char **) = early_hook;

/* The second half, in main: the constructor has run by now. */
int early_probe(void)
{
    if (!shim_loaded()) return 77;
    if (early_failures < 0) {
        fprintf(stderr, "the .preinit_array hook did not run\n");
        return 1;
    }
    if (early_failures > 0) {
        fprintf(stderr, "before the constructor: %s\n", early_log);
        return 1;
    }
    int later = socket(AF_INET, SOCK_STREAM, 0);
    if (fcntl(later, F_GETFD) != FD_CLOEXEC) {
        fprintf(stderr, "the constructor did not run after the hook (SOCKSHIM_CLOEXEC=1 not applied)\n");
        return 1;
    }
    if (fcntl(early_nosig, F_GETNOSIGPIPE) != 1) {
        fprintf(stderr, "the state set before the constructor was lost\n");
        return 1;
    }
    return 0;
}

static void t_exports_before_constructor(void)
{
    if (!shim_loaded()) skip("the question is about the shim's constructor");
#ifdef SUITE_LIBRARY
    skip("the suite is in a shared library: it has no .preinit_array, and libsockshim, its dependency, is "
         "initialised before it");
#endif
#if !defined(__GLIBC__)
    skip("musl runs no .preinit_array functions (only DT_INIT and init_array), the only hook a program has "
         "before every library's constructor");
#endif
    int p[2];
    OK(pipe(p));
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(p[1], 2);
        setenv("SOCKSHIM_TEST_EARLY", "1", 1);
        setenv("SOCKSHIM_CLOEXEC", "1", 1);
        execl("/proc/self/exe", "conformance", "--early-probe", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char err[1024];
    ssize_t n = read(p[0], err, sizeof err - 1);
    err[n > 0 ? n : 0] = '\0';
    int st = wait_child(pid, 5000);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77) skip("the shim is not loaded in the probe");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "probe status 0x%x: %s", (unsigned)st, err);
}

const struct tcase cases_early[] = {
    CLAUSE(exports_before_constructor, SRC_SPEC,
           "The exports work \"before the library's constructor ran\": socket, listen, accept4, paccept, write, "
           "send, writev, dup, fcntl and close from a .preinit_array function, state kept after the constructor."),
};
const size_t n_cases_early = sizeof cases_early / sizeof cases_early[0];
