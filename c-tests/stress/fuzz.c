/*
 * Bad-input fuzzer (issue 5, item 4): a seeded random driver for every export.
 *
 * Two "worlds" of descriptors are built the same way in one process: world S through
 * sockshim's exports (this program links -lsockshim), world N through the reference:
 * --reference=libc, the C library's own functions (dlsym on the libc.so.6 handle, which
 * sockshim does not interpose; glibc's default), or --reference=kernel, the system calls
 * themselves (the default for any other C library: musl's own functions differ from the
 * system call on purpose, SPEC.md "Platforms", and its libc has no separate handle).
 * World N lives at descriptor numbers 2000+slot, world S at 3000+slot, so a call on
 * slot i in one world has its twin in the other; new descriptors are moved to the same
 * free slot in both. Each random call (socket socketpair listen accept accept4 paccept
 * write writev send sendto sendmsg sendmmsg sendfile splice dup dup2 dup3 fcntl close
 * close_range closefrom setsockopt getsockopt) is made in S and then, with the same
 * arguments, in N, and compared (--mode=diff): return value (descriptor numbers as
 * slots), errno, SIGPIPEs raised, *addrlen / *optlen written, the accept queue length
 * after accept-type calls (a connection lost by one and not the other shows there),
 * and pointer arguments: NULL, unmapped, read-only, misaligned, straddling into an
 * unmapped page, kernel addresses; addrlen values 0, small, huge, >= 0x80000000.
 *
 * Only inputs Linux defines are compared: sockshim's NetBSD bits (SOCK_NOSIGPIPE,
 * F_GETNOSIGPIPE/F_SETNOSIGPIPE, SO_NOSIGPIPE) are given to S and stripped for N (a
 * socket made no-SIGPIPE is then made plain again, after checking its state, so the
 * worlds stay alike); paccept is compared with accept4 of the same known flags (it
 * ignores unknown ones, as NetBSD does) when its mask pointer is good, and must give
 * EFAULT, consuming nothing, when it is not. --mode=wild drops the comparison and
 * passes any bits anywhere (for the netbsd personality and the policies): only crashes
 * and hangs count there.
 *
 * Every batch runs in a forked child with alarm(): a crash or a hang is a failure,
 * printed with the seed that reproduces it (--seed=S --batches=1). All descriptors
 * are non-blocking and sends use MSG_DONTWAIT-free but non-blocking sockets, so no
 * call can sleep; destination addresses are loopback or invalid only; F_SETOWN /
 * F_SETSIG only name this process and ignored signals.
 */
#include "common.h"

#include <dlfcn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stddef.h>
#include <sys/sendfile.h>

#define NSLOT 48
#define N_BASE 2000
#define S_BASE 3000

typedef int (*socket_f)(int, int, int);
typedef int (*socketpair_f)(int, int, int, int *);
typedef int (*listen_f)(int, int);
typedef int (*accept_f)(int, struct sockaddr *, socklen_t *);
typedef int (*accept4_f)(int, struct sockaddr *, socklen_t *, int);
typedef ssize_t (*write_f)(int, const void *, size_t);
typedef ssize_t (*writev_f)(int, const struct iovec *, int);
typedef ssize_t (*send_f)(int, const void *, size_t, int);
typedef ssize_t (*sendto_f)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendmsg_f)(int, const struct msghdr *, int);
typedef int (*sendmmsg_f)(int, struct mmsghdr *, unsigned, H_SENDMMSG_FLAGS);
typedef ssize_t (*sendfile_f)(int, int, off_t *, size_t);
typedef ssize_t (*splice_f)(int, off_t *, int, off_t *, size_t, unsigned);
typedef int (*dup_f)(int);
typedef int (*dup2_f)(int, int);
typedef int (*dup3_f)(int, int, int);
typedef int (*fcntl_f)(int, int, ...);
typedef int (*close_f)(int);
typedef int (*close_range_f)(unsigned, unsigned, int);
typedef int (*setsockopt_f)(int, int, int, const void *, socklen_t);
typedef int (*getsockopt_f)(int, int, int, void *, socklen_t *);

struct world {
    const char *name;
    int base;
    char *buf; /* this world's valid memory, BUFSZ bytes */
    char *straddle_end; /* the end of a read-write page followed by an unmapped one */
    socket_f socket;
    socketpair_f socketpair;
    listen_f listen;
    accept_f accept;
    accept4_f accept4;
    write_f write;
    writev_f writev;
    send_f send;
    sendto_f sendto;
    sendmsg_f sendmsg;
    sendmmsg_f sendmmsg;
    sendfile_f sendfile;
    splice_f splice;
    dup_f dup;
    dup2_f dup2;
    dup3_f dup3;
    fcntl_f fcntl;
    close_f close;
    close_range_f close_range;
    setsockopt_f setsockopt;
    getsockopt_f getsockopt;
    int peers[64];
    int npeers;
};

#define BUFSZ 65536
#define CHUNK 4096 /* each pointer argument of a call gets its own chunk of buf */

enum {
    C_SOCKET, C_SOCKETPAIR, C_LISTEN, C_ACCEPT, C_ACCEPT4, C_PACCEPT, C_WRITE, C_WRITEV, C_SEND, C_SENDTO,
    C_SENDMSG, C_SENDMMSG, C_SENDFILE, C_SPLICE, C_DUP, C_DUP2, C_DUP3, C_FCNTL, C_CLOSE, C_CLOSE_RANGE,
    C_SETSOCKOPT, C_GETSOCKOPT, N_CALL
};
static const char *const cname[N_CALL] = { "socket", "socketpair", "listen", "accept", "accept4", "paccept",
                                           "write", "writev", "send", "sendto", "sendmsg", "sendmmsg", "sendfile",
                                           "splice", "dup", "dup2", "dup3", "fcntl", "close", "close_range",
                                           "setsockopt", "getsockopt" };

/* What a batch reports to the parent (shared memory). */
struct report {
    long calls[N_CALL], compared[N_CALL], mismatched[N_CALL];
    long total, closefroms, kept, tcp_loose;
    int nmsg;
    char msg[8][400];
    volatile int phase; /* for a crash report: the call being made */
    volatile long at;
};
static struct report *rep;

static int wild;
static struct world W[2]; /* 0 = S (sockshim), 1 = N (native) */
static char *unmapped, *ro; /* shared pointer targets (nothing can be written there) */
static volatile int sigpipes;
static uint64_t rng;

static void on_sigpipe(int s)
{
    (void)s;
    sigpipes++;
}

/* ------------------------------------------------------------------------------ */

static long raw_fcntl(int fd, int cmd, long arg)
{
    return syscall(SYS_fcntl, fd, cmd, arg);
}

static int is_open(int fd)
{
    return raw_fcntl(fd, F_GETFD, 0) >= 0;
}

static void make_nonblocking(int fd)
{
    long fl = raw_fcntl(fd, F_GETFL, 0);
    if (fl >= 0 && !(fl & O_NONBLOCK)) raw_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int sockopt_raw(int fd, int level, int name)
{
    int v = -1;
    socklen_t l = sizeof v;
    if (syscall(SYS_getsockopt, fd, level, name, &v, &l) != 0) return -1;
    return v;
}

/* Accept queue length of a TCP listener, -1 if not one. */
static int queue_len(int fd)
{
    if (sockopt_raw(fd, SOL_SOCKET, SO_ACCEPTCONN) != 1) return -1;
    if (sockopt_raw(fd, SOL_SOCKET, SO_PROTOCOL) != IPPROTO_TCP) return -1;
    struct tcp_info ti;
    socklen_t l = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (syscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_INFO, &ti, &l) != 0) return -1;
    return (int)ti.tcpi_unacked;
}

