#!/usr/bin/env bash
# make install into a scratch DESTDIR, build a C program against the installed copy
# with pkg-config, run it, then make uninstall and check nothing is left behind.
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
make -s uninstall DESTDIR="$dest" PREFIX=/usr/local >/dev/null
test -z "$(find "$dest/usr" -type f -o -type l)"
