#!/usr/bin/env bash
# BSD code built against sockshim (issue 10, deliverable 4). Run from the repository top:
#   bash c-tests/bsd/run.sh                      nanomsg, libmicrohttpd and zeromq
#   BSD_ONLY="nanomsg zmq" bash c-tests/bsd/run.sh   some of them (nanomsg, mhd, zmq or the full names)
#
# For each project: its Debian source (apt-get source --download-only), built twice with
# nothing but pkg-config flags, out of tree under build/bsd/PROJECT/{plain,sockshim}:
#   plain     CFLAGS=-O1, LDFLAGS=-Wl,--as-needed                    (Linux: MSG_NOSIGNAL only)
#   sockshim  the same plus `pkg-config --cflags sockshim-overlay` in CFLAGS/CXXFLAGS and
#             `pkg-config --libs sockshim-overlay` in LDFLAGS (CMake) or LIBS (configure):
#             an unmodified build that sees SO_NOSIGPIPE / SOCK_NOSIGPIPE and takes its BSD path.
# Checks, each one count: both builds build; the project's own test suite gives the same
# pass/fail/skip counts in both; the sockshim build references sockshim_* and NEEDs
# libsockshim.so.0 despite --as-needed (the plain build neither); at run time the library's
# calls bind to libsockshim; the control: the sockshim build run against the "null shim"
# (nullshim.c: every sockshim_* a plain forwarder to glibc, so SO_NOSIGPIPE gives
# ENOPROTOOPT and SOCK_NOSIGPIPE EINVAL) must fail its tests. For libmicrohttpd also the
# SIGPIPE scenario (mhd_sigpipe.c): a server with SIGPIPE at its default action, serving
# 64 MiB from a file to clients that reset mid-transfer, survives in both builds; strace
# shows which path each took (sendfile trusting SOCK_NOSIGPIPE, or send with MSG_NOSIGNAL).
#
# Packages are installed with apt-get when missing (as root); a project is skipped, with the
# reason, only when its sources or build packages cannot be had. The last line is
# "N passed, M failed, K skipped"; the exit status is non-zero iff M > 0.
#   BSD_REUSE=1      keep earlier builds under build/bsd (for work on this script)
#   BSD_JOBS=N       make -jN (2); BSD_CTEST_JOBS=N: ctest -jN (4 for nanomsg, 6 for zeromq)
#   BSD_RESETS=N     clients that reset in the SIGPIPE scenario (6)
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
HERE=$TOP/c-tests/bsd
B=$TOP/build/bsd
JOBS=${BSD_JOBS:-2}
CTEST_JOBS=${BSD_CTEST_JOBS:-} # default per project, below
RESETS=${BSD_RESETS:-6}
REUSE=${BSD_REUSE:-}
CC=${CC:-cc}
CXX=${CXX:-c++}
export PKG_CONFIG_PATH=$TOP/build/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export DEBIAN_FRONTEND=noninteractive
export LC_COLLATE=C # sort and join agree
stage_start=$(date +%s)
passed=0 failed=0 skipped=0
rows=()  # the table, one "|"-separated row each
times=() # "project: N s"
mkdir -p "$B/logs"
LOG=$B/logs

ok() { passed=$((passed + 1)); echo "ok      $*"; }
fail() { failed=$((failed + 1)); echo "FAILED  $*"; }
skip() { skipped=$((skipped + 1)); echo "skipped $*"; }
note() { echo "    # $*"; }
# verdict COND-STATUS NAME: ok when the status is 0.
verdict() { if [ "$1" -eq 0 ]; then ok "$2"; else fail "$2"; fi; }
indent() { sed 's/^/    /'; }

# ---------------------------------------------------------------------------------------------
# The projects
# ---------------------------------------------------------------------------------------------
ALL="nanomsg libmicrohttpd zeromq"
declare -A SRCPKG=([nanomsg]=nanomsg [libmicrohttpd]=libmicrohttpd [zeromq]=zeromq3)
declare -A WANTVER=([nanomsg]=1.1.5 [libmicrohttpd]=0.9.75 [zeromq]=4.3.4)
declare -A KIND=([nanomsg]=cmake [libmicrohttpd]=autoconf [zeromq]=cmake)
# Configure options, the same for both builds (documentation and benchmarks off, for time).
declare -A OPTS=(
    [nanomsg]="-DNN_ENABLE_DOC=OFF"
    [libmicrohttpd]="--disable-doc"
    [zeromq]="-DBUILD_STATIC=OFF -DWITH_PERF_TOOL=OFF -DWITH_DOCS=OFF -DWITH_DOC=OFF"
)
# The project's shared library, relative to its build directory.
declare -A LIBFILE=([nanomsg]=libnanomsg.so [libmicrohttpd]=src/microhttpd/.libs/libmicrohttpd.so [zeromq]=lib/libzmq.so)
# The BSD-path calls the library must route to sockshim (nm: U sockshim_NAME).
declare -A KEYSYMS=([nanomsg]="setsockopt socket" [libmicrohttpd]="socket accept4 setsockopt sendfile64" [zeromq]="setsockopt socket accept4")
# A test run under LD_DEBUG=bindings, and the call of the library it must bind to libsockshim.
declare -A BINDTEST=([nanomsg]=./tcp [libmicrohttpd]=src/testcurl/test_get [zeromq]=bin/test_pair_tcp)
declare -A BINDSYM=([nanomsg]=setsockopt [libmicrohttpd]=accept4 [zeromq]=setsockopt)
# How each finds the BSD names (read in its sources; printed with its results).
declare -A DETECT=(
    [nanomsg]="CMake probes none of them (check_function_exists accept4, check_symbol_exists AF_UNIX only); src/aio/usock_posix.inc: '#ifdef SO_NOSIGPIPE' setsockopt on every socket + errnum_assert, '#if defined MSG_NOSIGNAL' sendmsg flag"
    [libmicrohttpd]="configure probes none of them (AC_CHECK_DECL SOCK_NONBLOCK, AC_CHECK_FUNCS accept4, sendmsg, Linux sendfile/sendfile64); src/microhttpd/mhd_sockets.h: '#ifdef SOCK_NOSIGPIPE' (SOCK_NOSIGPIPE_OR_ZERO on socket and accept4), '#if defined(SOL_SOCKET) && defined(SO_NOSIGPIPE)' (MHD_socket_nosignal_), '#ifdef MSG_NOSIGNAL'"
    [zeromq]="CMake probes none of them (check_cxx_symbol_exists accept4 sys/socket.h, check_c_source_runs SOCK_CLOEXEC); src/ip.cpp set_nosigpipe: '#ifdef SO_NOSIGPIPE' setsockopt + errno_assert (rc == 0) on every tcp/ipc/ws socket; tcp_write sends with flags 0"
)
# The table's "BSD path" column: what each build's source does (read in the sources).
declare -A PLAINPATH=(
    [nanomsg]="no SO_NOSIGPIPE; sendmsg(MSG_NOSIGNAL)"
    [libmicrohttpd]="send/sendmsg(MSG_NOSIGNAL); sendfile only if SIGPIPE blocked"
    [zeromq]="no SO_NOSIGPIPE; send(flags 0): unprotected"
)
declare -A SHIMPATH=(
    [nanomsg]="setsockopt(SO_NOSIGPIPE) on each socket -> sockshim"
    [libmicrohttpd]="socket/accept4(SOCK_NOSIGPIPE) -> sockshim; sendfile trusted"
    [zeromq]="setsockopt(SO_NOSIGPIPE), errno_assert -> sockshim"
)
# Suites of the two builds run at the same time: libmicrohttpd's tests bind port 0 (its
# fixed ports are only for systems without MHD_FEATURE_AUTODETECT_BIND_PORT); nanomsg's and
# zeromq's tests use fixed ports (nanomsg's 12100 + 10 n, zeromq's testutil.hpp ENDPOINT_*
# 5556-5560, test_disconnect_msg 5569, test_abstract_ipc @tmp-tester).
declare -A CONCURRENT_SUITES=([libmicrohttpd]=1)
# ctest -jN: the tests mostly sleep (zeromq's longest, test_heartbeats, 36 s).
declare -A CTEST_J=([nanomsg]=4 [zeromq]=6)
# Test suite timeouts, seconds per test.
declare -A TEST_TIMEOUT=([nanomsg]=120 [libmicrohttpd]=300 [zeromq]=120)
# The control runs the whole suite (its tests abort at once), but for libmicrohttpd, whose
# tests under the null shim wait for a connection that accept4 never gives until their
# timeout: there a few of its curl tests, each cut at 5 s.
MHD_CONTROL_TESTS="test_get test_get_sendfile test_post test_put test_large_put test_process_headers"

