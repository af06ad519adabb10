#!/usr/bin/env python3
"""sockshim conformance report.

Runs the conformance suite in nine configurations and prints, per source document,
what every clause case observed:

    native <libc>     build/conformance-native, no sockshim (native glibc, native musl)
    linked            build/conformance-linked (-lsockshim), SOCKSHIM_PERSONALITY=linux
    preloaded         LD_PRELOAD=<lib> build/conformance-native, SOCKSHIM_PERSONALITY=linux
    library           build/conformance-library: the suite in a shared library compiled
                      against <sockshim.h> (its binding), linked by a program that knows
                      nothing of sockshim, glibc first in its lookup scope
    dlopen            build/conformance-dlopen: the same library opened with
                      dlopen(RTLD_LOCAL)
    ... netbsd        each of the four with SOCKSHIM_PERSONALITY=netbsd

Usage:
    python3 c-tests/report.py --lib target/release/libsockshim.so \
        --native build/conformance-native --linked build/conformance-linked \
        --library build/conformance-library --dlopen build/conformance-dlopen [--check] [--timeout S]

Writes build/report.tsv (one row per case and configuration). With --check, exits 1
when any sockshim configuration has a FAIL verdict. The last line is always
"N passed, M failed, K skipped" over all (case x sockshim configuration) verdicts.
Standard library only.
"""

import argparse
import os
import subprocess
import sys
import time

SOURCES = [
    "NetBSD accept(2)",
    "NetBSD source",
    "WASIX sock_open",
    "WASIX sock_listen",
    "WASIX sock_accept",
    "mTCP mtcp_accept",
    "SPEC.md",
]

# (key, column title, binary kind, personality or None for no shim, preloaded?)
CONFIGS = [
    ("native", "native Linux", "native", None, False),
    ("linked", "linked", "linked", "linux", False),
    ("preloaded", "preloaded", "native", "linux", True),
    ("library", "library", "library", "linux", False),
    ("dlopen", "dlopen", "dlopen", "linux", False),
    ("linked-netbsd", "linked netbsd", "linked", "netbsd", False),
    ("preloaded-netbsd", "preloaded netbsd", "native", "netbsd", True),
    ("library-netbsd", "library netbsd", "library", "netbsd", False),
    ("dlopen-netbsd", "dlopen netbsd", "dlopen", "netbsd", False),
]
SHIM_CONFIGS = [c[0] for c in CONFIGS if c[3] is not None]
# The configurations of each personality.
PERSONALITY_CONFIGS = {p: [c[0] for c in CONFIGS if c[3] == p] for p in ("linux", "netbsd")}

LEGEND = """\
sockshim conformance report
===========================
Every case checks one clause of a source document, in its own child process (all
descriptors >= 3 closed, own process group, timeout), on the real kernel over loopback.

Columns   native = the test binary without sockshim, for reference only (its C library);
          linked = built with -lsockshim; preloaded = LD_PRELOAD=libsockshim.so;
          library = the suite in a shared library compiled against <sockshim.h>, loaded
          by a program that does not link sockshim (glibc first in its lookup scope);
          dlopen = that library opened with dlopen(RTLD_LOCAL);
          "netbsd" = SOCKSHIM_PERSONALITY=netbsd, the others run the default linux one.
Kinds     clause      = must hold wherever sockshim is loaded (cell PASS, FAIL or SKIP);
          netbsd-only = a documented Linux/NetBSD difference: the cell is the behaviour
                        seen (NETBSD, LINUX or OTHER), expected per personality.
Markers   "!" after a sockshim cell: not what that configuration should show (a failure).
          "*" after a native cell: plain Linux differs from sockshim's linux personality,
              i.e. what sockshim adds (no verdict: native runs are informational).
"""


def parse_args():
    p = argparse.ArgumentParser(description="Run the sockshim conformance suite in five configurations.")
    p.add_argument("--lib", required=True, help="path to libsockshim.so")
    p.add_argument("--native", required=True, help="conformance binary built without -lsockshim")
    p.add_argument("--linked", required=True, help="conformance binary linked with -lsockshim")
    p.add_argument("--library", help="loader of the suite built as a library against the header")
    p.add_argument("--dlopen", help="loader that opens that library with dlopen(RTLD_LOCAL)")
    p.add_argument("--platform", default=None,
                   help="what the binaries are built for, printed in the report (default: this machine, glibc)")
    p.add_argument("--check", action="store_true", help="exit 1 if any sockshim configuration fails")
    p.add_argument("--timeout", type=float, default=10.0, help="per-case timeout in seconds (default 10)")
    p.add_argument("--out", default=None,
                   help="machine-readable output (default: report.tsv beside the native binary, i.e. build/report.tsv)")
    return p.parse_args()


