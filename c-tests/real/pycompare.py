#!/usr/bin/env python3
"""Compares the per-test results of regrtest runs (--junit-xml files) by test name.

  pycompare.py counts  LABEL=FILE...          prints the counts of each run side by side
  pycompare.py diff    BASE OTHER [--expect FILE]
        prints every test whose result differs between BASE and OTHER (a test missing
        from one run counts as "missing"), one per line: "NAME: BASE-RESULT -> OTHER-RESULT".
        With --expect FILE (lines "NAME: A -> B  # why"; '#' lines ignored) the differences
        must be exactly the expected ones: exit 0 when they are, 1 when not (and says which).
        Without --expect, exit 0 only when there is no difference.
  pycompare.py detail  FILE NAME             the end of NAME's failure or error text in FILE
  pycompare.py names   FILE...              prints the test names whose results differ between
        any two of the files (to find tests whose native result is not stable).
"""
import sys
import xml.etree.ElementTree as ET


def results(path):
    """{test name: passed|failed|error|skipped} for one --junit-xml file."""
    out = {}
    root = ET.parse(path).getroot()
    for tc in root.iter("testcase"):
        tags = {k.tag for k in tc}
        if "failure" in tags:
            r = "failed"
        elif "error" in tags:
            r = "error"
        elif "skipped" in tags:
            r = "skipped"
        else:
            r = "passed"
        name = tc.get("name")
        # The same name twice (it happens with subtests): the worst result wins.
        order = ["passed", "skipped", "failed", "error"]
        if name in out and order.index(out[name]) > order.index(r):
            continue
        out[name] = r
    return out


def counts(res):
    c = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for r in res.values():
        c[r] += 1
    return c


def diff(a, b):
    out = []
    for name in sorted(set(a) | set(b)):
        ra, rb = a.get(name, "missing"), b.get(name, "missing")
        if ra != rb:
            out.append(f"{name}: {ra} -> {rb}")
    return out


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "counts":
        runs = [(arg.split("=", 1)[0], results(arg.split("=", 1)[1])) for arg in argv[2:]]
        w = max(len(label) for label, _ in runs)
        print(f"{'run':<{w}}  {'tests':>6} {'passed':>6} {'failed':>6} {'errors':>6} {'skipped':>7}")
        for label, res in runs:
            c = counts(res)
            print(f"{label:<{w}}  {len(res):>6} {c['passed']:>6} {c['failed']:>6} {c['error']:>6} {c['skipped']:>7}")
        return 0
    if cmd == "diff":
        base, other = results(argv[2]), results(argv[3])
        got = diff(base, other)
        exclude = set()
        expect = None
        rest = argv[4:]
        while rest:
            if rest[0] == "--expect":
                expect = [l.split("#", 1)[0].strip() for l in open(rest[1])]
                expect = [l for l in expect if l]
                rest = rest[2:]
            elif rest[0] == "--exclude":
                exclude |= {l.strip() for l in open(rest[1]) if l.strip()}
                rest = rest[2:]
            else:
                print(f"unknown argument {rest[0]}", file=sys.stderr)
                return 2
        got = [g for g in got if g.split(": ", 1)[0] not in exclude]
        for g in got:
            print(g)
        if expect is None:
            return 0 if not got else 1
        ok = True
        for g in sorted(set(got) - set(expect)):
            print(f"UNEXPECTED difference: {g}")
            ok = False
        for e in sorted(set(expect) - set(got)):
            print(f"expected difference not seen: {e}")
            ok = False
        return 0 if ok else 1
    if cmd == "detail":
        # The last lines of the failure or error text of one test (why it did not pass).
        for tc in ET.parse(argv[2]).getroot().iter("testcase"):
            if tc.get("name") == argv[3]:
                for k in tc:
                    text = (k.text or k.get("message") or "").strip().splitlines()
                    for line in text[-4:]:
                        print(f"{k.tag}: {line}")
        return 0
    if cmd == "names":
        runs = [results(p) for p in argv[2:]]
        names = set()
        for r in runs[1:]:
            names |= {d.split(": ", 1)[0] for d in diff(runs[0], r)}
        for n in sorted(names):
            print(n)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
