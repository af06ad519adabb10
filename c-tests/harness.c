/*
 * sockshim conformance suite: the runner (CLI, fork-per-case, timeouts, TSV output)
 * and the helpers shared by the cases_*.c files.
 *
 *   conformance --list                      id, source, kind, clause (TSV)
 *   conformance [--timeout S] [id ...]      id, observed, expected, verdict, message (TSV)
 */
#include "harness.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

/* ------------------------------------------------------------------------------ */
/* Result shared between a case's child and the runner (anonymous shared mapping,  */
/* so the child needs no descriptor to report).                                     */
/* ------------------------------------------------------------------------------ */

struct shared {
    volatile int observed;
    volatile int claimed; /* a final result was written */
    char msg[1024];
};

static struct shared *sh;
static const struct tcase *cur;

static const char *obs_name(int o)
{
    switch (o) {
    case OBS_PASS: return "PASS";
    case OBS_FAIL: return "FAIL";
    case OBS_SKIP: return "SKIP";
    case OBS_NETBSD: return "NETBSD";
    case OBS_LINUX: return "LINUX";
    case OBS_OTHER: return "OTHER";
    default: return "?";
    }
}

/* Claims the result slot (first caller wins; later ones, e.g. other threads, end quietly). */
static int claim(void)
{
    return __atomic_exchange_n(&sh->claimed, 1, __ATOMIC_SEQ_CST) == 0;
}

/* The final message: prefix, the formatted text, then any notes made before. */
static void vset_msg(const char *prefix, const char *fmt, va_list ap)
{
    char notes[sizeof sh->msg];
    snprintf(notes, sizeof notes, "%s", sh->msg);
    size_t n = 0;
    if (prefix) {
        int k = snprintf(sh->msg, sizeof sh->msg, "%s", prefix);
        n = k > 0 ? (size_t)k : 0;
        if (n >= sizeof sh->msg) n = sizeof sh->msg - 1;
    }
    vsnprintf(sh->msg + n, sizeof sh->msg - n, fmt, ap);
    n = strlen(sh->msg);
    if (notes[0] && n + 3 < sizeof sh->msg) {
        sh->msg[n++] = ';';
        sh->msg[n++] = ' ';
        size_t k = strlen(notes);
        if (k > sizeof sh->msg - 1 - n) k = sizeof sh->msg - 1 - n;
        memcpy(sh->msg + n, notes, k);
        sh->msg[n + k] = 0;
    }
}

void h_fail(const char *file, int line, const char *fmt, ...)
{
    if (claim()) {
        char where[128];
        const char *base = strrchr(file, '/');
        snprintf(where, sizeof where, "%s:%d: ", base ? base + 1 : file, line);
        va_list ap;
        va_start(ap, fmt);
        vset_msg(where, fmt, ap);
        va_end(ap);
        sh->observed = cur && cur->kind == KIND_NETBSD_ONLY ? OBS_OTHER : OBS_FAIL;
    }
    _exit(0);
}

void observe(int obs, const char *fmt, ...)
{
    if (claim()) {
        va_list ap;
        va_start(ap, fmt);
        vset_msg(NULL, fmt, ap);
        va_end(ap);
        sh->observed = obs;
    }
    _exit(0);
}

void skip(const char *fmt, ...)
{
    if (claim()) {
        va_list ap;
        va_start(ap, fmt);
        vset_msg(NULL, fmt, ap);
        va_end(ap);
        sh->observed = OBS_SKIP;
    }
    _exit(0);
}

/* Adds an informational remark to the message of a case that goes on running. */
void note(const char *fmt, ...)
{
    if (sh->claimed) return;
    size_t n = strlen(sh->msg);
    if (n && n + 2 < sizeof sh->msg) {
        sh->msg[n++] = ';';
        sh->msg[n++] = ' ';
        sh->msg[n] = 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sh->msg + n, sizeof sh->msg - n, fmt, ap);
    va_end(ap);
}

void h_eq(long long a, long long b, const char *as, const char *bs, const char *file, int line)
{
    if (a != b) h_fail(file, line, "%s == %lld (0x%llx), expected %s == %lld (0x%llx)", as, a, a, bs, b, b);
}

