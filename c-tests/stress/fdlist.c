/*
 * The child of the fork/exec storm: lists its own descriptors (/proc/self/fd, readlink)
 * and exits with the number of sockets among descriptors >= 3 (0-2 are the terminal or
 * the runner's pipes). Leaked ones are named on stderr (not with -q). Exit 200+ on its own errors.
 * Built static and without sockshim, so that exec is cheap and nothing else is loaded.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return 201;
    int self = dirfd(d), n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        int fd = atoi(e->d_name);
        if (fd < 3 || fd == self) continue;
        char path[64], target[256];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t k = readlink(path, target, sizeof target - 1);
        if (k < 0) continue;
        target[k] = 0;
        if (strncmp(target, "socket:", 7) == 0) {
            n++;
            if (!quiet) fprintf(stderr, "fdlist: leaked descriptor %d -> %s\n", fd, target);
        }
    }
    closedir(d);
    return n > 100 ? 100 : n;
}
