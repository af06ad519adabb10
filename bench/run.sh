#!/usr/bin/env bash
# make bench: builds the benchmark programs, installs what they need (nginx, wrk,
# strace, valgrind with apt-get when run as root), and runs bench/bench.py.
#   bash bench/run.sh           the full run (under 10 minutes on 2 cores)
#   bash bench/run.sh --smoke   each benchmark briefly (under a minute); last line
#                               "N passed, M failed, K skipped"
set -u
cd "$(dirname "$0")/.."
CC=${CC:-cc} PYTHON=${PYTHON:-python3} CARGO=${CARGO:-cargo}
smoke=""
[ "${1:-}" = "--smoke" ] && smoke=--smoke

# What the benchmarks use; each missing one is installed when we can (root + apt-get),
# otherwise the benchmark that needs it reports itself skipped.
missing=()
command -v strace >/dev/null || missing+=(strace)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "bench: installing ${missing[*]}"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}"; } >/dev/null 2>&1 || echo "bench: apt-get could not install ${missing[*]}"
        # The nginx package may start a system server; leave it alone (not ours), the
        # benchmark uses its own instances on free ports.
    else
        echo "bench: not installed: ${missing[*]} (the benchmarks that need them are skipped)"
    fi
fi

# The library and the launcher (make bench has built them; build them if run directly).
if [ ! -e build/lib/libsockshim.so.0 ] || [ ! -x build/bin/sockshim ]; then
    make -s lib >/dev/null || { echo "bench: make lib failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi
LIB=$PWD/target/release/libsockshim.so

OUT=build/bench
mkdir -p "$OUT"
# The benchmarks compare the C library with sockshim interposing it (preloaded or linked
# into the program), so they take only the names from <sockshim.h>, not its binding.
W="-std=c11 -O2 -g -D_GNU_SOURCE -DSOCKSHIM_NO_BINDING -Wall -Wextra -Wpedantic -Werror -Iinclude"
LINK="-Lbuild/lib -lsockshim -Wl,-rpath,$PWD/build/lib"
build() {
    "$@" || { echo "bench: build failed: $*"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
}
build $CC $W bench/accept_storm.c -o $OUT/accept_storm -lpthread -ldl
build $CC $W -DLINKED bench/accept_storm.c -o $OUT/accept_storm_linked $LINK -lpthread -ldl
build $CC $W bench/paccept_once.c -o $OUT/paccept_once $LINK -ldl
build $CC $W bench/writepath.c -o $OUT/writepath -lpthread
build $CC $W bench/accept_path.c -o $OUT/accept_path -lpthread
build $CC $W bench/scale.c -o $OUT/scale $LINK -ldl
# The table at 2^20, through the library's own code: bench/table_scale.rs is an ignored
# unit test of the library (src/lib.rs), so it runs in the unit-test binary.
tests=$($CARGO test --release --locked --lib --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
build test -x "$tests"
build ln -sf "$tests" $OUT/unit-tests

exec $PYTHON bench/bench.py $smoke --lib "$LIB" --launcher build/bin/sockshim
