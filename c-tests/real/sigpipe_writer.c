/* sigpipe_writer: writes to a descriptor whose reader has gone, with SIGPIPE left at its
 * default action, and reports what happened.
 *
 *   sigpipe_writer unix        an AF_UNIX stream socketpair, peer closed, write()
 *   sigpipe_writer tcp-accept  a loopback TCP connection; the client closes, the server
 *                              writes on its accepted socket
 *   sigpipe_writer tcp-connect the server closes, the client writes on its socket()
 *   sigpipe_writer send        as unix, with send(fd, buf, n, 0)
 *   sigpipe_writer pipe        a pipe whose reader closed, write()
 *   sigpipe_writer fd=N        descriptor N, inherited from the parent (whose peer left)
 *
 * Natively every mode dies of SIGPIPE. If the write fails instead, it prints
 * "<mode>: write failed: EPIPE" and exits 32 (errno EPIPE) or 1 (another errno); if
 * every write succeeds it prints that and exits 2. Used by c-tests/real/run.sh. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what)
{
    fprintf(stderr, "sigpipe_writer: %s: %s\n", what, strerror(errno));
    return 3;
}

/* A connected loopback pair: *accepted is the accepted socket, *client the one from
 * socket()+connect(). */
static int tcp_pair(int *accepted, int *client)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) < 0)
        return -1;
    *client = socket(AF_INET, SOCK_STREAM, 0);
    if (*client < 0 || connect(*client, (struct sockaddr *)&a, sizeof a) < 0)
        return -1;
    *accepted = accept(l, NULL, NULL);
    if (*accepted < 0)
        return -1;
    close(l);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "unix";
    int fds[2], w, use_send = 0, i;
    char buf[4096];
    struct timespec ms = {0, 10 * 1000 * 1000};

    signal(SIGPIPE, SIG_DFL);
    memset(buf, 'x', sizeof buf);
    if (!strcmp(mode, "unix") || !strcmp(mode, "send")) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
            return die("socketpair");
        use_send = !strcmp(mode, "send");
    } else if (!strcmp(mode, "tcp-accept")) {
        if (tcp_pair(&fds[0], &fds[1]) < 0)
            return die("tcp");
    } else if (!strcmp(mode, "tcp-connect")) {
        if (tcp_pair(&fds[1], &fds[0]) < 0)
            return die("tcp");
    } else if (!strcmp(mode, "pipe")) {
        if (pipe(fds) < 0)
            return die("pipe");
        w = fds[0]; /* pipe: [0] reads, [1] writes */
        fds[0] = fds[1];
        fds[1] = w;
    } else if (!strncmp(mode, "fd=", 3)) {
        fds[0] = atoi(mode + 3);
        fds[1] = -1;
    } else {
        fprintf(stderr, "sigpipe_writer: unknown mode %s\n", mode);
        return 3;
    }
    w = fds[0];
    if (fds[1] >= 0)
        close(fds[1]); /* the reader/peer goes away */
    /* TCP: the first write after the peer's FIN may succeed (the peer answers RST); the
     * next one fails. Bounded: 200 writes, 10 ms apart. */
    for (i = 0; i < 200; i++) {
        ssize_t n = use_send ? send(w, buf, sizeof buf, 0) : write(w, buf, sizeof buf);
        if (n < 0) {
            int e = errno;
            printf("%s: write failed: %s\n", mode, e == EPIPE ? "EPIPE" : strerror(e));
            fflush(stdout);
            return e == EPIPE ? 32 : 1;
        }
        nanosleep(&ms, NULL);
    }
    printf("%s: every write succeeded\n", mode);
    return 2;
}