void h_err(long long r, int err, int want, const char *expr, const char *file, int line)
{
    if (r != -1)
        h_fail(file, line, "%s returned %lld, expected -1/%s", expr, r, h_errname(want));
    if (err != want)
        h_fail(file, line, "%s failed with %s, expected %s", expr,
               h_errname(err) ? h_errname(err) : "?", h_errname(want));
}

long long h_ok(long long r, int err, const char *expr, const char *file, int line)
{
    if (r == -1)
        h_fail(file, line, "%s failed: %s (%s)", expr, h_errname(err) ? h_errname(err) : "?",
               strerror(err));
    return r;
}

/* ------------------------------------------------------------------------------ */
/* Configuration                                                                    */
/* ------------------------------------------------------------------------------ */

int shim_loaded(void)
{
    /* A weak reference: resolved when libsockshim is preloaded, linked, or a dependency
     * of the library this suite is in (also in a dlopen(RTLD_LOCAL) scope, which
     * dlsym(RTLD_DEFAULT) does not search). */
    return sockshim_version != NULL;
}

int personality_netbsd(void)
{
    const char *p = getenv("SOCKSHIM_PERSONALITY");
    return p && strcmp(p, "netbsd") == 0;
}

int have_paccept(void)
{
    return paccept != NULL;
}

void need_paccept(void)
{
    if (!have_paccept()) skip("paccept not available (no sockshim loaded)");
}

/* ------------------------------------------------------------------------------ */
/* Time                                                                             */
/* ------------------------------------------------------------------------------ */

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* ------------------------------------------------------------------------------ */
/* Descriptors                                                                      */
/* ------------------------------------------------------------------------------ */

void close_from(int lowest)
{
    /* The raw system call: the runner itself never created a no-SIGPIPE socket. */
    if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0) == 0) return;
    for (int fd = lowest; fd < 65536; fd++) syscall(SYS_close, fd);
}

int devnull(void)
{
    int fd = open("/dev/null", O_RDWR);
    CHECK(fd >= 0, "open /dev/null: %s", strerror(errno));
    return fd;
}

/* An address no access can succeed at, for as long as the case runs. A PROT_NONE
 * mapping stays reserved: an munmap'ed page could be handed out again by any later
 * mmap (the library's own tables included) and become readable. */
void *unmapped_page(void)
{
    void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
    return p;
}

void *page_with_prot(int prot)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
    memset(p, 0, 4096);
    CHECK(mprotect(p, 4096, prot) == 0, "mprotect: %s", strerror(errno));
    return p;
}

int getfl(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    CHECK(fl != -1, "fcntl(%d, F_GETFL): %s", fd, strerror(errno));
    return fl;
}

int getfd(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    CHECK(fl != -1, "fcntl(%d, F_GETFD): %s", fd, strerror(errno));
    return fl;
}

/* ------------------------------------------------------------------------------ */
/* Sockets                                                                          */
/* ------------------------------------------------------------------------------ */

static void loopback(int family, struct addr *a)
{
    memset(a, 0, sizeof *a);
    if (family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
        a->len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->len = sizeof *s4;
    }
}

int tcp_listener(int family, int type_flags, int backlog, struct addr *a)
{
    struct addr tmp;
    if (!a) a = &tmp;
    int s = socket(family, SOCK_STREAM | type_flags, 0);
    CHECK(s >= 0, "socket(%d, SOCK_STREAM|0x%x): %s", family, (unsigned)type_flags, strerror(errno));
    loopback(family, a);
    CHECK(bind(s, (struct sockaddr *)&a->ss, a->len) == 0, "bind: %s", strerror(errno));
    CHECK(listen(s, backlog) == 0, "listen(%d): %s", backlog, strerror(errno));
    a->len = sizeof a->ss;
    CHECK(getsockname(s, (struct sockaddr *)&a->ss, &a->len) == 0, "getsockname: %s", strerror(errno));
    return s;
}

