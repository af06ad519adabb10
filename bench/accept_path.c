/*
 * The accept path in user-space instructions (issue 15): a loopback storm where each
 * connection is socket, connect, accept4 and two closes, with no policy and no
 * descriptor ever no-SIGPIPE. bench.py runs it under callgrind, collecting inside
 * run_storm only, natively and with the library preloaded, and reads the cost per
 * connection and per call (inclusive cost of socket, accept4, close).
 *
 *   accept_path N [mt]     N connections; "mt": a second thread exists (it sleeps)
 *   accept_path N st|mt dup   instead, N rounds of dup, dup2 and their two closes
 *                             on one socket
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listener;
static struct sockaddr_in addr;

static void *idle(void *p)
{
    (void)p;
    pause();
    return NULL;
}

static int dups;

__attribute__((noinline)) static void run_storm(int n)
{
    for (int i = 0; dups && i < n; i++) {
        int d = dup(listener), e = dup2(listener, 100);
        if (d < 0 || e != 100) abort();
        close(d);
        close(e);
    }
    for (int i = 0; !dups && i < n; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0) abort();
        int s = accept4(listener, NULL, NULL, 0);
        if (s < 0) abort();
        close(s);
        close(c);
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    int one = 1;
    socklen_t len = sizeof addr;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 64) ||
        getsockname(listener, (struct sockaddr *)&addr, &len)) {
        perror("listener");
        return 1;
    }
    pthread_t t;
    if (argc > 2 && strcmp(argv[2], "mt") == 0 && pthread_create(&t, NULL, idle, NULL) != 0) return 1;
    dups = argc > 3 && strcmp(argv[3], "dup") == 0;
    run_storm(n);
    printf("{\"connections\":%d}\n", n);
    return 0;
}