def base_env():
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("SOCKSHIM_") or k == "LD_PRELOAD":
            del env[k]
    return env


def list_cases(binary):
    out = subprocess.run([binary, "--list"], env=base_env(), capture_output=True, text=True, check=True).stdout
    cases = []
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) == 4:
            cases.append({"id": f[0], "source": f[1], "kind": f[2], "clause": f[3]})
    return cases


def run_config(cfg, binaries, lib, timeout, n_cases):
    key, _title, kind, personality, preload = cfg
    env = base_env()
    if personality is not None:
        env["SOCKSHIM_PERSONALITY"] = personality
    if preload:
        env["LD_PRELOAD"] = lib
    cmd = [binaries[kind], "--timeout", str(timeout)]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout * n_cases + 60)
        stdout, stderr, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        stderr, rc = "run timed out", -1
    took = time.monotonic() - t0
    results = {}
    for line in stdout.splitlines():
        f = line.split("\t")
        if len(f) >= 5:
            results[f[0]] = {"observed": f[1], "expected": f[2], "verdict": f[3], "message": "\t".join(f[4:])}
    return results, rc, stderr.strip(), took


def trunc(s, n):
    return s if len(s) <= n else s[: n - 1] + "~"


def main():
    args = parse_args()
    lib = os.path.abspath(args.lib)
    binaries = {k: os.path.abspath(getattr(args, k)) for k in ("native", "linked", "library", "dlopen")
                if getattr(args, k)}
    # The configurations whose binaries were given (the musl platform has no library
    # builds: <sockshim/bind.h> knows glibc's declarations only).
    global CONFIGS, SHIM_CONFIGS, PERSONALITY_CONFIGS
    CONFIGS = [c for c in CONFIGS if c[2] in binaries]
    SHIM_CONFIGS = [c[0] for c in CONFIGS if c[3] is not None]
    PERSONALITY_CONFIGS = {p: [c[0] for c in CONFIGS if c[3] == p] for p in ("linux", "netbsd")}
    platform = args.platform or f"{os.uname().machine} glibc"
    # the reference column is named for the C library the binaries are built with
    native_title = f"native {platform.split()[-1]}"
    CONFIGS = [(c[0], native_title, *c[2:]) if c[0] == "native" else c for c in CONFIGS]
    for what, path in [("--lib", lib)] + [("--" + k, v) for k, v in binaries.items()]:
        if not os.path.exists(path):
            print(f"report.py: {what} {path} does not exist", file=sys.stderr)
            return 2

    cases = list_cases(binaries["native"])
    results = {}
    notes = []
    for cfg in CONFIGS:
        r, rc, err, took = run_config(cfg, binaries, lib, args.timeout, len(cases))
        results[cfg[0]] = r
        notes.append(f"{cfg[1]}: {len(r)} cases in {took:.1f} s (exit {rc})" + (f"; stderr: {trunc(err, 200)}" if err else ""))

    # What a sockshim configuration should show, per case and personality.
    def expected(case, personality):
        for k in PERSONALITY_CONFIGS[personality]:
            r = results[k].get(case["id"])
            if r and r["expected"] not in ("-", ""):
                return r["expected"]
        return "PASS" if case["kind"] == "clause" else "?"

    # Fill in missing rows (a crashed or cut-short run) as failures.
    for cfg in CONFIGS:
        key = cfg[0]
        for c in cases:
            if c["id"] not in results[key]:
                exp = "-" if cfg[3] is None else expected(c, cfg[3])
                results[key][c["id"]] = {"observed": "MISSING", "expected": exp,
                                         "verdict": "info" if cfg[3] is None else "FAIL",
                                         "message": "no result line (the run crashed or was cut short)"}

    def cell(c, key):
        r = results[key][c["id"]]
        obs = r["observed"]
        if key == "native":
            if obs != "SKIP" and obs != expected(c, "linux"):
                return obs + "*"
            return obs
        return obs + ("!" if r["verdict"] == "FAIL" else "")

    print(LEGEND)
    print(f"Platform  {platform}: {len(SHIM_CONFIGS)} sockshim configurations")
    idw, clw, cw = 36, 56, 10
    titles = [c[1] for c in CONFIGS]
    header = f"{'case':<{idw}} {'clause':<{clw}} " + " ".join(f"{t:<{max(cw, len(t))}}" for t in titles)
    for src in SOURCES:
        rows = [c for c in cases if c["source"] == src]
        if not rows:
            continue
        print(f"\n## {src} ({len(rows)} cases)\n")
        print(header)
        print("-" * len(header))
        for c in rows:
            name = c["id"] + (" [n]" if c["kind"] == "netbsd-only" else "")
            cells = " ".join(f"{cell(c, cfg[0]):<{max(cw, len(cfg[1]))}}" for cfg in CONFIGS)
            print(f"{trunc(name, idw):<{idw}} {trunc(c['clause'], clw):<{clw}} {cells}")
    print("\n[n] = netbsd-only case")

    title = f"Summary per source document ({platform})"
    print("\n" + title)
    print("-" * len(title))
    for src in SOURCES:
        rows = [c for c in cases if c["source"] == src]
        if not rows:
            continue
        all4 = sum(1 for c in rows if all(results[k][c["id"]]["verdict"] == "ok" for k in SHIM_CONFIGS))
        skipped = sum(1 for c in rows if all(results[k][c["id"]]["verdict"] == "skip" for k in SHIM_CONFIGS))
        native_ok = sum(1 for c in rows if results["native"][c["id"]]["observed"] == expected(c, "linux"))
        native_skip = sum(1 for c in rows if results["native"][c["id"]]["observed"] == "SKIP")
        line = f"{src:<20} {all4:>3}/{len(rows):<3} pass in all {len(SHIM_CONFIGS)} sockshim configurations"
        if skipped:
            line += f" ({skipped} skipped)"
        line += f"; natively {native_ok} pass"
        if native_skip:
            line += f", {native_skip} skipped"
        print(line)

    failures = [(c, cfg) for c in cases for cfg in CONFIGS[1:] if results[cfg[0]][c["id"]]["verdict"] == "FAIL"]
    if failures:
        print("\nFailures")
        print("--------")
        for c, cfg in failures:
            r = results[cfg[0]][c["id"]]
            print(f"{c['id']} [{cfg[1]}]: observed {r['observed']}, expected {r['expected']}: {r['message']}")

    print("\nDocumented deviations (netbsd-only cases)")
    print("-----------------------------------------")
    words = {"NETBSD": "matches NetBSD", "LINUX": "matches Linux", "OTHER": "neither", "SKIP": "skipped",
             "MISSING": "no result", "FAIL": "neither"}
    for c in [c for c in cases if c["kind"] == "netbsd-only"]:
        parts = []
        for pers, keys in PERSONALITY_CONFIGS.items():
            obs = [results[k][c["id"]]["observed"] for k in keys]
            exp = expected(c, pers)
            if len(set(obs)) == 1:
                desc = words.get(obs[0], obs[0])
            else:
                desc = ", ".join(f"{k.split('-')[0]} {words.get(o, o)}" for k, o in zip(keys, obs))
            flag = "" if all(o == exp for o in obs) else f" (expected: {words.get(exp, exp)}!)"
            parts.append(f"{pers} personality {desc}{flag}")
        nat = results["native"][c["id"]]["observed"]
        parts.append(f"{native_title} {words.get(nat, nat)}")
        print(f"- {c['id']} ({c['source']}): " + "; ".join(parts) + ".")
        print(f"    {c['clause']}")

    print("\nRuns: " + " | ".join(notes))

    out = args.out or os.path.join(os.path.dirname(binaries["native"]), "report.tsv")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        f.write("case\tsource\tkind\tconfig\tobserved\texpected\tverdict\tmessage\n")
        for c in cases:
            for cfg in CONFIGS:
                r = results[cfg[0]][c["id"]]
                msg = r["message"].replace("\t", " ")
                f.write(f"{c['id']}\t{c['source']}\t{c['kind']}\t{cfg[0]}\t{r['observed']}\t{r['expected']}\t"
                        f"{r['verdict']}\t{msg}\n")

    passed = failed = skipped = 0
    for c in cases:
        for k in SHIM_CONFIGS:
            v = results[k][c["id"]]["verdict"]
            passed += v == "ok"
            failed += v == "FAIL"
            skipped += v == "skip"
    print(f"(machine-readable: {out})")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
