/*
 * A deliberately wrong paccept for the storm's self-check (run.sh): the user-space mask
 * swap of LESSONS.md pitfall 10. Preloaded in front of libsockshim, it must make
 * storm_paccept FAIL (a signal pending at entry runs its handler, then accept4 sleeps);
 * if the storm passed with it, the storm could not tell a correct paccept from this one.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

int paccept(int s, struct sockaddr *a, socklen_t *l, const sigset_t *m, int f);

int paccept(int s, struct sockaddr *a, socklen_t *l, const sigset_t *m, int f)
{
    sigset_t old;
    if (m) pthread_sigmask(SIG_SETMASK, m, &old);
    int r = accept4(s, a, l, f & ~0x40000000);
    if (m) pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}
