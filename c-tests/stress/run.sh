#!/usr/bin/env bash
# sockshim reliability tests (issue 5): storms, fork/exec, descriptor churn, a
# differential fuzzer, limits, and the C suite under ASan+UBSan, valgrind and Miri.
#
#   bash c-tests/stress/run.sh --ci     CI-sized (part of `make test`; a few minutes)
#   bash c-tests/stress/run.sh --long   the long versions (`make stress`; ~20 minutes)
#   ONLY=storm,fuzz bash c-tests/stress/run.sh --ci    a subset (names: storm forkexec
#        churn fuzz limits asan valgrind miri selfcheck)
#
# Needs the library built (make lib). Every program runs under `timeout`; each prints
# one or more "RESULT<TAB>name<TAB>pushed<TAB>how hard<TAB>lost<TAB>verdict<TAB>detail"
# lines, gathered into the summary table. Last line: "N passed, M failed, K skipped".
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
CC=${CC:-cc}
SIZE=ci
case "${1:---ci}" in
--ci) SIZE=ci ;;
--long) SIZE=long ;;
*) echo "usage: $0 [--ci|--long]" >&2; exit 2 ;;
esac
ONLY=${ONLY:-}
want() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

# Another C library (tools/check-musl.sh): STRESS_NAME names the build directory,
# STRESS_LIB/STRESS_LIBDIR the library, STRESS_CFLAGS are added, CC compiles, and
# STRESS_PRELOAD=1 also preloads the library into every program it runs.
B=build/stress/${STRESS_NAME:-$SIZE} # per size, so that a --long run and make test can run side by side
LOGS=$B/logs
mkdir -p "$B" "$LOGS"
rm -f "$LOGS"/*.log "$B"/results.tsv "$B"/vg.*.log
LIB=${STRESS_LIB:-$TOP/target/release/libsockshim.so}
LIBDIR=${STRESS_LIBDIR:-$TOP/build/lib}
LAUNCHER=$TOP/build/bin/sockshim
WARN="-Wall -Wextra -Wpedantic -Werror"
# Native against interposed (preloaded or linked into the program): the names of
# <sockshim.h> without its binding.
CFLAGS="-std=c11 -D_GNU_SOURCE -DSOCKSHIM_NO_BINDING -O2 -g $WARN -Iinclude ${STRESS_CFLAGS:-}"
LINK="-L$LIBDIR -lsockshim -Wl,-rpath,$LIBDIR -lpthread -ldl"
RESULTS=$B/results.tsv
T0=$(date +%s)

passed=0 failed=0 skipped=0

# A result that is not a program's own (a build, a checker): name, pushed, hard, lost, verdict, detail.
result() {
    printf 'RESULT\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
    printf 'RESULT\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@"
}

# run LABEL TIMEOUT_S CMD...: runs a program, keeps its log, collects its RESULT lines.
# A program that dies, times out or prints no RESULT counts as a failure.
run() {
    local label=$1 limit=$2; shift 2
    local log="$LOGS/$label.log" t0 rc
    t0=$(date +%s.%N)
    echo "-- $label: $*"
    # (only into this suite's own programs: env, the launcher... use another C library)
    if [ "${STRESS_PRELOAD:-0}" = 1 ] && [[ $1 == "$B"/* ]]; then set -- env LD_PRELOAD="$LIB" "$@"; fi
    timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
    rc=$?
    local took
    took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    grep -v '^RESULT' "$log" | sed 's/^/   /' | head -n 60
    if grep -q '^RESULT' "$log"; then
        grep '^RESULT' "$log" | sed -e "s/\$/ [${took} s]/" -e "s/^RESULT\t\([^\t]*\)/RESULT\t\1${NAME_SUFFIX:-}/" >>"$RESULTS"
        grep '^RESULT' "$log"
        if [ "$rc" -ne 0 ] && ! grep -q $'^RESULT\t[^\t]*\t[^\t]*\t[^\t]*\t[^\t]*\tFAIL' "$log" &&
            [ "$rc" -ne 77 ]; then
            result "$label" "-" "-" "-" FAIL "exit status $rc with no failure reported"
        fi
    else
        local why="exit status $rc"
        [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && why="timed out after $limit s"
        result "$label" "-" "-" "-" FAIL "no result line ($why); see $log"
    fi
}

# selfcheck LABEL TIMEOUT_S CMD...: a run that must FAIL (a deliberately broken
# implementation or setting): it proves that the test can see what it looks for.
selfcheck() {
    local label=$1 limit=$2; shift 2
    local log="$LOGS/$label.log"
    echo "-- self-check $label: $*"
    timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
    local fails
    fails=$(grep -c '^FAIL' "$log")
    if grep -q $'^RESULT\t.*\tFAIL\t' "$log"; then
        result "self-check: $label" "$(grep '^RESULT' "$log" | head -n 1 | cut -f3)" "-" "-" PASS \
            "the broken variant was caught ($fails failed checks; first: $(grep -m1 '^FAIL' "$log" | cut -c1-120))"
    else
        result "self-check: $label" "-" "-" "-" FAIL "the broken variant passed: the test cannot see the defect ($log)"
    fi
}

echo "== sockshim reliability tests ($SIZE)"
[ -e "$LIB" ] || { echo "missing $LIB: run 'make lib' first"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
POLICIES=1
strings "$LIB" | grep -q SOCKSHIM_CLOEXEC || POLICIES=0

# ---- build ----------------------------------------------------------------------------
build_ok=1
b() { echo "   $*" >"$LOGS/build.last"; "$@" >>"$LOGS/build.log" 2>&1 || { build_ok=0; echo "BUILD FAILED: $*"; tail -n 20 "$LOGS/build.log"; }; }
for p in storm_paccept forkexec churn fuzz limits; do
    b $CC $CFLAGS c-tests/stress/$p.c -o $B/$p $LINK
done
b $CC $CFLAGS -static c-tests/stress/fdlist.c -o $B/fdlist
b $CC $CFLAGS -shared -fPIC c-tests/stress/mutant_paccept.c -o $B/mutant_paccept.so
if [ "$build_ok" -ne 1 ]; then
    result "build" "-" "-" "-" FAIL "see $LOGS/build.log"
fi

if [ "$SIZE" = ci ]; then
    STORM_ARGS="--ci" FORK_ARGS="--children=3000" CHURN_ARGS="--seconds=8 --race-rounds=100000 --close-rounds=100000"
    CHURN_POLICY_ARGS="--seconds=6 --race-rounds=50000 --close-rounds=50000"
    FUZZ_ARGS="--calls=2000000" WILD_ARGS="--calls=500000" LIMIT_ARGS="--ci"
else
    STORM_ARGS="--long" FORK_ARGS="--children=30000 --long" CHURN_ARGS="--seconds=60 --race-rounds=500000 --long"
    CHURN_POLICY_ARGS="--seconds=40 --race-rounds=200000 --long"
    FUZZ_ARGS="--calls=20000000 --long" WILD_ARGS="--calls=3000000 --long" LIMIT_ARGS="--long --resets=30000"
fi
TL=$([ "$SIZE" = ci ] && echo 150 || echo 900)

# ---- 1. paccept storm -------------------------------------------------------------------
if want storm; then
    run storm-block "$TL" $B/storm_paccept $STORM_ARGS --mode=block
    run storm-nonblock "$TL" $B/storm_paccept $STORM_ARGS --mode=nonblock
fi
if want selfcheck || want storm; then
    selfcheck "storm sees a user-space mask swap (mutant paccept)" 120 \
        env LD_PRELOAD="$TOP/$B/mutant_paccept.so" $B/storm_paccept --mode=block --conns=20000 --signals=4000
fi

# ---- 2. fork/exec storm -----------------------------------------------------------------
if want forkexec; then
    run forkexec-flags "$TL" $B/forkexec --mode=flags --lister=$B/fdlist $FORK_ARGS
    if [ "$POLICIES" = 1 ] && [ -x "$LAUNCHER" ]; then
        run forkexec-policy "$TL" "$LAUNCHER" --cloexec -- $B/forkexec --mode=policy --lister=$B/fdlist $FORK_ARGS
    else
        result "fork/exec storm, SOCKSHIM_CLOEXEC=1" - - - SKIP "this library has no SOCKSHIM_CLOEXEC policy (or no launcher)"
    fi
fi
if want selfcheck || want forkexec; then
    # inverted: the racy mode reports PASS when it caught leaks, so it runs as a plain test
    run forkexec-racy 120 $B/forkexec --mode=racy --lister=$B/fdlist --children=1500
fi

# ---- 3. descriptor churn ----------------------------------------------------------------
if want churn; then
    run churn "$TL" $B/churn $CHURN_ARGS
    if [ "$POLICIES" = 1 ] && [ -x "$LAUNCHER" ]; then
        run churn-policy "$TL" "$LAUNCHER" --nosigpipe -- $B/churn $CHURN_POLICY_ARGS
    else
        result "descriptor churn, SOCKSHIM_NOSIGPIPE=1" - - - SKIP "this library has no SOCKSHIM_NOSIGPIPE policy (or no launcher)"
    fi
fi

# ---- 4. fuzzer ----------------------------------------------------------------------------
if want fuzz; then
    run fuzz-diff "$TL" $B/fuzz --mode=diff $FUZZ_ARGS
    run fuzz-wild-netbsd "$TL" env SOCKSHIM_PERSONALITY=netbsd $B/fuzz --mode=wild --seed=100001 --label=netbsd $WILD_ARGS
    if [ "$POLICIES" = 1 ]; then
        run fuzz-wild-policies "$TL" env SOCKSHIM_NOSIGPIPE=1 SOCKSHIM_CLOEXEC=1 SOCKSHIM_ACCEPT_INHERIT=1 \
            $B/fuzz --mode=wild --seed=200001 --label="all three policies" $WILD_ARGS
    fi
    run fuzz-wild-linux "$TL" $B/fuzz --mode=wild --seed=300001 --label="linux, NetBSD bits" $WILD_ARGS
fi

# ---- 5. limits ------------------------------------------------------------------------------
if want limits; then
    run limits-linux "$TL" $B/limits $LIMIT_ARGS
    run limits-netbsd "$TL" env SOCKSHIM_PERSONALITY=netbsd $B/limits $LIMIT_ARGS --many=20000
fi

# ---- 6. sanitizers and checkers ------------------------------------------------------------
SUITE_SRC=$(ls c-tests/*.c)
# The suite's own count line: "N passed, M failed, K skipped" (the runner's last line).
suite_result() {
    local name=$1 log=$2 rc=$3 extra=$4
    local line p f s
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        result "$name" - - - FAIL "no count line (exit $rc); see $log"
        return
    fi
    read -r p _ f _ s _ <<<"${line//,/}"
    local bad
    bad=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log")
    local v=PASS
    [ "$f" -ne 0 ] || [ "$bad" -ne 0 ] && v=FAIL
    result "$name" "$((p + f + s)) cases" "$extra" "$bad sanitizer reports" "$v" "$line"
}

if want asan; then
    ASAN_CFLAGS="-std=c11 -D_GNU_SOURCE -DSOCKSHIM_NO_BINDING -O1 -g $WARN -Iinclude -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
    if $CC $ASAN_CFLAGS $SUITE_SRC -o $B/conformance-asan-native -lpthread >>"$LOGS/build.log" 2>&1 &&
        $CC $ASAN_CFLAGS $SUITE_SRC -o $B/conformance-asan-linked -L"$LIBDIR" -lsockshim -Wl,-rpath,"$LIBDIR" -lpthread >>"$LOGS/build.log" 2>&1; then
        ASAN_RT=$($CC -print-file-name=libasan.so)
        export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:halt_on_error=1
        export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
        for pers in linux netbsd; do
            log=$LOGS/asan-linked-$pers.log
            echo "-- ASan+UBSan suite, linked, $pers"
            env SOCKSHIM_PERSONALITY=$pers timeout 300 $B/conformance-asan-linked --timeout 30 >"$log" 2>&1
            suite_result "C suite under ASan+UBSan, linked, $pers" "$log" $? "-fsanitize=address,undefined"
            log=$LOGS/asan-preloaded-$pers.log
            echo "-- ASan+UBSan suite, preloaded (ASan runtime first), $pers"
            env SOCKSHIM_PERSONALITY=$pers LD_PRELOAD="$ASAN_RT $LIB" timeout 300 $B/conformance-asan-native --timeout 30 >"$log" 2>&1
            suite_result "C suite under ASan+UBSan, preloaded, $pers" "$log" $? "LD_PRELOAD=libasan.so libsockshim.so"
        done
        # the stress programs that pass only valid pointers, under ASan+UBSan too
        $CC $ASAN_CFLAGS c-tests/stress/churn.c -o $B/churn-asan $LINK >>"$LOGS/build.log" 2>&1 &&
            NAME_SUFFIX=" (ASan+UBSan)" run churn-asan "$TL" $B/churn-asan --seconds=4 --race-rounds=20000 --close-rounds=20000
        $CC $ASAN_CFLAGS c-tests/stress/storm_paccept.c -o $B/storm-asan $LINK >>"$LOGS/build.log" 2>&1 &&
            NAME_SUFFIX=" (ASan+UBSan)" run storm-asan "$TL" $B/storm-asan --mode=block --conns=10000 --signals=2000
        unset ASAN_OPTIONS UBSAN_OPTIONS
        for l in churn-asan storm-asan; do
            if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$LOGS/$l.log" 2>/dev/null; then
                result "$l sanitizer report" - - - FAIL "see $LOGS/$l.log"
            fi
        done
    else
        result "ASan+UBSan build" - - - FAIL "see $LOGS/build.log"
    fi
fi

if want valgrind; then
    if command -v valgrind >/dev/null; then
        [ -x build/conformance-linked ] || make -s build/conformance-native build/conformance-linked >>"$LOGS/build.log" 2>&1
        # Cases that cannot pass under valgrind, whatever the library does: valgrind keeps
        # descriptors of its own at the top of the table (EMFILE cases, no_own_descriptors),
        # emulates ppoll's temporary signal mask non-atomically (handlers then run under
        # the thread's own mask: the mask-timing cases), and cannot re-exec the suite
        # through /proc/self/exe (the policy, exec and early-constructor cases run a probe
        # that way; and serialising threads, it starves one race case). They run everywhere
        # else (the ASan runs above, make test).
        VG_SKIP='^(accept_emfile|paccept_no_delivery_on_fd_errors|paccept_c2_fd_errors_untouched|paccept_c3_interrupt_under_mask|paccept_c5_nosleep_delivers|paccept_threads_storm|nosigpipe_survives_exec|pipe_nosigpipe_survives_exec|no_own_descriptors|policy_.*|nosigpipe_exec_.*|nosigpipe_vfork_child|nosigpipe_raw_fork_child|exports_before_constructor|nosigpipe_close_range_concurrent_socket)$'
        ALL_CASES=$(build/conformance-linked --list | cut -f1 | grep -vE "$VG_SKIP")
        if [ "$SIZE" = ci ]; then
            VG_CASES=$(echo "$ALL_CASES" | awk 'NR % 2 == 1' | tr '\n' ' ') # every other case
            VG_MODES="linked"
        else
            VG_CASES=$(echo "$ALL_CASES" | tr '\n' ' ')
            VG_MODES="linked preloaded"
        fi
        for mode in $VG_MODES; do
            log=$LOGS/valgrind-$mode.log
            rm -f $B/vg.*.log
            echo "-- valgrind memcheck, $mode ($(echo $VG_CASES | wc -w) cases)"
            if [ $mode = linked ]; then
                timeout 900 valgrind --error-exitcode=1 --log-file="$B/vg.%p.log" build/conformance-linked --timeout 60 $VG_CASES >"$log" 2>&1
            else
                env LD_PRELOAD="$LIB" timeout 900 valgrind --error-exitcode=1 --log-file="$B/vg.%p.log" build/conformance-native --timeout 60 $VG_CASES >"$log" 2>&1
            fi
            rc=$?
            # Per process: contexts in its ERROR SUMMARY, and how many of them are a test
            # handing a deliberately bad pointer to a call that passes it to the kernel
            # ("Syscall param ... points to unaddressable byte(s)": the EFAULT cases). Any
            # other error (invalid read/write, uninitialised bytes, leaks) is a failure.
            nlogs=0 expected=0 errs=0
            for f in $B/vg.*.log; do
                [ -e "$f" ] || continue
                nlogs=$((nlogs + 1))
                ctx=$(sed -n 's/.*ERROR SUMMARY: [0-9]* errors from \([0-9]*\) contexts.*/\1/p' "$f" | tail -n 1)
                bad=$(grep -c 'Syscall param .* points to unaddressable byte(s)' "$f")
                if [ -z "$ctx" ]; then
                    errs=$((errs + 1)) # the process died under valgrind without a summary
                elif [ "$ctx" -gt "$bad" ]; then
                    errs=$((errs + ctx - bad))
                    cp "$f" "$LOGS/valgrind-error-$(basename "$f")"
                fi
                expected=$((expected + bad))
            done
            cat $B/vg.*.log >"$LOGS/valgrind-$mode-memcheck.log" 2>/dev/null
            line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
            read -r p _ f _ s _ <<<"${line//,/}"
            v=PASS
            { [ -z "$line" ] || [ "${f:-1}" -ne 0 ] || [ "$errs" -ne 0 ]; } && v=FAIL
            result "C suite under valgrind memcheck, $mode" "$((${p:-0} + ${f:-0} + ${s:-0})) cases, $nlogs processes" \
                "$expected deliberate bad pointers seen" "$errs memcheck errors" "$v" "${line:-no count line (exit $rc)}"
        done
    else
        result "valgrind memcheck" - - - SKIP "valgrind not installed (apt-get install valgrind)"
    fi
