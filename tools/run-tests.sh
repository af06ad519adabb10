#!/usr/bin/env bash
# Runs every test stage of `make test` and ends with one count line over all of them:
#   total: N passed, M failed
set -u
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo} CC=${CC:-cc} CXX=${CXX:-c++} PYTHON=${PYTHON:-python3}
# The conformance report's binaries (make test passes the same).
REPORT_ARGS=${REPORT_ARGS:---lib $PWD/target/release/libsockshim.so --native build/conformance-native --linked build/conformance-linked --library build/conformance-library --dlopen build/conformance-dlopen}
passed=0 failed=0 skipped=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# One named check: runs the command, counts it as one test.
check() {
    local name=$1; shift
    if "$@" >"$log/out" 2>&1; then
        passed=$((passed + 1)); echo "ok      $name"
    else
        failed=$((failed + 1)); echo "FAILED  $name"; sed 's/^/    /' "$log/out" | tail -n 40
    fi
}

# One stage that prints its own count as its last line, "N passed, M failed[, K skipped]".
# A stage that exits non-zero with no failure counted counts as one failure.
stage() {
    local name=$1; shift
    echo "== $name"
    "$@" >"$log/stage" 2>&1
    local rc=$?
    cat "$log/stage"
    local line p f s
    if line=$(tail -n 1 "$log/stage" | grep -E '^[0-9]+ passed, [0-9]+ failed'); then
        read -r p _ f _ s _ <<<"${line//,/}"
        passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
        [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))
    else
        failed=$((failed + 1)); echo "FAILED  $name gave no count"
    fi
    return 0
}

echo "== Rust: unit and integration tests"
$CARGO test --release --locked 2>&1 | tee "$log/cargo" | grep -E '^(test |test result|error|failures)' || true
while read -r p f; do passed=$((passed + p)); failed=$((failed + f)); done < <(
    sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$log/cargo")
grep -q '^test result' "$log/cargo" || { failed=$((failed + 1)); echo "FAILED  cargo test did not run"; tail -n 30 "$log/cargo"; }

echo "== Lints"
check "cargo fmt --check" $CARGO fmt --check
check "cargo clippy -D warnings" $CARGO clippy --release --locked --all-targets -- -D warnings

WARN="-Wall -Wextra -Wpedantic -Werror"
echo "== Header: C89, C99, C11, C++17 with $WARN"
check "header as C89" $CC -std=c89 -D_GNU_SOURCE $WARN -Iinclude -c c-tests/header/use_header.c -o "$log/h89.o"
check "header as gnu89 -pedantic" $CC -std=gnu89 $WARN -Iinclude -c c-tests/header/use_header.c -o "$log/hg89.o"
check "header as C99" $CC -std=c99 -D_GNU_SOURCE $WARN -Iinclude -c c-tests/header/use_header.c -o "$log/h99.o"
check "header as C11" $CC -std=c11 $WARN -Iinclude -c c-tests/header/use_header.c -o "$log/h11.o"
check "header as C++17" $CXX -std=c++17 $WARN -Iinclude -c c-tests/header/use_header.cpp -o "$log/hxx.o"
check "header links and runs" bash -c "$CC -std=c11 $WARN -Iinclude c-tests/header/use_header.c -o $log/h -Lbuild/lib -lsockshim -Wl,-rpath,$PWD/build/lib && $log/h"

check "make install / pkg-config / make uninstall" tools/check-install.sh
check "a bare 'make' runs the conformance report" bash -c "make -n | grep -q 'c-tests/report.py'"

stage "Man pages: man -l, mandoc -T lint, lexgrog, cross references, make install" bash tools/check-man.sh

stage "Debian package: dpkg-buildpackage, lintian, the packages in a scratch root" bash tools/check-deb.sh

stage "Linked use: the overlay, the three shapes, configure probes" bash c-tests/linked/run.sh

stage "Launcher: --check on real programs, the warning, --status" bash tools/check-launcher.sh

stage "Benchmarks, smoke run (each benchmark once, briefly; figures: make bench)" bash bench/run.sh --smoke

stage "Reliability (CI-sized): storms, fork/exec, churn, fuzzer, limits, ASan/UBSan, valgrind, Miri" \
    bash c-tests/stress/run.sh --ci

stage "musl: the conformance report and the reliability storms in musl programs" bash tools/check-musl.sh

stage "Real programs under the shim" bash c-tests/real/run.sh

stage "BSD code built against sockshim: nanomsg, libmicrohttpd, zeromq and their own test suites" \
    bash c-tests/bsd/run.sh

stage "Conformance suite: every case linked and preloaded, both personalities" \
    $PYTHON c-tests/report.py $REPORT_ARGS --check

echo
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
