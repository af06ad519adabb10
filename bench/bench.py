#!/usr/bin/env python3
"""sockshim benchmarks: the shim against the native C library, side by side.

Run by bench/run.sh (which builds the programs and installs nginx and wrk):
    python3 bench/bench.py [--smoke] --lib ABS/libsockshim.so --launcher build/bin/sockshim

Every comparison alternates its native and shim variants (A B A B ...) over several
rounds and reports medians, and the median of the per-round shim/native ratios (each
ratio pairs two runs made next to each other in time, which cancels most of the
machine's drift). Writes build/bench/results.json, build/bench/results.md (the table)
and build/bench/ratios.svg (the plot). Standard library only.

--smoke runs each benchmark briefly, checks that it produced sane figures, and ends
with "N passed, M failed, K skipped" (one per benchmark).
"""
import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build", "bench")


def pin(cpu):
    """A preexec_fn that pins the child to one CPU (None: no pinning)."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def run(cmd, env=None, timeout=120, check=True, cpu=None):
    e = dict(os.environ)
    e.pop("LD_PRELOAD", None)
    for k in list(e):
        if k.startswith("SOCKSHIM_"):
            del e[k]
    if env:
        e.update(env)
    p = subprocess.run(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout,
                       preexec_fn=pin(cpu))
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()[-500:]))
    return p


def jsonlines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class Results:
    def __init__(self):
        self.rows = []  # dicts: group, name, native, shim, unit, ratio, target, met, note

    def add(self, group, name, native, shim, unit, ratio=None, target=None, met=None, note=""):
        if ratio is None and native and shim is not None:
            ratio = shim / native
        self.rows.append(dict(group=group, name=name, native=native, shim=shim, unit=unit, ratio=ratio,
                              target=target, met=met, note=note))


# --------------------------------------------------------------------------------------
# 1. accept storm


def bench_accept(res, a, smoke):
    rounds = 1 if smoke else a.accept_rounds
    ms = 60 if smoke else a.accept_ms
    preload = {"LD_PRELOAD": a.lib}
    linked_variants = ["native", "accept4", "paccept-null", "paccept-mask", "paccept-unblock"]
    configs = [(1, "blocking"), (1, "nonblock"), (2, "blocking"), (2, "nonblock")]
    rng = random.Random(4)
    if smoke:
        configs = configs[:2]
    out = {}
    for threads, mode in configs:
        per = {k: [] for k in ["native", "accept4", "paccept-null", "paccept-mask", "paccept-unblock",
                               "p-native-accept4", "p-accept4", "p-native-accept", "p-inherit-accept",
                               "p-all-accept4"]}
        ratios = {k: [] for k in per}
        cpu = {k: [] for k in per}
        cpu_ratios = {k: [] for k in per}
        stalls = 0
        for r in range(rounds):
            # 3 rounds in each process, in random orders; medians per process
            lp = run([os.path.join(B, "accept_storm_linked"), str(threads), mode, str(ms), "3"] + linked_variants,
                     timeout=60)
            segs = jsonlines(lp.stdout)
            seg = {v: med([d["rate"] for d in segs if d["variant"] == v]) for v in linked_variants}
            scpu = {v: med([d["server_cpu_ns"] for d in segs if d["variant"] == v]) for v in linked_variants}
            for k, v in seg.items():
                per[k].append(v)
                cpu[k].append(scpu[k])
            for k in linked_variants[1:]:
                if seg["native"] <= 0 or seg[k] <= 0:
                    stalls += 1  # a segment with no connection at all: the machine stalled us
                    continue
                ratios[k].append(seg[k] / seg["native"])
                if scpu["native"] > 0:
                    cpu_ratios[k].append(scpu[k] / scpu["native"])
            plain = os.path.join(B, "accept_storm")
            procs = [
                ("p-native-accept4", [plain, str(threads), mode, str(ms), "1", "accept4"], None),
                ("p-accept4", [plain, str(threads), mode, str(ms), "1", "accept4"], preload),
                ("p-native-accept", [plain, str(threads), mode, str(ms), "1", "accept"], None),
                ("p-inherit-accept", [a.launcher, "--accept-inherit", "--", plain, str(threads), mode, str(ms), "1",
                                      "accept"], None),
                ("p-all-accept4", [a.launcher, "--nosigpipe", "--cloexec", "--accept-inherit", "--", plain,
                                   str(threads), mode, str(ms), "1", "accept4"], None),
            ]
            rng.shuffle(procs)  # no fixed order: a run can slow the one after it
            got, gcpu = {}, {}
            for key, cmd, env in procs:
                d = jsonlines(run(cmd, env=env, timeout=60).stdout)
                got[key] = d[0]["rate"]
                gcpu[key] = d[0]["server_cpu_ns"]
                per[key].append(got[key])
                cpu[key].append(gcpu[key])
            for key, base in [("p-accept4", "p-native-accept4"), ("p-inherit-accept", "p-native-accept"),
                              ("p-all-accept4", "p-native-accept4")]:
                if got[base] <= 0 or got[key] <= 0:
                    stalls += 1
                    continue
                ratios[key].append(got[key] / got[base])
                if gcpu[base] > 0:
                    cpu_ratios[key].append(gcpu[key] / gcpu[base])
        cfg = "%d thread%s, %s" % (threads, "s" if threads > 1 else "", "non-blocking" if mode == "nonblock" else
                                   "blocking")
        names = {
            "accept4": ("accept4, shim linked", "native", 0.99),
            "paccept-null": ("paccept NULL mask", "native", None),
            "paccept-mask": ("paccept with a mask (adds signals)", "native", 0.97),
            "paccept-unblock": ("paccept with a mask (unblocks one, pselect idiom)", "native", 0.97),
            "p-accept4": ("accept4, shim preloaded", "p-native-accept4", 0.99),
            "p-inherit-accept": ("accept, launcher --accept-inherit", "p-native-accept", None),
            "p-all-accept4": ("accept4, launcher with all three policies", "p-native-accept4", None),
        }
        for key, (label, base, target) in names.items():
            ratio = med(ratios[key])
            met = None if target is None or ratio is None else ratio >= target
            cr = med(cpu_ratios[key])
            note = "server CPU/conn %.1f vs %.1f us (x%.3f)" % (med(cpu[base]) / 1000, med(cpu[key]) / 1000, cr) \
                if cr else ""
            if stalls:
                note += "; %d pair(s) dropped: a segment accepted nothing (machine stall)" % stalls
            res.add("accept storm, conn/s (%s)" % cfg, label, med(per[base]), med(per[key]), "conn/s", ratio,
                    (">= %.2f" % target) if target else None, met, note)
        out[cfg] = {"rates": per, "ratios": ratios, "server_cpu_ns": cpu, "server_cpu_ratios": cpu_ratios}
    return out


# --------------------------------------------------------------------------------------
# 2. system calls per call


def count_syscalls(call, mode):
    with tempfile.NamedTemporaryFile(prefix="sockshim-strace-", delete=False) as f:
        path = f.name
    try:
        run(["strace", "-o", path, os.path.join(B, "paccept_once"), call, mode], timeout=30)
        calls, inside = [], 0
        with open(path) as f:
            for line in f:
                name = line.split("(", 1)[0].strip()
                if name == "getppid":
                    inside += 1
                    continue
                if inside == 1 and name and not line.startswith("+++") and not line.startswith("---"):
                    calls.append(name)
        return calls
    finally:
        os.unlink(path)


def bench_syscalls(res, a, smoke):
    if not shutil.which("strace"):
        return "skipped: strace not installed"
    out = {}
    base = {}
    for mode in ("pending", "wait"):
        base[mode] = len(count_syscalls("accept4-native", mode))
        for call, label, before in [("accept4", "accept4 (shim)", 1), ("paccept-null", "paccept NULL mask", 1),
                                    ("paccept-mask", "paccept, mask adds signals", 8),
                                    ("paccept-unblock", "paccept, mask unblocks one (pselect idiom)", 8)]:
            calls = count_syscalls(call, mode)
            out["%s/%s" % (call, mode)] = calls
            target = "<= 2" if mode == "pending" and call.startswith("paccept-") and call != "paccept-null" else None
            met = None if target is None else len(calls) <= 2
            res.add("system calls per call (%s)" % ("connection pending" if mode == "pending" else "must wait"),
                    label, base[mode], len(calls), "calls", len(calls) / base[mode], target, met,
                    "was %d; %s" % (before, " ".join(calls)))
    return out


# --------------------------------------------------------------------------------------
# 3. write paths


WRITE_ROWS = [
    # group, label, native (target, op), shim (target, op), iterations, target
    ("(a) /dev/null, no no-SIGPIPE socket", "write", ("null", "write"), ("null", "write"), 200000, "+<= 10 instr"),
    ("(a) /dev/null, no no-SIGPIPE socket", "writev", ("null", "writev"), ("null", "writev"), 200000, "+<= 10 instr"),
    ("(b) plain UDP socket", "write", ("sock", "write"), ("sock", "write"), 20000, "+<= 10 instr"),
    ("(b) plain UDP socket", "writev", ("sock", "writev"), ("sock", "writev"), 20000, "+<= 10 instr"),
    ("(b) plain UDP socket", "send", ("sock", "send"), ("sock", "send"), 20000, "+<= 10 instr"),
    ("(a') /dev/null, multi-threaded process", "write", ("null-mt", "write"), ("null-mt", "write"), 200000,
     "+<= 10 instr"),
    ("(b') plain UDP socket, multi-threaded process", "send", ("sock-mt", "send"), ("sock-mt", "send"), 20000,
     "+<= 10 instr"),
    ("(c) no-SIGPIPE socket vs native MSG_NOSIGNAL", "write vs send(MSG_NOSIGNAL)", ("sock", "send-nosignal"),
     ("nsp", "write"), 20000, "<= 1.05x"),
    ("(c) no-SIGPIPE socket vs native MSG_NOSIGNAL", "writev vs sendmsg(MSG_NOSIGNAL)", ("sock", "sendmsg-nosignal"),
     ("nsp", "writev"), 20000, "<= 1.05x"),
    ("(c) no-SIGPIPE socket vs native MSG_NOSIGNAL", "send vs send(MSG_NOSIGNAL)", ("sock", "send-nosignal"),
     ("nsp", "send"), 20000, "<= 1.05x"),
]


def wp_args(target, op, iters, reps):
    """writepath's command line; a target ending in -mt runs in a multi-threaded process."""
    mt = target.endswith("-mt")
    return [os.path.join(B, "writepath"), target[:-3] if mt else target, op, str(iters), str(reps)] + (
        ["mt"] if mt else [])