short_name() {
    case $1 in
    nanomsg | nn) echo nanomsg ;;
    libmicrohttpd | microhttpd | mhd) echo libmicrohttpd ;;
    zeromq | zeromq3 | zmq | libzmq) echo zeromq ;;
    *) echo "unknown:$1" ;;
    esac
}
ONLY=""
for p in ${BSD_ONLY:-$ALL}; do
    case $(short_name "$p") in
    unknown:*) echo "# BSD_ONLY: unknown project $p (nanomsg, libmicrohttpd or mhd, zeromq or zmq)" ;;
    *) ONLY="$ONLY $(short_name "$p")" ;;
    esac
done
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
# needed_by WHO: WHO (a comma list of projects, or "all") includes a project this run builds.
needed_by() {
    local q
    [ "$1" == all ] && return 0
    for q in ${1//,/ }; do want "$q" && return 0; done
    return 1
}

# ---------------------------------------------------------------------------------------------
# Packages and sources
# ---------------------------------------------------------------------------------------------
is_root() { [ "$(id -u)" -eq 0 ]; }
apt_updated=0
apt_update() {
    [ $apt_updated -eq 1 ] && return 0
    apt_updated=1
    timeout 300 apt-get update -q >"$LOG/apt-update.log" 2>&1
}
# have TEST: "cmd:NAME" (a command) or "pkg:NAME" (an installed Debian package).
have() {
    case $1 in
    cmd:*) command -v "${1#cmd:}" >/dev/null 2>&1 ;;
    pkg:*) dpkg-query -W -f='${Status}' "${1#pkg:}" 2>/dev/null | grep -q 'install ok installed' ;;
    esac
}
# What the stage needs: TEST PACKAGE WHO (the projects that cannot do without it).
NEEDS="cmd:cc gcc all
cmd:c++ g++ zeromq
cmd:make make all
cmd:pkg-config pkg-config all
cmd:xz xz-utils libmicrohttpd
cmd:cmake cmake nanomsg,zeromq
cmd:curl-config libcurl4-gnutls-dev libmicrohttpd
pkg:libgnutls28-dev libgnutls28-dev libmicrohttpd
cmd:strace strace libmicrohttpd"
declare -A MISSING=() # project -> why it cannot be built
install_packages() {
    local missing=() t p who
    while read -r t p who; do needed_by "$who" && ! have "$t" && missing+=("$p"); done <<<"$NEEDS"
    if [ ${#missing[@]} -gt 0 ]; then
        if is_root; then
            echo "# installing ${missing[*]} with apt-get"
            if ! timeout 600 apt-get install -y -q --no-install-recommends "${missing[@]}" >"$LOG/apt-install.log" 2>&1; then
                apt_update
                timeout 600 apt-get install -y -q --no-install-recommends "${missing[@]}" >"$LOG/apt-install.log" 2>&1 ||
                    tail -n 3 "$LOG/apt-install.log" | indent
            fi
        else
            echo "# missing ${missing[*]}, and not root: cannot apt-get install"
        fi
    fi
    while read -r t p who; do
        have "$t" && continue
        local q
        for q in $ALL; do
            case ",$who," in *",all,"* | *",$q,"*) MISSING[$q]="${MISSING[$q]:+${MISSING[$q]}, }$p (for ${t#*:}) cannot be installed" ;; esac
        done
    done <<<"$NEEDS"
}

# A deb-src entry for the machine's own suites when there is none: a copy of its
# deb822 sources (or of its sources.list lines) with Types: deb-src, then apt-get update.
ensure_deb_src() {
    apt-cache showsrc "$1" 2>/dev/null | grep -q '^Package:' && return 0
    is_root || { echo "# no deb-src entry, and not root: cannot add one"; return 1; }
    local f=/etc/apt/sources.list.d/debian.sources
    if [ -f "$f" ] && grep -q '^Types: *deb *$' "$f"; then
        echo "# adding /etc/apt/sources.list.d/sockshim-deb-src.sources (a deb-src copy of $f)"
        sed 's/^Types: *deb *$/Types: deb-src/' "$f" >/etc/apt/sources.list.d/sockshim-deb-src.sources
    elif grep -qs '^deb ' /etc/apt/sources.list; then
        echo "# adding /etc/apt/sources.list.d/sockshim-deb-src.list (deb-src copies of /etc/apt/sources.list)"
        sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/sockshim-deb-src.list
    else
        echo "# no Debian sources to copy a deb-src entry from"
        return 1
    fi
    apt_updated=0
    apt_update
    apt-cache showsrc "$1" 2>/dev/null | grep -q '^Package:'
}

declare -A TARBALL=() VERSION=()
fetch_sources() {
    local proj pkg tb first=""
    mkdir -p "$B/dl"
    for proj in $ONLY; do want "$proj" && [ -z "$first" ] && first=${SRCPKG[$proj]}; done
    [ -n "$first" ] || return 0
    local have_src=1
    ensure_deb_src "$first" || have_src=0
    for proj in $ONLY; do
        pkg=${SRCPKG[$proj]}
        tb=$(ls "$B/dl/${pkg}_"*.orig.tar.* 2>/dev/null | head -n 1)
        if [ -z "$tb" ] && [ $have_src -eq 1 ]; then
            # The .orig tarball is what is built (upstream's code, no Debian patches); a
            # missing Debian part (nanomsg's debian.tar.xz was a 404 here) does not matter.
            (cd "$B/dl" && timeout 300 apt-get source --download-only -q "$pkg") >"$LOG/apt-source-$pkg.log" 2>&1
            tb=$(ls "$B/dl/${pkg}_"*.orig.tar.* 2>/dev/null | head -n 1)
        fi
        if [ -z "$tb" ]; then
            MISSING[$proj]="${MISSING[$proj]:+${MISSING[$proj]}, }source package $pkg cannot be downloaded ($(tail -n 1 "$LOG/apt-source-$pkg.log" 2>/dev/null))"
            continue
        fi
        TARBALL[$proj]=$tb
        VERSION[$proj]=$(basename "$tb" | sed -E "s/^${pkg}_//; s/\\.orig\\.tar\\..*//; s/[+~].*//")
        [ "${VERSION[$proj]}" == "${WANTVER[$proj]}" ] ||
            note "$proj: Debian has ${VERSION[$proj]}, not ${WANTVER[$proj]}; building that"
    done
}

# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------
# srcdir PROJ: the unpacked source tree (fresh, unless BSD_REUSE).
declare -A SRC=()
unpack() {
    local proj=$1 d=$B/$1/src
    if [ -z "$REUSE" ] || [ ! -d "$d" ]; then
        rm -rf "$d"
        mkdir -p "$d"
        tar -xf "${TARBALL[$proj]}" -C "$d" || return 1
    fi
    SRC[$proj]=$(find "$d" -mindepth 1 -maxdepth 1 -type d | head -n 1)
}

# build PROJ VARIANT: configure and make (and install) in $B/PROJ/VARIANT/{build,inst}.
build() {
    local proj=$1 v=$2 d=$B/$1/$2
    local cflags=-O1 ldflags=-Wl,--as-needed libs=""
    if [ "$v" == sockshim ]; then
        cflags="-O1 $OV_CFLAGS"
        if [ "${KIND[$proj]}" == cmake ]; then ldflags="$ldflags $OV_LIBS"; else libs=$OV_LIBS; fi
    fi
    if [ -n "$REUSE" ] && [ -f "$d/.built" ]; then
        note "$proj $v: reusing the earlier build (BSD_REUSE)"
        return 0
    fi
    rm -rf "$d"
    mkdir -p "$d/build"
    echo "CFLAGS=$cflags CXXFLAGS=$cflags LDFLAGS=$ldflags${libs:+ LIBS=$libs}" >"$d/flags"
    # shellcheck disable=SC2086 # OPTS are words
    case ${KIND[$proj]} in
    cmake)
        (cd "$d/build" && CFLAGS=$cflags CXXFLAGS=$cflags LDFLAGS=$ldflags \
            timeout 300 cmake -S "${SRC[$proj]}" -B . -DCMAKE_BUILD_TYPE=None \
            -DCMAKE_INSTALL_PREFIX="$d/inst" ${OPTS[$proj]}) >"$d/configure.log" 2>&1 ||
            { tail -n 20 "$d/configure.log" | indent; return 1; }
        timeout 1200 make -C "$d/build" -j"$JOBS" >"$d/make.log" 2>&1 ||
            { grep -E 'error|Error' "$d/make.log" | head -n 20 | indent; return 1; }
        ;;
    autoconf)
        (cd "$d/build" && timeout 300 "${SRC[$proj]}/configure" --prefix="$d/inst" ${OPTS[$proj]} \
            CFLAGS="$cflags" LDFLAGS="$ldflags" LIBS="$libs") >"$d/configure.log" 2>&1 ||
            { tail -n 20 "$d/configure.log" | indent; return 1; }
        { timeout 1200 make -C "$d/build" -j"$JOBS" && timeout 300 make -C "$d/build" install; } >"$d/make.log" 2>&1 ||
            { grep -E 'error|Error' "$d/make.log" | head -n 20 | indent; return 1; }
        ;;
    esac
    touch "$d/.built"
}

