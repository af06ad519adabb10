/*
 * The WASIX sock_open / sock_listen / sock_accept clauses and mTCP's mtcp_accept
 * clauses (SPEC.md "Source documents and their clauses").
 */
#include "harness.h"

/* ---- WASIX sock_open ---- */

static void t_sock_open_lowest_fd(void)
{
    EXPECT_EQ(OK(socket(AF_INET, SOCK_STREAM, 0)), 3);
    EXPECT_EQ(OK(socket(AF_UNIX, SOCK_DGRAM, 0)), 4);
    EXPECT_EQ(OK(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)), 5);
    OK(close(4));
    EXPECT_EQ(OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)), 4);
    OK(close(3));
    OK(close(5));
    EXPECT_EQ(OK(socket(AF_INET, SOCK_STREAM, 0)), 3);
    EXPECT_EQ(OK(socket(AF_INET, SOCK_STREAM, 0)), 5);
    EXPECT_EQ(OK(socket(AF_INET, SOCK_STREAM, 0)), 6);
    OK(close(4));
    int sv[2];
    OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    EXPECT_EQ(sv[0], 4);
    EXPECT_EQ(sv[1], 7);
}

static void t_sock_open_families_types(void)
{
    int fams[] = { AF_INET, AF_INET6, AF_UNIX };
    int types[] = { SOCK_STREAM, SOCK_DGRAM };
    for (int f = 0; f < 3; f++) {
        if (fams[f] == AF_INET6 && !have_ipv6()) {
            note("IPv6 unavailable");
            continue;
        }
        for (int t = 0; t < 2; t++) {
            int s = socket(fams[f], types[t], 0);
            CHECK(s >= 0, "socket(%d, %d): %s", fams[f], types[t], strerror(errno));
            EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_DOMAIN), fams[f]);
            EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_TYPE), types[t]);
            if (fams[f] != AF_UNIX)
                EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_PROTOCOL), types[t] == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
            EXPECT_EQ(getfl(s), O_RDWR);
            EXPECT_EQ(getfd(s), 0);
            close(s);
        }
    }
}

static void t_sock_open_cloexec(void)
{
    int fams[] = { AF_INET, AF_INET6, AF_UNIX };
    int types[] = { SOCK_STREAM, SOCK_DGRAM };
    for (int f = 0; f < 3; f++) {
        if (fams[f] == AF_INET6 && !have_ipv6()) continue;
        for (int t = 0; t < 2; t++) {
            int s = OK(socket(fams[f], types[t] | SOCK_CLOEXEC, 0));
            EXPECT_EQ(getfd(s), FD_CLOEXEC);
            EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_TYPE), types[t]); /* the flag does not change the type */
            EXPECT_EQ(getfl(s), O_RDWR);
            close(s);
            s = OK(socket(fams[f], types[t] | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
            EXPECT_EQ(getfd(s), FD_CLOEXEC);
            EXPECT_EQ(getfl(s), O_RDWR | O_NONBLOCK);
            close(s);
        }
    }
}

static void t_sock_open_nonblock(void)
{
    int s = OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    EXPECT_EQ(getfl(s), O_RDWR | O_NONBLOCK);
    EXPECT_EQ(getfd(s), 0);
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 4, &a);
    (void)l;
    int r = connect(s, (struct sockaddr *)&a.ss, a.len);
    CHECK(r == 0 || errno == EINPROGRESS, "non-blocking connect: %s", strerror(errno));
    int u = OK(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    EXPECT_EQ(getfl(u), O_RDWR | O_NONBLOCK);
    char b;
    EXPECT_ERR(recv(u, &b, 1, 0), EAGAIN);
    int p = OK(socket(AF_UNIX, SOCK_STREAM, 0));
    EXPECT_EQ(getfl(p), O_RDWR);
}

/* ---- WASIX sock_listen ---- */

static void t_sock_listen_backlog_bounds(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, SOCK_NONBLOCK, 1, &a);
    int max = -1;
    queue_len(l, &max);
    EXPECT_EQ(max, 1);
    for (int i = 0; i < 4; i++) tcp_connect_nb(&a);
    wait_queued(l, 2, 1000);
    sleep_ms(30);
    int q = queue_len(l, NULL);
    CHECK(q == 2, "backlog 1: %d of 4 connections queued, expected 2 (backlog + 1)", q);
    int n = 0;
    while (accept(l, NULL, NULL) >= 0) n++;
    CHECK(errno == EAGAIN, "accept: %s", strerror(errno));
    EXPECT_EQ(n, 2);
}