static void note_mismatch(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note_mismatch(const char *fmt, ...)
{
    if (rep->nmsg >= 8) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->msg[rep->nmsg++], sizeof rep->msg[0], fmt, ap);
    va_end(ap);
}

/* Moves a new descriptor of world w into slot `slot` (the world's own dup2/close). */
static void to_slot(struct world *w, int fd, int slot)
{
    if (fd < 0) return;
    if (slot < 0) {
        w->close(fd);
        return;
    }
    int target = w->base + slot;
    if (fd == target) return;
    if (w->dup2(fd, target) != target) {
        note_mismatch("%s: dup2(%d, %d) to file a new descriptor failed: %s", w->name, fd, target, strerror(errno));
    }
    w->close(fd);
    make_nonblocking(target);
}

static int free_slot(void)
{
    int start = (int)(rnd(&rng) % NSLOT);
    for (int i = 0; i < NSLOT; i++) {
        int s = (start + i) % NSLOT;
        int a = is_open(S_BASE + s), b = is_open(N_BASE + s);
        if (!a && !b) return s;
    }
    return -1;
}

/* ------------------------------------------------------------------------------ */
/* The worlds                                                                       */

static void peer_connect(struct world *w, int listener)
{
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    if (syscall(SYS_getsockname, listener, &ss, &l) != 0) return;
    int c = (int)syscall(SYS_socket, ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c < 0) return;
    syscall(SYS_connect, c, &ss, l); /* loopback: completes or is EINPROGRESS */
    if (w->npeers == 64) {
        syscall(SYS_close, w->peers[0]);
        memmove(w->peers, w->peers + 1, sizeof w->peers[0] * 63);
        w->npeers--;
    }
    w->peers[w->npeers++] = c;
}

/* Listeners in both worlds get another pending connection when they run low. */
static void replenish(void)
{
    int made = 0;
    for (int s = 0; s < NSLOT; s++) {
        int qa = queue_len(S_BASE + s), qb = queue_len(N_BASE + s);
        if (qa < 0 || qb < 0 || (qa != qb && !wild) || qa >= 2 || qb >= 2) continue;
        peer_connect(&W[0], S_BASE + s);
        peer_connect(&W[1], N_BASE + s);
        made = 1;
    }
    /* (in wild mode the worlds may differ on purpose: nothing to wait for) */
    for (int i = 0; i < 50 && made && !wild; i++) {
        int done = 1;
        for (int s = 0; s < NSLOT; s++) {
            int qa = queue_len(S_BASE + s), qb = queue_len(N_BASE + s);
            if (qa >= 0 && qb >= 0 && qa != qb) done = 0;
        }
        if (done) return;
        sleep_us(200);
    }
}

static int tcp_listener_w(struct world *w, int family)
{
    int l = w->socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (l < 0) return -1;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *a = (void *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (void *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (syscall(SYS_bind, l, &ss, len) != 0 || w->listen(l, 16) != 0) {
        w->close(l);
        return -1;
    }
    return l;
}

/* The same objects in the same slots of world w. */
static void build(struct world *w, int with_v6)
{
    int fd, sv[2];
    /* 0: TCP listener with pending connections; 1: an empty one; 2: IPv6 listener */
    fd = tcp_listener_w(w, AF_INET);
    to_slot(w, fd, 0);
    for (int i = 0; i < 3; i++) peer_connect(w, w->base + 0);
    to_slot(w, tcp_listener_w(w, AF_INET), 1);
    if (with_v6) {
        to_slot(w, tcp_listener_w(w, AF_INET6), 2);
        peer_connect(w, w->base + 2);
    }
    /* 3: connected TCP (accepted, peer open); 4: TCP whose peer reset */
    for (int k = 0; k < 2; k++) {
        int l = tcp_listener_w(w, AF_INET);
        peer_connect(w, l);
        int c = w->peers[w->npeers - 1];
        for (int i = 0; i < 100; i++) {
            struct pollfd p = { l, POLLIN, 0 };
            if (poll(&p, 1, 10) > 0) break;
        }
        int a = w->accept4(l, NULL, NULL, SOCK_NONBLOCK);
        w->close(l);
        if (k == 1 && a >= 0) {
            struct linger lg = { 1, 0 };
            setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            syscall(SYS_close, c);
            w->npeers--;
            struct pollfd p = { a, POLLIN, 0 };
            poll(&p, 1, 100);
        }
        to_slot(w, a, 3 + k);
    }
    /* 5: UDP; 6: unix stream pair end (7 the other); 8: unix stream, peer closed; 9: unix datagram */
    to_slot(w, w->socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), 5);
    if (w->socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0) {
        to_slot(w, sv[0], 6);
        to_slot(w, sv[1], 7);
    }
    if (w->socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0) {
        w->close(sv[1]);
        to_slot(w, sv[0], 8);
    }
    to_slot(w, w->socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0), 9);
    /* 10/11: a pipe; 12: a pipe without reader; 13: memfd with data; 14: /dev/null; 15: epoll; 16: eventfd */
    int p[2];
    if (pipe2(p, O_NONBLOCK) == 0) {
        to_slot(w, p[0], 10);
        to_slot(w, p[1], 11);
    }
    if (pipe2(p, O_NONBLOCK) == 0) {
        syscall(SYS_close, p[0]);
        to_slot(w, p[1], 12);
    }
    /* sealed against growth: a 2 GiB write or sendfile into it must not eat memory */
    fd = memfd_create("fuzz", MFD_ALLOW_SEALING);
    if (fd >= 0 && (syscall(SYS_write, fd, "0123456789abcdef", 16) != 16 ||
                    raw_fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK) != 0))
        FAIL("memfd: %s", strerror(errno));
    to_slot(w, fd, 13);
    to_slot(w, open("/dev/null", O_RDWR), 14);
    to_slot(w, epoll_create1(0), 15);
    to_slot(w, eventfd(0, EFD_NONBLOCK), 16);
    /* 17: unbound TCP; 18: unix stream listener (abstract) with a pending connection */
    to_slot(w, w->socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), 17);
    fd = w->socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd >= 0) {
        struct sockaddr_un u;
        memset(&u, 0, sizeof u);
        u.sun_family = AF_UNIX;
        int n = snprintf(u.sun_path + 1, sizeof u.sun_path - 1, "sockshim-fuzz-%d-%s", (int)getpid(), w->name);
        if (syscall(SYS_bind, fd, &u, offsetof(struct sockaddr_un, sun_path) + 1 + n) == 0 && w->listen(fd, 8) == 0) {
            to_slot(w, fd, 18);
            peer_connect(w, w->base + 18);
        } else {
            w->close(fd);
        }
    }
}

/* ------------------------------------------------------------------------------ */
/* Arguments                                                                        */

struct fdarg {
    int slot; /* >= 0: the world's descriptor for that slot */
    int raw;  /* otherwise this number (never an open descriptor) */
};

static struct fdarg gen_fd(void)
{
    struct fdarg f = { -1, -1 };
    uint64_t x = rnd(&rng);
    if (x % 10 < 8) {
        f.slot = (int)((x >> 8) % (NSLOT > 24 ? 24 : NSLOT)); /* mostly the populated slots */
        if ((x >> 20) % 4 == 0) f.slot = (int)((x >> 24) % NSLOT);
        return f;
    }
    static const int raws[] = { -1, -1000, INT_MAX, 1 << 20, 65535, 4095, 1500, INT_MIN };
    f.raw = raws[(x >> 8) % 8];
    return f;
}

static int fd_in(const struct world *w, struct fdarg f)
{
    return f.slot >= 0 ? w->base + f.slot : f.raw;
}

