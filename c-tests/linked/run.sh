#!/usr/bin/env bash
# Linked use (SPEC.md "Linked use", issue 10): code compiled against sockshim's header
# gets its semantics whatever the link order.
#
#   bash c-tests/linked/run.sh        (from the repository top, after `make lib`)
#
# - the overlay headers compile as C89, C99, C11, C++17 (-Wall -Wextra -Wpedantic
#   -Werror), alone and with <sockshim.h>, and bind every call to sockshim_*;
# - bsdpath.c (BSD code, built with nothing but `pkg-config sockshim-overlay`) in the
#   three shapes: the program itself (glibc before libsockshim in its lookup scope), a
#   shared library that a program knowing nothing of sockshim links, and that library
#   opened with dlopen(RTLD_LOCAL); each also under LD_PRELOAD. SIGPIPE is at its
#   default action: a write that raised it would kill the program;
# - controls: the program's own calls stay glibc's; the same library built the old way
#   (names only, plain -lsockshim, --as-needed) loses SO_NOSIGPIPE;
# - `pkg-config --libs sockshim` keeps the dependency under --as-needed;
# - configure probes: autoconf's AC_CHECK_DECLS/AC_CHECK_FUNCS, CMake's
#   check_symbol_exists, Meson's has_header_symbol/has_function find every name.
# Ends with "N passed, M failed, K skipped".
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
CC=${CC:-cc} CXX=${CXX:-c++}
B=$TOP/build/linked
rm -rf "$B" && mkdir -p "$B"
export PKG_CONFIG_PATH=$TOP/build/pkgconfig
LIB=$TOP/target/release/libsockshim.so
W="-Wall -Wextra -Wpedantic -Werror"
S=c-tests/linked
passed=0 failed=0 skipped=0

check() {
    local name=$1; shift
    if "$@" >"$B/out" 2>&1; then
        passed=$((passed + 1)); echo "ok      $name"
    else
        failed=$((failed + 1)); echo "FAILED  $name"; sed 's/^/    /' "$B/out" | tail -n 30
    fi
}
skip() { skipped=$((skipped + 1)); echo "SKIP    $1"; }

[ -f build/pkgconfig/sockshim-overlay.pc ] || make -s lib >/dev/null
tools/need.sh pkg-config pkg-config || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
OV_CFLAGS=$(pkg-config --cflags sockshim-overlay)
OV_LIBS=$(pkg-config --libs sockshim-overlay)

# ---- the overlay headers ------------------------------------------------------------
# Every call in overlay_use.c is bound: no undefined reference to glibc's names.
bound_only() {
    "$@" -c $S/overlay_use.c -o "$B/ov.o" || return 1
    local plain
    plain=$(nm "$B/ov.o" | awk '$1 == "U" {print $2}' | grep -vE '^(sockshim_|paccept$|_GLOBAL_OFFSET_TABLE_$)')
    [ -z "$plain" ] || { echo "calls not bound to sockshim: $plain"; return 1; }
}
for std in "$CC -std=c89" "$CC -std=gnu89" "$CC -std=c99 -D_GNU_SOURCE" "$CC -std=c11" \
           "$CC -std=gnu11 -O2 -D_FORTIFY_SOURCE=3 -D_FILE_OFFSET_BITS=64" "$CXX -x c++ -std=c++17" \
           "$CXX -x c++ -std=c++17 -D_FILE_OFFSET_BITS=64"; do
    for with in "" -DSOCKSHIM_FIRST -DSOCKSHIM_LAST; do
        check "overlay: $std $with" bound_only $std $W $with $OV_CFLAGS
    done
done

# ---- the three shapes ----------------------------------------------------------------
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '; }
# $1 comes before $2 among $3's NEEDED entries (glibc first in the lookup scope).
before() { local n; n=$(needed "$3"); case "$n" in *"$1"*"$2"*) ;; *) echo "NEEDED of $3: $n"; return 1;; esac; }
runs_ok() { local out; out=$("$@") && [ "$out" = ok ] || { echo "$* printed: $out"; return 1; }; }