static void t_sock_listen_backlog_zero(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, SOCK_NONBLOCK, 0, &a);
    for (int i = 0; i < 3; i++) tcp_connect_nb(&a);
    wait_queued(l, 1, 1000);
    sleep_ms(30);
    int q = queue_len(l, NULL);
    CHECK(q == 1, "backlog 0: %d of 3 connections queued, expected 1", q);
    OK(accept(l, NULL, NULL));
    EXPECT_ERR(accept(l, NULL, NULL), EAGAIN);
}

static void t_sock_listen_then_accept(void)
{
    struct addr a;
    memset(&a, 0, sizeof a);
    struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int s = OK(socket(AF_INET, SOCK_STREAM, 0));
    OK(bind(s, (struct sockaddr *)sin, sizeof *sin));
    EXPECT_ERR(accept(s, NULL, NULL), EINVAL);
    EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_ACCEPTCONN), 0);
    struct sockaddr_storage before = local_name(s);
    OK(listen(s, 5));
    EXPECT_EQ(sockopt(s, SOL_SOCKET, SO_ACCEPTCONN), 1);
    struct sockaddr_storage after = local_name(s);
    CHECK(same_addr(&before, &after), "listen changed the local address");
    a.len = sizeof *sin;
    memcpy(&a.ss, &after, sizeof after);
    int c = tcp_connect(&a);
    (void)c;
    int n = OK(accept(s, NULL, NULL));
    CHECK(n != s, "accept returned the listener");

    struct addr u;
    int lu = unix_listener(0, 5, &u);
    unix_connect(&u);
    OK(accept(lu, NULL, NULL));
}

/* ---- WASIX sock_accept ---- */

static void accept_addr_for(int family)
{
    struct addr a;
    int l = tcp_listener(family, 0, 4, &a);
    int c = tcp_connect(&a);
    wait_queued(l, 1, 1000);
    struct sockaddr_storage peer, want = local_name(c);
    socklen_t len = sizeof peer;
    int s = OK(accept(l, (struct sockaddr *)&peer, &len));
    CHECK(s != l && s != c, "accept returned an existing descriptor %d", s);
    CHECK(same_addr(&peer, &want), "peer %s, client %s", addr_str(&peer), addr_str(&want));
    EXPECT_EQ(addr_port(&peer), addr_port(&want));
    struct sockaddr_storage mine = local_name(s), cpeer;
    socklen_t cl = sizeof cpeer;
    OK(getpeername(c, (struct sockaddr *)&cpeer, &cl));
    CHECK(same_addr(&mine, &cpeer), "accepted socket's local %s != client's peer %s", addr_str(&mine),
          addr_str(&cpeer));
    /* the descriptor works both ways */
    EXPECT_EQ(write(s, "ping", 4), 4);
    char buf[4];
    EXPECT_EQ(recv(c, buf, 4, MSG_WAITALL), 4);
    CHECK(memcmp(buf, "ping", 4) == 0, "data mismatch");
}

static void t_sock_accept_peer_address(void)
{
    accept_addr_for(AF_INET);
    if (have_ipv6()) accept_addr_for(AF_INET6);
}

static void t_sock_accept_nonblock_flag(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 4, &a);
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    int s = OK(accept4(l, NULL, NULL, SOCK_NONBLOCK));
    EXPECT_EQ(getfl(s), O_RDWR | O_NONBLOCK);
    char b;
    double t0 = now_ms();
    EXPECT_ERR(recv(s, &b, 1, 0), EAGAIN);
    CHECK(now_ms() - t0 < 200, "recv on the new non-blocking socket blocked");
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    s = OK(accept4(l, NULL, NULL, 0));
    EXPECT_EQ(getfl(s), O_RDWR);
    EXPECT_EQ(getfl(l), O_RDWR); /* the listener is untouched */
}