# What the build system concluded, for the comparison of the two builds (informational).
config_results() {
    local proj=$1 d=$B/$1/$2/build
    case $proj in
    nanomsg) grep -E '^(NN_HAVE|HAVE_)[A-Z0-9_]*:' "$d/CMakeCache.txt" | sort ;;
    zeromq) grep -E '^#(define|undef)|^/\* #undef' "$d/platform.hpp" ;;
    libmicrohttpd) grep -E '^#define' "$d/MHD_config.h" | grep -v 'INSTALL_PREFIX' ;;
    esac
}

# ---------------------------------------------------------------------------------------------
# Test suites: each run writes "TEST<TAB>pass|fail|skip" lines, sorted, to a file
# ---------------------------------------------------------------------------------------------
parse_ctest() {
    sed -nE 's/^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: +([^ ]+) \.*[ *]*(.*)$/\1\t\2/p' "$1" |
        awk -F'\t' '{ s = ($2 ~ /^Passed/) ? "pass" : ($2 ~ /Skipped/) ? "skip" : "fail"; print $1 "\t" s }' | sort
}
parse_trs() { # every .trs under the build directory: automake's per-test results
    local d=$1 f r
    find "$d" -name '*.trs' | sort | while read -r f; do
        r=$(sed -n 's/^:test-result: *//p' "$f" | head -n 1)
        case $r in PASS | XFAIL) r=pass ;; SKIP) r=skip ;; *) r=fail ;; esac
        printf '%s\t%s\n' "$(echo "${f#"$d"/}" | sed 's/\.trs$//')" "$r"
    done | sort
}
# suite PROJ VARIANT OUT [ENV=VALUE...]: the whole suite of one build.
suite() {
    local proj=$1 v=$2 out=$3 t=${SUITE_TIMEOUT:-${TEST_TIMEOUT[$1]}}
    shift 3
    local d=$B/$proj/$v/build
    find "$d" -name core -type f -delete
    # Core dumps for the real runs (a crash gets a backtrace below), none for the control's aborts.
    local cores=unlimited
    [ $# -gt 0 ] && cores=0
    case ${KIND[$proj]} in
    cmake)
        (ulimit -c $cores 2>/dev/null; cd "$d" && env "$@" timeout 1200 ctest -j"${CTEST_JOBS:-${CTEST_J[$proj]}}" --timeout "$t") >"$out.log" 2>&1
        parse_ctest "$out.log" >"$out"
        ;;
    autoconf)
        find "$d" -name '*.trs' -delete
        (ulimit -c $cores 2>/dev/null; env "$@" timeout 1200 make -C "$d" -k -j"$JOBS" check LOG_COMPILER=timeout LOG_FLAGS="-k 5 $t") >"$out.log" 2>&1
        parse_trs "$d" >"$out"
        ;;
    esac
    [ $# -eq 0 ] && crash_report "$d"
}
# crash_report DIR: the backtrace of each core a test left under DIR (kernel.core_pattern "core").
crash_report() {
    local c prog
    command -v gdb >/dev/null 2>&1 || return 0
    find "$1" -name core -type f 2>/dev/null | head -n 3 | while read -r c; do
        prog=$(file "$c" 2>/dev/null | sed -n "s/.*execfn: '\([^']*\)'.*/\1/p")
        [ -n "$prog" ] && [[ $prog != /* ]] && prog=$(dirname "$c")/$prog
        note "a test crashed: $c (${prog:-unknown program}); its backtrace:"
        [ -n "$prog" ] && timeout 60 gdb -batch -q -ex 'thread apply all bt 12' "$prog" "$c" 2>/dev/null |
            grep -E '^(Thread|#)' | head -n 40 | indent
    done
}
# rerun PROJ VARIANT TEST: one test again; prints its result.
rerun() {
    local proj=$1 v=$2 t=$3 d=$B/$1/$2/build
    case ${KIND[$proj]} in
    cmake)
        (cd "$d" && timeout 600 ctest --timeout "${TEST_TIMEOUT[$proj]}" -R "^$t\$") >"$d/rerun.log" 2>&1
        parse_ctest "$d/rerun.log" | awk -F'\t' -v t="$t" '$1 == t { print $2 }'
        ;;
    autoconf)
        local dir=${t%/*} name=${t##*/}
        rm -f "$d/$t.trs"
        timeout 600 make -C "$d/$dir" check TESTS="$name" LOG_COMPILER=timeout \
            LOG_FLAGS="-k 5 ${TEST_TIMEOUT[$proj]}" >"$d/rerun.log" 2>&1
        parse_trs "$d" | awk -F'\t' -v t="$t" '$1 == t { print $2 }'
        ;;
    esac
}
counts() { # FILE -> "TOTAL PASSED FAILED SKIPPED"
    awk -F'\t' '{ n++; c[$2]++ } END { printf "%d %d %d %d\n", n, c["pass"], c["fail"], c["skip"] }' "$1"
}
# compare_suites PROJ PLAINFILE SHIMFILE: a test that differs is rerun (twice at most) in the
# build where it did not pass; a pass on rerun replaces the result, with a note.
compare_suites() {
    local proj=$1 pf=$2 sf=$3 t a b v f r i
    local diffs
    diffs=$(join -t $'\t' "$pf" "$sf" | awk -F'\t' '$2 != $3 { print $1 "\t" $2 "\t" $3 }')
    [ -n "$diffs" ] || return 0
    if [ "$(echo "$diffs" | wc -l)" -gt 5 ]; then
        note "$(echo "$diffs" | wc -l) tests differ between the builds; too many to rerun:"
        echo "$diffs" | head -n 20 | indent
        return 0
    fi
    while IFS=$'\t' read -r t a b; do
        if [ "$a" != pass ]; then v=plain f=$pf; else v=sockshim f=$sf; fi
        for i in 1 2; do
            r=$(rerun "$proj" "$v" "$t")
            note "$t: plain $a, sockshim $b; rerun $i in the $v build: ${r:-no result}"
            if [ "$r" == pass ]; then
                awk -F'\t' -v t="$t" 'BEGIN { OFS = "\t" } $1 == t { $2 = "pass" } { print }' "$f" >"$f.new" && mv "$f.new" "$f"
                note "NOTE: $t counted as passed in the $v build after a rerun (flaky, not a difference of the builds)"
                break
            fi
        done
    done <<<"$diffs"
}

# ---------------------------------------------------------------------------------------------
# Symbols and the null shim
# ---------------------------------------------------------------------------------------------
elf_files() { # the ELF files (libraries, programs) under a directory
    find "$1" -type f \( -perm -u+x -o -name '*.so*' \) -size +0 2>/dev/null | while read -r f; do
        [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" == '177ELF' ] && echo "$f"
    done
}
sockshim_refs() { # FILE... -> the sockshim_* names they reference, one a line
    local f
    for f in "$@"; do nm -D --undefined-only "$f" 2>/dev/null || nm --undefined-only "$f" 2>/dev/null; done |
        awk '{ print $NF }' | sed 's/@.*//' | grep '^sockshim_' | sort -u
}
needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' '; }

NS=$B/nullshim
# uncovered_names DIR: the sockshim_* names the ELF files under DIR reference and the null
# shim does not define.
nullshim_defs() { nm -D --defined-only "$NS/libsockshim.so.0" 2>/dev/null | awk '{ print $3 }' | grep '^sockshim_' | sort -u; }
dir_refs() { elf_files "$1" | while read -r f; do sockshim_refs "$f"; done | sort -u; }
uncovered_names() { comm -23 <(dir_refs "$1") <(nullshim_defs) | paste -sd' '; }
build_nullshim() {
    mkdir -p "$NS"
    $CC -O1 -Wall -Wextra -Werror -shared -fPIC -Wl,-soname,libsockshim.so.0 \
        "$HERE/nullshim.c" -o "$NS/libsockshim.so.0" 2>"$LOG/nullshim.log" || { indent <"$LOG/nullshim.log"; return 1; }
    ln -sf libsockshim.so.0 "$NS/libsockshim.so"
}
# The environment that puts the null shim in libsockshim's place, checked with ldd on the
# project's library: LD_LIBRARY_PATH (wins over DT_RUNPATH), and LD_PRELOAD too if a DT_RPATH wins.
NULLENV=()
null_env() {
    local lib=$1
    NULLENV=("LD_LIBRARY_PATH=$NS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
    env "${NULLENV[@]}" ldd "$lib" 2>/dev/null | grep -q "libsockshim.so.0 => $NS/" && return 0
    NULLENV+=("LD_PRELOAD=$NS/libsockshim.so.0")
    env "${NULLENV[@]}" ldd "$lib" 2>/dev/null | grep -q "libsockshim.so.0 => $NS/\|^\s*$NS/libsockshim.so.0"
}

# ---------------------------------------------------------------------------------------------
# One project
# ---------------------------------------------------------------------------------------------
declare -A PATHNOTE=()
row() { rows+=("$1|$2|$3|$4|$5|$6|$7"); }

project() {
    local proj=$1 t0=$SECONDS label
    label="$proj ${VERSION[$proj]:-${WANTVER[$proj]}}"
    echo "== $label (${KIND[$proj]}): plain and against sockshim"
    note "detection: ${DETECT[$proj]}"
    if [ -n "${MISSING[$proj]:-}" ]; then
        skip "$label: ${MISSING[$proj]}"
        row "$label" "-" "-" "-" "-" "-" "skipped: ${MISSING[$proj]}"
        return
    fi
    local d=$B/$proj v lib built=""
    unpack "$proj" || { fail "$label: unpacking ${TARBALL[$proj]}"; return; }
    for v in plain sockshim; do
        local tb=$SECONDS
        if build "$proj" "$v"; then
            ok "$label $v build ($(cat "$d/$v/flags")): $((SECONDS - tb)) s"
            built="$built $v"
        else
            fail "$label $v build (logs in $d/$v)"
        fi
    done
    if [ "$built" != " plain sockshim" ]; then
        row "$label" "plain/sockshim" "-" "-" "-" "-" "a build failed"
        times+=("$label: $((SECONDS - t0)) s")
        return
    fi
    if diff <(config_results "$proj" plain) <(config_results "$proj" sockshim) >"$d/config.diff"; then
        note "configure results of the two builds: identical"
    else
        note "configure results that differ (< plain, > sockshim):"
        grep '^[<>]' "$d/config.diff" | head -n 20 | indent
    fi

    # Symbols: the sockshim build routes the BSD calls to sockshim and keeps the dependency.
    local plib=$d/plain/build/${LIBFILE[$proj]} slib=$d/sockshim/build/${LIBFILE[$proj]}
    local srefs prefs sneed pneed missing_keys="" k
    srefs=$(sockshim_refs "$slib" | paste -sd' ')
    prefs=$(sockshim_refs "$plib" | paste -sd' ')
    sneed=$(needed "$slib") pneed=$(needed "$plib")
    for k in ${KEYSYMS[$proj]}; do
        case " $srefs " in *" sockshim_$k "*) ;; *) missing_keys="$missing_keys sockshim_$k" ;; esac
    done
    note "sockshim build, nm -D ${LIBFILE[$proj]}: U $srefs"
    note "sockshim build, NEEDED: $sneed"
    note "plain build, NEEDED: $pneed; sockshim_* references: ${prefs:-none}"
    if [ -z "$missing_keys" ] && [ -z "$prefs" ] && [[ " $sneed " == *" libsockshim.so.0 "* ]] &&
        [[ " $pneed " != *" libsockshim.so.0 "* ]]; then
        ok "$label symbols: the sockshim build references ${KEYSYMS[$proj]// /, } as sockshim_* and NEEDs libsockshim.so.0 under --as-needed; the plain build neither"
    else
        fail "$label symbols:${missing_keys:+ missing$missing_keys;} plain refs: ${prefs:-none}; NEEDED sockshim: $sneed; plain: $pneed"
    fi

    # The project's own test suite, both builds (at the same time where the tests take no
    # fixed ports, for the stage's time).
    local ts=$SECONDS
    if [ -n "${CONCURRENT_SUITES[$proj]:-}" ]; then
        suite "$proj" plain "$d/plain.results" &
        suite "$proj" sockshim "$d/sockshim.results"
        wait
    else
        suite "$proj" plain "$d/plain.results"
        suite "$proj" sockshim "$d/sockshim.results"
    fi
    for v in plain sockshim; do
        note "$v suite: $(counts "$d/$v.results" | awk '{ printf "%d tests, %d passed, %d failed, %d skipped", $1, $2, $3, $4 }') (log $d/$v.results.log)"
    done
    note "both suites: $((SECONDS - ts)) s${CONCURRENT_SUITES[$proj]:+ (run at the same time)}"
    compare_suites "$proj" "$d/plain.results" "$d/sockshim.results"
    local pc sc
    pc=$(counts "$d/plain.results") sc=$(counts "$d/sockshim.results")
    if [ "$pc" == "$sc" ] && [ "${pc%% *}" -gt 0 ]; then
        ok "$label test suite: the same counts in both builds (tests passed failed skipped: $sc)"
    else
        fail "$label test suite: plain $pc, sockshim $sc (tests passed failed skipped)"
        join -t $'\t' -a1 -a2 -e missing -o 0,1.2,2.2 "$d/plain.results" "$d/sockshim.results" |
            awk -F'\t' '$2 != $3 { print $1 ": plain " $2 ", sockshim " $3 }' | head -n 20 | indent
    fi
    row "$label" plain "$(echo "$pc" | cut -d' ' -f1)" "$(echo "$pc" | cut -d' ' -f2)" "$(echo "$pc" | cut -d' ' -f3)" \
        "$(echo "$pc" | cut -d' ' -f4)" "${PLAINPATH[$proj]}"
    row "$label" sockshim "$(echo "$sc" | cut -d' ' -f1)" "$(echo "$sc" | cut -d' ' -f2)" "$(echo "$sc" | cut -d' ' -f3)" \
        "$(echo "$sc" | cut -d' ' -f4)" "${SHIMPATH[$proj]}"

    # At run time the library's BSD call binds to libsockshim (LD_DEBUG=bindings; lazy
    # binding, so the line appears when the call is made). After the suite: libmicrohttpd's
    # make builds its test programs only for make check.
    local bt=${BINDTEST[$proj]} bs=sockshim_${BINDSYM[$proj]} libbase
    libbase=$(basename "${LIBFILE[$proj]}")
    rm -f "$LOG/bind-$proj".*
    (cd "$d/sockshim/build" && LD_DEBUG=bindings LD_DEBUG_OUTPUT="$LOG/bind-$proj" timeout 120 "$bt" >/dev/null 2>&1)
    local bline
    bline=$(cat "$LOG/bind-$proj".* 2>/dev/null | grep -E "binding file [^ ]*/${libbase}[^ ]* \[0\] to [^ ]*/libsockshim\.so\.0 \[0\]: normal symbol \`$bs'" | head -n 1 | sed 's/^[[:space:]]*[0-9]*:[[:space:]]*//')
    if [ -n "$bline" ]; then
        ok "$label at run time ($bt): $bline"
    else
        fail "$label at run time ($bt): no binding of $bs from $libbase to libsockshim.so.0"
        cat "$LOG/bind-$proj".* 2>/dev/null | grep "$bs" | head -n 3 | indent
    fi

    # The control: the sockshim build without sockshim's semantics.
    control "$proj" "$label" "$slib"
    [ "$proj" == libmicrohttpd ] && mhd_scenario "$label"
    times+=("$label: $((SECONDS - t0)) s")
}