fi

# Miri needs a nightly toolchain with its component: rustup installs both when missing
# (its dist server is reachable wherever rustup installed the toolchain), and Miri's own
# sysroot is built once (cargo miri setup).
miri_ready() {
    cargo +nightly miri --version >/dev/null 2>&1 && return 0
    command -v rustup >/dev/null 2>&1 || { MIRI_WHY="no rustup to install Miri with"; return 1; }
    echo "-- installing Miri (rustup: nightly toolchain, miri and rust-src components)"
    if ! rustup run nightly rustc --version >/dev/null 2>&1; then
        rustup toolchain install nightly --profile minimal >>"$LOGS/miri-install.log" 2>&1 ||
            { MIRI_WHY="rustup toolchain install nightly failed: $(tail -n 1 "$LOGS/miri-install.log")"; return 1; }
    fi
    rustup component add miri rust-src --toolchain nightly >>"$LOGS/miri-install.log" 2>&1 ||
        { MIRI_WHY="rustup component add miri --toolchain nightly failed: $(tail -n 1 "$LOGS/miri-install.log")"; return 1; }
    cargo +nightly miri setup >>"$LOGS/miri-install.log" 2>&1 ||
        { MIRI_WHY="cargo miri setup failed: $(tail -n 1 "$LOGS/miri-install.log")"; return 1; }
}