static void t_sock_accept_blocks(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, 0, 4, &a);
    struct delayed_connect d;
    double t0 = now_ms();
    delayed_connect_start(&d, &a, 100);
    int s = OK(accept(l, NULL, NULL));
    double el = now_ms() - t0;
    CHECK(el >= 80, "accept returned after %.0f ms, before the connection", el);
    pthread_join(d.th, NULL);
    CHECK(s >= 0, "bad descriptor");

    struct addr u;
    int lu = unix_listener(0, 4, &u);
    t0 = now_ms();
    delayed_connect_start(&d, &u, 100);
    OK(accept(lu, NULL, NULL));
    CHECK(now_ms() - t0 >= 80, "AF_LOCAL accept did not block");
    pthread_join(d.th, NULL);
}

/* ---- mTCP mtcp_accept ---- */

static void t_mtcp_accept_eagain(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, SOCK_NONBLOCK, 4, &a);
    for (int i = 0; i < 3; i++) {
        EXPECT_ERR(accept(l, NULL, NULL), EAGAIN);
        EXPECT_ERR(accept4(l, NULL, NULL, SOCK_NONBLOCK), EAGAIN);
    }
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    OK(accept(l, NULL, NULL));
    EXPECT_ERR(accept(l, NULL, NULL), EAGAIN);
}

static void t_mtcp_accept_ebadf(void)
{
    EXPECT_ERR(accept(-1, NULL, NULL), EBADF);
    EXPECT_ERR(accept(-12345, NULL, NULL), EBADF);
    EXPECT_ERR(accept(99, NULL, NULL), EBADF);
    EXPECT_ERR(accept4(99, NULL, NULL, 0), EBADF);
    int l = tcp_listener(AF_INET, SOCK_NONBLOCK, 4, NULL);
    OK(close(l));
    EXPECT_ERR(accept(l, NULL, NULL), EBADF);
}

static void t_mtcp_accept_einval(void)
{
    int s = OK(socket(AF_INET, SOCK_STREAM, 0));
    EXPECT_ERR(accept(s, NULL, NULL), EINVAL);
    int nb = OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    EXPECT_ERR(accept(nb, NULL, NULL), EINVAL); /* not EAGAIN */
    int srv, cli;
    tcp_pair(&srv, &cli);
    EXPECT_ERR(accept(cli, NULL, NULL), EINVAL);
    EXPECT_ERR(accept4(srv, NULL, NULL, SOCK_NONBLOCK), EINVAL);
}

static void t_mtcp_accept_readable_event(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, SOCK_NONBLOCK, 8, &a);
    int ep = OK(epoll_create1(EPOLL_CLOEXEC));
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = l;
    OK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
    struct epoll_event out[4];
    EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0); /* nothing before a connection */
    struct pollfd p = { l, POLLIN, 0 };
    EXPECT_EQ(poll(&p, 1, 0), 0);
    tcp_connect(&a);
    EXPECT_EQ(poll(&p, 1, 1000), 1);
    CHECK(p.revents == POLLIN, "poll revents 0x%x, expected POLLIN", p.revents);
    int n = OK(epoll_wait(ep, out, 4, 1000));
    EXPECT_EQ(n, 1);
    EXPECT_EQ(out[0].data.fd, l);
    CHECK(out[0].events & EPOLLIN, "event 0x%x without EPOLLIN", out[0].events);
    OK(accept(l, NULL, NULL));
    EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0); /* queue drained: no event */

    /* edge-triggered: one event per arrival */
    int l2 = tcp_listener(AF_INET, SOCK_NONBLOCK, 8, &a);
    ev.events = EPOLLIN | EPOLLET;
    ev.data.fd = l2;
    OK(epoll_ctl(ep, EPOLL_CTL_ADD, l2, &ev));
    tcp_connect(&a);
    EXPECT_EQ(OK(epoll_wait(ep, out, 4, 1000)), 1);
    EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0);
    tcp_connect(&a);
    EXPECT_EQ(OK(epoll_wait(ep, out, 4, 1000)), 1);
    EXPECT_EQ(out[0].data.fd, l2);
    int got = 0;
    while (accept(l2, NULL, NULL) >= 0) got++;
    EXPECT_EQ(got, 2);
}

