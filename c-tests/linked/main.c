/*
 * A program that knows nothing of sockshim: no sockshim header, no -lsockshim (run.sh
 * links it with glibc first).   main [LIB|-] [control]
 * It runs the BSD code of bsdpath.c (linked in, or opened with dlopen(RTLD_LOCAL) from
 * LIB), then with "control" checks that its own calls, not compiled against the header,
 * are untouched: SO_NOSIGPIPE is unknown to glibc, and its own write to a departed peer
 * kills a child with SIGPIPE.
 *
 * Exit 0 and "ok" when all holds; 1 and what failed otherwise.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int bsd_check(char *why, size_t n);
#pragma weak bsd_check

int main(int argc, char **argv)
{
    int (*check)(char *, size_t) = bsd_check;
    if (argc > 1 && strcmp(argv[1], "-") != 0) {
        void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            printf("dlopen: %s\n", dlerror());
            return 1;
        }
        *(void **)&check = dlsym(lib, "bsd_check");
    }
    if (!check) {
        printf("no bsd_check\n");
        return 1;
    }
    signal(SIGPIPE, SIG_DFL);
    char why[256] = "";
    int step = check(why, sizeof why);
    if (step) {
        printf("BSD code, step %d: %s\n", step, why);
        return 1;
    }
    if (argc > 2) { /* the control: the program's own calls */
        int sv[2], one = 1;
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
        errno = 0;
        int r = setsockopt(sv[0], SOL_SOCKET, 0x0800, &one, sizeof one);
        int own_enoprotoopt = r == -1 && errno == ENOPROTOOPT;
        close(sv[1]);
        pid_t pid = fork();
        if (pid == 0) {
            (void)!write(sv[0], "x", 1);
            _exit(0);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        int killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE;
        if (!own_enoprotoopt || !killed) {
            printf("the program's own calls: setsockopt(SO_NOSIGPIPE) ENOPROTOOPT %d, write killed by SIGPIPE %d\n",
                   own_enoprotoopt, killed);
            return 1;
        }
    }
    printf("ok\n");
    return 0;
}
