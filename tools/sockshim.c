/* sockshim(1): run a program with libsockshim preloaded and the chosen policies.
 *
 *   sockshim [--nosigpipe] [--cloexec] [--accept-inherit] [--personality netbsd|linux]
 *            [--] PROGRAM [ARGS...]
 *
 * SPEC.md "Policies": the launcher sets the policy variables and appends the library's
 * absolute path to any existing LD_PRELOAD, never replacing it (LESSONS.md pitfall 14).
 * Exit status as env(1): 125 for the launcher's own errors, 126 when PROGRAM was found
 * but could not be run, 127 when it was not found.
 *
 * The library is found relative to this executable: SOCKSHIM_LIB_REL (set by the
 * Makefile: "../lib/libsockshim.so.0" both in the build tree and when installed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SOCKSHIM_LIB_REL
#define SOCKSHIM_LIB_REL "../lib/libsockshim.so.0"
#endif
#ifndef SOCKSHIM_VERSION
#define SOCKSHIM_VERSION "unknown"
#endif

enum { EXIT_LAUNCHER = 125, EXIT_CANNOT_RUN = 126, EXIT_NOT_FOUND = 127 };

static const char usage_text[] =
    "Usage: sockshim [OPTION]... [--] PROGRAM [ARG]...\n"
    "Run PROGRAM with libsockshim preloaded (NetBSD socket semantics on Linux).\n"
    "\n"
    "  --nosigpipe             every socket the program creates or accepts is no-SIGPIPE\n"
    "                          (SOCKSHIM_NOSIGPIPE=1)\n"
    "  --cloexec               every socket the program creates or accepts is close-on-exec,\n"
    "                          atomically (SOCKSHIM_CLOEXEC=1)\n"
    "  --accept-inherit        accept() inherits O_NONBLOCK, O_ASYNC and the SIGIO owner of the\n"
    "                          listener, as on BSD (SOCKSHIM_ACCEPT_INHERIT=1)\n"
    "  --personality=NAME      'netbsd' (every NetBSD-fidelity choice) or 'linux' (the default)\n"
    "                          (SOCKSHIM_PERSONALITY)\n"
    "  --help                  print this help and exit\n"
    "  --version               print the version and exit\n"
    "\n"
    "The library is appended to any existing LD_PRELOAD. Exit status: PROGRAM's, or 125 if\n"
    "sockshim itself failed, 126 if PROGRAM was found but could not be run, 127 if it was not\n"
    "found.\n";

static _Noreturn void die(const char *fmt, const char *arg)
{
    fputs("sockshim: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(EXIT_LAUNCHER);
}

static _Noreturn void bad_usage(const char *fmt, const char *arg)
{
    fputs("sockshim: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'sockshim --help' for more information.\n", stderr);
    exit(EXIT_LAUNCHER);
}

static void set(const char *name, const char *value)
{
    if (setenv(name, value, 1) != 0) die("cannot set the environment: %s", strerror(errno));
}

/* The library's absolute path, from this executable's own location. */
static void library_path(char out[PATH_MAX])
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) die("cannot find my own executable: %s", strerror(errno));
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL) die("cannot find my own directory in '%s'", self);
    slash[1] = '\0';
    char joined[2 * PATH_MAX];
    snprintf(joined, sizeof joined, "%s%s", self, SOCKSHIM_LIB_REL);
    if (realpath(joined, out) == NULL) die("cannot find the library %s", joined);
    /* ld.so splits LD_PRELOAD at spaces and colons. */
    if (strpbrk(out, " :") != NULL) die("the library's path '%s' contains a space or a colon", out);
}

/* Is `word` (not NUL-terminated) the file `lib` is? (Any path to it: a second copy of
 * the library in one process would be a second, inactive descriptor table.) */
static int same_file(const char *word, size_t len, const struct stat *lib)
{
    char path[PATH_MAX];
    struct stat st;
    if (len == 0 || len >= sizeof path) return 0;
    memcpy(path, word, len);
    path[len] = '\0';
    return stat(path, &st) == 0 && st.st_dev == lib->st_dev && st.st_ino == lib->st_ino;
}

/* LD_PRELOAD with `lib` appended, unless it is already there. */
static void append_preload(const char *lib)
{
    const char *old = getenv("LD_PRELOAD");
    if (old == NULL || old[strspn(old, " :")] == '\0') {
        set("LD_PRELOAD", lib);
        return;
    }
    struct stat self;
    if (stat(lib, &self) != 0) die("cannot find the library %s", lib);
    for (const char *p = old; *p != '\0';) {
        p += strspn(p, " :");
        size_t word = strcspn(p, " :");
        if (same_file(p, word, &self)) return;
        p += word;
    }
    size_t len = strlen(lib);
    size_t total = strlen(old) + 1 + len + 1;
    char *value = malloc(total);
    if (value == NULL) die("%s", strerror(errno));
    snprintf(value, total, "%s:%s", old, lib);
    set("LD_PRELOAD", value);
    free(value);
}

int main(int argc, char **argv)
{
    const char *personality = NULL;
    int nosigpipe = 0, cloexec = 0, inherit = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0') break;
        if (strcmp(a, "--nosigpipe") == 0) {
            nosigpipe = 1;
        } else if (strcmp(a, "--cloexec") == 0) {
            cloexec = 1;
        } else if (strcmp(a, "--accept-inherit") == 0) {
            inherit = 1;
        } else if (strcmp(a, "--personality") == 0) {
            if (++i == argc) bad_usage("option '%s' needs an argument", a);
            personality = argv[i];
        } else if (strncmp(a, "--personality=", 14) == 0) {
            personality = a + 14;
        } else if (strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return fflush(stdout) == 0 ? 0 : EXIT_LAUNCHER;
        } else if (strcmp(a, "--version") == 0) {
            printf("sockshim %s\n", SOCKSHIM_VERSION);
            return fflush(stdout) == 0 ? 0 : EXIT_LAUNCHER;
        } else {
            bad_usage("unknown option '%s'", a);
        }
    }
    if (personality != NULL && strcmp(personality, "netbsd") != 0 && strcmp(personality, "linux") != 0)
        bad_usage("--personality must be 'netbsd' or 'linux', not '%s'", personality);
    if (i == argc) bad_usage("%s", "no program given");

    char lib[PATH_MAX];
    library_path(lib);
    append_preload(lib);
    if (nosigpipe) set("SOCKSHIM_NOSIGPIPE", "1");
    if (cloexec) set("SOCKSHIM_CLOEXEC", "1");
    if (inherit) set("SOCKSHIM_ACCEPT_INHERIT", "1");
    if (personality != NULL) set("SOCKSHIM_PERSONALITY", personality);

    execvp(argv[i], &argv[i]);
    int e = errno;
    fprintf(stderr, "sockshim: '%s': %s\n", argv[i], strerror(e));
    return e == ENOENT || e == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
