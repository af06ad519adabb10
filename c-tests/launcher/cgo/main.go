// A cgo test subject for tools/check-launcher.sh: dynamically linked with libc.so.6, so
// a preloaded libsockshim is loaded. It asks the library (through C's fcntl, which the
// library interposes) whether a socket is no-SIGPIPE: under sockshim --nosigpipe the
// socket C code creates is, the listener Go's net package creates is not (Go makes its
// socket system calls directly). F_GETNOSIGPIPE comes from CGO_CFLAGS (sockshim.h).
package main

/*
#include <fcntl.h>
#include <sys/socket.h>
static int nosigpipe(int fd) { return fcntl(fd, F_GETNOSIGPIPE); }
static int c_socket(void) { return socket(AF_INET, SOCK_STREAM, 0); }
*/
import "C"

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

func main() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(3)
	}
	defer l.Close()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		os.Exit(4)
	}
	if strings.Contains(string(maps), "libsockshim") {
		fmt.Println("mapped=yes")
	} else {
		fmt.Println("mapped=no")
	}
	raw, err := l.(*net.TCPListener).SyscallConn()
	if err != nil {
		os.Exit(5)
	}
	goNosigpipe := -2
	if err := raw.Control(func(fd uintptr) { goNosigpipe = int(C.nosigpipe(C.int(fd))) }); err != nil {
		os.Exit(6)
	}
	cfd := C.c_socket()
	if cfd < 0 {
		os.Exit(7)
	}
	fmt.Printf("go-socket-nosigpipe=%d\n", goNosigpipe)
	fmt.Printf("c-socket-nosigpipe=%d\n", int(C.nosigpipe(cfd)))
	syscall.Close(int(cfd))
}
