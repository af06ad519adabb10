/* A test subject for tools/check-launcher.sh: opens sockets (an AF_UNIX socketpair, a
 * TCP listener on 127.0.0.1, a UDP socket) and says whether libsockshim is mapped in it
 * and whether its listener is close-on-exec. With "hold" it then prints "ready" and
 * waits to be killed (for sockshim --status). Built dynamic, static, static-pie, with
 * musl, setuid, with file capabilities; also used as a static #! interpreter. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;
    if (f == NULL) return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, "libsockshim") != NULL) found = 1;
    fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 3;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 4) != 0) return 4;
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    if (u < 0) return 5;
    int m = mapped();
    printf("mapped=%s\n", m == 1 ? "yes" : m == 0 ? "no" : "unknown");
    printf("cloexec=%d\n", (fcntl(l, F_GETFD) & FD_CLOEXEC) ? 1 : 0);
    if (argc > 1 && strcmp(argv[1], "hold") == 0) {
        printf("ready\n");
        fflush(stdout);
        for (int i = 0; i < 600; i++) sleep(1);
    }
    return fflush(stdout) == 0 ? 0 : 6;
}
