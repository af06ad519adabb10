#!/usr/bin/env bash
# Builds the Debian packages (debian/) from a copy of the working tree and checks them
# (issue 14): dpkg-buildpackage -us -uc -b, lintian on the .changes (no errors), then the
# three packages unpacked into a scratch root with dpkg -x (the host is left alone): a C
# program built against libsockshim-dev with pkg-config and run against libsockshim0, a
# BSD-path program built with the overlay, and the launcher of the sockshim package. One
# line per check; the last line is `N passed, M failed, K skipped`.
#
# The copy holds every file git knows or would add (tracked, and untracked but not
# ignored), as they are in the working tree, so uncommitted changes are built; target/
# and build/ are ignored, so the package builds from nothing. KEEP=1 keeps the scratch
# directory. As root, the build tools are installed with apt-get when missing.
set -u
cd "$(dirname "$0")/.." || exit 1
start=$(date +%s)
passed=0 failed=0 skipped=0
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sockshim-deb.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then echo "scratch: $scratch"; else trap 'rm -rf "$scratch"' EXIT; fi
why=$scratch/why

ok()   { passed=$((passed + 1)); echo "ok      $1"; }
fail() { failed=$((failed + 1)); echo "FAILED  $1"; [ -s "$why" ] && sed 's/^/    /' "$why" | tail -n 40; }
skip() { skipped=$((skipped + 1)); echo "skip    $1"; }
finish() {
    echo "check-deb: $(( $(date +%s) - start )) s"
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
    exit
}
# check NAME COMMAND...: one check; the command's output is shown when it fails.
check() {
    local name=$1; shift
    if "$@" >"$why" 2>&1; then ok "$name"; else fail "$name"; fi
}

# Build tools: installed when root and missing.
need=()
for t in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian pkg-config:pkg-config \
         cc:gcc make:make git:git; do
    command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${need[*]}"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" ||
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; }; } \
        >"$scratch/apt.log" 2>&1 || tail -n 5 "$scratch/apt.log"
fi
for t in dpkg-buildpackage dh lintian pkg-config cc make; do
    command -v "$t" >/dev/null || { skip "the Debian package: $t is not installed"; finish; }
done
CARGO=${CARGO:-$(command -v cargo || echo "$HOME/.cargo/bin/cargo")}
"$CARGO" --version >/dev/null 2>&1 || { skip "the Debian package: no cargo (Rust >= 1.85)"; finish; }
export CARGO

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
check "debian/changelog version $version is Cargo.toml's ($cargo_version)" test "$version" = "$cargo_version"

