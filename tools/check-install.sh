#!/usr/bin/env bash
# make install into a scratch DESTDIR, build a C program against the installed copy
# with pkg-config, run it, run a program under the installed launcher, then make
# uninstall and check nothing is left behind.
set -eu
cd "$(dirname "$0")/.."
tools/need.sh pkg-config pkg-config
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make -s install DESTDIR="$dest" PREFIX=/usr/local >/dev/null
lib=$dest/usr/local/lib
test -f "$lib/libsockshim.so.0.1.0"
test "$(readlink "$lib/libsockshim.so.0")" = libsockshim.so.0.1.0
test "$(readlink "$lib/libsockshim.so")" = libsockshim.so.0
test -f "$dest/usr/local/include/sockshim.h"
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs sockshim)
${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror c-tests/header/use_header.c -o "$dest/prog" $flags
LD_LIBRARY_PATH=$lib "$dest/prog"
# The program really uses the installed library, by its soname.
LD_LIBRARY_PATH=$lib ldd "$dest/prog" | grep -q "libsockshim.so.0 => $lib/libsockshim.so.0"

# The overlay: installed headers and sockshim-overlay.pc; BSD code built with nothing else
# finds NetBSD's names in <sys/socket.h> and <fcntl.h>, bound to the installed library.
inc=$dest/usr/local/include
for h in sockshim/bind.h sockshim/overlay/sys/socket.h sockshim/overlay/fcntl.h sockshim/overlay/unistd.h \
         sockshim/overlay/sys/uio.h sockshim/overlay/sys/sendfile.h; do test -f "$inc/$h"; done
ovflags=$(pkg-config --cflags --libs sockshim-overlay)
grep -q -- "-isystem $inc/sockshim/overlay" <<<"$ovflags"
${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror c-tests/linked/bsdpath.c c-tests/linked/main.c -o "$dest/bsd" $ovflags
test "$(LD_LIBRARY_PATH=$lib "$dest/bsd" -)" = ok

# The installed launcher preloads the installed library (found relative to itself) and
# sets the policies: a plain C program (not linked to sockshim) sees a no-SIGPIPE,
# close-on-exec socket and an EPIPE where it would have died of SIGPIPE.
bin=$dest/usr/local/bin
test -x "$bin/sockshim"
test -f "$dest/usr/local/share/man/man1/sockshim.1"
"$bin/sockshim" --version | grep -qx "sockshim 0.1.0"
cat >"$dest/plain.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 2;
    close(sv[1]);
    printf("preload=%s\n", getenv("LD_PRELOAD"));
    printf("cloexec=%d\n", fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
    errno = 0;
    long r = (long)write(sv[0], "x", 1);
    printf("write=%ld errno=%d\n", r, errno);
    return 0;
}
C
${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror "$dest/plain.c" -o "$dest/plain"
if "$dest/plain" >/dev/null 2>&1; then echo "natively the write should have died of SIGPIPE"; exit 1; fi
out=$(LD_PRELOAD=/lib/no-such-preload.so "$bin/sockshim" --nosigpipe --cloexec -- "$dest/plain" 2>/dev/null)
printf '%s\n' "$out"
grep -qx "preload=/lib/no-such-preload.so:$(realpath "$lib/libsockshim.so.0")" <<<"$out"
grep -qx "cloexec=1" <<<"$out"
grep -qx "write=-1 errno=$(python3 -c 'import errno; print(errno.EPIPE)')" <<<"$out"
set +e
"$bin/sockshim" -- "$dest/no-such-program" 2>/dev/null; test $? -eq 127 || exit 1
"$bin/sockshim" -- "$dest/plain.c" 2>/dev/null; test $? -eq 126 || exit 1
"$bin/sockshim" --no-such-option true 2>/dev/null; test $? -eq 125 || exit 1
set -e

# The musl build (make install-musl) in $(LIBDIR)/musl: the installed launcher takes it
# for a musl program, with the same policies (SPEC.md "Platforms").
if why=$(tools/need-musl.sh); then
    make -s install-musl DESTDIR="$dest" PREFIX=/usr/local >/dev/null
    test "$(readlink "$lib/musl/libsockshim.so.0")" = libsockshim.so.0.1.0
    musl-gcc -std=c11 -Wall -Wextra -Wpedantic -Werror "$dest/plain.c" -o "$dest/plain-musl"
    if "$dest/plain-musl" >/dev/null 2>&1; then echo "natively the musl write should have died of SIGPIPE"; exit 1; fi
    out=$("$bin/sockshim" --nosigpipe --cloexec -- "$dest/plain-musl" 2>/dev/null)
    sed 's/^/musl: /' <<<"$out"
    grep -qx "preload=$(realpath "$lib/musl/libsockshim.so.0")" <<<"$out"
    grep -qx "cloexec=1" <<<"$out"
    grep -qx "write=-1 errno=$(python3 -c 'import errno; print(errno.EPIPE)')" <<<"$out"
else
    echo "SKIP    the musl build under the installed launcher: $why"
fi

make -s uninstall DESTDIR="$dest" PREFIX=/usr/local >/dev/null
test -z "$(find "$dest/usr" -type f -o -type l)"