enum { P_NULL, P_UNMAPPED, P_RO, P_VALID, P_MISALIGNED, P_STRADDLE, P_KERNEL, P_ALLONES, N_PCAT };
static const char *const pname[N_PCAT] = { "NULL", "unmapped", "read-only", "valid", "misaligned", "straddling",
                                           "kernel", "~0" };

struct ptrarg {
    int cat;
    int chunk; /* which chunk of the world buffer */
    size_t size;
};

static int next_chunk;

static struct ptrarg gen_ptr(size_t size, int mostly_valid)
{
    struct ptrarg p;
    uint64_t x = rnd(&rng);
    p.cat = mostly_valid && x % 10 < 6 ? P_VALID : (int)((x >> 8) % N_PCAT);
    p.chunk = next_chunk++ % (BUFSZ / CHUNK);
    p.size = size;
    if (p.cat == P_STRADDLE) {
        /* the readable part holds the same bytes in both worlds */
        for (int i = 1; i <= 128; i++) {
            char v = (char)rnd(&rng);
            W[0].straddle_end[-i] = v;
            W[1].straddle_end[-i] = v;
        }
    }
    return p;
}

static void *ptr_in(const struct world *w, struct ptrarg p)
{
    switch (p.cat) {
    case P_NULL: return NULL;
    case P_UNMAPPED: return unmapped;
    case P_RO: return ro;
    case P_VALID: return w->buf + p.chunk * CHUNK;
    case P_MISALIGNED: return w->buf + p.chunk * CHUNK + 1;
    case P_STRADDLE: return w->straddle_end - (p.size > 1 ? p.size / 2 : 1);
    case P_KERNEL: return (void *)(uintptr_t)0xffff800000001000ULL;
    default: return (void *)(uintptr_t)~0ULL;
    }
}

/* Fills chunk `c` of both worlds' buffers with the same bytes. */
static void fill_both(int c, const void *bytes, size_t n)
{
    if (n > CHUNK - 1) n = CHUNK - 1;
    for (int i = 0; i < 2; i++) {
        memcpy(W[i].buf + c * CHUNK, bytes, n);
        memcpy(W[i].buf + c * CHUNK + 1, bytes, n); /* the misaligned copy starts one byte later */
    }
}

static void fill_random(int c, size_t n)
{
    unsigned char b[CHUNK];
    if (n > sizeof b) n = sizeof b;
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)rnd(&rng);
    fill_both(c, b, n);
}

/* The same value at the start of chunk c (and one byte in) of both worlds. */
static void fill_u32(int c, uint32_t v)
{
    fill_both(c, &v, sizeof v);
}

static uint32_t gen_len(void)
{
    static const uint32_t v[] = { 0, 1, 2, 15, 16, 27, 28, 110, 128, 4096, 0x7fffffff, 0x80000000u, 0xffffffffu };
    uint64_t x = rnd(&rng);
    return x % 5 == 0 ? (uint32_t)(x >> 16) : v[(x >> 8) % 13];
}

static size_t gen_size(void)
{
    static const size_t v[] = { 0, 1, 7, 100, 4000, 65536, (size_t)1 << 31, SIZE_MAX };
    return v[rnd(&rng) % 8];
}

static int gen_sockflags(void)
{
    uint64_t x = rnd(&rng);
    int f = 0;
    if (x & 1) f |= SOCK_CLOEXEC;
    if (x & 2) f |= SOCK_NONBLOCK;
    if ((x >> 2) % 8 == 0) f |= (int)(1u << ((x >> 8) % 31)); /* an unknown bit now and then */
    if ((x >> 5) % 6 == 0) f |= SOCK_NOSIGPIPE;
    return f;
}

/* A destination address: loopback, abstract unix, or an invalid family; never elsewhere. */
static void gen_sockaddr(int c)
{
    unsigned char b[128];
    for (size_t i = 0; i < sizeof b; i++) b[i] = (unsigned char)rnd(&rng);
    uint64_t x = rnd(&rng);
    switch (x % 4) {
    case 0: {
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = (in_port_t)(x >> 16);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        memcpy(b, &a, sizeof a);
        break;
    }
    case 1: {
        struct sockaddr_in6 a;
        memset(&a, 0, sizeof a);
        a.sin6_family = AF_INET6;
        a.sin6_port = (in_port_t)(x >> 16);
        a.sin6_addr = in6addr_loopback;
        memcpy(b, &a, sizeof a);
        break;
    }
    case 2:
        b[0] = AF_UNIX;
        b[1] = 0;
        b[2] = 0; /* abstract */
        break;
    default:
        b[0] = 0x77;
        b[1] = 0x77; /* no such family */
        break;
    }
    fill_both(c, b, sizeof b);
}

/* ------------------------------------------------------------------------------ */
/* One call                                                                         */

struct outcome {
    long r;
    int err;
    int sigs;
    int fd2;     /* socketpair: second descriptor */
    uint32_t len; /* *addrlen / *optlen after, when that pointer was valid */
    int has_len;
    int queue;   /* accept-type calls: queue length after (-1: not a TCP listener) */
    int nosig;   /* a socket made with SOCK_NOSIGPIPE: F_GETNOSIGPIPE right after */
};

struct call {
    int which;
    struct fdarg fd, fd2;
    struct ptrarg p1, p2, p3;
    long a, b, c;   /* integer arguments (S values) */
    long an, bn;    /* the same for N where they differ (NetBSD bits stripped) */
    int new_fd;     /* returns a new descriptor */
    int paccept_badmask;
};

static const int fcntl_cmds[] = { F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC, F_GETOWN,
                                  F_SETOWN, F_GETPIPE_SZ, F_SETPIPE_SZ, F_GETSIG, F_SETSIG, F_GETLK, F_SETLK,
                                  F_GETLEASE, F_ADD_SEALS, F_GET_SEALS, F_GETOWN_EX, F_SETOWN_EX, -1, 9999,
                                  F_GETNOSIGPIPE, F_SETNOSIGPIPE };
/* The last two are sockshim's. No open-file-description locks (F_OFD_*): the twin
 * worlds share inodes (/dev/null, the one anonymous inode of every eventfd and epoll
 * descriptor), so a lock taken in one world conflicts with its twin's. */
#define N_FCNTL_LINUX 21

static const int sol_opts[] = { SO_REUSEADDR, SO_KEEPALIVE, SO_TYPE, SO_ERROR, SO_SNDBUF, SO_RCVBUF, SO_RCVTIMEO,
                                SO_SNDTIMEO, SO_ACCEPTCONN, SO_PROTOCOL, SO_DOMAIN, SO_PRIORITY, SO_REUSEPORT,
                                SO_OOBINLINE, SO_BROADCAST, SO_RCVLOWAT, SO_MARK, SO_PASSCRED, SO_BINDTODEVICE,
                                SO_LINGER, SO_NOSIGPIPE };
#define N_SOL_LINUX 20

