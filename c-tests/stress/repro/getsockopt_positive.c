/*
 * Defect (found by the fuzzer, seed 599 of `build/stress/ci/fuzz --calls=3000000`):
 * sockshim's getsockopt() turns a positive return value of the system call into 0, so
 * it is not "exactly as without the shim" (SPEC "Calls without no-SIGPIPE behave
 * exactly as they do without the shim").
 *
 * Linux's getsockopt(IPPROTO_IPV6, IPV6_DSTOPTS) on a TCP socket, with an optlen it
 * cannot write back (read-only page), returns 4 (copy_to_sockptr's "bytes not copied"
 * leaks out as the result: a kernel quirk). glibc passes the 4 through; sockshim's
 * exports.rs maps every Ok(_) of getsockopt to 0 (`unit(...)`).
 *
 *   cc -std=c11 -D_GNU_SOURCE c-tests/stress/repro/getsockopt_positive.c -o /tmp/gso -ldl
 *   /tmp/gso                                              -> all three lines say 4
 *   LD_PRELOAD=$PWD/target/release/libsockshim.so /tmp/gso -> "getsockopt (as linked): 0"
 *
 * Expected: 4, as glibc. Fix: return the kernel's value for getsockopt (and setsockopt)
 * instead of unit().
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    char *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 4096; i++) ro[i] = (char)(i * 7);
    mprotect(ro, 4096, PROT_READ);
    socklen_t *rolen = (socklen_t *)(ro + 64); /* read-only too; the value is huge */
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    int (*native)(int, int, int, void *, socklen_t *);
    void *p = dlsym(dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD), "getsockopt");
    memcpy(&native, &p, sizeof p);
    errno = 0;
    long raw = syscall(SYS_getsockopt, s, IPPROTO_IPV6, IPV6_DSTOPTS, ro, rolen);
    printf("raw system call:        %ld (%s)\n", raw, strerror(errno));
    errno = 0;
    printf("glibc's getsockopt:     %d (%s)\n", native(s, IPPROTO_IPV6, IPV6_DSTOPTS, ro, rolen),
           strerror(errno));
    errno = 0;
    printf("getsockopt (as linked): %d (%s)\n", getsockopt(s, IPPROTO_IPV6, IPV6_DSTOPTS, ro, rolen),
           strerror(errno));
    return 0;
}