control() {
    local proj=$1 label=$2 slib=$3 d=$B/$1 out=$B/$1/control.results
    if [ ! -f "$NS/libsockshim.so.0" ]; then
        fail "$label control: the null shim did not build"
        return
    fi
    if ! null_env "$slib"; then
        fail "$label control: cannot make the sockshim build load the null shim (ldd: $(env "${NULLENV[@]}" ldd "$slib" | grep sockshim))"
        return
    fi
    note "control environment: ${NULLENV[*]} (ldd: $(env "${NULLENV[@]}" ldd "$slib" | grep -o 'libsockshim.so.0 => [^ ]*'))"
    # A name the null shim lacks would fail the tests for the wrong reason (symbol lookup error).
    local uncovered
    uncovered=$(uncovered_names "$d/sockshim/build")
    if [ -n "$uncovered" ]; then
        fail "$label control: the null shim lacks sockshim_* names this build references: $uncovered (add them to c-tests/bsd/nullshim.c)"
        return
    fi
    local ts=$SECONDS
    if [ "$proj" == libmicrohttpd ]; then
        local bd=$d/sockshim/build
        find "$bd/src/testcurl" -name '*.trs' -delete
        env "${NULLENV[@]}" timeout 300 make -C "$bd/src/testcurl" -k -j3 check TESTS="$MHD_CONTROL_TESTS" \
            LOG_COMPILER=timeout LOG_FLAGS="-k 2 5" >"$out.log" 2>&1
        parse_trs "$bd" | grep '^src/testcurl/' >"$out"
        # the full run's results there are gone now; the counts were taken before
    else
        SUITE_TIMEOUT=30 suite "$proj" sockshim "$out" "${NULLENV[@]}"
    fi
    local cc n f why
    cc=$(counts "$out")
    read -r n _ f _ <<<"$cc"
    case $proj in
    nanomsg | zeromq)
        why="'Protocol not available' $(grep -c 'Protocol not available' "$d/sockshim/build/Testing/Temporary/LastTest.log" 2>/dev/null) times in the tests' output (setsockopt SO_NOSIGPIPE: ENOPROTOOPT)"
        ;;
    libmicrohttpd) why="accept4(SOCK_NOSIGPIPE): EINVAL, no connection is ever accepted; each test cut at 5 s" ;;
    esac
    note "control: $n tests, $f failed ($((SECONDS - ts)) s); $why"
    if grep -q 'symbol lookup error' "$out.log" "$d/sockshim/build/Testing/Temporary/LastTest.log" 2>/dev/null; then
        fail "$label control: a test failed with 'symbol lookup error' under the null shim: $(grep -h -m1 'symbol lookup error' "$out.log" "$d/sockshim/build/Testing/Temporary/LastTest.log" 2>/dev/null | head -n 1)"
    elif [ "$n" -gt 0 ] && [ "$f" -gt 0 ]; then
        ok "$label control: built against sockshim but run with the null shim, $f of $n tests fail"
    else
        fail "$label control: with the null shim only $f of $n tests fail (the BSD path does not depend on sockshim?)"
    fi
    row "$label" control "$n" "$(echo "$cc" | cut -d' ' -f2)" "$f" "$(echo "$cc" | cut -d' ' -f4)" \
        "null shim: ${why%% (*}"
}

