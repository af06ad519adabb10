/*
 * Small writes through the interposed write paths, timed (ns/call) or counted under
 * callgrind (the loop is the function run_loop, for --toggle-collect=run_loop).
 *
 *   writepath TARGET OP ITER REPS
 *     TARGET: null  /dev/null
 *             sock  a UDP socket connected to a bound loopback receiver (datagrams
 *                   beyond its buffer are dropped, so the sender never blocks)
 *             nsp   the same, created with SOCK_NOSIGPIPE (needs the shim)
 *     OP:     write | writev | send | send-nosignal | sendmsg-nosignal
 *     Prints {"ns": median ns/call over REPS repetitions of ITER calls}.
 *   writepath TARGET OP ITER REPS mt
 *     The same in a process that has created (and joined) a thread, so that the C
 *     library and the shim take their multi-threaded paths (cancellation points).
 *
 * The program is not linked with the shim: run it plain for the native figures and
 * with LD_PRELOAD for the shim's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <sockshim.h>

enum op { OP_WRITE, OP_WRITEV, OP_SEND, OP_SEND_NOSIGNAL, OP_SENDMSG_NOSIGNAL };

static char buf[16] = "0123456789abcdef";

__attribute__((noinline)) long run_loop(int fd, enum op op, long n)
{
    long bad = 0;
    struct iovec iov[2] = { { buf, 8 }, { buf + 8, 8 } };
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    for (long i = 0; i < n; i++) {
        ssize_t r;
        switch (op) {
        case OP_WRITE:
            r = write(fd, buf, sizeof buf);
            break;
        case OP_WRITEV:
            r = writev(fd, iov, 2);
            break;
        case OP_SEND:
            r = send(fd, buf, sizeof buf, 0);
            break;
        case OP_SEND_NOSIGNAL:
            r = send(fd, buf, sizeof buf, MSG_NOSIGNAL);
            break;
        default:
            r = sendmsg(fd, &msg, MSG_NOSIGNAL);
            break;
        }
        bad += r != (ssize_t)sizeof buf;
    }
    return bad;
}

static int udp_pair(int extra_type)
{
    int rx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int small = 4096;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    if (bind(rx, (struct sockaddr *)&a, sizeof a) || getsockname(rx, (struct sockaddr *)&a, &len)) {
        perror("receiver");
        exit(3);
    }
    int tx = socket(AF_INET, SOCK_DGRAM | extra_type, 0);
    if (tx < 0) {
        perror("sender socket");
        exit(3);
    }
    if (connect(tx, (struct sockaddr *)&a, sizeof a)) {
        perror("connect");
        exit(3);
    }
    return tx;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void *nothing(void *p)
{
    return p;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[5], "mt") == 0) {
        pthread_t th;
        if (pthread_create(&th, NULL, nothing, NULL) || pthread_join(th, NULL)) return 3;
        argc = 5;
    }
    if (argc != 5) {
        fprintf(stderr, "usage: %s null|sock|nsp OP ITER REPS\n", argv[0]);
        return 2;
    }
    static const char *const ops[] = { "write", "writev", "send", "send-nosignal", "sendmsg-nosignal" };
    int op = -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(argv[2], ops[i]) == 0) op = i;
    long iter = atol(argv[3]);
    int reps = atoi(argv[4]);
    if (op < 0 || iter < 1 || reps < 1 || reps > 1000) return 2;
    int fd;
    if (strcmp(argv[1], "null") == 0)
        fd = open("/dev/null", O_WRONLY);
    else if (strcmp(argv[1], "sock") == 0)
        fd = udp_pair(0);
    else
        fd = udp_pair(SOCK_NOSIGPIPE);
    if (fd < 0) return 3;
    double *ns = calloc((size_t)reps, sizeof *ns);
    if (!ns) return 3;
    long bad = 0;
    for (int r = 0; r < reps; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        bad += run_loop(fd, (enum op)op, iter);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ns[r] = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)iter;
    }
    qsort(ns, (size_t)reps, sizeof *ns, cmp);
    printf("{\"ns\":%.1f,\"min\":%.1f,\"failed_calls\":%ld}\n", ns[reps / 2], ns[0], bad);
    return 0;
}