# 1. The program itself is the BSD code, libc first, --as-needed.
check "shape 1 builds: the program compiled against the overlay, -lc first, --as-needed" \
    $CC -std=c11 $W $OV_CFLAGS $S/bsdpath.c $S/main.c -o "$B/prog-bound" -Wl,--as-needed -Wl,--no-as-needed -lc \
    -Wl,--as-needed $OV_LIBS
check "shape 1: libc.so.6 before libsockshim.so.0 in the program's NEEDED" before libc.so.6 libsockshim.so.0 "$B/prog-bound"
check "shape 1: the program's BSD code gets NetBSD semantics" runs_ok "$B/prog-bound" -
check "shape 1, preloaded too" runs_ok env LD_PRELOAD="$LIB" "$B/prog-bound" -

# 2. A shared library built against the overlay, linked by a program that knows nothing.
check "shape 2 builds: libbsdpath.so against the overlay, --as-needed" \
    $CC -std=c11 $W $OV_CFLAGS -fPIC -shared $S/bsdpath.c -o "$B/libbsdpath.so" -Wl,--as-needed $OV_LIBS
has_needed() { needed "$2" | grep -q "$1" || { echo "NEEDED of $2: $(needed "$2")"; return 1; }; }
lacks_needed() { ! needed "$2" | grep -q "$1" || { echo "NEEDED of $2: $(needed "$2")"; return 1; }; }
check "shape 2: libbsdpath.so keeps libsockshim.so.0 under --as-needed" has_needed libsockshim.so.0 "$B/libbsdpath.so"
check "shape 2 builds: a plain program linking it, libc first" \
    $CC -std=c11 $W $S/main.c -o "$B/prog-plain" -Wl,--no-as-needed -lc -L"$B" -lbsdpath -Wl,-rpath,"$B" -ldl
check "shape 2: the program does not link libsockshim" lacks_needed sockshim "$B/prog-plain"
check "shape 2: libc.so.6 before libbsdpath.so in the program's NEEDED" before libc.so.6 libbsdpath.so "$B/prog-plain"
check "shape 2: the library gets NetBSD semantics; the program's own calls stay glibc's" \
    runs_ok "$B/prog-plain" - control
check "shape 2, preloaded too" runs_ok env LD_PRELOAD="$LIB" "$B/prog-plain" -
check "shape 2: the library's SO_NOSIGPIPE binds to libsockshim (LD_DEBUG=bindings)" \
    bash -c "LD_DEBUG=bindings $B/prog-plain - 2>&1 >/dev/null | grep -q 'libbsdpath.so .*to .*libsockshim.so.0 .*sockshim_setsockopt'"

# 3. The same library opened with dlopen(RTLD_LOCAL).
check "shape 3: dlopen(RTLD_LOCAL) of the library; the program's own calls stay glibc's" \
    runs_ok env -u LD_LIBRARY_PATH "$B/prog-plain" "$B/libbsdpath.so" control
check "shape 3, preloaded too" runs_ok env LD_PRELOAD="$LIB" "$B/prog-plain" "$B/libbsdpath.so"

# Control: the library built the way README described before (the names only, a plain
# -lsockshim): glibc comes first, SO_NOSIGPIPE reaches it and fails.
oldway() {
    $CC -std=c11 $W $OV_CFLAGS -DSOCKSHIM_NO_BINDING -fPIC -shared $S/bsdpath.c -o "$B/libold.so" \
        -L"$TOP/build/lib" -lsockshim -Wl,-rpath,"$TOP/build/lib" || return 1
    local out
    out=$("$B/prog-plain" "$B/libold.so")
    echo "$out"
    case "$out" in *"step 2: setsockopt(SO_NOSIGPIPE) (errno $(python3 -c 'import errno; print(errno.ENOPROTOOPT)')"*) ;; *) return 1;; esac
}
check "control: without the binding, the library's SO_NOSIGPIPE reaches glibc (ENOPROTOOPT)" oldway