int tcp_connect(const struct addr *a)
{
    int c = socket(a->ss.ss_family, SOCK_STREAM, 0);
    CHECK(c >= 0, "client socket: %s", strerror(errno));
    CHECK(connect(c, (const struct sockaddr *)&a->ss, a->len) == 0, "connect: %s", strerror(errno));
    return c;
}

int tcp_connect_nb(const struct addr *a)
{
    int c = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(c >= 0, "client socket: %s", strerror(errno));
    int r = connect(c, (const struct sockaddr *)&a->ss, a->len);
    CHECK(r == 0 || errno == EINPROGRESS, "non-blocking connect: %s", strerror(errno));
    return c;
}

int unix_listener(int type_flags, int backlog, struct addr *a)
{
    static int serial;
    struct addr tmp;
    if (!a) a = &tmp;
    memset(a, 0, sizeof *a);
    struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
    un->sun_family = AF_UNIX;
    int n = snprintf(un->sun_path + 1, sizeof un->sun_path - 1, "sockshim-conf-%d-%d", (int)getpid(), serial++);
    a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    int s = socket(AF_UNIX, SOCK_STREAM | type_flags, 0);
    CHECK(s >= 0, "socket(AF_UNIX): %s", strerror(errno));
    CHECK(bind(s, (struct sockaddr *)un, a->len) == 0, "bind(AF_UNIX): %s", strerror(errno));
    CHECK(listen(s, backlog) == 0, "listen: %s", strerror(errno));
    return s;
}

int unix_connect(const struct addr *a)
{
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(c >= 0, "socket(AF_UNIX): %s", strerror(errno));
    CHECK(connect(c, (const struct sockaddr *)&a->ss, a->len) == 0, "connect(AF_UNIX): %s", strerror(errno));
    return c;
}

int udp_socket(int family)
{
    int s = socket(family, SOCK_DGRAM, 0);
    CHECK(s >= 0, "socket(SOCK_DGRAM): %s", strerror(errno));
    return s;
}

/* Under an emulator that cuts TCP_INFO short (qemu-user 7.2 copies it as an int), the
 * kernel's answer without the emulator in between: */

/* the accept queue of a listener from /proc/net/tcp{,6} (a LISTEN socket's rx_queue
 * is its accept queue length), found by the socket's inode; -1 if not listed */
static int proc_net_queue(int listener)
{
    struct stat st;
    if (fstat(listener, &st) != 0) return -1;
    const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        FILE *f = fopen(files[i], "re");
        if (!f) continue;
        char line[512];
        while (fgets(line, sizeof line, f)) {
            unsigned state, tx, rx;
            unsigned long long ino;
            if (sscanf(line, " %*d: %*x:%*x %*x:%*x %x %x:%x %*x:%*x %*x %*u %*d %llu", &state, &tx, &rx, &ino) == 4 &&
                ino == (unsigned long long)st.st_ino) {
                fclose(f);
                return (int)rx;
            }
        }
        fclose(f);
    }
    return -1;
}

/* tcpi_unacked and tcpi_sacked as build/<arch>/tcp-info (c-tests/loader/tcp_info.c), a
 * program for the machine this runs on beside this binary, reads them from an inherited
 * copy of the listener: 0, or -1 if there is no such program or it failed. */
