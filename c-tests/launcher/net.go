// A pure-Go test subject for tools/check-launcher.sh (built with CGO_ENABLED=0): a TCP
// listener from Go's net package; says whether libsockshim is mapped in it.
package main

import (
	"fmt"
	"net"
	"os"
	"strings"
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
}