def callgrind_instr(target, op, iters, env):
    with tempfile.TemporaryDirectory(prefix="sockshim-cg-") as d:
        out = os.path.join(d, "cg.out")
        run(["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=run_loop",
             "--callgrind-out-file=" + out] + wp_args(target, op, iters, 1),
            env=env, timeout=300)
        with open(out) as f:
            for line in f:
                if line.startswith("totals:") or line.startswith("summary:"):
                    return int(line.split()[1]) / iters
    return None


def bench_write(res, a, smoke):
    rounds = 1 if smoke else a.write_rounds
    preload = {"LD_PRELOAD": a.lib}
    out = {}
    rows = WRITE_ROWS[::3] if smoke else WRITE_ROWS
    have_valgrind = shutil.which("valgrind") is not None
    for group, label, nat, shim, iters, target in rows:
        if smoke:
            iters = max(1000, iters // 20)
        ns_n, ns_s, ratios = [], [], []
        for r in range(rounds):
            order = [(nat, None), (shim, preload)]
            if r % 2:
                order.reverse()
            got = []
            for (t, op), env in order:
                d = jsonlines(run(wp_args(t, op, iters, 9), env=env).stdout)[0]
                if d["failed_calls"]:
                    raise RuntimeError("writepath %s %s: %d calls failed" % (t, op, d["failed_calls"]))
                # the fastest of 9 repetitions: interference from other load only adds time
                got.append(d["min"])
            if r % 2:
                got.reverse()
            ns_n.append(got[0])
            ns_s.append(got[1])
            ratios.append(got[1] / got[0])
        cg_iters = 2000 if smoke else 20000
        ins_n = callgrind_instr(nat[0], nat[1], cg_iters, None) if have_valgrind else None
        ins_s = callgrind_instr(shim[0], shim[1], cg_iters, preload) if have_valgrind else None
        extra = None if ins_n is None or ins_s is None else ins_s - ins_n
        ratio = med(ratios)
        if target.startswith("+"):
            met = None if extra is None else extra <= 10
        else:
            met = None if ratio is None else ratio <= 1.05
        res.add("write paths, ns/call (fastest of 9 runs; median of paired rounds): " + group, label, med(ns_n), med(ns_s), "ns", ratio, target, met,
                "instructions/call: native %.1f, shim %.1f, extra %+.1f" % (ins_n, ins_s, extra)
                if extra is not None else "callgrind not available")
        out["%s/%s" % (group, label)] = dict(ns_native=ns_n, ns_shim=ns_s, ratios=ratios, instr_native=ins_n,
                                             instr_shim=ins_s, instr_extra=extra)
    return out


def callgrind_calls(argv, env, fns):
    """Instructions under callgrind inside run_storm: the total and, for each name in fns,
    the inclusive cost of the function of that name the program called (glibc's natively,
    the shim's when preloaded)."""
    with tempfile.TemporaryDirectory(prefix="sockshim-cg-") as d:
        out = os.path.join(d, "cg.out")
        run(["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=run_storm",
             "--callgrind-out-file=" + out] + argv, env=env, timeout=300)
        ann = run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out]).stdout
    total, per = None, {}
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)$", line)
        if not m:
            continue
        n, what = int(m.group(1).replace(",", "")), m.group(2)
        if what.startswith("PROGRAM TOTALS"):
            total = n
        for f in fns:
            # "file:function [object]": the exported function itself, not its callees
            if re.search(r":%s(?: \[|$)" % f, what) and f not in per:
                per[f] = n
    return total, per