static int tcp_info_native(int listener, unsigned *unacked, unsigned *sacked)
{
    char prog[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", prog, sizeof prog - 16);
    if (n <= 0) return -1;
    prog[n] = '\0';
    char *slash = strrchr(prog, '/');
    if (!slash) return -1;
    strcpy(slash, "/tcp-info");
    if (access(prog, X_OK) != 0) return -1;
    int copy = dup(listener), p[2];
    if (copy < 0) return -1;
    if (pipe2(p, O_CLOEXEC) != 0) {
        close(copy);
        return -1;
    }
    char arg[16];
    snprintf(arg, sizeof arg, "%d", copy);
    char *argv[] = { prog, arg, NULL }, *envp[] = { NULL };
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        execve(prog, argv, envp);
        _exit(127);
    }
    close(copy);
    close(p[1]);
    char out[64] = "";
    size_t got = 0;
    while (pid > 0 && got < sizeof out - 1) {
        ssize_t r = read(p[0], out + got, sizeof out - 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(p[0]);
    int st = 0;
    while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return -1;
    return sscanf(out, "%u %u", unacked, sacked) == 2 ? 0 : -1;
}

int queue_len(int listener, int *max_backlog)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    CHECK(getsockopt(listener, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0, "TCP_INFO: %s", strerror(errno));
    CHECK(ti.tcpi_state == TCP_LISTEN, "TCP_INFO state %d, not LISTEN", ti.tcpi_state);
    if (len >= offsetof(struct tcp_info, tcpi_sacked) + sizeof ti.tcpi_sacked) {
        if (max_backlog) *max_backlog = (int)ti.tcpi_sacked;
        return (int)ti.tcpi_unacked;
    }
    if (max_backlog) {
        unsigned unacked, sacked;
        CHECK(tcp_info_native(listener, &unacked, &sacked) == 0,
              "TCP_INFO gave %u bytes (an emulator?), and no native tcp-info beside this binary could read it",
              (unsigned)len);
        *max_backlog = (int)sacked;
        return (int)unacked;
    }
    int q = proc_net_queue(listener);
    CHECK(q >= 0, "TCP_INFO gave %u bytes (an emulator?), and the listener is not in /proc/net/tcp{,6}", (unsigned)len);
    return q;
}

void wait_queued(int listener, int n, int ms)
{
    double end = now_ms() + ms;
    for (;;) {
        int q = queue_len(listener, NULL);
        if (q >= n) return;
        CHECK(now_ms() < end, "only %d of %d connections queued after %d ms", q, n, ms);
        sleep_ms(1);
    }
}

int wait_fd(int fd, short events, int ms)
{
    struct pollfd p = { fd, events, 0 };
    int r;
    do r = poll(&p, 1, ms);
    while (r == -1 && errno == EINTR);
    CHECK(r >= 0, "poll: %s", strerror(errno));
    return r ? p.revents : 0;
}

int tcp_pair(int *srv, int *cli)
{
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 4, &a);
    *cli = tcp_connect(&a);
    *srv = accept(l, NULL, NULL);
    CHECK(*srv >= 0, "accept: %s", strerror(errno));
    close(l);
    return 0;
}

void break_tcp(int fd, int peer)
{
    struct linger lg = { 1, 0 };
    CHECK(setsockopt(peer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0, "SO_LINGER: %s", strerror(errno));
    CHECK(close(peer) == 0, "close(peer): %s", strerror(errno));
    int ev = wait_fd(fd, POLLIN, 2000);
    CHECK(ev & (POLLERR | POLLHUP), "no reset seen on fd %d (revents 0x%x)", fd, ev);
    char b;
    ssize_t r = recv(fd, &b, 1, MSG_DONTWAIT);
    CHECK(r == -1 && errno == ECONNRESET, "recv after reset: %zd (%s), expected ECONNRESET", r, strerror(errno));
}

int addr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    if (ss->ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return -1;
}

int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family) return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
    }
    return 0;
}

const char *addr_str(const struct sockaddr_storage *ss)
{
    static char buf[4][80];
    static int k;
    char *b = buf[k++ & 3];
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof ip);
    else if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof ip);
    snprintf(b, 80, "family %d %s port %d", ss->ss_family, ip, addr_port(ss));
    return b;
}

int somaxconn(void)
{
    int v = 4096;
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
    if (f) {
        if (fscanf(f, "%d", &v) != 1) v = 4096;
        fclose(f);
    }
    return v;
}

/* ------------------------------------------------------------------------------ */
/* Signals                                                                          */
/* ------------------------------------------------------------------------------ */

volatile sig_atomic_t sig_count[H_NSIG];
sigset_t sig_mask_seen[H_NSIG];
void (*volatile sig_hook)(int);

static void counting_handler(int sig)
{
    int e = errno;
    if (sig > 0 && sig < H_NSIG) {
        pthread_sigmask(SIG_BLOCK, NULL, &sig_mask_seen[sig]);
        sig_count[sig]++;
    }
    void (*h)(int) = sig_hook;
    if (h) h(sig);
    errno = e;
}