static void gen_call(struct call *c)
{
    memset(c, 0, sizeof *c);
    c->an = c->bn = LONG_MIN; /* "as for S" unless a case sets them */
    next_chunk = 0;
    uint64_t x = rnd(&rng);
    c->which = (int)(x % N_CALL);
    c->fd = gen_fd();
    c->fd2 = gen_fd();
    switch (c->which) {
    case C_SOCKET:
    case C_SOCKETPAIR: {
        static const int dom[] = { AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, -1, 9999, AF_UNSPEC };
        static const int ty[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW, 0, 99 };
        c->a = dom[(x >> 8) % 7];
        c->b = ty[(x >> 12) % 6] | gen_sockflags();
        c->c = (x >> 16) % 4 == 0 ? (long)(int)(x >> 32) : 0;
        if (c->a == AF_NETLINK) c->c = 0; /* NETLINK_ROUTE */
        if ((c->b & 0xf) == SOCK_RAW && (c->a == AF_INET || c->a == AF_INET6)) c->b = (c->b & ~0xf) | SOCK_DGRAM;
        c->an = c->a;
        c->bn = c->b & ~SOCK_NOSIGPIPE;
        c->new_fd = 1;
        c->p1 = gen_ptr(8, 1);
        break;
    }
    case C_LISTEN: {
        static const long bl[] = { 0, 1, 16, -1, INT_MIN, INT_MAX, 100000 };
        c->a = bl[(x >> 8) % 7];
        break;
    }
    case C_ACCEPT:
    case C_ACCEPT4:
    case C_PACCEPT:
        c->p1 = gen_ptr(128, 1);
        c->p2 = gen_ptr(4, 1);
        fill_u32(c->p2.chunk, gen_len());
        c->b = gen_sockflags();
        if (c->which == C_PACCEPT) {
            c->p3 = gen_ptr(8, 1);
            if ((x >> 40) % 3 == 0) c->p3.cat = P_NULL;
            uint64_t m = (x >> 44) & 1 ? 0 : ~0ULL;
            fill_both(c->p3.chunk, &m, 8);
            c->paccept_badmask = c->p3.cat != P_NULL && c->p3.cat != P_VALID && c->p3.cat != P_MISALIGNED &&
                                 c->p3.cat != P_RO;
            c->bn = c->b & (SOCK_CLOEXEC | SOCK_NONBLOCK); /* paccept ignores other bits */
        } else {
            c->bn = c->b & ~SOCK_NOSIGPIPE;
        }
        c->new_fd = 1;
        break;
    case C_WRITE:
    case C_WRITEV:
    case C_SEND:
    case C_SENDTO:
    case C_SENDMSG:
    case C_SENDMMSG: {
        c->p1 = gen_ptr(256, 1); /* data, or the iovec / msghdr / mmsghdr array */
        c->p2 = gen_ptr(128, 1); /* destination address, or the data of a vector */
        c->p3 = gen_ptr(64, 1);  /* control data */
        fill_random(c->p1.chunk, 256);
        gen_sockaddr(c->p2.chunk);
        fill_random(c->p3.chunk, 64);
        c->a = (long)gen_size();
        if (c->which == C_WRITEV || c->which == C_SENDMSG || c->which == C_SENDMMSG) {
            static const long cnt[] = { 0, 1, 2, 3, 1024, 1025, -1, 100000 };
            c->a = cnt[(x >> 8) % 8];
        }
        static const int mf[] = { 0, MSG_DONTWAIT, MSG_OOB, MSG_EOR, MSG_MORE, MSG_NOSIGNAL, MSG_CONFIRM,
                                  MSG_DONTROUTE, 0x40000000 };
        c->b = mf[(x >> 12) % 9] | ((x >> 16) % 5 == 0 ? mf[(x >> 20) % 9] : 0);
        c->bn = c->b;
        c->c = (long)gen_len();
        break;
    }
    case C_SENDFILE:
    case C_SPLICE:
        c->p1 = gen_ptr(8, 1);
        c->p2 = gen_ptr(8, 1);
        {
            int64_t off = (x >> 8) % 4 == 0 ? -1 : (int64_t)((x >> 12) % 32);
            fill_both(c->p1.chunk, &off, 8);
            fill_both(c->p2.chunk, &off, 8);
        }
        c->a = (long)gen_size();
        c->b = (long)((x >> 20) % 16) | SPLICE_F_NONBLOCK;
        c->bn = c->b;
        break;
    case C_DUP:
        c->new_fd = 1;
        break;
    case C_DUP2:
    case C_DUP3:
        c->b = (x >> 8) % 3 == 0 ? O_CLOEXEC : (x >> 8) % 3 == 1 ? 0 : (long)(int)(x >> 16);
        c->bn = c->b;
        break;
    case C_FCNTL: {
        int n = wild ? (int)(sizeof fcntl_cmds / sizeof fcntl_cmds[0]) : N_FCNTL_LINUX;
        c->a = fcntl_cmds[(x >> 8) % (uint64_t)n];
        c->p1 = gen_ptr(64, 1);
        fill_random(c->p1.chunk, 64);
        switch (c->a) {
        case F_DUPFD:
        case F_DUPFD_CLOEXEC: {
            static const long v[] = { 0, 3, 10, -1, 1 << 20, INT_MAX };
            c->b = (x >> 16) % 2 ? -(long)S_BASE : v[(x >> 20) % 6]; /* -S_BASE: the slot of fd2 */
            c->new_fd = 1;
            break;
        }
        case F_SETFD: c->b = (long)((x >> 16) % 4); break;
        case F_SETFL: c->b = (long)(int)(x >> 16) & (O_NONBLOCK | O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | 0x7); break;
        case F_SETOWN: c->b = (x >> 16) % 2 ? getpid() : 0; break;
        case F_SETSIG: c->b = (x >> 16) % 2 ? SIGURG : 0; break;
        case F_SETPIPE_SZ: c->b = (long)(4096u << ((x >> 16) % 9)); break;
        case F_ADD_SEALS: c->b = (long)((x >> 16) % 32); break;
        case F_SETNOSIGPIPE: c->b = (long)((x >> 16) % 3); break;
        case F_SETOWN_EX: {
            struct f_owner_ex o = { F_OWNER_TID, 0 };
            o.pid = (x >> 16) % 2 ? (pid_t)syscall(SYS_gettid) : 0;
            fill_both(c->p1.chunk, &o, sizeof o);
            break;
        }
        case F_SETLK:
        case F_OFD_SETLK:
        case F_GETLK:
        case F_OFD_GETLK: {
            struct flock fl;
            memset(&fl, 0, sizeof fl);
            fl.l_type = (short)((x >> 16) % 4);
            fl.l_whence = (short)((x >> 20) % 4);
            fl.l_start = (off_t)((x >> 24) % 64) - 8;
            fl.l_len = (off_t)((x >> 32) % 64) - 8;
            fill_both(c->p1.chunk, &fl, sizeof fl);
            break;
        }
        default: c->b = (long)(int)(x >> 16); break;
        }
        c->bn = c->b;
        break;
    }
    case C_CLOSE_RANGE: {
        int lo = (int)((x >> 8) % NSLOT), hi = (int)((x >> 16) % NSLOT);
        if ((x >> 24) % 3 == 0 && lo < hi) hi = lo + 1; /* mostly small ranges: keep the worlds populated */
        c->a = lo;
        c->b = hi;
        static const long fl[] = { 0, 0, 0, CLOSE_RANGE_CLOEXEC, CLOSE_RANGE_UNSHARE, 0x10, -1 };
        c->c = fl[(x >> 28) % 7];
        break;
    }
    case C_SETSOCKOPT:
    case C_GETSOCKOPT: {
        static const int lv[] = { SOL_SOCKET, SOL_SOCKET, SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6, -1 };
        c->a = lv[(x >> 8) % 7];
        int n = wild ? (int)(sizeof sol_opts / sizeof sol_opts[0]) : N_SOL_LINUX;
        if (c->a == SOL_SOCKET)
            c->b = sol_opts[(x >> 12) % (uint64_t)n];
        else if (c->a == IPPROTO_TCP) {
            static const int t[] = { TCP_NODELAY, TCP_MAXSEG, TCP_CORK, TCP_KEEPIDLE, TCP_INFO, TCP_CONGESTION,
                                     TCP_USER_TIMEOUT, TCP_QUICKACK, 9999 };
            c->b = t[(x >> 12) % 9];
        } else {
            c->b = (long)((x >> 12) % 70);
        }
        c->p1 = gen_ptr(64, 1);
        c->p2 = gen_ptr(4, 1);
        fill_random(c->p1.chunk, 64);
        if (c->b == SO_LINGER && c->a == SOL_SOCKET) {
            /* never a lingering close that could wait: on with 0 s, or off (and never
             * from memory whose bytes this program does not choose: the read-only page
             * reads as a long linger time, and close would then wait for the peer, in
             * both worlds) */
            if (c->p1.cat == P_RO || c->p1.cat == P_STRADDLE) c->p1.cat = P_VALID;
            struct linger lg = { (int)((x >> 20) & 1), 0 };
            fill_both(c->p1.chunk, &lg, sizeof lg);
        }
        if (c->b == TCP_CONGESTION && c->a == IPPROTO_TCP) fill_both(c->p1.chunk, "cubic", 6);
        uint32_t l = gen_len();
        c->c = (long)l;
        fill_u32(c->p2.chunk, l);
        break;
    }
    default: break;
    }
    if (c->which == C_ACCEPT) c->bn = c->b = 0;
    if (c->an == LONG_MIN) c->an = c->a;
    if (c->bn == LONG_MIN) c->bn = c->b;
}