static void t_mtcp_accept_listener_unaffected(void)
{
    struct addr a;
    int l = tcp_listener(AF_INET, SOCK_NONBLOCK, 8, &a);
    int fl = getfl(l), fd = getfd(l), max0, max1;
    queue_len(l, &max0);
    struct sockaddr_storage name0 = local_name(l);
    tcp_connect(&a);
    tcp_connect(&a);
    wait_queued(l, 2, 1000);
    OK(accept(l, NULL, NULL));
    OK(accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK));
    EXPECT_EQ(getfl(l), fl);
    EXPECT_EQ(getfd(l), fd);
    EXPECT_EQ(sockopt(l, SOL_SOCKET, SO_ACCEPTCONN), 1);
    queue_len(l, &max1);
    EXPECT_EQ(max1, max0);
    struct sockaddr_storage name1 = local_name(l);
    CHECK(same_addr(&name0, &name1), "listener address changed");
    EXPECT_ERR(accept(l, NULL, NULL), EAGAIN); /* still non-blocking */
    tcp_connect(&a);
    wait_queued(l, 1, 1000);
    OK(accept(l, NULL, NULL)); /* and still accepting */
}

const struct tcase cases_wasix_mtcp[] = {
    CLAUSE(sock_open_lowest_fd, SRC_WOPEN,
           "sock_open: \"the new descriptor is the lowest-numbered one not open\" (socket and socketpair)."),
    CLAUSE(sock_open_families_types, SRC_WOPEN,
           "sock_open creates AF_INET, AF_INET6 and AF_UNIX sockets of SOCK_STREAM and SOCK_DGRAM type, with the "
           "requested domain, type and protocol."),
    CLAUSE(sock_open_cloexec, SRC_WOPEN,
           "sock_open: \"SOCK_CLOEXEC combines with the type\": FD_CLOEXEC set, the type unchanged."),
    CLAUSE(sock_open_nonblock, SRC_WOPEN,
           "sock_open with SOCK_NONBLOCK gives F_GETFL == O_RDWR|O_NONBLOCK and non-blocking operations."),
    CLAUSE(sock_listen_backlog_bounds, SRC_WLISTEN,
           "sock_listen: \"backlog bounds the queue of pending connections\": backlog 1 admits 2 of 4 clients."),
    CLAUSE(sock_listen_backlog_zero, SRC_WLISTEN,
           "sock_listen: the backlog bounds the queue even at 0: one pending connection of 3 is admitted, and "
           "accepted."),
    CLAUSE(sock_listen_then_accept, SRC_WLISTEN,
           "sock_listen: accept fails (EINVAL) before listen and works after it; the bound address is kept."),
    CLAUSE(sock_accept_peer_address, SRC_WACCEPT,
           "sock_accept returns \"a new descriptor plus the peer's address and port\", equal to the client's "
           "getsockname (IPv4 and IPv6)."),
    CLAUSE(sock_accept_nonblock_flag, SRC_WACCEPT,
           "sock_accept: \"the requested fd flags (non-blocking) apply to the new descriptor\" and not to the "
           "listener."),
    CLAUSE(sock_accept_blocks, SRC_WACCEPT,
           "sock_accept \"blocks until a connection arrives\" (TCP and AF_LOCAL, client connects after 100 ms)."),
    CLAUSE(mtcp_accept_eagain, SRC_MTCP,
           "mtcp_accept: \"accept on a non-blocking listener with an empty queue fails with EAGAIN\"."),
    CLAUSE(mtcp_accept_ebadf, SRC_MTCP, "mtcp_accept: \"EBADF for a bad descriptor\"."),
    CLAUSE(mtcp_accept_einval, SRC_MTCP, "mtcp_accept: \"EINVAL for a socket that is not listening\"."),
    CLAUSE(mtcp_accept_readable_event, SRC_MTCP,
           "mtcp_accept: \"a readable event (poll/epoll) is delivered on the listener when a connection arrives\" "
           "and not before (level- and edge-triggered)."),
    CLAUSE(mtcp_accept_listener_unaffected, SRC_MTCP,
           "mtcp_accept: \"the listener is unaffected by accept\": F_GETFL, F_GETFD, address, limit and listening "
           "state unchanged."),
};
const size_t n_cases_wasix_mtcp = sizeof cases_wasix_mtcp / sizeof cases_wasix_mtcp[0];