# The copy of the working tree.
src=$scratch/sockshim-$version
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z -c -o --exclude-standard | while IFS= read -r -d '' f; do
        [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"   # not the files deleted meanwhile
    done | tar -c --null --no-recursion -T - -f - | tar -x -C "$src"
else
    tar -c --exclude=./target --exclude=./build --exclude=./.git -f - . | tar -x -C "$src"
fi
check "copy of the working tree ($(find "$src" -type f | wc -l) files, no target/ or build/)" \
    test -f "$src/debian/rules" -a ! -e "$src/target" -a ! -e "$src/build"

# The build, in an environment of its own: nothing of an outer make (make test's
# MAKEFLAGS, its command-line variables, its jobserver) reaches debian/rules.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL DESTDIR PREFIX LIBDIR BINDIR INCLUDEDIR MANDIR
t0=$(date +%s)
if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$scratch/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b ($(( $(date +%s) - t0 )) s)"
else
    cp "$scratch/build.log" "$why"; fail "dpkg-buildpackage -us -uc -b"; finish
fi
changes=$scratch/sockshim_${version}_${arch}.changes
debs=()
: >"$why"
for p in libsockshim0 libsockshim-dev sockshim; do
    d=$scratch/${p}_${version}_${arch}.deb
    [ -f "$d" ] && debs+=("$d") || echo "missing $d" >>"$why"
done
[ -f "$changes" ] || echo "missing $changes" >>"$why"
if [ -s "$why" ]; then fail "the .changes and the three packages"; finish; fi
ok "the .changes and the three packages: $(cd "$scratch" && printf '%s ' ./*.deb | sed 's|\./||g')"
grep -i 'warning' "$scratch/build.log" | grep -v -e '-Werror' -e '-Wformat' >"$why" || true
if [ -s "$why" ]; then fail "the build log has no warnings"; else ok "the build log has no warnings"; fi

# lintian: no errors; everything it says is printed.
lintian --display-info --show-overrides "$changes" >"$scratch/lintian.txt" 2>&1
lrc=$?
grep -v '^running with root privileges is not recommended!$' "$scratch/lintian.txt" >"$scratch/lintian.tags"
echo "lintian output (verbatim, $(wc -l <"$scratch/lintian.tags") lines):"
sed 's/^/    /' "$scratch/lintian.tags"
grep '^E: ' "$scratch/lintian.tags" >"$why"
if [ -s "$why" ] || [ "$lrc" -ne 0 ]; then
    fail "lintian: no errors ($(grep -c '^W: ' "$scratch/lintian.tags") warnings)"
else
    ok "lintian: no errors ($(grep -c '^E: ' "$scratch/lintian.tags") errors, $(grep -c '^W: ' "$scratch/lintian.tags") warnings, $(grep -c '^I: ' "$scratch/lintian.tags") info, $(grep -c '^O: ' "$scratch/lintian.tags") overridden)"
fi

# The package metadata.
ctl() { dpkg-deb -f "$scratch/${1}_${version}_${arch}.deb" "$2"; }
check "sockshim depends on libsockshim0 (= $version)" grep -q "libsockshim0 (= $version)" <(ctl sockshim Depends)
check "libsockshim-dev depends on libsockshim0 (= $version)" grep -q "libsockshim0 (= $version)" <(ctl libsockshim-dev Depends)
dpkg-deb --ctrl-tarfile "$scratch/libsockshim0_${version}_${arch}.deb" | tar -x -O ./symbols >"$scratch/symbols" 2>/dev/null
check "libsockshim0 has a symbols file (paccept, socket, sockshim_socket)" \
    bash -c "grep -q '^libsockshim.so.0 libsockshim0 ' '$scratch/symbols' && grep -q ' paccept@Base' '$scratch/symbols' &&
             grep -q ' socket@Base' '$scratch/symbols' && grep -q ' sockshim_socket@Base' '$scratch/symbols'"

# Installed into a scratch root.
root=$scratch/root
mkdir -p "$root"
for d in "${debs[@]}"; do dpkg -x "$d" "$root"; done
lib=$root/usr/lib/$triplet
: >"$why"
for f in usr/lib/$triplet/libsockshim.so.$version usr/include/sockshim.h usr/include/sockshim/bind.h \
         usr/include/sockshim/overlay/sys/socket.h usr/include/sockshim/overlay/fcntl.h \
         usr/include/sockshim/overlay/unistd.h usr/include/sockshim/overlay/sys/uio.h \
         usr/include/sockshim/overlay/sys/sendfile.h usr/lib/$triplet/pkgconfig/sockshim.pc \
         usr/lib/$triplet/pkgconfig/sockshim-overlay.pc usr/bin/sockshim \
         usr/share/man/man1/sockshim.1.gz usr/share/man/man3/paccept.3.gz \
         usr/share/man/man3/sockshim.3.gz usr/share/man/man7/sockshim.7.gz; do
    [ -f "$root/$f" ] || echo "missing /$f" >>"$why"
done
[ "$(readlink "$lib/libsockshim.so.0")" = "libsockshim.so.$version" ] || echo "libsockshim.so.0 is not a link to libsockshim.so.$version" >>"$why"
[ "$(readlink "$lib/libsockshim.so")" = libsockshim.so.0 ] || echo "libsockshim.so is not a link to libsockshim.so.0" >>"$why"
readelf -d "$lib/libsockshim.so.$version" | grep -q 'SONAME.*\[libsockshim.so.0\]' || echo "SONAME is not libsockshim.so.0" >>"$why"
if [ -s "$why" ]; then fail "dpkg -x: the files in place (/usr/lib/$triplet, /usr/include, /usr/bin, man 1/3/7)"
else ok "dpkg -x: the files in place (/usr/lib/$triplet, /usr/include, /usr/bin, man 1/3/7)"; fi
check "which package has what: .so.0 in libsockshim0, headers/.pc/.so/man3 in -dev, launcher/man1/man7 in sockshim" bash -c "
    dpkg-deb -c '$scratch/libsockshim0_${version}_${arch}.deb' | grep -q 'libsockshim.so.0 ->' &&
    ! dpkg-deb -c '$scratch/libsockshim0_${version}_${arch}.deb' | grep -q -e '/include/' -e 'libsockshim.so ->' &&
    dpkg-deb -c '$scratch/libsockshim-dev_${version}_${arch}.deb' | grep -q 'libsockshim.so -> libsockshim.so.0' &&
    dpkg-deb -c '$scratch/libsockshim-dev_${version}_${arch}.deb' | grep -q 'man3/paccept.3.gz' &&
    dpkg-deb -c '$scratch/sockshim_${version}_${arch}.deb' | grep -q 'man7/sockshim.7.gz' &&
    dpkg-deb -c '$scratch/sockshim_${version}_${arch}.deb' | grep -q 'usr/bin/sockshim'"
check "sockshim.pc: libdir=/usr/lib/$triplet, includedir=/usr/include" \
    bash -c "grep -qx 'libdir=/usr/lib/$triplet' '$lib/pkgconfig/sockshim.pc' && grep -qx 'includedir=/usr/include' '$lib/pkgconfig/sockshim.pc'"
check "man finds paccept(3), sockshim(3), sockshim(7), sockshim(1) in the root" bash -c "
    for p in '3 paccept' '3 sockshim' '7 sockshim' '1 sockshim'; do
        MANPATH='$root/usr/share/man' man -w \$p | grep -q '^$root/' || exit 1; done"

# A program built against the extracted -dev package with pkg-config.
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$lib/pkgconfig
cat >"$scratch/prog.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sockshim.h>
int main(int argc, char **argv)
{
    int sv[2];
    sigset_t none;
    (void)argc;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NOSIGPIPE, 0, sv) != 0) return 2;
    close(sv[1]);
    if (fcntl(sv[0], F_GETNOSIGPIPE) != 1) return 3;
    errno = 0;
    if (write(sv[0], "x", 1) != -1 || errno != EPIPE) return 4;  /* no SIGPIPE */
    sigemptyset(&none);
    /* paccept reads the mask first: EFAULT even for a bad descriptor. */
    if (paccept(-1, NULL, NULL, (const sigset_t *)8, 0) != -1 || errno != EFAULT) return 5;
    if (paccept(-1, NULL, NULL, &none, 0) != -1 || errno != EBADF) return 6;
    if (strcmp(sockshim_version(), argv[1]) != 0) return 7;
    puts("ok");
    return 0;
}
C
flags=$(pkg-config --cflags --libs sockshim 2>"$why")
check "pkg-config --cflags --libs sockshim points into the root" grep -q -- "-I$root/usr/include .*-L$lib " <<<"$flags"
# shellcheck disable=SC2086 # $flags: the words pkg-config gave
check "cc prog.c \$(pkg-config --cflags --libs sockshim)" \
    cc -std=c11 -Wall -Wextra -Werror "$scratch/prog.c" -o "$scratch/prog" $flags