static struct outcome run(struct world *w, const struct call *c, int native)
{
    struct outcome o;
    memset(&o, 0, sizeof o);
    o.fd2 = -1;
    o.queue = -2;
    int fd = fd_in(w, c->fd), fd2 = fd_in(w, c->fd2);
    if (c->fd.slot >= 0) make_nonblocking(fd);
    if (c->fd2.slot >= 0) make_nonblocking(fd2);
    long a = native ? c->an : c->a, b = native ? c->bn : c->b;
    void *p1 = ptr_in(w, c->p1), *p2 = ptr_in(w, c->p2), *p3 = ptr_in(w, c->p3);
    int before = sigpipes;
    errno = 0;
    long r = -1;
    switch (c->which) {
    case C_SOCKET: r = w->socket((int)a, (int)b, (int)c->c); break;
    case C_SOCKETPAIR: r = w->socketpair((int)a, (int)b, (int)c->c, p1); break;
    case C_LISTEN: r = w->listen(fd, (int)a); break;
    case C_ACCEPT: r = w->accept(fd, p1, p2); break;
    case C_ACCEPT4: r = w->accept4(fd, p1, p2, (int)b); break;
    case C_PACCEPT:
        r = native ? w->accept4(fd, p1, p2, (int)b) : paccept(fd, p1, p2, p3, (int)b);
        break;
    case C_WRITE: r = w->write(fd, p1, (size_t)a); break;
    case C_WRITEV:
    case C_SENDMSG:
    case C_SENDMMSG: {
        /* the vector: in the valid chunk p1 (when valid), pointing at p2 / p3 */
        struct iovec iov[3] = { { p2, 7 }, { p3, 0 }, { p2, 100 } };
        if (c->p1.cat == P_VALID) {
            if (c->which == C_WRITEV) {
                memcpy(p1, iov, sizeof iov);
            } else {
                struct msghdr m;
                memset(&m, 0, sizeof m);
                m.msg_name = (c->c & 3) == 0 ? p2 : NULL;
                m.msg_namelen = (socklen_t)(c->c >> 2);
                m.msg_iov = (struct iovec *)((char *)p1 + 256);
                memcpy(m.msg_iov, iov, sizeof iov);
                m.msg_iovlen = (size_t)((c->c >> 4) % 4);
                m.msg_control = (c->c & 4) ? p3 : NULL;
                m.msg_controllen = (size_t)((c->c >> 8) % 80);
                if (c->which == C_SENDMSG) {
                    memcpy(p1, &m, sizeof m);
                } else {
                    struct mmsghdr mm[2];
                    memset(mm, 0, sizeof mm);
                    mm[0].msg_hdr = m;
                    mm[1].msg_hdr = m;
                    memcpy(p1, mm, sizeof mm);
                }
            }
        }
        if (c->which == C_WRITEV) r = w->writev(fd, p1, (int)a);
        else if (c->which == C_SENDMSG) r = w->sendmsg(fd, p1, (int)b);
        else r = w->sendmmsg(fd, p1, (unsigned)a, (int)b);
        break;
    }
    case C_SEND: r = w->send(fd, p1, (size_t)a, (int)b); break;
    case C_SENDTO: r = w->sendto(fd, p1, (size_t)a, (int)b, p2, (socklen_t)c->c); break;
    case C_SENDFILE: r = w->sendfile(fd, fd2, p1, (size_t)a); break;
    case C_SPLICE: r = w->splice(fd2, p1, fd, p2, (size_t)a, (unsigned)b); break;
    case C_DUP: r = w->dup(fd); break;
    case C_DUP2: r = w->dup2(fd, fd2); break;
    case C_DUP3: r = w->dup3(fd, fd2, (int)b); break;
    case C_FCNTL: {
        long arg = b;
        if ((a == F_DUPFD || a == F_DUPFD_CLOEXEC) && b == -(long)S_BASE) arg = fd2 < 0 ? 0 : fd2;
        if (a == F_SETLK || a == F_GETLK || a == F_OFD_SETLK || a == F_OFD_GETLK || a == F_GETOWN_EX ||
            a == F_SETOWN_EX)
            arg = (long)(uintptr_t)p1;
        r = w->fcntl(fd, (int)a, arg);
        break;
    }
    case C_CLOSE: r = w->close(fd); break;
    case C_CLOSE_RANGE: r = w->close_range((unsigned)(w->base + a), (unsigned)(w->base + c->b), (int)c->c); break;
    case C_SETSOCKOPT: r = w->setsockopt(fd, (int)a, (int)b, p1, (socklen_t)c->c); break;
    case C_GETSOCKOPT: r = w->getsockopt(fd, (int)a, (int)b, p1, p2); break;
    default: break;
    }
    o.r = r;
    o.err = r < 0 ? errno : 0;
    o.sigs = sigpipes - before;
    /* a raw number made open by dup2/dup3 is closed again at once (raw numbers are the
     * same in both worlds, slots are not) */
    if ((c->which == C_DUP2 || c->which == C_DUP3) && c->fd2.slot < 0 && fd2 >= 0 && is_open(fd2)) w->close(fd2);
    if (r >= 0 && c->which == C_SOCKETPAIR && c->p1.cat != P_NULL) {
        int sv[2];
        memcpy(sv, p1, sizeof sv);
        o.r = sv[0];
        o.fd2 = sv[1];
    }
    if ((c->which == C_ACCEPT || c->which == C_ACCEPT4 || c->which == C_PACCEPT || c->which == C_GETSOCKOPT) &&
        (c->p2.cat == P_VALID || c->p2.cat == P_MISALIGNED) && (c->which == C_GETSOCKOPT || c->p1.cat != P_NULL)) {
        memcpy(&o.len, p2, sizeof o.len);
        o.has_len = 1;
    }
    if (c->which == C_ACCEPT || c->which == C_ACCEPT4 || c->which == C_PACCEPT) o.queue = queue_len(fd);
    /* NetBSD bits in world S: the state must be set; then the socket is made plain, like N's */
    if (!native && !wild && o.r >= 0 &&
        ((c->which == C_SOCKET || c->which == C_SOCKETPAIR) ? (c->b & SOCK_NOSIGPIPE) != 0
         : (c->which == C_ACCEPT4 || c->which == C_PACCEPT) ? (c->b & SOCK_NOSIGPIPE) != 0
                                                             : 0)) {
        o.nosig = fcntl((int)o.r, F_GETNOSIGPIPE);
        fcntl((int)o.r, F_SETNOSIGPIPE, 0);
        if (o.fd2 >= 0) {
            if (fcntl(o.fd2, F_GETNOSIGPIPE) != 1) o.nosig = -2;
            fcntl(o.fd2, F_SETNOSIGPIPE, 0);
        }
    }
    return o;
}