void on_signal(int sig, int sa_flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = counting_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = sa_flags;
    CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction(%d): %s", sig, strerror(errno));
}

void ignore_signal(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction(%d): %s", sig, strerror(errno));
}

void block_signal(int sig)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, sig);
    CHECK(pthread_sigmask(SIG_BLOCK, &m, NULL) == 0, "pthread_sigmask");
}

void unblock_signal(int sig)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, sig);
    CHECK(pthread_sigmask(SIG_UNBLOCK, &m, NULL) == 0, "pthread_sigmask");
}

int is_pending(int sig)
{
    sigset_t p;
    sigemptyset(&p);
    CHECK(sigpending(&p) == 0, "sigpending");
    return sigismember(&p, sig) == 1;
}

sigset_t current_mask(void)
{
    sigset_t m;
    sigemptyset(&m);
    CHECK(pthread_sigmask(SIG_BLOCK, NULL, &m) == 0, "pthread_sigmask");
    return m;
}

int same_mask(const sigset_t *a, const sigset_t *b)
{
    for (int s = 1; s < H_NSIG; s++) {
        if (s == 32 || s == 33 || s == SIGKILL || s == SIGSTOP) continue;
        if (sigismember(a, s) != sigismember(b, s)) return 0;
    }
    return 1;
}

const char *mask_str(const sigset_t *m)
{
    static char buf[4][256];
    static int k;
    char *b = buf[k++ & 3];
    size_t n = 0;
    b[0] = '{';
    n = 1;
    int first = 1;
    for (int s = 1; s < H_NSIG && n < 240; s++) {
        if (sigismember(m, s) == 1) {
            n += (size_t)snprintf(b + n, 256 - n, "%s%d", first ? "" : ",", s);
            first = 0;
        }
    }
    snprintf(b + n, 256 - n, "}");
    return b;
}

/* ------------------------------------------------------------------------------ */
/* Threads                                                                          */
/* ------------------------------------------------------------------------------ */

pthread_t spawn(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int e = pthread_create(&t, NULL, fn, arg);
    CHECK(e == 0, "pthread_create: %s", strerror(e));
    return t;
}

int join_ms(pthread_t t, int ms, void **ret)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return pthread_timedjoin_np(t, ret, &ts);
}

int wait_child(pid_t pid, int ms)
{
    double end = now_ms() + ms;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return st;
        CHECK(r == 0, "waitpid: %s", strerror(errno));
        if (now_ms() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            h_fail(__FILE__, __LINE__, "child %d did not finish within %d ms", (int)pid, ms);
        }
        sleep_ms(1);
    }
}

static void *delayed_connect_main(void *p)
{
    struct delayed_connect *d = p;
    sleep_ms(d->ms);
    d->fd = d->a.ss.ss_family == AF_UNIX ? unix_connect(&d->a) : tcp_connect(&d->a);
    return NULL;
}

void delayed_connect_start(struct delayed_connect *d, const struct addr *a, int ms)
{
    d->a = *a;
    d->ms = ms;
    d->fd = -1;
    d->th = spawn(delayed_connect_main, d);
}

static void *delayed_kill_main(void *p)
{
    struct delayed_kill *d = p;
    sleep_ms(d->ms);
    pthread_kill(d->target, d->sig);
    return NULL;
}

void delayed_kill_start(struct delayed_kill *d, pthread_t target, int sig, int ms)
{
    d->target = target;
    d->sig = sig;
    d->ms = ms;
    d->th = spawn(delayed_kill_main, d);
}

/* ------------------------------------------------------------------------------ */
/* The runner                                                                       */
/* ------------------------------------------------------------------------------ */

struct table {
    const struct tcase *cases;
    const size_t *n;
};

static const struct table tables[] = {
    { cases_accept, &n_cases_accept },
    { cases_paccept, &n_cases_paccept },
    { cases_nosigpipe, &n_cases_nosigpipe },
    { cases_pipes, &n_cases_pipes },
    { cases_wasix_mtcp, &n_cases_wasix_mtcp },
    { cases_spec, &n_cases_spec },
    { cases_edges, &n_cases_edges },
    { cases_policy, &n_cases_policy },
    { cases_exec, &n_cases_exec },
    { cases_early, &n_cases_early },
};
#define N_TABLES (sizeof tables / sizeof tables[0])