if want miri; then
    if miri_ready; then
        log=$LOGS/miri.log
        echo "-- Miri: src/flags.rs, src/consts.rs, src/table.rs (c-tests/stress/miri)"
        (cd c-tests/stress/miri && MIRIFLAGS="-Zmiri-ignore-leaks" CARGO_TARGET_DIR="$TOP/target/miri-stress" \
            timeout 900 cargo +nightly miri test --offline --lib) >"$log" 2>&1
        rc=$?
        tests=$(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$log" | tail -n 1)
        read -r mp mf <<<"${tests:-0 1}"
        v=PASS
        [ "$rc" -ne 0 ] || [ "$mf" -ne 0 ] && v=FAIL
        result "Miri: flags, consts, table (with their unit tests)" "$mp tests" \
            "UB and data-race checks" "$mf failed" "$v" "leaks ignored: table pages live for the process by design"
    else
        result "Miri" - - - SKIP "$MIRI_WHY"
    fi
fi

# ---- summary ---------------------------------------------------------------------------------
T1=$(date +%s)
echo
echo "== Reliability summary ($SIZE, $((T1 - T0)) s)"
awk -F'\t' '
    BEGIN { printf "%-52s %-44s %-40s %-36s %s\n", "test", "pushed", "how hard", "lost", "verdict"; }
    /^RESULT/ {
        printf "%-52s %-44s %-40s %-36s %s\n", substr($2, 1, 52), substr($3, 1, 44), substr($4, 1, 40), substr($5, 1, 36), $6;
        if ($7 != "") printf "    %s\n", $7;
    }' "$RESULTS"
while IFS=$'\t' read -r tag name pushed hard lost verdict detail; do
    [ "$tag" = RESULT ] || continue
    case "$verdict" in
    PASS) passed=$((passed + 1)) ;;
    SKIP) skipped=$((skipped + 1)) ;;
    *) failed=$((failed + 1)) ;;
    esac
done <"$RESULTS"
echo "(logs: $LOGS)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
