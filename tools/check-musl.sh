#!/usr/bin/env bash
# make test stage "musl" (SPEC.md "Platforms"): sockshim for programs linked with musl.
#   1. the library for <arch>-unknown-linux-musl and the conformance suite built with
#      musl-gcc (make musl), the report in its four sockshim configurations (linked and
#      preloaded, both personalities; make musl-report);
#   2. the reliability suite's CI-sized storm, churn and differential fuzzer (against the
#      system calls: musl's own functions differ from them), musl programs linked with the
#      musl library and preloaded with it (churn's policy run through the launcher,
#      which picks the musl build for a musl program).
# Installs musl-tools and the Rust target when it can (root, apt-get, rustup); otherwise
# skips with the reason. Last line: "N passed, M failed, K skipped".
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
PYTHON=${PYTHON:-python3}
TARGET=$(uname -m)-unknown-linux-musl
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

skip() {
    echo "SKIP    musl: $*"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
}
why=$(tools/need-musl.sh) || skip "$why"

passed=0 failed=0 skipped=0
add() { # the count line at the end of file $1
    local line p f s
    if line=$(tail -n 1 "$1" | grep -E '^[0-9]+ passed, [0-9]+ failed'); then
        read -r p _ f _ s _ <<<"${line//,/}"
        passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
    else
        failed=$((failed + 1)); echo "FAILED  $2 gave no count"
    fi
}

echo "== musl: build (make musl)"
if ! make --no-print-directory musl lib >"$log/build" 2>&1; then
    tail -n 40 "$log/build"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
readelf -d "target/$TARGET/release/libsockshim.so" | grep NEEDED

echo "== musl: conformance report (make musl-report)"
make --no-print-directory musl-report >"$log/report" 2>&1
rc=$?
sed -n '/^Summary per source/,/^$/p; /^Failures/,/^$/p; /^Runs:/p' "$log/report"
add "$log/report" "the musl report"
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1

echo "== musl: reliability (storm, churn, fuzz), CI-sized"
CC=musl-gcc STRESS_NAME=musl-ci STRESS_LIB="$TOP/target/$TARGET/release/libsockshim.so" \
    STRESS_LIBDIR="$TOP/build/lib/musl" STRESS_CFLAGS="-isystem $TOP/build/musl/kernel-include" \
    STRESS_PRELOAD=1 ONLY=storm,churn,fuzz bash c-tests/stress/run.sh --ci >"$log/stress" 2>&1
sed -n '/^== Reliability summary/,$p' "$log/stress"
add "$log/stress" "the musl reliability run"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
