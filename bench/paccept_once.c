/*
 * One accepting call between two marker system calls (getppid), for counting the
 * system calls it makes with strace (bench/syscalls.sh):
 *
 *   paccept_once CALL pending|wait
 *     CALL: accept4-native   glibc's accept4 (found in libc.so.6 itself)
 *           accept4          the shim's accept4
 *           paccept-null     paccept with a NULL mask
 *           paccept-mask     paccept, thread mask {}, paccept mask {SIGUSR1}
 *           paccept-unblock  paccept, thread mask {SIGUSR1}, paccept mask {} (pselect idiom)
 *     pending: a connection is queued before the call; wait: a child process connects
 *     100 ms after the call started.
 *
 * Single-threaded (the child is a separate process that strace without -f ignores).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sockshim.h>

typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s CALL pending|wait\n", argv[0]);
        return 2;
    }
    const char *call = argv[1];
    int wait_mode = strcmp(argv[2], "wait") == 0;
    void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    accept4_fn native = NULL;
    if (h) *(void **)&native = dlsym(h, "accept4");
    if (!native) return 2;

    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 8) || getsockname(l, (struct sockaddr *)&a, &len)) {
        perror("listener");
        return 3;
    }
    sigset_t thread_mask, mask;
    sigemptyset(&thread_mask);
    sigemptyset(&mask);
    if (strcmp(call, "paccept-mask") == 0) sigaddset(&mask, SIGUSR1);
    if (strcmp(call, "paccept-unblock") == 0) sigaddset(&thread_mask, SIGUSR1);
    sigprocmask(SIG_SETMASK, &thread_mask, NULL);

    int c = -1;
    pid_t child = -1;
    if (!wait_mode) {
        c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a)) {
            perror("connect");
            return 3;
        }
    } else {
        child = fork();
        if (child == 0) {
            struct timespec ts = { 0, 100 * 1000 * 1000 };
            nanosleep(&ts, NULL);
            int k = socket(AF_INET, SOCK_STREAM, 0);
            connect(k, (struct sockaddr *)&a, sizeof a);
            nanosleep(&ts, NULL);
            _exit(0);
        }
    }

    syscall(SYS_getppid); /* start marker */
    int fd;
    if (strcmp(call, "accept4-native") == 0)
        fd = native(l, NULL, NULL, SOCK_CLOEXEC);
    else if (strcmp(call, "accept4") == 0)
        fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    else if (strcmp(call, "paccept-null") == 0)
        fd = paccept(l, NULL, NULL, NULL, SOCK_CLOEXEC);
    else
        fd = paccept(l, NULL, NULL, &mask, SOCK_CLOEXEC);
    int e = errno;
    syscall(SYS_getppid); /* end marker */
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", call, strerror(e));
        return 1;
    }
    if (child > 0) waitpid(child, NULL, 0);
    return 0;
}
