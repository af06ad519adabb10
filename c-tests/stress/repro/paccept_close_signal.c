/*
 * Suspicious (found by limits.c, "close(listener) while threads wait"): a thread blocked
 * in paccept() WITH a mask on a blocking listener that another thread has closed keeps
 * sleeping (as documented: Linux does not wake it), but when a signal the mask unblocks
 * then arrives, its handler runs and paccept returns -1/EBADF, not -1/EINTR. accept,
 * accept4 and paccept(NULL mask) answer EINTR in the same situation.
 *
 * Why: paccept sleeps in ppoll(); when the signal wakes it, ppoll scans its descriptors
 * once more before returning, finds the number closed (POLLNVAL) and returns 1, so
 * paccept goes on to accept4(), which says EBADF. SPEC paccept clause 2 says EBADF is
 * reported "without delivering any signal"; here a signal was delivered first. (NetBSD
 * itself wakes the waiter with EBADF at the close, so EBADF is not unreasonable; but
 * EINTR is what clause 6 promises for a handler without SA_RESTART.)
 *
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude c-tests/stress/repro/paccept_close_signal.c -o /tmp/pcs \
 *      -Lbuild/lib -lsockshim -Wl,-rpath,$PWD/build/lib -lpthread && /tmp/pcs
 *   observed: "paccept returned -1 (EBADF), handler ran 1 time(s)"; expected (clause 6): EINTR
 */
#include <sockshim.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int l;
static volatile int handled, r, e;

static void on_usr1(int s)
{
    (void)s;
    handled++;
}

static void *waiter(void *p)
{
    (void)p;
    sigset_t none;
    sigemptyset(&none);
    r = paccept(l, NULL, NULL, &none, 0);
    e = errno;
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    l = socket(AF_INET, SOCK_STREAM, 0);
    bind(l, (struct sockaddr *)&a, sizeof a);
    listen(l, 8);
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    close(l); /* the waiter sleeps on */
    nanosleep(&ts, NULL);
    pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("paccept returned %d (%s), handler ran %d time(s)\n", r, strerrorname_np(e), handled);
    return 0;
}
