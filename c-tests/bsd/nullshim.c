/*
 * The "null shim" of c-tests/bsd/run.sh: a libsockshim.so.0 without sockshim's semantics.
 *
 * Every sockshim_NAME entry point that <sockshim/bind.h> redirects a C library call to is
 * here a plain forwarder to the C library's NAME: a tail jump, so arguments (variadic ones
 * too: fcntl, execl...), the return value, errno and vfork's stack are exactly the C
 * library's. Code built against sockshim then runs as if the overlay had only added the
 * names: setsockopt(SOL_SOCKET, SO_NOSIGPIPE) fails with ENOPROTOOPT, socket() and
 * accept4() with SOCK_NOSIGPIPE fail with EINVAL, F_SETNOSIGPIPE with EINVAL. The BSD
 * paths' own test suites must then fail: the control that shows they reach sockshim.
 *
 * Built by run.sh with -shared -Wl,-soname,libsockshim.so.0 and run with LD_LIBRARY_PATH
 * (and LD_PRELOAD, which also wins over a DT_RPATH) pointing at it. run.sh checks that
 * every sockshim_* name the built libraries and tests reference is defined here.
 */
#if defined(__x86_64__)
#define JUMP(name) "\tjmp " #name "@PLT\n"
#elif defined(__aarch64__)
#define JUMP(name) "\tb " #name "\n"
#else
#error "nullshim.c: add the tail jump for this architecture"
#endif

#define FORWARD(name)                                                                     \
    __asm__(".text\n"                                                                     \
            ".globl sockshim_" #name "\n"                                                 \
            ".type sockshim_" #name ", %function\n"                                       \
            "sockshim_" #name ":\n" JUMP(name) ".size sockshim_" #name ", . - sockshim_" #name "\n")

/* sockets */
FORWARD(socket);
FORWARD(socketpair);
FORWARD(listen);
FORWARD(accept);
FORWARD(accept4);
FORWARD(setsockopt);
FORWARD(getsockopt);
/* writes and reads */
FORWARD(send);
FORWARD(sendto);
FORWARD(sendmsg);
FORWARD(sendmmsg);
FORWARD(recvmsg);
FORWARD(recvmmsg);
FORWARD(write);
FORWARD(writev);
FORWARD(sendfile);
FORWARD(sendfile64);
FORWARD(splice);
FORWARD(vmsplice);
FORWARD(tee);
/* descriptors */
FORWARD(fcntl);
FORWARD(fcntl64);
FORWARD(close);
FORWARD(close_range);
FORWARD(closefrom);
FORWARD(dup);
FORWARD(dup2);
FORWARD(dup3);
FORWARD(pipe2);
/* exec and spawn */
FORWARD(execve);
FORWARD(execv);
FORWARD(execvp);
FORWARD(execvpe);
FORWARD(execveat);
FORWARD(fexecve);
FORWARD(execl);
FORWARD(execle);
FORWARD(execlp);
FORWARD(posix_spawn);
FORWARD(posix_spawnp);
FORWARD(vfork);

/* What the real library's sockshim_version() would say, marked as the null shim. */
const char *sockshim_version(void) { return "nullshim (no sockshim semantics)"; }