check "prog runs against the extracted libsockshim.so.0 (SOCK_NOSIGPIPE, F_GETNOSIGPIPE, paccept)" bash -c "
    LD_LIBRARY_PATH='$lib' ldd '$scratch/prog' | grep -q 'libsockshim.so.0 => $lib/libsockshim.so.0' &&
    test \"\$(LD_LIBRARY_PATH='$lib' '$scratch/prog' '$version')\" = ok"

# Unmodified BSD-path code against the overlay: NetBSD's names where NetBSD has them.
cat >"$scratch/bsd.c" <<'C'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void)
{
    int sv[2], one = 1;
#if !defined(SO_NOSIGPIPE) || !defined(F_SETNOSIGPIPE) || !defined(O_NOSIGPIPE)
    return 10;
#else
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 2;
    if (setsockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) != 0) return 3;
    close(sv[1]);
    errno = 0;
    if (write(sv[0], "x", 1) != -1 || errno != EPIPE) return 4;
    puts("ok");
    return 0;
#endif
}
C
oflags=$(pkg-config --cflags --libs sockshim-overlay 2>"$why")
check "cc bsd.c \$(pkg-config --cflags --libs sockshim-overlay), run" bash -c "
    cc -std=c11 -Wall -Wextra -Wpedantic -Werror '$scratch/bsd.c' -o '$scratch/bsd' $oflags &&
    test \"\$(LD_LIBRARY_PATH='$lib' '$scratch/bsd')\" = ok"

# The extracted launcher: its version, and --nosigpipe on a plain program (not linked
# with sockshim) that writes to a socket whose peer closed: natively it dies of SIGPIPE,
# under the launcher it gets EPIPE. The launcher finds the library relative to itself,
# so the preloaded library is the one in the root.
check "sockshim --version: sockshim $version" grep -qx "sockshim $version" <("$root/usr/bin/sockshim" --version 2>&1)
cat >"$scratch/writer.c" <<'C'
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void)
{
    /* A TCP connection on loopback whose peer (the accepted side) has closed. */
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&a, &al) || connect(c, (struct sockaddr *)&a, sizeof a))
        return 2;
    close(accept(l, NULL, NULL));
    printf("preload=%s\n", getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
    fflush(stdout);
    for (int i = 0; i < 50; i++) {          /* the first write may still succeed (RST) */
        errno = 0;
        if (write(c, "x", 1) == -1) break;
        usleep(10000);
    }
    printf("errno=%d\n", errno);
    return errno == EPIPE ? 0 : 3;
}
C
if cc -std=c11 -Wall -Wextra -Werror "$scratch/writer.c" -o "$scratch/writer" >"$why" 2>&1; then
    "$scratch/writer" >"$scratch/native.out" 2>&1
    rc=$?
    echo "exit status $rc (want 141: SIGPIPE)" >"$why"
    if [ "$rc" -eq 141 ]; then ok "natively the writer dies of SIGPIPE"; else fail "natively the writer dies of SIGPIPE"; fi
    "$root/usr/bin/sockshim" --nosigpipe -- "$scratch/writer" >"$scratch/shim.out" 2>&1
    rc=$?
    { echo "exit status $rc"; cat "$scratch/shim.out"; } >"$why"
    if [ "$rc" -eq 0 ] && grep -qx "errno=$(grep -w EPIPE /usr/include/asm-generic/errno-base.h | awk '{print $3}')" "$scratch/shim.out" &&
       grep -qx "preload=$(realpath "$lib/libsockshim.so.0")" "$scratch/shim.out"; then
        ok "sockshim --nosigpipe: EPIPE, no SIGPIPE, with the root's library ($(grep preload= "$scratch/shim.out" | sed "s|$root||"))"
    else
        fail "sockshim --nosigpipe: EPIPE, no SIGPIPE, with the root's library"
    fi
else
    fail "cc writer.c"
fi

finish