# pkg-config --libs sockshim under --as-needed, for a program that only interposes, with
# the flags where LDFLAGS puts them (before the objects: nothing is undefined yet).
check "pkg-config --libs sockshim keeps the dependency under --as-needed" bash -c \
    "$CC -std=c11 $W -Wl,--as-needed \$(pkg-config --libs sockshim) $S/asneeded.c -o $B/asneeded &&
     readelf -d $B/asneeded | grep -q 'NEEDED.*libsockshim.so.0' && $B/asneeded"
check "control: the same link without the pc file's --no-as-needed drops it" bash -c \
    "$CC -std=c11 $W -Wl,--as-needed -L$TOP/build/lib -lsockshim $S/asneeded.c -o $B/asneeded-plain &&
     ! readelf -d $B/asneeded-plain | grep -q 'NEEDED.*libsockshim' && ! $B/asneeded-plain"

# ---- configure probes ------------------------------------------------------------------
probe_autoconf() {
    local d=$B/autoconf
    mkdir -p "$d" && cp $S/probes/configure.ac "$d/" && (cd "$d" && autoheader && autoconf) || return 1
    (cd "$d" && ./configure CPPFLAGS="$OV_CFLAGS" LIBS="$OV_LIBS" >configure.out 2>&1) || { tail -20 "$d/config.log"; return 1; }
    local want="HAVE_DECL_SO_NOSIGPIPE 1|HAVE_DECL_SOCK_NOSIGPIPE 1|HAVE_DECL_F_SETNOSIGPIPE 1|HAVE_DECL_F_GETNOSIGPIPE 1|HAVE_DECL_O_NOSIGPIPE 1|HAVE_DECL_PACCEPT 1|HAVE_PACCEPT 1|HAVE_ACCEPT4 1|HAVE_SOCKET 1|HAVE_CONNECT 1|HAVE_PIPE2 1"
    local miss=0
    IFS='|' read -ra w <<<"$want"
    for x in "${w[@]}"; do grep -q "#define $x\$" "$d/config.h" || { echo "config.h lacks: #define $x"; miss=1; }; done
    grep -q "none required" "$d/configure.out" || { echo "AC_SEARCH_LIBS(connect) did not find it in libc"; miss=1; }
    return $miss
}
probe_cmake() {
    local d=$B/cmake
    mkdir -p "$d" && cmake -S $S/probes -B "$d" -DOVERLAY_CFLAGS="$OV_CFLAGS" -DOVERLAY_LIBS="$OV_LIBS" >"$d.out" 2>&1 ||
        { cat "$d.out"; return 1; }
    grep 'probe ' "$d.out"
    ! grep -q 'probe HAVE_[A-Z_]*=$' "$d.out" && [ "$(grep -c 'probe HAVE_[A-Z_]*=1' "$d.out")" = 8 ]
}
probe_meson() {
    local d=$B/meson
    meson setup "$d" $S/probes >"$d.out" 2>&1 || { cat "$d.out"; return 1; }
    grep 'probe ' "$d.out"
    ! grep -q 'probe .*=false' "$d.out" && [ "$(grep -c 'probe .*=true' "$d.out")" = 6 ]
}
for tool in "autoconf autoconf probe_autoconf" "cmake cmake probe_cmake" "meson meson probe_meson"; do
    read -r cmd pkg fn <<<"$tool"
    if tools/need.sh "$cmd" "$pkg" 2>"$B/need.err"; then
        [ "$cmd" != meson ] || tools/need.sh ninja ninja-build 2>>"$B/need.err"
        check "$cmd probes find NetBSD's names through the overlay" $fn
    else
        skip "$cmd probes: $(cat "$B/need.err")"
    fi
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