static const struct tcase *find_case(const char *id)
{
    for (size_t t = 0; t < N_TABLES; t++)
        for (size_t i = 0; i < *tables[t].n; i++)
            if (strcmp(tables[t].cases[i].id, id) == 0) return &tables[t].cases[i];
    return NULL;
}

static void print_clean(const char *s)
{
    for (; *s; s++) putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

static _Noreturn void run_child(const struct tcase *c)
{
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    close_from(3);
    cur = c;
    c->fn();
    if (claim()) sh->observed = c->kind == KIND_CLAUSE ? OBS_PASS : OBS_OTHER;
    if (c->kind == KIND_NETBSD_ONLY && sh->observed == OBS_OTHER && !sh->msg[0])
        snprintf(sh->msg, sizeof sh->msg, "case made no observation");
    _exit(0);
}

struct counts {
    int ok, fail, skip;
};

static int run_case(const struct tcase *c, double timeout_s, struct counts *k)
{
    memset(sh, 0, sizeof *sh);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) run_child(c);
    setpgid(pid, pid);

    int st = 0, timed_out = 0;
    double t0 = now_ms();
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) break;
        if (now_ms() - t0 > timeout_s * 1000.0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            timed_out = 1;
            break;
        }
        sleep_ms(1);
    }
    kill(-pid, SIGKILL); /* whatever the case forked and left behind */
    double took = now_ms() - t0;

    int observed = sh->observed;
    char msg[1200];
    snprintf(msg, sizeof msg, "%s", sh->msg);
    int clause = c->kind == KIND_CLAUSE;
    if (timed_out) {
        observed = clause ? OBS_FAIL : OBS_OTHER;
        snprintf(msg, sizeof msg, "timeout after %g s%s%s", timeout_s, sh->msg[0] ? "; " : "", sh->msg);
    } else if (!sh->claimed || observed == OBS_NONE) {
        observed = clause ? OBS_FAIL : OBS_OTHER;
        if (WIFSIGNALED(st))
            snprintf(msg, sizeof msg, "case killed by signal %d (%s)", WTERMSIG(st), h_signame(WTERMSIG(st)) ?
                     h_signame(WTERMSIG(st)) : "?");
        else
            snprintf(msg, sizeof msg, "case exited with status %d without a result", WEXITSTATUS(st));
    }

    const char *expected;
    const char *verdict;
    int loaded = shim_loaded();
    if (!loaded)
        expected = "-";
    else if (clause)
        expected = "PASS";
    else
        expected = obs_name(personality_netbsd() ? c->expect_netbsd : c->expect_linux);

    if (observed == OBS_SKIP) {
        verdict = "skip";
        k->skip++;
    } else if (!loaded) {
        verdict = "info";
    } else if (strcmp(obs_name(observed), expected) == 0) {
        verdict = "ok";
        k->ok++;
    } else {
        verdict = "FAIL";
        k->fail++;
    }
    printf("%s\t%s\t%s\t%s\t", c->id, obs_name(observed), expected, verdict);
    print_clean(msg);
    if (took > 1500) printf(" [%.0f ms]", took);
    putchar('\n');
    fflush(stdout);
    return strcmp(verdict, "FAIL") == 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: conformance --list\n"
               "       conformance [--timeout SECONDS] [CASE-ID ...]\n");
}

/* The suite's entry point. The programs call it from main(); the library builds
 * (SUITE_LIBRARY: the suite in a shared library compiled against the binding header,
 * c-tests/loader/) from a loader program that knows nothing of sockshim. */
