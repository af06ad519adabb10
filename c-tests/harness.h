/*
 * sockshim conformance suite: the runner's interface and the helpers the cases share.
 *
 * Every case runs in its own fork()ed child (own process group, all descriptors >= 3
 * closed, default signal dispositions, empty signal mask), bounded by a timeout. A case
 * reports through the CHECK/EXPECT macros (a failed check ends the child at once) or,
 * for a `netbsd-only` case, through observe(OBS_NETBSD | OBS_LINUX | OBS_OTHER, ...).
 * A clause case that returns normally has passed.
 *
 * The same sources build the native binary (the shim reached only through LD_PRELOAD,
 * or not at all) and the linked one (-lsockshim); paccept is a weak reference so that
 * the native binary links, and is NULL when no sockshim is loaded.
 */
#ifndef SOCKSHIM_HARNESS_H
#define SOCKSHIM_HARNESS_H

#include <sockshim.h>
#pragma weak paccept
#pragma weak sockshim_version

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libc_compat.h"

#if defined(__SANITIZE_ADDRESS__)
#define H_ASAN 1 /* ASan's own accept interceptors dereference addrlen themselves */
#else
#define H_ASAN 0
#endif

/* What a case observed. */
enum obs { OBS_NONE = 0, OBS_PASS, OBS_FAIL, OBS_SKIP, OBS_NETBSD, OBS_LINUX, OBS_OTHER };
enum kind { KIND_CLAUSE = 0, KIND_NETBSD_ONLY };

/* The source documents (exactly these strings). */
#define SRC_MAN "NetBSD accept(2)"
#define SRC_NBSD "NetBSD source"
#define SRC_WOPEN "WASIX sock_open"
#define SRC_WLISTEN "WASIX sock_listen"
#define SRC_WACCEPT "WASIX sock_accept"
#define SRC_MTCP "mTCP mtcp_accept"
#define SRC_SPEC "SPEC.md"

struct tcase {
    const char *id;
    const char *source;
    int kind;
    const char *clause;
    void (*fn)(void);
    int expect_linux;  /* expected observation, Linux personality */
    int expect_netbsd; /* expected observation, NetBSD personality */
};

#define CLAUSE(id_, src_, text_) { #id_, src_, KIND_CLAUSE, text_, t_##id_, OBS_PASS, OBS_PASS }
#define NETBSD_ONLY(id_, src_, text_, el_, en_) { #id_, src_, KIND_NETBSD_ONLY, text_, t_##id_, el_, en_ }

/* The case tables, one per cases_*.c file. */
extern const struct tcase cases_accept[];
extern const size_t n_cases_accept;
extern const struct tcase cases_paccept[];
extern const size_t n_cases_paccept;
extern const struct tcase cases_nosigpipe[];
extern const size_t n_cases_nosigpipe;
extern const struct tcase cases_wasix_mtcp[];
extern const size_t n_cases_wasix_mtcp;
extern const struct tcase cases_spec[];
extern const size_t n_cases_spec;
extern const struct tcase cases_edges[];
extern const size_t n_cases_edges;

extern const struct tcase cases_pipes[];
extern const size_t n_cases_pipes;
extern const struct tcase cases_policy[];
extern const size_t n_cases_policy;

/* The hidden exec probe of cases_nosigpipe.c (argv[1] == "--probe-nosigpipe"). */
int nosigpipe_exec_probe(int fd);
extern const struct tcase cases_exec[];
extern const size_t n_cases_exec;
/* The hidden exec probe of cases_exec.c (argv[1] == "--exec-probe[-stderr]"). */
int exec_probe(int argc, char **argv, int out_fd);
extern const struct tcase cases_early[];
extern const size_t n_cases_early;
int early_probe(void); /* argv[1] == "--early-probe" */
/* The hidden policy probes of cases_policy.c (argv[1] == "--policy-probe"). */
int policy_probe(const char *name);

/* ---- configuration ---- */
int suite_main(int argc, char **argv); /* the runner (harness.c) */
int shim_loaded(void);      /* sockshim_version is resolvable */
int personality_netbsd(void); /* SOCKSHIM_PERSONALITY=netbsd */
int have_paccept(void);
void need_paccept(void);    /* SKIP the case when paccept is not available */

