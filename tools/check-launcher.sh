#!/usr/bin/env bash
# The launcher's --check, its warning on the normal path, and --status, on real subjects
# built here (c-tests/launcher/): a dynamic, a static and a static-pie C program, Go
# programs with and without cgo, setuid/setgid and file-capability copies checked as
# nobody and as root, #! scripts, a musl program, a 32-bit ELF, a missing file and a
# directory. Each subject is also run under the launcher where that shows the verdict
# is right (libsockshim mapped or not in it). Packages are installed with apt-get when
# root (golang-go, musl-tools, libcap2-bin); a case whose package cannot be installed is
# skipped with the reason. Ends with "N passed, M failed, K skipped".
set -u
cd "$(dirname "$0")/.."
SECONDS=0
passed=0 failed=0 skipped=0
CC=${CC:-cc}
L=$PWD/build/bin/sockshim
t=$(mktemp -d)
chmod 755 "$t" # nobody runs programs from here
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$t"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok      $1"; }
bad() {
    failed=$((failed + 1)); echo "FAILED  $1"
    shift; printf '%s\n' "$@" | sed 's/^/    /'
}
skip() { skipped=$((skipped + 1)); echo "skipped $1: $2"; }

# expect NAME STATUS FIRST-LINE-ERE [ERE...] -- COMMAND...
# COMMAND's exit status must be STATUS, its first line of output (stdout and stderr)
# must match the first pattern, and some line must match each other one; a pattern
# starting with ! must match no line. The output is shown, indented.
expect() {
    local name=$1 want=$2 first=$3; shift 3
    local pats=()
    while [ "$1" != -- ]; do pats+=("$1"); shift; done
    shift
    local out rc why=""
    out=$("$@" 2>&1); rc=$?
    [ "$rc" -eq "$want" ] || why="exit status $rc, not $want"
    head -n 1 <<<"$out" | grep -Eq -- "$first" || why="${why:+$why; }first line does not match /$first/"
    local p
    for p in "${pats[@]}"; do
        if [ "${p:0:1}" = "!" ]; then
            ! grep -Eq -- "${p:1}" <<<"$out" || why="${why:+$why; }a line matches /${p:1}/"
        else
            grep -Eq -- "$p" <<<"$out" || why="${why:+$why; }no line matches /$p/"
        fi
    done
    if [ -z "$why" ]; then ok "$name"; else bad "$name" "$why"; fi
    [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    | /'
}

# check NAME STATUS VERDICT-ERE [ERE...] -- PROGRAM: sockshim --check PROGRAM
check() {
    local name=$1 want=$2; shift 2
    local pats=()
    while [ "$1" != -- ]; do pats+=("$1"); shift; done
    expect "--check: $name" "$want" "${pats[@]}" -- "$L" --check "${@:2}"
}

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

# Only the C compiler and binutils are required; the rest is installed when root.
make -s build/bin/sockshim || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
[ -e build/lib/libsockshim.so.0 ] || make -s lib >/dev/null ||
    { echo "cannot build the library"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
    local a=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=120)
    DEBIAN_FRONTEND=noninteractive apt-get install "${a[@]}" "$@" >>"$t/apt.log" 2>&1 ||
        { apt-get update -q >>"$t/apt.log" 2>&1 &&
          DEBIAN_FRONTEND=noninteractive apt-get install "${a[@]}" "$@" >>"$t/apt.log" 2>&1; }
}
want=()
command -v go >/dev/null 2>&1 || want+=(golang-go)
command -v musl-gcc >/dev/null 2>&1 || want+=(musl-tools)
command -v setcap >/dev/null 2>&1 || want+=(libcap2-bin)
[ -e /lib/ld-linux.so.2 ] || want+=(libc6-i386) # to run the 32-bit ELF (optional)
apt_pid=
if [ ${#want[@]} -gt 0 ]; then
    echo "installing ${want[*]} (apt-get, in the background)"
    apt_install "${want[@]}" &
    apt_pid=$!
fi

# The C subjects (while apt-get runs).
src=c-tests/launcher
W="-std=c11 -Wall -Wextra -Wpedantic -Werror -O1"
$CC $W $src/net.c -o "$t/net" || bad "build the dynamic subject"
$CC $W -static $src/net.c -o "$t/static" || bad "build the static subject"
$CC $W -static-pie -fPIE $src/net.c -o "$t/static-pie" || bad "build the static-pie subject"
root=; [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && root=yes
if [ -n "$root" ]; then
    cp "$t/net" "$t/setuid" && chmod 4755 "$t/setuid"
    cp "$t/net" "$t/setgid" && chgrp root "$t/setgid" && chmod 2755 "$t/setgid"
    cp "$t/net" "$t/setuid-nobody" && chown nobody "$t/setuid-nobody" && chmod 4755 "$t/setuid-nobody"
fi
cp "$t/net" "$t/caps"
printf '#!/bin/sh\necho script ran\n' >"$t/script.sh"
printf '#!/usr/bin/env sh\necho script ran\n' >"$t/env-script.sh"
printf '#!%s\n' "$t/static" >"$t/static-interp.sh"
printf 'echo no shebang\n' >"$t/no-shebang"
printf '#!/bin/sh\n' >"$t/not-executable"
chmod 755 "$t/script.sh" "$t/env-script.sh" "$t/static-interp.sh" "$t/no-shebang"
chmod 644 "$t/not-executable"
mkdir "$t/directory"
# A 32-bit ELF: gcc -m32 when multilib is there, else as/ld's i386 emulation.
m32=
if $CC -m32 $W $src/net.c -o "$t/i386" 2>/dev/null; then
    m32="gcc -m32"
elif as --32 $src/lib386.s -o "$t/lib386.o" && ld -m elf_i386 -shared -soname libc.so.6 "$t/lib386.o" -o "$t/libc.so.6" &&
     as --32 $src/i386.s -o "$t/i386.o" &&
     ld -m elf_i386 -pie --dynamic-linker /lib/ld-linux.so.2 "$t/i386.o" "$t/libc.so.6" -o "$t/i386" 2>/dev/null; then
    m32="as --32, ld -m elf_i386 (gcc -m32 needs gcc-multilib)"
fi

echo "== sockshim --check"
check "dynamic C program" 0 ': reachable: dynamically linked with glibc, as libsockshim is' \
    'program: ELF 64-bit LSB x86-64, .*interpreter /lib(64)?/ld-linux-x86-64.so.2, needs libc.so.6' \
    "library: $(realpath build/lib/libsockshim.so.0): ELF 64-bit LSB x86-64, for glibc" -- "$t/net"
expect "--check: a program found in PATH" 0 "^net \\($t/net\\): reachable" -- env PATH="/nonexistent:$t:$PATH" "$L" --check net
check "static C program (gcc -static)" 1 ': not reachable: statically linked \(no PT_INTERP, no PT_DYNAMIC\)' -- "$t/static"
check "static-pie C program (gcc -static-pie)" 1 ': not reachable: static-pie' -- "$t/static-pie"
check "script #!/bin/sh" 0 ': reachable: its interpreter /bin/sh is reachable' 'script: #!/bin/sh' -- "$t/script.sh"
check "script #!/usr/bin/env sh" 0 ': reachable: its program \(run by env\) sh \(.*\) is reachable' -- "$t/env-script.sh"
check "script whose interpreter is static" 1 \
    ": not reachable: its interpreter $t/static is not reachable: statically linked" -- "$t/static-interp.sh"
check "executable text without #!" 0 ': reachable: its interpreter /bin/sh is reachable' 'execvp\(3\) runs it with /bin/sh' -- "$t/no-shebang"
check "a file without execute permission" 2 ': cannot tell: not executable by you' -- "$t/not-executable"
check "a missing file" 2 ': cannot tell: no such file' -- "$t/no-such-program"
expect "--check: a name not in PATH" 2 '^no-such-program-xyz: cannot tell: not found in PATH' -- "$L" --check no-such-program-xyz
check "a directory" 2 ': cannot tell: a directory, not a program' -- "$t/directory"
# Without its library next to it, the launcher cannot tell (2) unless nothing could be
# reached anyway (1); run normally, it fails as before (125).
mkdir -p "$t/lonely/bin" && cp "$L" "$t/lonely/bin/sockshim"
expect "--check without the library: cannot tell" 2 ': cannot tell: libsockshim: cannot find the library' -- "$t/lonely/bin/sockshim" --check "$t/net"
expect "--check without the library, static program: still not reachable" 1 ': not reachable: statically linked' -- "$t/lonely/bin/sockshim" --check "$t/static"
expect "normal path without the library: 125 as before" 125 '^sockshim: cannot find the library' -- "$t/lonely/bin/sockshim" "$t/net"
expect "--check with no program: 125" 125 '^sockshim: no program given' -- "$L" --check
expect "--check and --status together: 125" 125 '^sockshim: --check and --status cannot be combined' -- "$L" --check --status 1
expect "--check --quiet: no output, the status only" 1 '^$' -- "$L" --quiet --check "$t/static"
expect "--check takes the normal command line" 0 ': reachable' -- "$L" --check --nosigpipe -- "$t/net" hold

echo "== setuid, setgid, capabilities, as nobody and as root"
if [ -n "$root" ]; then
    check "setuid root, checked as root" 0 ': reachable' 'note: setuid to uid 0, which is your real uid' -- "$t/setuid"
    expect "--check: setuid root, as nobody" 1 \
        ': not reachable: setuid to uid 0 while your real uid is 65534: the kernel runs it in secure-execution mode \(AT_SECURE\)' \
        -- as_nobody "$L" --check "$t/setuid"
    expect "--check: setgid root, as nobody" 1 ': not reachable: setgid to gid 0 while your real gid is 65534' -- as_nobody "$L" --check "$t/setgid"
    expect "setuid root run as nobody: warning, and the library is indeed not loaded" 0 \
        '^sockshim: warning: libsockshim will not reach .*setuid: setuid to uid 0' 'mapped=no' -- \
        as_nobody "$L" --nosigpipe "$t/setuid"
    # Being root is not enough: a program setuid to another user runs secure-execution.
    check "setuid nobody, checked as root" 1 ': not reachable: setuid to uid 65534 while your real uid is 0' -- "$t/setuid-nobody"
    expect "setuid nobody run as root: warning, and the library is indeed not loaded" 0 \
        '^sockshim: warning: .*setuid-nobody: setuid to uid 65534' 'mapped=no' -- "$L" "$t/setuid-nobody"
    expect "setuid root run as root: no warning, library loaded" 0 '^mapped=yes' '!warning' -- "$L" "$t/setuid"
else
    skip "setuid and setgid" "needs root (to make setuid-root copies and run them as nobody) and setpriv"
fi
[ -n "$apt_pid" ] && { wait "$apt_pid" || echo "apt-get failed: $(tail -n 3 "$t/apt.log")"; }
if [ -n "$root" ] && command -v setcap >/dev/null 2>&1 && setcap cap_net_bind_service=ep "$t/caps" 2>"$t/setcap.err"; then
    expect "--check: file capabilities, as nobody" 1 \
        ': not reachable: file capabilities cap_net_bind_service=ep while your real uid is 65534, not 0' -- as_nobody "$L" --check "$t/caps"
    check "file capabilities, as root" 0 ': reachable' 'note: file capabilities cap_net_bind_service=ep: your real uid is 0' -- "$t/caps"
    expect "capabilities run as nobody: warning, and the library is indeed not loaded" 0 \
        '^sockshim: warning: libsockshim will not reach .*caps: file capabilities' 'mapped=no' -- as_nobody "$L" "$t/caps"
else
    skip "file capabilities" "needs root, setpriv and setcap (libcap2-bin)${root:+: $(cat "$t/setcap.err" 2>/dev/null)}"
fi

echo "== 32-bit"
if [ -n "$m32" ]; then
    check "32-bit ELF ($m32)" 1 ': not reachable: ELF 32-bit LSB i386 while libsockshim is ELF 64-bit LSB x86-64' -- "$t/i386"
    if [ -e /lib/ld-linux.so.2 ]; then
        # glibc's i386 dynamic linker skips the 64-bit library and runs the program.
        expect "32-bit ELF under the launcher: warning, then ld.so skips the library" 0 \
            '^sockshim: warning: .*i386: ELF 32-bit' 'cannot be preloaded \(wrong ELF class: ELFCLASS64\): ignored' '!mapped=yes' -- "$L" "$t/i386"
    else
        skip "32-bit ELF under the launcher" "no i386 dynamic linker (libc6-i386 could not be installed)"
    fi
else
    skip "32-bit ELF" "neither gcc -m32 nor as --32/ld -m elf_i386 could build one"
fi

echo "== musl"
if command -v musl-gcc >/dev/null 2>&1 && musl-gcc -std=c11 -O1 $src/net.c -o "$t/musl"; then
    # A launcher with only the glibc build beside it (an install without the musl one).
    mkdir -p "$t/glibc-only/bin" "$t/glibc-only/lib"
    cp "$L" "$t/glibc-only/bin/sockshim"
    ln -s "$PWD/target/release/libsockshim.so" "$t/glibc-only/lib/libsockshim.so.0"
    L_both=$L L=$t/glibc-only/bin/sockshim
    check "musl program (musl-gcc), no musl build" 1 ': not reachable: linked with musl \(interpreter /lib/ld-musl-x86_64.so.1\) while libsockshim is built for glibc' -- "$t/musl"
    expect "musl program natively runs" 0 '^mapped=no' -- "$t/musl"
    # What musl's dynamic linker does with a glibc library in LD_PRELOAD: it fails to
    # load it and refuses to start the program (the warning came first).
    expect "musl program under the launcher: warning, then musl's loader refuses the glibc library" 127 \
        '^sockshim: warning: libsockshim will not reach .*musl: linked with musl' 'Error (loading|relocating)' '!mapped=yes' -- "$L" "$t/musl"
    L=$L_both
    # With the musl build in ../lib/musl (make musl-lib) the launcher takes it for a musl
    # program, and the glibc one for everything else.
    if ! why=$(tools/need-musl.sh); then
        skip "musl program, musl build present" "$why"
    elif make --no-print-directory musl-lib >"$t/musl-build.log" 2>&1; then
        check "musl program, musl build present" 0 ': reachable: dynamically linked with musl, as libsockshim is' \
            'library: .*x86_64-unknown-linux-musl/release/libsockshim.so' -- "$t/musl"
        expect "musl program under the launcher gets the musl build" 0 '^mapped=yes' '!Error' -- "$L" "$t/musl"
        musl_built=1
        check "glibc program, musl build present: still the glibc build" 0 ': reachable: dynamically linked with glibc' \
            'library: .*/target/release/libsockshim.so' -- "$t/net"
    else
        bad "the musl build (make musl-lib)" "$(tail -n 20 "$t/musl-build.log")"
    fi
else
    skip "musl program" "musl-gcc is not available, and musl-tools could not be installed (root and apt-get needed)"
fi

echo "== Go"
if command -v go >/dev/null 2>&1; then
    export GOPROXY=off GOFLAGS= GOTOOLCHAIN=local
    [ -n "${HOME:-}" ] && [ -w "$HOME" ] || export GOCACHE=$t/gocache
    if CGO_ENABLED=0 go build -o "$t/go-static" $src/net.go 2>"$t/go.err"; then
        check "Go program, CGO_ENABLED=0" 1 ': not reachable: a Go program, statically linked' 'Go \(a .go.buildinfo section\)' -- "$t/go-static"
        expect "pure Go under the launcher: warning, library not loaded" 0 '^sockshim: warning: .*a Go program' 'mapped=no' -- "$L" "$t/go-static"
        # Without Go's sections (never done by strip; here by objcopy) the runtime's symbols tell.
        if objcopy --remove-section=.go.buildinfo --remove-section=.gopclntab --remove-section=.note.go.buildid \
                "$t/go-static" "$t/go-nosections" 2>"$t/objcopy.err"; then
            check "Go program without its Go sections" 1 ': not reachable: a Go program, statically linked' \
                'Go \(runtime.main/runtime.goexit symbols\)' -- "$t/go-nosections"
        else
            skip "Go program without its Go sections" "objcopy failed: $(cat "$t/objcopy.err")"
        fi
    else
        bad "go build (CGO_ENABLED=0)" "$(cat "$t/go.err")"
    fi
    nsp=$(sed -n 's/^#define F_GETNOSIGPIPE \([0-9]*\).*/\1/p' include/sockshim.h)
    if CGO_ENABLED=1 CGO_CFLAGS="-DF_GETNOSIGPIPE=$nsp" go build -o "$t/go-cgo" $src/cgo/main.go 2>"$t/go.err"; then
        check "Go program with cgo" 1 ': not reachable: a Go program using cgo, dynamically linked with glibc' 'needs .*libc.so.6' -- "$t/go-cgo"
        # The verdict, measured: the library is loaded and reaches the C code's socket,
        # not the one Go's net package made.
        expect "cgo under --nosigpipe: library loaded, Go's socket not reached, C's reached" 0 \
            '^sockshim: warning: .*Go program using cgo' 'mapped=yes' 'go-socket-nosigpipe=0' 'c-socket-nosigpipe=1' -- \
            "$L" --nosigpipe "$t/go-cgo"
    else
        bad "go build (cgo)" "$(cat "$t/go.err")"
    fi
else
    skip "Go programs" "go is not available, and golang-go could not be installed (root and apt-get needed)"
fi

echo "== the warning on the normal path"
expect "static program: one warning line, then it runs" 0 \
    '^sockshim: warning: libsockshim will not reach .*static: statically linked' 'mapped=no' -- "$L" --cloexec "$t/static"
n=$("$L" --cloexec "$t/static" 2>&1 >/dev/null | wc -l)
[ "$n" -eq 1 ] && ok "the warning is one line" || bad "the warning is one line" "$n lines on stderr"
expect "script #!/bin/sh: no warning, it runs" 0 '^script ran$' '!warning' -- "$L" --nosigpipe "$t/script.sh"
expect "script with a static interpreter: warning, the interpreter runs without the library" 0 \
    '^sockshim: warning: .*static-interp.sh: its interpreter .*static is not reachable' 'mapped=no' -- "$L" "$t/static-interp.sh"
expect "static program with --quiet: no warning" 0 '^mapped=no' '!warning' -- "$L" --quiet --cloexec "$t/static"
expect "dynamic program: no warning, library loaded, policy applied" 0 '^mapped=yes' 'cloexec=1' '!warning' -- "$L" --cloexec "$t/net"
expect "a missing program: 127, no warning" 127 "^sockshim: '.*no-such-program': No such file" '!warning' -- "$L" "$t/no-such-program"
expect "a directory: 126, no warning" 126 "^sockshim: '.*directory': Permission denied" '!warning' -- "$L" "$t/directory"
expect "a bad option: 125" 125 "^sockshim: unknown option '--bogus'" -- "$L" --bogus "$t/net"

echo "== sockshim --status"
start() { # start OUT COMMAND...: runs COMMAND ... hold in the background, waits for "ready"
    local out=$1; shift
    "$@" hold >"$out" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do grep -q '^ready' "$out" && return 0; sleep 0.05; done
    return 1
}
if start "$t/held" "$L" --cloexec --nosigpipe -- "$t/net"; then
    pid=${pids[-1]}
    expect "process under sockshim --cloexec --nosigpipe" 0 "^process $pid \\(net\\): libsockshim is mapped: $(realpath build/lib/libsockshim.so.0)" \
        'policies: SOCKSHIM_CLOEXEC=1 SOCKSHIM_NOSIGPIPE=1' 'fd 3: socket inode [0-9]+ \(UNIX-STREAM\), cloexec yes' \
        'fd 4: socket inode [0-9]+ \(UNIX-STREAM\), cloexec yes' 'fd 5: socket inode [0-9]+ \(TCP\), cloexec yes' \
        'fd 6: socket inode [0-9]+ \(UDP\), cloexec yes' '!cloexec no' -- "$L" --status "$pid"
    [ -n "$root" ] && expect "--status as nobody: cannot read another user's process" 2 "^process $pid \\(net\\): cannot tell: cannot read /proc/$pid/maps" -- as_nobody "$L" --status "$pid"
    expect "--status --quiet: the status only" 0 '^$' -- "$L" --quiet --status "$pid"
else
    bad "start a process under sockshim" "$(cat "$t/held")"
fi
if start "$t/plain" "$t/net"; then
    pid=${pids[-1]}
    expect "plain process" 1 "^process $pid \\(net\\): libsockshim is not mapped" 'policies: none' \
        'fd 5: socket inode [0-9]+ \(TCP\), cloexec no' '!cloexec yes' -- "$L" --status "$pid"
else
    bad "start a plain process" "$(cat "$t/plain")"
fi
if [ "${musl_built:-0}" = 1 ]; then
    if start "$t/held-musl" "$L" --nosigpipe -- "$t/musl"; then
        pid=${pids[-1]}
        expect "musl process under sockshim --nosigpipe: the musl build is mapped" 0 \
            "^process $pid \\(musl\\): libsockshim is mapped: $(realpath build/lib/musl/libsockshim.so.0)" \
            'policies: SOCKSHIM_NOSIGPIPE=1' 'fd 5: socket inode [0-9]+ \(TCP\)' -- "$L" --status "$pid"
    else
        bad "start a musl process under sockshim" "$(cat "$t/held-musl")"
    fi
fi
expect "--status of no process" 2 '^process 999999999: cannot tell: no such process' -- "$L" --status 999999999
expect "--status with a bad process id: 125" 125 "^sockshim: --status needs a process id, not 'x1'" -- "$L" --status x1

echo "time: ${SECONDS} s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
