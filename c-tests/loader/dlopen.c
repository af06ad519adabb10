/*
 * As main.c, but the suite's library is opened with dlopen(RTLD_LOCAL): libsockshim is
 * then in no global scope at all, only in the library's own (SPEC.md "Linked use": "a
 * library opened with dlopen").
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    void *lib = dlopen(SUITE_LIB, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen %s: %s\n", SUITE_LIB, dlerror());
        return 2;
    }
    int (*suite_main)(int, char **);
    *(void **)&suite_main = dlsym(lib, "suite_main");
    if (!suite_main) {
        fprintf(stderr, "dlsym suite_main: %s\n", dlerror());
        return 2;
    }
    return suite_main(argc, argv);
}