/* ---- reporting (all but note() end the case) ---- */
_Noreturn void h_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
_Noreturn void observe(int obs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void h_eq(long long a, long long b, const char *as, const char *bs, const char *file, int line);
void h_err(long long r, int err, int want, const char *expr, const char *file, int line);
long long h_ok(long long r, int err, const char *expr, const char *file, int line);

#define CHECK(cond, ...) do { if (!(cond)) h_fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)
#define EXPECT_EQ(a, b) h_eq((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
/* expr must return -1 with errno == e */
#define EXPECT_ERR(expr, e) do { errno = 0; long long r_ = (long long)(expr); int e_ = errno; \
        h_err(r_, e_, (e), #expr, __FILE__, __LINE__); } while (0)
/* expr must not return -1 (value returned) */
#define OK(expr) h_ok_wrap((long long)(expr), #expr, __FILE__, __LINE__)
static inline long long h_ok_wrap(long long r, const char *expr, const char *file, int line)
{
    return h_ok(r, errno, expr, file, line);
}

/* ---- time ---- */
double now_ms(void);
void sleep_ms(int ms);

/* ---- descriptors ---- */
void close_from(int lowest);
int devnull(void);
void *unmapped_page(void);     /* an address with nothing mapped */
void *page_with_prot(int prot); /* a fresh page with the given protection */
int getfl(int fd);
int getfd(int fd);
/* A seccomp filter that makes F_SETFD, F_SETFL, FIONBIO and FIOCLEX fail with EPERM, so
 * that flags can only have been set atomically at creation (0, or -1 with errno). */
int forbid_fd_flag_changes(void);

/* ---- sockets (loopback only) ---- */
struct addr {
    struct sockaddr_storage ss;
    socklen_t len;
};
int tcp_listener(int family, int type_flags, int backlog, struct addr *a);
int tcp_connect(const struct addr *a);        /* blocking connect, returns the client */
int tcp_connect_nb(const struct addr *a);     /* non-blocking connect (EINPROGRESS ok) */
int unix_listener(int type_flags, int backlog, struct addr *a); /* abstract AF_UNIX stream */
int unix_connect(const struct addr *a);
int udp_socket(int family);
int queue_len(int listener, int *max_backlog); /* TCP_INFO: accept queue length and limit */
void wait_queued(int listener, int n, int ms); /* wait until n connections are queued */
int wait_fd(int fd, short events, int ms);     /* poll: revents, 0 on timeout */
int tcp_pair(int *srv, int *cli);              /* an accepted TCP connection */
void break_tcp(int fd, int peer);              /* peer resets; fd's next write gives EPIPE */
int addr_port(const struct sockaddr_storage *ss);
int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
const char *addr_str(const struct sockaddr_storage *ss);
int somaxconn(void);

/* ---- signals ---- */
#define H_NSIG 65
extern volatile sig_atomic_t sig_count[H_NSIG];
extern sigset_t sig_mask_seen[H_NSIG];       /* thread mask inside the last handler run */
extern void (*volatile sig_hook)(int);      /* called from the counting handler */
void on_signal(int sig, int sa_flags);        /* counting handler */
void ignore_signal(int sig);
void block_signal(int sig);
void unblock_signal(int sig);
int is_pending(int sig);
sigset_t current_mask(void);
int same_mask(const sigset_t *a, const sigset_t *b); /* over 1..64, glibc's 32/33 excluded */
const char *mask_str(const sigset_t *m);

/* ---- threads ---- */
pthread_t spawn(void *(*fn)(void *), void *arg);
int wait_child(pid_t pid, int ms); /* exit status; the case fails after ms */
int join_ms(pthread_t t, int ms, void **ret); /* 0 when joined, ETIMEDOUT otherwise */
/* a thread that sleeps `ms` then connects to `a`; its client fd is in ->fd */
struct delayed_connect {
    struct addr a;
    int ms;
    volatile int fd;
    pthread_t th;
};
void delayed_connect_start(struct delayed_connect *d, const struct addr *a, int ms);
/* a thread that sleeps `ms` then pthread_kill(target, sig) */
struct delayed_kill {
    pthread_t target;
    int sig;
    int ms;
    pthread_t th;
};
void delayed_kill_start(struct delayed_kill *d, pthread_t target, int sig, int ms);


/* Small queries shared by the case files; each CHECKs its system call. */
struct sockaddr_storage local_name(int fd); /* getsockname() */
int sockopt(int fd, int level, int name);  /* an int getsockopt() */
int getnosig(int fd);                      /* fcntl(fd, F_GETNOSIGPIPE) */
int have_ipv6(void);                       /* can bind ::1 */

/* The six write-type calls the no-SIGPIPE state covers, each writing one byte to fd. */
enum { WRITE_CALLS = 6 };
extern const char *const write_call_name[WRITE_CALLS]; /* "write", "writev", ... "sendmmsg" */
ssize_t write_call(int how, int fd);                   /* 0 <= how < WRITE_CALLS */

#endif