static long norm_fd(long r, int base)
{
    if (r >= base && r < base + NSLOT) return r - base; /* the slot */
    return r >= 0 ? 1000000 : r;                        /* "some new descriptor" */
}

/* What descriptor fd is, for a mismatch report. */
static const char *kind(int fd)
{
    static char b[4][48];
    static int k;
    char *o = b[k++ & 3];
    struct stat st;
    if (fd < 0 || syscall(SYS_fstat, fd, &st) != 0) return "closed";
    if (S_ISSOCK(st.st_mode))
        snprintf(o, 48, "socket(%d,%d,%d)%s", sockopt_raw(fd, SOL_SOCKET, SO_DOMAIN), sockopt_raw(fd, SOL_SOCKET, SO_TYPE),
                 sockopt_raw(fd, SOL_SOCKET, SO_PROTOCOL), sockopt_raw(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1 ? " listening" : "");
    else if (S_ISFIFO(st.st_mode))
        snprintf(o, 48, "pipe");
    else
        snprintf(o, 48, "mode 0%o", (unsigned)st.st_mode);
    return o;
}

static void describe(const struct call *c, char *out, size_t n)
{
    snprintf(out, n, "%s(fd %s%d, fd2 %s%d, a %ld/%ld, b 0x%lx/0x%lx, c %ld, p1 %s, p2 %s, p3 %s)", cname[c->which],
             c->fd.slot >= 0 ? "slot " : "", c->fd.slot >= 0 ? c->fd.slot : c->fd.raw, c->fd2.slot >= 0 ? "slot " : "",
             c->fd2.slot >= 0 ? c->fd2.slot : c->fd2.raw, c->a, c->an, (unsigned long)c->b, (unsigned long)c->bn, c->c,
             pname[c->p1.cat], pname[c->p2.cat], pname[c->p3.cat]);
}

/* One call in both worlds; returns 0 when the worlds still agree. */
static int one(long index)
{
    struct call c;
    gen_call(&c);
    rep->phase = c.which;
    rep->at = index;
    rep->calls[c.which]++;
    rep->total++;
    struct outcome s = run(&W[0], &c, 0);
    if (c.which == C_PACCEPT && c.paccept_badmask) {
        /* SPEC paccept clause 1: EFAULT first, nothing consumed; N makes no call */
        if (wild) {
            if (s.r >= 0) to_slot(&W[0], (int)s.r, -1);
            return 0;
        }
        rep->compared[c.which]++;
        int qn = queue_len(fd_in(&W[1], c.fd));
        if (s.r != -1 || s.err != EFAULT || s.queue != qn) {
            char d[256];
            describe(&c, d, sizeof d);
            rep->mismatched[c.which]++;
            note_mismatch("call %ld %s: bad mask gave %ld/%s (queue %d, twin %d), expected EFAULT with nothing consumed",
                          index, d, s.r, strerror(s.err), s.queue, qn);
            if (s.r >= 0) to_slot(&W[0], (int)s.r, -1);
            return -1;
        }
        return 0;
    }
    struct outcome n = run(&W[1], &c, 1);

    int same = 1;
    if (!wild) {
        rep->compared[c.which]++;
        long rs = c.new_fd || c.which == C_DUP2 || c.which == C_DUP3 ? norm_fd(s.r, S_BASE) : s.r;
        long rn = c.new_fd || c.which == C_DUP2 || c.which == C_DUP3 ? norm_fd(n.r, N_BASE) : n.r;
        if (c.which == C_SOCKETPAIR) rs = s.r >= 0, rn = n.r >= 0;
        /* How much of a large write a non-blocking socket takes depends on its buffer's
         * autotuning, not on the call: two positive counts agree. */
        int is_write = c.which >= C_WRITE && c.which <= C_SPLICE;
        if (is_write && rs > 0 && rn > 0) rs = rn;
        /* On a TCP socket, whether a non-blocking write takes some bytes, none (EAGAIN),
         * or faults on the part of the buffer it reached (EFAULT when nothing was taken
         * yet) depends on the send buffer's autotuned size, which differs from one socket
         * to its twin: those three outcomes are one class there. */
        int s_tcp = sockopt_raw(fd_in(&W[0], c.fd), SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP;
        int n_tcp = sockopt_raw(fd_in(&W[1], c.fd), SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP;
        if (is_write && s_tcp && n_tcp) {
            int sc = rs > 0 || (rs == -1 && (s.err == EAGAIN || s.err == EFAULT));
            int nc = rn > 0 || (rn == -1 && (n.err == EAGAIN || n.err == EFAULT));
            if (sc && nc) {
                rs = rn;
                s.err = n.err;
                rep->tcp_loose++;
            }
        }
        /* A connection the native call lost and sockshim kept (SPEC: *addrlen >=
         * 0x80000000 gives EINVAL; Linux dequeues the connection first) is no loss:
         * counted, then taken from S too so that the worlds stay alike. */
        if (s.queue > n.queue && n.queue >= 0 && rs == rn && s.err == n.err) {
            rep->kept++;
            while (queue_len(fd_in(&W[0], c.fd)) > n.queue) {
                int k = (int)syscall(SYS_accept4, fd_in(&W[0], c.fd), NULL, NULL, SOCK_CLOEXEC);
                if (k < 0) break;
                W[0].close(k);
            }
            s.queue = n.queue;
        }
        if (rs != rn || s.err != n.err || s.sigs != n.sigs || s.has_len != n.has_len ||
            (s.has_len && s.len != n.len) || s.queue != n.queue)
            same = 0;
        if (s.nosig != 0 && s.nosig != 1) same = 0;
        if (!same) {
            char d[256];
            describe(&c, d, sizeof d);
            rep->mismatched[c.which]++;
            note_mismatch("call %ld %s on %s/%s: sockshim %ld/%s sigpipe %d len %s%u queue %d nosig %d; native %ld/%s "
                          "sigpipe %d len %s%u queue %d",
                          index, d, kind(fd_in(&W[0], c.fd)), kind(fd_in(&W[1], c.fd)), s.r, s.err ? h_errname(s.err) : "-", s.sigs, s.has_len ? "" : "-", s.len,
                          s.queue, s.nosig, n.r, n.err ? h_errname(n.err) : "-", n.sigs, n.has_len ? "" : "-",
                          n.len, n.queue);
        }
    }
    /* file the new descriptors in the same free slot of both worlds */
    if (c.new_fd || c.which == C_SOCKETPAIR) {
        int both = s.r >= 0 && n.r >= 0;
        int slot = both ? free_slot() : -1;
        to_slot(&W[0], (int)s.r, slot);
        to_slot(&W[1], (int)n.r, slot);
        if (c.which == C_SOCKETPAIR) {
            int slot2 = both ? free_slot() : -1;
            to_slot(&W[0], s.fd2, slot2);
            to_slot(&W[1], n.fd2, slot2);
        }
    }
    return same ? 0 : -1;
}

/* closefrom: closes everything from lowfd up. Run once, at the end of some batches, on
 * world S (the highest numbers): then nothing at or above must be open, and below it
 * everything that was. */
static void closefrom_check(void)
{
    int cut = S_BASE + (int)(rnd(&rng) % NSLOT);
    int open_below[NSLOT];
    for (int s = 0; s < NSLOT; s++) open_below[s] = is_open(S_BASE + s);
    closefrom(cut);
    rep->closefroms++;
    for (int s = 0; s < NSLOT; s++) {
        int fd = S_BASE + s;
        if (fd >= cut && is_open(fd)) FAIL("closefrom(%d) left %d open", cut, fd);
        if (fd < cut && is_open(fd) != open_below[s]) FAIL("closefrom(%d) changed %d below it", cut, fd);
    }
}

/* --reference=kernel: world N is the system call, with the C function's signature. Only
 * dup2 is not one system call on every architecture (aarch64 has dup3 only): what the
 * kernel's dup2 does there, as glibc and musl do. */
static const char *reference;
static int k_socket(int d, int t, int p) { return (int)syscall(SYS_socket, d, t, p); }
static int k_socketpair(int d, int t, int p, int *sv) { return (int)syscall(SYS_socketpair, d, t, p, sv); }
static int k_listen(int fd, int n) { return (int)syscall(SYS_listen, fd, n); }
static int k_accept4(int fd, struct sockaddr *a, socklen_t *l, int fl) { return (int)syscall(SYS_accept4, fd, a, l, fl); }
static int k_accept(int fd, struct sockaddr *a, socklen_t *l) { return k_accept4(fd, a, l, 0); }
static ssize_t k_write(int fd, const void *b, size_t n) { return syscall(SYS_write, fd, b, n); }
static ssize_t k_writev(int fd, const struct iovec *v, int n) { return syscall(SYS_writev, fd, v, n); }
static ssize_t k_sendto(int fd, const void *b, size_t n, int fl, const struct sockaddr *a, socklen_t l)
{
    return syscall(SYS_sendto, fd, b, n, fl, a, l);
}
static ssize_t k_send(int fd, const void *b, size_t n, int fl) { return k_sendto(fd, b, n, fl, NULL, 0); }
static ssize_t k_sendmsg(int fd, const struct msghdr *m, int fl) { return syscall(SYS_sendmsg, fd, m, fl); }
static int k_sendmmsg(int fd, struct mmsghdr *v, unsigned n, H_SENDMMSG_FLAGS fl)
{
    return (int)syscall(SYS_sendmmsg, fd, v, n, fl);
}
static ssize_t k_sendfile(int out, int in, off_t *off, size_t n) { return syscall(SYS_sendfile, out, in, off, n); }
static ssize_t k_splice(int in, off_t *ino, int out, off_t *outo, size_t n, unsigned fl)
{
    return syscall(SYS_splice, in, ino, out, outo, n, fl);
}
static int k_dup(int fd) { return (int)syscall(SYS_dup, fd); }
static int k_dup3(int fd, int to, int fl) { return (int)syscall(SYS_dup3, fd, to, fl); }
static int k_dup2(int fd, int to)
{
#ifdef SYS_dup2
    return (int)syscall(SYS_dup2, fd, to);
#else
    if (fd == to) return is_open(fd) ? to : (errno = EBADF, -1);
    return k_dup3(fd, to, 0);
#endif
}
static int k_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    return (int)raw_fcntl(fd, cmd, arg);
}
static int k_close(int fd) { return (int)syscall(SYS_close, fd); }
static int k_close_range(unsigned lo, unsigned hi, int fl) { return (int)syscall(SYS_close_range, lo, hi, fl); }
static int k_setsockopt(int fd, int lv, int n, const void *v, socklen_t l)
{
    return (int)syscall(SYS_setsockopt, fd, lv, n, v, l);
}
static int k_getsockopt(int fd, int lv, int n, void *v, socklen_t *l) { return (int)syscall(SYS_getsockopt, fd, lv, n, v, l); }

static void *sym(void *h, const char *name)
{
    void *p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "dlsym(%s): %s\n", name, dlerror());
        _exit(3);
    }
    return p;
}