def bench_accept_path(res, a, smoke):
    """User-space instructions per connection of the accept path (issue 15), and per call."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        return "skipped: valgrind not installed"
    n = 500 if smoke else 2000
    # per connection: 1 socket, 1 accept4, 2 close (connect is glibc's in both)
    calls = {"socket": 1, "accept4": 1, "close": 2}
    out = {}
    for mode, extra in (("single-threaded", ["st"]), ("multi-threaded", ["mt"])):
        argv = [os.path.join(B, "accept_path"), str(n)] + extra
        nat_total, nat = callgrind_calls(argv, None, calls)
        shim_total, shim = callgrind_calls(argv, {"LD_PRELOAD": a.lib}, calls)
        g = "accept path, user-space instructions (callgrind), " + mode
        per_n, per_s = nat_total / n, shim_total / n
        res.add(g, "per connection (socket, connect, accept4, 2 close)", per_n, per_s, "instr", None,
                "+<= 100", per_s - per_n <= 100, "extra %+.1f" % (per_s - per_n))
        for f, k in calls.items():
            cn, cs = nat.get(f, 0) / (n * k), shim.get(f, 0) / (n * k)
            res.add(g, "%s, per call" % f, cn, cs, "instr", None, "+<= 25", cs - cn <= 25, "extra %+.1f" % (cs - cn))
        # dup and dup2 (each round: one of each and their two closes, on the listener)
        argv_d = argv + ["dup"]
        _, nat_d = callgrind_calls(argv_d, None, {"dup": 1, "dup2": 1})
        _, shim_d = callgrind_calls(argv_d, {"LD_PRELOAD": a.lib}, {"dup": 1, "dup2": 1})
        for f in ("dup", "dup2"):
            cn, cs = nat_d.get(f, 0) / n, shim_d.get(f, 0) / n
            res.add(g, "%s, per call" % f, cn, cs, "instr", None, "+<= 25", cs - cn <= 25, "extra %+.1f" % (cs - cn))
        out[mode] = dict(native_total=nat_total, shim_total=shim_total, native=nat, shim=shim, connections=n,
                         dup_native=nat_d, dup_shim=shim_d)
    return out


# --------------------------------------------------------------------------------------
# 4. nginx + wrk

NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx-{name}.pid;
error_log {dir}/error-{name}.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body-{name};
    proxy_temp_path {dir}/proxy-{name};
    fastcgi_temp_path {dir}/fastcgi-{name};
    uwsgi_temp_path {dir}/uwsgi-{name};
    scgi_temp_path {dir}/scgi-{name};
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {dir}/www;
        location / {{ }}
    }}
}}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, deadline):
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(p):
    """Stops one process this script started, by its PID."""
    if p.poll() is not None:
        return
    try:
        os.kill(p.pid, signal.SIGQUIT)
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=5)
    except ProcessLookupError:
        pass


def cpu_ticks(pid):
    """utime + stime of one process, in clock ticks (/proc/PID/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


# nginx on one CPU and wrk on the other, the same for every instance: otherwise the
# scheduler's placement of each long-lived nginx (sharing wrk's CPU or not) differs by
# instance and changes its throughput far more than the shim does.
CPUS = sorted(os.sched_getaffinity(0))
NGINX_CPU, WRK_CPU = (CPUS[1], CPUS[0]) if len(CPUS) >= 2 else (None, None)


def wrk(port, secs, close, conns):
    cmd = ["wrk", "-t1", "-c%d" % conns, "-d%ds" % secs, "--timeout", "5s"]
    if close:
        cmd += ["-H", "Connection: close"]
    p = run(cmd + ["http://127.0.0.1:%d/index.html" % port], timeout=secs + 30, cpu=WRK_CPU)
    m = re.search(r"Requests/sec:\s*([0-9.]+)", p.stdout)
    total = re.search(r"(\d+) requests in", p.stdout)
    errs = re.search(r"Socket errors: (.*)", p.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    if not m:
        raise RuntimeError("wrk printed no rate: " + p.stdout[-300:])
    if non2xx:
        raise RuntimeError("wrk: %s non-2xx responses" % non2xx.group(1))
    return float(m.group(1)), (errs.group(1) if errs else ""), int(total.group(1)) if total else 0


def bench_nginx(res, a, smoke):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not nginx or not shutil.which("wrk"):
        return "skipped: nginx or wrk not installed"
    rounds = 1 if smoke else a.nginx_rounds
    secs = 1 if smoke else a.nginx_secs
    d = tempfile.mkdtemp(prefix="sockshim-nginx-")
    rng = random.Random(7)
    procs = []
    out = {}
    try:
        os.makedirs(os.path.join(d, "www"))
        with open(os.path.join(d, "www", "index.html"), "w") as f:
            f.write("<html><body>" + "sockshim benchmark page. " * 24 + "</body></html>\n")
        servers = {}
        for name, prefix in [("native", []), ("preload", ["env", "LD_PRELOAD=" + a.lib]),
                             ("shim", [a.launcher, "--nosigpipe", "--cloexec", "--accept-inherit", "--"])]:
            port = free_port()
            conf = os.path.join(d, "nginx-%s.conf" % name)
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(dir=d, name=name, port=port))
            env = dict(os.environ)
            env.pop("LD_PRELOAD", None)
            p = subprocess.Popen(prefix + [nginx, "-p", d, "-c", conf, "-e", os.path.join(d, "error-%s.log" % name)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 preexec_fn=pin(NGINX_CPU))
            procs.append(p)
            servers[name] = port
        for name, port in servers.items():
            if not wait_port(port, time.monotonic() + 10):
                raise RuntimeError("nginx (%s) did not start" % name)
        # the shim really is in the shim server, and not in the native one
        maps = {}
        for p, name in zip(procs, servers):
            with open("/proc/%d/maps" % p.pid) as f:
                maps[name] = "libsockshim" in f.read()
        if maps["native"] or not maps["shim"] or not maps["preload"]:
            raise RuntimeError("libsockshim mapped: %s" % maps)
        for close, label in [(False, "keep-alive"), (True, "Connection: close")]:
            rates = {name: [] for name in servers}
            cpu = {name: [] for name in servers}
            ratios = {"preload": [], "shim": []}
            cpu_ratios = {"preload": [], "shim": []}
            errors = set()
            pids = {name: p.pid for p, name in zip(procs, servers)}
            for r in range(rounds):
                order = list(servers)
                rng.shuffle(order)
                got, gcpu = {}, {}
                for name in order:
                    t0 = cpu_ticks(pids[name])
                    got[name], e, n = wrk(servers[name], secs, close, 32 if not close else 16)
                    # nginx's own CPU time per request (microseconds; 10 ms ticks)
                    gcpu[name] = (cpu_ticks(pids[name]) - t0) * 1e6 / os.sysconf("SC_CLK_TCK") / max(n, 1)
                    if e:
                        errors.add("%s: %s" % (name, e))
                    rates[name].append(got[name])
                    cpu[name].append(gcpu[name])
                for v in ("preload", "shim"):
                    ratios[v].append(got[v] / got["native"])
                    if gcpu["native"] > 0:
                        cpu_ratios[v].append(gcpu[v] / gcpu["native"])
            for v, how in [("preload", "preloaded, no policy"),
                           ("shim", "launcher --nosigpipe --cloexec --accept-inherit")]:
                ratio = med(ratios[v])
                res.add("nginx 1.22 + wrk on 127.0.0.1, requests/s", "%s, %s" % (label, how), med(rates["native"]),
                        med(rates[v]), "req/s", ratio, ">= 0.99", ratio >= 0.99,
                        "nginx CPU/request %.1f vs %.1f us (x%.3f)" % (med(cpu["native"]), med(cpu[v]),
                                                                      med(cpu_ratios[v]) or 0) + (
                            "; wrk socket errors: " + "; ".join(sorted(errors)) if errors else ""))
            out[label] = dict(rates=rates, ratios=ratios, cpu_us_per_request=cpu, cpu_ratios=cpu_ratios)
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(d, ignore_errors=True)
    return out


# --------------------------------------------------------------------------------------
# 5. scale


def bench_scale(res, a, smoke):
    n = 500 if smoke else 10000
    rounds = 3 if smoke else 9
    raw = jsonlines(run([os.path.join(B, "scale"), "raw-dup", str(rounds), str(n)], timeout=120).stdout)[0]
    shim = jsonlines(run([os.path.join(B, "scale"), "shim-dup", str(rounds), str(n)], timeout=300).stdout)[0]
    table = jsonlines(run([os.path.join(B, "unit-tests"), "--ignored", "--exact", "table_scale::table_scale",
                          "--nocapture"]).stdout)[0]
    g = "scale: descriptor-table memory"
    res.add(g, "before any no-SIGPIPE socket (%d sockets spread to fd %d, shim unaware of the dups)" %
            (raw["sockets"], raw["max_fd"]), None, raw["anon_kib_spread"] * 1024, "bytes", None, "0", raw[
                "anon_kib_spread"] == 0, "RSS (anonymous) delta; RLIMIT_NOFILE %d" % raw["nofile"])
    res.add(g, "before any no-SIGPIPE socket, spread with the shim's dup2", None, shim["anon_kib_spread"] * 1024,
            "bytes", None, "0", shim["anon_kib_spread"] == 0,
            "dups before the first F_SETNOSIGPIPE only raise a high-water mark")
    res.add(g, "%d no-SIGPIPE sockets, measured (fds up to %d)" % (raw["sockets"], raw["max_fd"]), None,
            raw["anon_kib_nosigpipe"] * 1024, "bytes", None, "<= 256 KiB", raw["anon_kib_nosigpipe"] <= 256,
            "RLIMIT_NOFILE %d (2^20 needs CAP_SYS_RESOURCE here)" % raw["nofile"] if raw["nofile"] < (1 << 20)
            else "RLIMIT_NOFILE 2^20")
    res.add(g, "same, spread with the shim's dup2, measured (fds up to %d)" % shim["max_fd"], None,
            shim["anon_kib_nosigpipe"] * 1024, "bytes", None, "<= 256 KiB", shim["anon_kib_nosigpipe"] <= 256,
            "no-SIGPIPE table and alias bookkeeping together")
    res.add(g, "10,000 numbers spread over 0..2^20, no-SIGPIPE table (library's mapped_bytes)", None,
            table["nosigpipe_bytes"], "bytes", None, "<= 256 KiB", table["nosigpipe_bytes"] <= 256 * 1024,
            "max fd %d" % table["max_fd"])
    tot = table["nosigpipe_bytes"] + table["aliased_bytes"]
    res.add(g, "same, spread with the shim's dup2 first", None, tot, "bytes", None, "<= 256 KiB",
            tot <= 256 * 1024, "no-SIGPIPE %d + alias table %d" % (table["nosigpipe_bytes"], table["aliased_bytes"]))
    late = table["nosigpipe_bytes"] + table["aliased_bytes_after_first_set"]
    res.add(g, "same, spread with dup2 after the process's first F_SETNOSIGPIPE", None, late, "bytes",
            note="the alias table is kept from then on: no-SIGPIPE %d + alias bitmap and identities %d" %
            (table["nosigpipe_bytes"], table["aliased_bytes_after_first_set"]))
    g2 = "scale: dup+close pair, ns"
    res.add(g2, "plain socket", raw["churn_ns_native_plain"], raw["churn_ns_shim_plain"], "ns")
    res.add(g2, "no-SIGPIPE socket", raw["churn_ns_native_nosigpipe"], raw["churn_ns_shim_nosigpipe"], "ns")
    g3 = "scale: F_SETNOSIGPIPE, us per call"
    res.add(g3, "%d descriptors dup'd behind the shim's back (raw dup2)" % raw["sockets"], None,
            raw["setnosigpipe_us"], "us")
    res.add(g3, "%d descriptors made with the shim's dup2" % shim["sockets"], None, shim["setnosigpipe_us"], "us",
            note="the first call scans the numbers the dups used (ppoll, one fstat per socket)")
    return {"raw-dup": raw, "shim-dup": shim, "table": table}


# --------------------------------------------------------------------------------------
# output


def fmt(v, unit):
    if v is None:
        return "-"
    if unit in ("bytes",):
        return "%d" % v if v < 1024 else "%.0f KiB" % (v / 1024)
    if unit == "calls":
        return "%d" % v
    if v >= 1000:
        return "%.0f" % v
    return "%.1f" % v if v >= 10 else "%.2f" % v


def table_md(res):
    lines = []
    group = None
    for r in res.rows:
        if r["group"] != group:
            group = r["group"]
            lines += ["", "**%s**" % group, "", "| | native | shim | shim/native | target | met | notes |",
                      "|---|---:|---:|---:|---|---|---|"]
        ratio = "-" if r["ratio"] is None else "%.3f" % r["ratio"]
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (r["name"], fmt(r["native"], r["unit"]),
                                                               fmt(r["shim"], r["unit"]), ratio, r["target"] or "",
                                                               met, r["note"]))
    return "\n".join(lines) + "\n"


def table_text(res):
    lines = []
    group = None
    for r in res.rows:
        if r["group"] != group:
            group = r["group"]
            lines += ["", group]
        ratio = "-" if r["ratio"] is None else "%.3f" % r["ratio"]
        met = {True: "met", False: "MISSED", None: ""}[r["met"]]
        lines.append("  %-58s %12s %12s %7s  %-12s %-6s %s" % (r["name"][:58], fmt(r["native"], r["unit"]),
                                                              fmt(r["shim"], r["unit"]), ratio, r["target"] or "",
                                                              met, r["note"]))
    return "\n".join(lines)


def svg(res, path):
    rows = [r for r in res.rows if r["ratio"] is not None and r["unit"] in ("conn/s", "req/s", "ns")]
    w, bar_h, left, top = 900, 16, 470, 40
    h = top + len(rows) * (bar_h + 4) + 40
    lo, hi = 0.5, 1.5
    x = lambda v: left + (min(max(v, lo), hi) - lo) / (hi - lo) * (w - left - 20)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">'
           % (w, h), '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="14">sockshim / native (1.0 = same; throughput: higher is better; '
           'ns: lower is better)</text>']
    for v in (0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5):
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>' % (
            x(v), top - 5, x(v), h - 30, "#000" if v == 1.0 else "#ddd"))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%.2f</text>' % (x(v), h - 15, v))
    for i, r in enumerate(rows):
        y = top + i * (bar_h + 4)
        good = r["ratio"] >= 0.97 if r["unit"] != "ns" else r["ratio"] <= 1.05
        color = "#4a90d9" if good else "#d9534f"
        label = "%s: %s" % (r["group"].split(",")[0].replace("write paths", "write").replace(
            "accept storm", "accept"), r["name"])
        m = re.search(r"\(([^)]*)\)", r["group"])
        if m and r["unit"] == "conn/s":
            label = "accept (%s): %s" % (m.group(1), r["name"])
        wm = re.search(r": \(([a-z])('?)\)", r["group"])
        if r["group"].startswith("write") and wm:
            what = {"a": "/dev/null", "b": "UDP socket", "c": "no-SIGPIPE"}.get(wm.group(1), "")
            label = "write (%s%s) %s%s: %s" % (wm.group(1), wm.group(2), what, ", threads" if wm.group(2) else "",
                                             r["name"])
        if r["group"].startswith("nginx"):
            label = "nginx: " + r["name"]
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (
            left - 6, y + bar_h - 4, label[:80].replace("&", "&amp;").replace("<", "&lt;")))
        x0, x1 = x(1.0), x(r["ratio"])
        out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>' % (
            min(x0, x1), y, max(abs(x1 - x0), 1), bar_h, color))
        out.append('<text x="%.1f" y="%d">%.3f</text>' % (max(x0, x1) + 4, y + bar_h - 4, r["ratio"]))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu = m.group(1) if m else ""
    except OSError:
        pass
    return dict(kernel=platform.release(), machine=platform.machine(), cpus=os.cpu_count(), cpu=cpu,
                libc=" ".join(platform.libc_ver()), loadavg=os.getloadavg()[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--lib", required=True)
    ap.add_argument("--launcher", required=True)
    ap.add_argument("--only", default="accept,accept-path,syscalls,write,nginx,scale")
    ap.add_argument("--accept-rounds", type=int, default=15)
    ap.add_argument("--accept-ms", type=int, default=80)
    ap.add_argument("--write-rounds", type=int, default=9)
    ap.add_argument("--nginx-rounds", type=int, default=8)
    ap.add_argument("--nginx-secs", type=int, default=2)
    a = ap.parse_args()
    a.lib = os.path.abspath(a.lib)
    a.launcher = os.path.abspath(a.launcher)
    res = Results()
    raw = {"machine": machine(), "smoke": a.smoke}
    passed = failed = skipped = 0
    t_start = time.monotonic()
    benches = [("accept", bench_accept), ("accept-path", bench_accept_path), ("syscalls", bench_syscalls),
               ("write", bench_write),
               ("nginx", bench_nginx), ("scale", bench_scale)]
    for name, fn in benches:
        if name not in a.only.split(","):
            continue
        t0 = time.monotonic()
        n_rows = len(res.rows)
        try:
            r = fn(res, a, a.smoke)
            if isinstance(r, str) and r.startswith("skipped"):
                skipped += 1
                print("skip    %s (%s)" % (name, r), flush=True)
                raw[name] = r
                continue
            new = res.rows[n_rows:]
            bad = [x for x in new if x["shim"] is None or (x["unit"] != "bytes" and not x["shim"] > 0)]
            if not new or bad:
                raise RuntimeError("insane figures: %s" % bad[:2])
            raw[name] = r
            passed += 1
            print("ok      %s (%.0f s)" % (name, time.monotonic() - t0), flush=True)
        except Exception as e:  # one benchmark failing does not stop the others
            failed += 1
            raw[name] = "failed: %s" % e
            print("FAILED  %s: %s" % (name, e), flush=True)
    raw["rows"] = res.rows
    raw["seconds"] = time.monotonic() - t_start
    os.makedirs(B, exist_ok=True)
    suffix = "-smoke" if a.smoke else ""
    with open(os.path.join(B, "results%s.json" % suffix), "w") as f:
        json.dump(raw, f, indent=1)
    with open(os.path.join(B, "results%s.md" % suffix), "w") as f:
        m = raw["machine"]
        f.write("Machine: Linux %s %s, %d CPUs (%s), %s; load average at start %.2f; %.0f s\n" % (
            m["kernel"], m["machine"], m["cpus"], m["cpu"], m["libc"], m["loadavg"], raw["seconds"]))
        f.write(table_md(res))
    svg(res, os.path.join(B, "ratios%s.svg" % suffix))
    print(table_text(res))
    print("\nresults: %s, %s, %s (%.0f s)" % (os.path.join(B, "results%s.json" % suffix),
                                             os.path.join(B, "results%s.md" % suffix),
                                             os.path.join(B, "ratios%s.svg" % suffix), raw["seconds"]))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