int suite_main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--probe-nosigpipe") == 0) return nosigpipe_exec_probe(atoi(argv[2]));
    if (argc == 3 && strcmp(argv[1], "--policy-probe") == 0) return policy_probe(argv[2]);
    if (argc == 2 && strcmp(argv[1], "--early-probe") == 0) return early_probe();
    if (argc >= 2 && strcmp(argv[1], "--exec-probe") == 0) return exec_probe(argc - 2, argv + 2, 1);
    if (argc >= 2 && strcmp(argv[1], "--exec-probe-stderr") == 0) return exec_probe(argc - 2, argv + 2, 2);

    double timeout_s = 10.0;
    int list = 0;
    int first_id = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            list = 1;
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            timeout_s = atof(argv[++i]);
            if (timeout_s <= 0) {
                usage(stderr);
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            usage(stderr);
            return 2;
        } else {
            first_id = i;
            break;
        }
    }

    if (list) {
        for (size_t t = 0; t < N_TABLES; t++)
            for (size_t i = 0; i < *tables[t].n; i++) {
                const struct tcase *c = &tables[t].cases[i];
                printf("%s\t%s\t%s\t", c->id, c->source, c->kind == KIND_CLAUSE ? "clause" : "netbsd-only");
                print_clean(c->clause);
                putchar('\n');
            }
        return 0;
    }

    for (int i = first_id; i < argc; i++)
        if (!find_case(argv[i])) {
            fprintf(stderr, "conformance: unknown case '%s' (see --list)\n", argv[i]);
            return 2;
        }

    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("mmap");
        return 2;
    }

    struct counts k = { 0, 0, 0 };
    int failed = 0;
    if (first_id < argc) {
        for (int i = first_id; i < argc; i++) failed |= run_case(find_case(argv[i]), timeout_s, &k);
    } else {
        for (size_t t = 0; t < N_TABLES; t++)
            for (size_t i = 0; i < *tables[t].n; i++) failed |= run_case(&tables[t].cases[i], timeout_s, &k);
    }
    printf("%d passed, %d failed, %d skipped\n", k.ok, k.fail, k.skip);
    return failed ? 1 : 0;
}

#ifndef SUITE_LIBRARY
int main(int argc, char **argv)
{
    return suite_main(argc, argv);
}
#endif

struct sockaddr_storage local_name(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    CHECK(getsockname(fd, (struct sockaddr *)&ss, &len) == 0, "getsockname: %s", strerror(errno));
    return ss;
}

int sockopt(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;
    CHECK(getsockopt(fd, level, name, &v, &len) == 0, "getsockopt(%d, %d): %s", level, name, strerror(errno));
    return v;
}

int getnosig(int fd)
{
    errno = 0;
    int v = fcntl(fd, F_GETNOSIGPIPE);
    CHECK(v != -1, "fcntl(%d, F_GETNOSIGPIPE): %s", fd, strerror(errno));
    return v;
}

int have_ipv6(void)
{
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    if (s < 0) return 0;
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    int ok = bind(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

const char *const write_call_name[WRITE_CALLS] = { "write", "writev", "send", "sendto", "sendmsg", "sendmmsg" };

ssize_t write_call(int how, int fd)
{
    static char b = 'x';
    struct iovec iov = { &b, 1 };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    struct mmsghdr mm;
    memset(&mm, 0, sizeof mm);
    mm.msg_hdr = m;
    switch (how) {
    case 0: return write(fd, &b, 1);
    case 1: return writev(fd, &iov, 1);
    case 2: return send(fd, &b, 1, 0);
    case 3: return sendto(fd, &b, 1, 0, NULL, 0);
    case 4: return sendmsg(fd, &m, 0);
    default: return sendmmsg(fd, &mm, 1, 0);
    }
}

#if defined(__x86_64__)
#define H_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define H_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

int forbid_fd_flag_changes(void)
{
#ifndef H_AUDIT_ARCH
    errno = ENOSYS; /* the filter is written for x86_64 and aarch64 only */
    return -1;
#else
    const unsigned args1 = (unsigned)(offsetof(struct seccomp_data, args) + sizeof(uint64_t));
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, H_AUDIT_ARCH, 0, 9),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fcntl, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 3, 6),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, args1),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, F_SETFD, 5, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, F_SETFL, 4, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, args1),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FIONBIO, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FIOCLEX, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
    };
    struct sock_fprog prog = { (unsigned short)(sizeof f / sizeof f[0]), f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0 ? -1 : 0;
#endif
}
