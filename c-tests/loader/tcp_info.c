/*
 * tcp-info FD: prints the accept queue of the listening TCP socket FD (inherited), as
 * getsockopt(TCP_INFO) gives it: "tcpi_unacked tcpi_sacked" (its length and its limit).
 *
 * Built for the machine the tests run on, beside a conformance binary built for an
 * emulated one (build/aarch64/tcp-info): qemu-user 7.2 passes TCP_INFO on as an int (4
 * bytes), so the suite's harness asks this native program, which reads the kernel's
 * answer with no emulator in between (c-tests/harness.c, queue_len).
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tcp-info FD\n");
        return 2;
    }
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(atoi(argv[1]), IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) {
        perror("getsockopt(TCP_INFO)");
        return 1;
    }
    if (ti.tcpi_state != TCP_LISTEN) {
        fprintf(stderr, "tcp-info: state %u, not LISTEN\n", ti.tcpi_state);
        return 1;
    }
    printf("%u %u\n", ti.tcpi_unacked, ti.tcpi_sacked);
    return 0;
}