/* dlsym's object pointer into a function pointer, the POSIX way (no cast ISO C forbids) */
#define LOAD(f, name)                              \
    do {                                           \
        void *p_ = sym(libc, name);                \
        memcpy(&n->f, &p_, sizeof p_);             \
    } while (0)

static void setup_worlds(void)
{
    static char *bufs, *st[2];
    if (!bufs) {
        /* each world's buffer, and the read-only page, end in an unmapped guard page, so a
         * length running past them faults at the same offset in both worlds */
        bufs = mmap(NULL, 2 * (BUFSZ + 4096), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ro = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (bufs == MAP_FAILED || ro == MAP_FAILED) _exit(3);
        mprotect(bufs + BUFSZ, 4096, PROT_NONE);
        mprotect(bufs + 2 * BUFSZ + 4096, 4096, PROT_NONE);
        mprotect(ro + 4096, 4096, PROT_NONE);
        for (int i = 0; i < 2; i++) {
            st[i] = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (st[i] == MAP_FAILED) _exit(3);
            mprotect(st[i] + 4096, 4096, PROT_NONE);
        }
        if (bufs == MAP_FAILED || unmapped == MAP_FAILED || ro == MAP_FAILED) _exit(3);
        for (int i = 0; i < 4096; i++) ro[i] = (char)(i * 7);
        mprotect(ro, 4096, PROT_READ);
    }
    struct world *s = &W[0], *n = &W[1];
    memset(W, 0, sizeof W);
    s->name = "sockshim";
    s->base = S_BASE;
    s->buf = bufs;
    n->name = "native";
    n->base = N_BASE;
    n->buf = bufs + BUFSZ + 4096;
    s->straddle_end = st[0] + 4096;
    n->straddle_end = st[1] + 4096;
    s->socket = socket;
    s->socketpair = socketpair;
    s->listen = listen;
    s->accept = accept;
    s->accept4 = accept4;
    s->write = write;
    s->writev = writev;
    s->send = send;
    s->sendto = sendto;
    s->sendmsg = sendmsg;
    s->sendmmsg = sendmmsg;
    s->sendfile = sendfile;
    s->splice = splice;
    s->dup = dup;
    s->dup2 = dup2;
    s->dup3 = dup3;
    s->fcntl = fcntl;
    s->close = close;
    s->close_range = close_range;
    s->setsockopt = setsockopt;
    s->getsockopt = getsockopt;
    if (strcmp(reference, "kernel") == 0) {
        n->socket = k_socket;
        n->socketpair = k_socketpair;
        n->listen = k_listen;
        n->accept = k_accept;
        n->accept4 = k_accept4;
        n->write = k_write;
        n->writev = k_writev;
        n->send = k_send;
        n->sendto = k_sendto;
        n->sendmsg = k_sendmsg;
        n->sendmmsg = k_sendmmsg;
        n->sendfile = k_sendfile;
        n->splice = k_splice;
        n->dup = k_dup;
        n->dup2 = k_dup2;
        n->dup3 = k_dup3;
        n->fcntl = k_fcntl;
        n->close = k_close;
        n->close_range = k_close_range;
        n->setsockopt = k_setsockopt;
        n->getsockopt = k_getsockopt;
        return;
    }
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (!libc) {
        fprintf(stderr, "dlopen(libc.so.6): %s (--reference=kernel compares with the system calls)\n", dlerror());
        _exit(3);
    }
    LOAD(socket, "socket");
    LOAD(socketpair, "socketpair");
    LOAD(listen, "listen");
    LOAD(accept, "accept");
    LOAD(accept4, "accept4");
    LOAD(write, "write");
    LOAD(writev, "writev");
    LOAD(send, "send");
    LOAD(sendto, "sendto");
    LOAD(sendmsg, "sendmsg");
    LOAD(sendmmsg, "sendmmsg");
    LOAD(sendfile, "sendfile");
    LOAD(splice, "splice");
    LOAD(dup, "dup");
    LOAD(dup2, "dup2");
    LOAD(dup3, "dup3");
    LOAD(fcntl, "fcntl");
    LOAD(close, "close");
    LOAD(close_range, "close_range");
    LOAD(setsockopt, "setsockopt");
    LOAD(getsockopt, "getsockopt");
    if (n->socket == socket) {
        fprintf(stderr, "the native socket() is sockshim's: no reference to compare with\n");
        _exit(3);
    }
}

static void batch(uint64_t seed, long ncalls, int with_v6)
{
    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    setup_worlds();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigpipe;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    signal(SIGIO, SIG_IGN);
    signal(SIGURG, SIG_IGN);
    build(&W[0], with_v6);
    build(&W[1], with_v6);
    for (int s = 0; s < NSLOT; s++)
        if (is_open(S_BASE + s) != is_open(N_BASE + s)) {
            note_mismatch("the worlds differ after setup at slot %d", s);
            return;
        }
    for (long i = 0; i < ncalls; i++) {
        if (i % 64 == 0) replenish();
        if (one(i) != 0 && !wild) return; /* the worlds differ from here on: next batch */
    }
    if (rnd(&rng) % 4 == 0) closefrom_check();
}

int main(int argc, char **argv)
{
    int lng = st_long(argc, argv);
    wild = strcmp(st_sopt(argc, argv, "--mode", "diff"), "wild") == 0;
    const char *label = st_sopt(argc, argv, "--label", "");
    static char name[160];
#if defined(__GLIBC__)
    reference = st_sopt(argc, argv, "--reference", "libc");
#else
    reference = st_sopt(argc, argv, "--reference", "kernel");
#endif
    MUST(strcmp(reference, "libc") == 0 || strcmp(reference, "kernel") == 0, "--reference=libc or --reference=kernel");
    const char *ref = strcmp(reference, "kernel") == 0 ? "the system calls" : "the C library";
    snprintf(name, sizeof name, "fuzz %s%s%s%s", wild ? "(crashes and hangs only" : "(differential vs ",
             wild ? "" : ref, label[0] ? "), " : ")", label);
    st_name = name;
    long total = st_opt(argc, argv, "--calls", lng ? 10000000 : 1000000);
    long per = st_opt(argc, argv, "--per-batch", 5000);
    uint64_t seed0 = (uint64_t)st_opt(argc, argv, "--seed", 1);
    long nbatches = st_opt(argc, argv, "--batches", (total + per - 1) / per);
    int alarm_s = (int)st_opt(argc, argv, "--alarm", 60);
    double limit_ms = (double)st_opt(argc, argv, "--time-limit-s", lng ? 900 : 240) * 1000.0;
    MUST(st_raise_nofile(8192) >= S_BASE + NSLOT + 64, "RLIMIT_NOFILE must allow descriptors up to %d", S_BASE + 200);
    int with_v6 = 0;
    {
        int t = (int)syscall(SYS_socket, AF_INET6, SOCK_STREAM, 0);
        struct sockaddr_in6 a;
        memset(&a, 0, sizeof a);
        a.sin6_family = AF_INET6;
        a.sin6_addr = in6addr_loopback;
        with_v6 = t >= 0 && syscall(SYS_bind, t, &a, sizeof a) == 0;
        if (t >= 0) syscall(SYS_close, t);
    }

    rep = mmap(NULL, sizeof *rep, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    MUST(rep != MAP_FAILED, "mmap");
    long calls[N_CALL] = { 0 }, compared[N_CALL] = { 0 }, mismatched[N_CALL] = { 0 };
    long all = 0, crashes = 0, hangs = 0, bad_batches = 0, closefroms = 0, done = 0, kept = 0, loose = 0;
    double t0 = now_ms();
    for (long b = 0; b < nbatches && now_ms() - t0 < limit_ms; b++) {
        memset(rep, 0, sizeof *rep);
        rep->phase = -1;
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        MUST(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            st_failures = 0; /* the batch's own verdict, not the parent's so far */
            alarm((unsigned)alarm_s);
            batch(seed0 + (uint64_t)b, per, with_v6);
            _exit(st_failures ? 4 : 0);
        }
        int st = 0;
        double end = now_ms() + alarm_s * 1000.0 + 5000;
        for (;;) {
            pid_t r = waitpid(pid, &st, WNOHANG);
            if (r == pid) break;
            if (now_ms() > end) {
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                break;
            }
            sleep_us(r == 0 ? 2000 : 0);
        }
        done++;
        all += rep->total;
        closefroms += rep->closefroms;
        kept += rep->kept;
        loose += rep->tcp_loose;
        for (int i = 0; i < N_CALL; i++) {
            calls[i] += rep->calls[i];
            compared[i] += rep->compared[i];
            mismatched[i] += rep->mismatched[i];
        }
        const char *what = rep->phase >= 0 && rep->phase < N_CALL ? cname[rep->phase] : "setup";
        if (WIFSIGNALED(st)) {
            if (WTERMSIG(st) == SIGALRM || WTERMSIG(st) == SIGKILL) {
                hangs++;
                FAIL("batch seed %llu hung in call %ld (%s): rerun with --seed=%llu --batches=1",
                     (unsigned long long)(seed0 + (uint64_t)b), rep->at, what, (unsigned long long)(seed0 + (uint64_t)b));
            } else {
                crashes++;
                FAIL("batch seed %llu crashed with signal %d (%s) in call %ld (%s): rerun with --seed=%llu --batches=1",
                     (unsigned long long)(seed0 + (uint64_t)b), WTERMSIG(st), strsignal(WTERMSIG(st)), rep->at, what,
                     (unsigned long long)(seed0 + (uint64_t)b));
            }
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            FAIL("batch seed %llu exited with status %d", (unsigned long long)(seed0 + (uint64_t)b),
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        }
        if (rep->nmsg) {
            bad_batches++;
            for (int i = 0; i < rep->nmsg; i++)
                FAIL("seed %llu: %s", (unsigned long long)(seed0 + (uint64_t)b), rep->msg[i]);
        }
    }
    double took = now_ms() - t0;
    if (done < nbatches)
        FAIL("only %ld of %ld batches (%ld calls) within %.0f s", done, nbatches, all, limit_ms / 1000);
    long cmp = 0, mis = 0;
    printf("%s: %ld batches of %ld calls from seed %llu, %.1f s\n", st_name, done, per, (unsigned long long)seed0,
           took / 1000);
    printf("  %-12s %10s %10s %10s\n", "call", "made", "compared", "differed");
    for (int i = 0; i < N_CALL; i++) {
        printf("  %-12s %10ld %10ld %10ld\n", cname[i], calls[i], compared[i], mismatched[i]);
        cmp += compared[i];
        mis += mismatched[i];
    }
    printf("  %ld calls, %ld compared with %s, %ld differed; %ld crashes, %ld hangs; closefrom checked %ld times; "
           "%ld connections kept by sockshim where the reference lost them; %ld TCP writes compared by class "
           "(bytes taken / EAGAIN / EFAULT)\n",
           all, cmp, ref, mis, crashes, hangs, closefroms, kept, loose);
    char pushed[128], hard[128], lost[128];
    snprintf(pushed, sizeof pushed, "%ld calls (%ld compared)", all, cmp);
    snprintf(hard, sizeof hard, "%ld batches, 22 exports, %.0f s", done, took / 1000);
    snprintf(lost, sizeof lost, "%ld crashes, %ld hangs, %ld differ", crashes, hangs, mis);
    st_result(pushed, hard, lost, "");
    return st_exit();
}