# ---------------------------------------------------------------------------------------------
# The SIGPIPE scenario (libmicrohttpd)
# ---------------------------------------------------------------------------------------------
SCENARIO_ENV=() # more environment for the server
# scenario_run LABEL BIN [--app-handles-sigpipe]: the server under strace, the clients;
# writes $sd/LABEL.{out,client,trace} and prints "SERVER-STATUS CLIENT-STATUS".
scenario_run() {
    local name=$1 bin=$2 sd=$B/libmicrohttpd/scenario
    shift 2
    local out=$sd/$name.out tr=$sd/$name.trace port="" i pid rc crc
    rm -f "$out" "$tr"
    rm -f "$sd/$name.bind".*
    env LD_DEBUG=bindings LD_DEBUG_OUTPUT="$sd/$name.bind" "${SCENARIO_ENV[@]}" \
        timeout 120 strace -f -o "$tr" -e trace=sendfile,sendto,sendmsg,writev,rt_sigprocmask,rt_sigtimedwait,accept4 \
        "$bin" serve "$sd/big.bin" "$@" >"$out" 2>"$sd/$name.err" &
    pid=$!
    for i in $(seq 100); do
        port=$(awk '/^port /{ print $2 }' "$out" 2>/dev/null)
        [ -n "$port" ] && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$port" ] || [ "$port" == 0 ]; then
        kill $pid 2>/dev/null
        wait $pid 2>/dev/null
        echo "no-start client-not-run"
        return
    fi
    timeout 90 "$bin" client "$port" "$sd/big.bin" "$RESETS" >"$sd/$name.client" 2>&1
    crc=$?
    for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    kill $pid 2>/dev/null
    wait $pid
    rc=$?
    if grep -q '+++ killed by SIGPIPE' "$tr"; then echo "killed-by-SIGPIPE client-$crc"
    elif [ $rc -gt 128 ]; then echo "signal-$((rc - 128)) client-$crc"
    else echo "exit-$rc client-$crc"; fi
}
# What the trace shows: the calls that sent the body, and signals.
trace_summary() {
    local tr=$1
    local sf sfe sfr msg mask took sig
    sf=$(grep -c ' sendfile(' "$tr") sfe=$(grep -c ' sendfile(.*= -1 EPIPE' "$tr") sfr=$(grep -c ' sendfile(.*= -1 ECONNRESET' "$tr")
    msg=$(grep -E ' (sendto|sendmsg)\(' "$tr" | grep -c 'MSG_NOSIGNAL')
    mask=$(grep -c ' rt_sigprocmask(SIG_BLOCK, \[PIPE\]' "$tr") sig=$(grep -c -- '--- SIGPIPE' "$tr")
    took=$(grep -c ' rt_sigtimedwait(\[PIPE\].* = 13' "$tr")
    echo "sendfile $sf (EPIPE $sfe, ECONNRESET $sfr), send/sendmsg with MSG_NOSIGNAL $msg, SIGPIPE blocked around a call $mask, a call's SIGPIPE taken back $took, SIGPIPE delivered $sig"
}
# Diagnosis when the sockshim build died of SIGPIPE: the system call that raised it (the
# EPIPE just before "--- SIGPIPE" in the trace), and where libsockshim's own reference to
# that name bound (LD_DEBUG=bindings of the same run): to glibc means the no-SIGPIPE
# wrapper was bypassed.
sigpipe_diagnosis() {
    local trace=$1 bind=$2 call lines
    call=$(grep -B1 -- '--- SIGPIPE' "$trace" | sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*= -1 EPIPE.*/\1/p' | head -n 1)
    [ -n "$call" ] || return 0
    note "diagnosis: SIGPIPE raised by $call() = -1 EPIPE on a socket accepted with SOCK_NOSIGPIPE"
    lines=$(cat "$bind".* 2>/dev/null | grep -E "binding file [^ ]*/libsockshim\.so\.0 \[0\] to [^ ]* \[0\]: normal symbol \`$call'" |
        sed 's/^[[:space:]]*[0-9]*:[[:space:]]*//' | sort -u)
    [ -n "$lines" ] && note "diagnosis: libsockshim's own reference to $call: $lines"
    cat "$bind".* 2>/dev/null | grep -E "to [^ ]*/libsockshim\.so\.0 \[0\]: normal symbol \`sockshim_$call(64)?'" |
        sed 's/^[[:space:]]*[0-9]*:[[:space:]]*//' | sort -u | head -n 1 | sed 's/^/    # diagnosis: the library called: /'
}
mhd_scenario() {
    local label=$1 sd=$B/libmicrohttpd/scenario v
    echo "-- SIGPIPE scenario: mhd_sigpipe serving 64 MiB (MHD_create_response_from_fd), SIGPIPE at its default action, $RESETS clients reset mid-transfer, then a full download"
    if ! have cmd:strace; then
        skip "$label SIGPIPE scenario: strace cannot be installed"
        return
    fi
    mkdir -p "$sd"
    [ -s "$sd/big.bin" ] && [ "$(stat -c %s "$sd/big.bin")" -eq $((64 << 20)) ] ||
        head -c $((64 << 20)) /dev/urandom >"$sd/big.bin"
    note "which path MHD takes (src/microhttpd/connection.c, MHD_queue_response): sendfile unless"
    note "  ! daemon->sigpipe_blocked && ! connection->sk_spipe_suppress  (with MHD_SEND_SPIPE_SUPPRESS_NEEDED/_POSSIBLE);"
    note "  sk_spipe_suppress = (SOCK_NOSIGPIPE_OR_ZERO != 0) after accept4 (daemon.c), or SO_NOSIGPIPE set (MHD_socket_nosignal_);"
    note "  the server polls in its own thread (MHD_run_wait), so MHD never blocks SIGPIPE for it."
    for v in plain sockshim; do
        local inst=$B/libmicrohttpd/$v/inst
        $CC -std=c11 -O1 -Wall -Wextra -Werror "$HERE/mhd_sigpipe.c" -I"$inst/include" -L"$inst/lib" \
            -lmicrohttpd -Wl,-rpath,"$inst/lib" -o "$sd/mhd_sigpipe-$v" 2>"$sd/cc-$v.log" ||
            { fail "$label scenario: mhd_sigpipe.c builds against the $v build"; indent <"$sd/cc-$v.log"; return; }
    done
    note "mhd_sigpipe-sockshim links: $(needed "$sd/mhd_sigpipe-sockshim") (libsockshim only through libmicrohttpd)"
    local st sum
    for v in plain sockshim; do
        st=$(scenario_run "$v" "$sd/mhd_sigpipe-$v")
        sum=$(trace_summary "$sd/$v.trace")
        note "$v build: server $st; $(grep '^served' "$sd/$v.out"); $(grep '^full client' "$sd/$v.client")"
        note "$v build, strace: $sum"
        grep -E -A1 ' sendfile\(.*= -1 EPIPE' "$sd/$v.trace" | head -n 2 | sed 's/^/      /'
        if [ "$st" == "exit-0 client-0" ] && grep -q '^full client: 67108864 bytes, identical' "$sd/$v.client"; then
            ok "$label scenario, $v build: the server survives $RESETS resets and then serves the whole 64 MiB intact"
        else
            fail "$label scenario, $v build: server $st; client: $(tr '\n' '|' <"$sd/$v.client")"
            grep -E -- '--- SIGPIPE|killed' "$sd/$v.trace" | head -n 3 | indent
            if [ "$v" == sockshim ]; then
                sigpipe_diagnosis "$sd/$v.trace" "$sd/$v.bind"
                # The same with libsockshim first in the lookup scope (preloaded): not a
                # use the stage accepts, only where the fault is.
                SCENARIO_ENV=("LD_PRELOAD=$TOP/build/lib/libsockshim.so.0")
                note "diagnosis: the same run with libsockshim preloaded (first in the lookup scope): server $(scenario_run preloaded "$sd/mhd_sigpipe-$v"); $(grep '^full client' "$sd/preloaded.client")"
                SCENARIO_ENV=()
            fi
        fi
        local nsf nmsg
        nsf=$(grep -c ' sendfile(' "$sd/$v.trace")
        nmsg=$(grep -E ' (sendto|sendmsg)\(' "$sd/$v.trace" | grep -c MSG_NOSIGNAL)
        if [ "$v" == plain ]; then
            [ "$nsf" -eq 0 ] && [ "$nmsg" -gt 0 ]
            verdict $? "$label scenario, plain build: the Linux path, send/sendmsg with MSG_NOSIGNAL ($nmsg calls) and no sendfile"
            PATHNOTE[plain]="send/sendmsg MSG_NOSIGNAL x$nmsg, sendfile x0"
        else
            [ "$nsf" -gt 0 ]
            verdict $? "$label scenario, sockshim build: the BSD path, sendfile ($nsf calls) trusting SOCK_NOSIGPIPE from accept4"
            PATHNOTE[sockshim]="sendfile x$nsf trusting SOCK_NOSIGPIPE"
        fi
        row "$label" "scenario $v" "$((RESETS + 1))" "-" "-" "-" "server $st; ${PATHNOTE[$v]}"
    done
    # The control: the plain build told that the application handles SIGPIPE (it does not)
    # takes sendfile with nothing to protect it, and these clients kill it.
    st=$(scenario_run control "$sd/mhd_sigpipe-plain" --app-handles-sigpipe)
    note "control, plain build with MHD_OPTION_SIGPIPE_HANDLED_BY_APP (a lie): server $st; strace: $(trace_summary "$sd/control.trace")"
    grep -E ' sendfile\(.*= -1 EPIPE|--- SIGPIPE|killed by' "$sd/control.trace" | head -n 3 | sed 's/^/      /'
    [[ $st == killed-by-SIGPIPE* ]]
    verdict $? "$label scenario control: the unprotected sendfile path dies of SIGPIPE with these clients (so the scenario can kill)"
    row "$label" "scenario control" "$((RESETS + 1))" "-" "-" "-" "plain, SIGPIPE 'handled by app': server $st"
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
echo "# build directory: $B"
t_setup=$SECONDS
install_packages
fetch_sources
setup_time=$((SECONDS - t_setup))
echo "# setup (packages, sources): $setup_time s"

if ! pkg-config --exists sockshim-overlay 2>/dev/null; then
    echo "# $TOP/build/pkgconfig/sockshim-overlay.pc is missing: make lib"
    make -s lib >"$LOG/make-lib.log" 2>&1 || tail -n 5 "$LOG/make-lib.log" | indent
fi
if OV_CFLAGS=$(pkg-config --cflags sockshim-overlay 2>"$LOG/pkg-config.log") &&
    OV_LIBS=$(pkg-config --libs sockshim-overlay 2>>"$LOG/pkg-config.log"); then
    OV_CFLAGS=$(echo $OV_CFLAGS) OV_LIBS=$(echo $OV_LIBS) # one space between words, none at the end
    echo "# pkg-config --cflags sockshim-overlay: $OV_CFLAGS"
    echo "# pkg-config --libs sockshim-overlay:   $OV_LIBS"
else
    fail "pkg-config sockshim-overlay (PKG_CONFIG_PATH=$PKG_CONFIG_PATH): $(head -n 2 "$LOG/pkg-config.log" | tr '\n' ' ')"
    echo "$passed passed, $failed failed, $skipped skipped"
    exit 1
fi
build_nullshim || fail "nullshim.c builds"

for proj in $ALL; do
    want "$proj" && project "$proj"
done

# The null shim covers every sockshim_* name that the sockshim builds reference.
if [ -f "$NS/libsockshim.so.0" ]; then
    refs=$(for proj in $ALL; do
        want "$proj" && [ -d "$B/$proj/sockshim/build" ] && dir_refs "$B/$proj/sockshim/build"
    done | sort -u)
    uncovered=$(comm -23 <(echo "$refs") <(nullshim_defs) | grep . | paste -sd' ')
    if [ -n "$refs" ] && [ -z "$uncovered" ]; then
        ok "the null shim defines all $(echo "$refs" | wc -l) sockshim_* names the builds reference: $(echo "$refs" | paste -sd' ')"
    elif [ -n "$refs" ]; then
        fail "the null shim lacks sockshim_* names that the builds reference: $uncovered (add them to c-tests/bsd/nullshim.c)"
    fi
fi

echo
echo "== Results"
printf '%-22s %-17s %5s %6s %6s %7s   %s\n' project build tests passed failed skipped "BSD path"
for r in "${rows[@]}"; do
    IFS='|' read -r a b c d e f g <<<"$r"
    printf '%-22s %-17s %5s %6s %6s %7s   %s\n' "$a" "$b" "$c" "$d" "$e" "$f" "$g"
done
echo
for t in "${times[@]}"; do echo "# time: $t"; done
echo "# c-tests/bsd/run.sh took $(($(date +%s) - stage_start)) s (packages and sources: $setup_time s)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
