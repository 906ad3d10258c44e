#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench.py - the host half of bench/run.sh, and its report.

  bench.py host OUTDIR      host measurements (this kernel's fallback mode:
                            ioctl tracepoints), results in OUTDIR
  bench.py report HOSTDIR GUESTDIR [--md FILE]
                            the table (stdout) and docs/bench.md

Paths of the tools come from the environment: PFNMAP (build/pfnmap),
LOOP (build/bench/ioctl_loop), FLOOR (build/bench/floor), BPFTRACE
(bpftrace).  Knobs: BENCH_OPS (200000), BENCH_REPS (7), BENCH_HOST_NR_OPS
(1000000: FIONREAD loops), BENCH_TP_RECORDS (5000000: the throughput run).

Every result is one JSON line {"bench", "variant", "rep", "rc", "loop"}
(loop: bench/ioctl_loop's own line), the same on the host and in the guest.
Variants: a none, b floor (empty programs), bs floor + BPF_ENABLE_STATS,
c pfnmap record, e pfnmap stat, d bpftrace.
"""
import datetime
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PFNMAP = os.environ.get("PFNMAP", os.path.join(ROOT, "build/pfnmap"))
LOOP = os.environ.get("LOOP", os.path.join(ROOT, "build/bench/ioctl_loop"))
FLOOR = os.environ.get("FLOOR", os.path.join(ROOT, "build/bench/floor"))
BPFTRACE = os.environ.get("BPFTRACE", "bpftrace")
TASKSET = "/usr/bin/taskset"
OPS = int(os.environ.get("BENCH_OPS", "200000"))
REPS = int(os.environ.get("BENCH_REPS", "7"))
NR_OPS = int(os.environ.get("BENCH_HOST_NR_OPS", "1000000"))
TP_RECORDS = int(os.environ.get("BENCH_TP_RECORDS", "5000000"))

VARIANT_NAMES = {
    "a": "none", "b": "floor", "bs": "floor+stats", "c": "pfnmap record",
    "e": "pfnmap stat", "d": "bpftrace",
}


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ---- host runs -------------------------------------------------------------

def loop_json(text):
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return None


FLOOR_TARGETS = []


def floor_targets(out):
    """The floor's options: an empty program wherever pfnmap has one."""
    p = subprocess.run([PFNMAP, "stat", "-o", "/dev/null", "--", FLOOR,
                        "--pfnmap-targets"], stdout=subprocess.PIPE, text=True)
    FLOOR_TARGETS[:] = p.stdout.split()
    with open(os.path.join(out, "floor-targets"), "w") as f:
        f.write(p.stdout)
    log(f"floor targets: {' '.join(FLOOR_TARGETS) or '(none!)'}")


def host_cmd(v, loop, out, tag, pin):
    """The command line of variant v around the loop command."""
    lp = ([TASKSET, "-c", "1"] if pin else []) + loop
    tool = [TASKSET, "-c", "0"] if pin else []
    if v == "a":
        return lp
    if v == "b":
        return tool + [FLOOR] + FLOOR_TARGETS + ["--"] + lp
    if v == "bs":
        return tool + [FLOOR] + FLOOR_TARGETS + ["--stats", "-o",
                       os.path.join(out, f"floor-{tag}.json"), "--"] + lp
    if v == "c":
        return tool + [PFNMAP, "record", "--self-cost", "-f", "-o",
                       os.path.join(out, "tmp.data"), "--"] + lp
    if v == "e":
        return tool + [PFNMAP, "stat", "--json", "-o",
                       os.path.join(out, f"stat-{tag}.json"), "--"] + lp
    if v == "d":
        return tool + [BPFTRACE, "-f", "json", "-o",
                       os.path.join(out, f"bt-{tag}.json"), "-c", " ".join(lp),
                       os.path.join(ROOT, "bench/uffd_ioctl.bt")]
    raise ValueError(v)


def series(out, res, bench, reps, variants, loop, pin=True):
    log(f"{bench}: {reps} reps of {{{' '.join(variants)}}}: {' '.join(loop)}")
    for rep in range(1, reps + 1):
        k = (rep - 1) % len(variants)
        for v in variants[k:] + variants[:k]:
            tag = f"{bench}-{v}-{rep}"
            p = subprocess.run(host_cmd(v, [LOOP] + loop, out, tag, pin),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
            if v == "c":
                with open(os.path.join(out, f"record-{tag}.txt"), "w") as f:
                    f.write(p.stderr)
            line = loop_json(p.stdout)
            res.write(json.dumps({"bench": bench, "variant": v, "rep": rep,
                                  "rc": p.returncode, "loop": line}) + "\n")
            res.flush()
            if p.returncode or line is None:
                log(f"{tag} failed (rc {p.returncode}): {p.stderr.strip()[-300:]}")


class HwmSampler(threading.Thread):
    """Polls VmHWM of a pid (kB) until stopped: the last value before the
    process exits is its peak RSS."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.hwm, self.stop = pid, 0, False

    def run(self):
        while not self.stop:
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.hwm = max(self.hwm, int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.1)


def smaps_top(pid, n=4):
    """The n mappings of pid with the most resident memory: [(kB, name)]."""
    out, name = [], None
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                parts = line.split()
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    name = parts[5] if len(parts) > 5 else "[anon]"
                elif parts and parts[0] == "Rss:":
                    out.append((int(parts[1]), name))
    except OSError:
        return []
    agg = {}
    for kb, nm in out:
        agg[nm] = agg.get(nm, 0) + kb
    return sorted(((kb, nm) for nm, kb in agg.items()), reverse=True)[:n]


def wait_for(path, text, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if text in open(path).read():
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def stop_and_reap(p, sampler):
    """SIGINT, then wait4: (exit status, rusage)."""
    p.send_signal(signal.SIGINT)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = status
    sampler.stop = True
    return status, ru


def parse_record_summary(text):
    out = {}
    m = re.search(r"([\d,]+) records in (\d+) chunks?, ([\d,]+) bytes", text)
    if m:
        out["records"] = int(m.group(1).replace(",", ""))
        out["bytes"] = int(m.group(3).replace(",", ""))
    m = re.search(r"([\d.]+) bytes per record on disk", text)
    if m:
        out["bytes_per_record"] = float(m.group(1))
    m = re.search(r"([\d,]+) records lost", text)
    if m:
        out["lost"] = int(m.group(1).replace(",", ""))
    m = re.search(r"BPF run time (\d+) ns per program run \(([\d,]+) runs, "
                  r"([\d.]+) ms in all\)(?:, (\d+) ns per record)?", text)
    if m:
        out["bpf_ns_per_run"] = int(m.group(1))
        out["bpf_runs"] = int(m.group(2).replace(",", ""))
        out["bpf_ms"] = float(m.group(3))
        if m.group(4):
            out["bpf_ns_per_record"] = int(m.group(4))
    return out


def throughput(out):
    """record fed by a tight UFFDIO_ZEROPAGE-onto-a-present-page loop (a real
    userfaultfd fill that fails fast with EEXIST: one record per syscall),
    then report over that capture, then top's memory."""
    r = {}
    cap = os.path.join(out, "throughput.data")
    err = os.path.join(out, "throughput-record.txt")
    log(f"record throughput: {TP_RECORDS} records from one producer thread")
    with open(err, "w") as ef:
        rec = subprocess.Popen([TASKSET, "-c", "0", PFNMAP, "record", "-f",
                                "-o", cap, "-c", "ioctl_loop"], stderr=ef)
    hw = HwmSampler(rec.pid)
    hw.start()
    if not wait_for(err, "recording to"):
        log("record did not start")
    p = subprocess.run([TASKSET, "-c", "1", LOOP, "zeropage-eexist", "-n",
                        str(TP_RECORDS)], stdout=subprocess.PIPE, text=True)
    prod = loop_json(p.stdout) or {}
    time.sleep(0.5)
    rec_smaps = smaps_top(rec.pid)
    _, ru = stop_and_reap(rec, hw)
    summ = parse_record_summary(open(err).read())
    cpu = ru.ru_utime + ru.ru_stime
    r["record"] = dict(summ, produced=TP_RECORDS, producer_ops_per_s=
                       prod.get("ops_per_s"), producer_wall_ns=prod.get("wall_ns"),
                       cpu_s=cpu, utime_s=ru.ru_utime, stime_s=ru.ru_stime,
                       maxrss_kb=ru.ru_maxrss, vmhwm_kb=hw.hwm, smaps=rec_smaps)
    if summ.get("records") and cpu > 0:
        r["record"]["records_per_cpu_s"] = summ["records"] / cpu
    if prod.get("wall_ns"):
        r["record"]["records_per_s"] = summ.get("records", 0) / (prod["wall_ns"] / 1e9)

    log("report throughput over that capture")
    best = None
    for _ in range(3):
        t0 = time.monotonic()
        rp = subprocess.Popen([PFNMAP, "report", "-i", cap],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(rp.pid, 0)
        wall = time.monotonic() - t0
        rp.returncode = status
        cur = {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime,
               "maxrss_kb": ru.ru_maxrss, "status": status}
        if best is None or wall < best["wall_s"]:
            best = cur
    if summ.get("records"):
        best["records_per_s"] = summ["records"] / best["wall_s"]
        best["records_per_cpu_s"] = summ["records"] / max(best["cpu_s"], 1e-9)
    r["report"] = best

    log("top memory: one busy producer and 200 short-lived processes")
    tout = os.path.join(out, "top-batch.txt")
    with open(tout, "w") as of:
        top = subprocess.Popen([TASKSET, "-c", "0", PFNMAP, "top", "-b", "-d",
                                "0.5"], stdout=of, stderr=subprocess.STDOUT)
    hw = HwmSampler(top.pid)
    hw.start()
    wait_for(tout, "PID", 30)
    subprocess.run([TASKSET, "-c", "1", LOOP, "zeropage-eexist", "-n",
                    str(TP_RECORDS // 2)], stdout=subprocess.DEVNULL)
    for _ in range(200):
        subprocess.run([TASKSET, "-c", "1", LOOP, "uffd-copy", "-n", "200",
                        "-w", "64"], stdout=subprocess.DEVNULL)
    time.sleep(1.2)
    top_smaps = smaps_top(top.pid)
    _, ru = stop_and_reap(top, hw)
    r["top"] = {"maxrss_kb": ru.ru_maxrss, "vmhwm_kb": hw.hwm,
                "cpu_s": ru.ru_utime + ru.ru_stime, "smaps": top_smaps}
    return r


def host(out):
    os.makedirs(out, exist_ok=True)
    info = {"kernel": os.uname().release, "date":
            datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "load_start": open("/proc/loadavg").read().split()[:3],
            "nproc": os.cpu_count()}
    info["version"] = subprocess.run(
        ["git", "-C", ROOT, "describe", "--always", "--dirty"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.strip()
    info["bpf_sha256"] = subprocess.run(
        "cat bpf/*.h bpf/*.bpf.c | sha256sum", shell=True, cwd=ROOT,
        stdout=subprocess.PIPE, text=True).stdout.split()[0][:12]
    p = subprocess.run([PFNMAP, "probe", "--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    with open(os.path.join(out, "probe.json"), "w") as f:
        f.write(p.stdout)
    floor_targets(out)
    with open(os.path.join(out, "results.jsonl"), "w") as res:
        all6 = ["a", "b", "bs", "c", "e", "d"]
        series(out, res, "host-uffd-copy", REPS, all6,
               ["uffd-copy", "-n", str(OPS)])
        series(out, res, "host-fionread", REPS, all6,
               ["fionread", "-n", str(NR_OPS)])
        series(out, res, "host-zeropage-eexist", 3, ["a", "c"],
               ["zeropage-eexist", "-n", str(NR_OPS)])
        series(out, res, "host-uffd-copy-t2", 3, ["a", "c"],
               ["uffd-copy", "-n", str(OPS // 2), "-t", "2"], pin=False)
    info["throughput"] = throughput(out)
    info["load_end"] = open("/proc/loadavg").read().split()[:3]
    with open(os.path.join(out, "info.json"), "w") as f:
        json.dump(info, f, indent=1)
    try:
        os.unlink(os.path.join(out, "tmp.data"))
    except OSError:
        pass


# ---- report ----------------------------------------------------------------

def load_results(path):
    out = []
    try:
        for line in open(path):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    except OSError:
        pass
    return out


def metric(loop, bench, where):
    """ns per operation: thread CPU time on the (shared, busy) host; wall
    time in the guest (a TCG guest's CPU time is host wall time anyway),
    and for MAP_DMA the map call alone (pfnmap adds nothing to UNMAP)."""
    if not loop:
        return None
    if bench.startswith("map-dma"):
        return loop.get("map_ns_per_op")
    if where == "host":
        return loop.get("cpu_ns_per_op")
    return loop.get("ns_per_op")


class Series:
    def __init__(self, bench, rows, where):
        self.bench, self.where = bench, where
        self.by = {}            # variant -> {rep: ns}
        self.loops = {}
        self.failed = []
        for r in rows:
            x = metric(r.get("loop"), bench, where)
            if r.get("rc") or x is None:
                self.failed.append(r)
                continue
            self.by.setdefault(r["variant"], {})[r["rep"]] = x
            self.loops.setdefault(r["variant"], []).append(r["loop"])
        lp = next(iter(self.loops.get("a", [])), {})
        self.ops, self.threads = lp.get("ops"), lp.get("threads", 1)

    def variants(self):
        order = ["a", "b", "bs", "c", "e", "d"]
        return [v for v in order if v in self.by]

    def med(self, v):
        xs = list(self.by.get(v, {}).values())
        return statistics.median(xs) if xs else None

    def rng(self, v):
        xs = list(self.by.get(v, {}).values())
        return (min(xs), max(xs)) if xs else (None, None)

    def reps(self, v="a"):
        return len(self.by.get(v, {}))

    def diffs(self, v, base="a"):
        """Per repetition: v - base (paired: the two ran back to back)."""
        a, x = self.by.get(base, {}), self.by.get(v, {})
        return [x[r] - a[r] for r in sorted(set(a) & set(x))]

    def dmed(self, v, base="a"):
        d = self.diffs(v, base)
        return statistics.median(d) if d else None

    def measurable(self, v):
        """Above noise: the paired difference has the same sign in every
        repetition (a sign test: p = 2/2^n, 0.016 for 7)."""
        d = self.diffs(v)
        return len(d) >= 5 and (all(x > 0 for x in d) or all(x < 0 for x in d))


def fmt_ns(x):
    if x is None:
        return "-"
    if abs(x) >= 100000:
        return f"{x / 1000:.0f}k"
    if abs(x) >= 10000:
        return f"{x / 1000:.1f}k"
    return f"{x:.0f}"


def fmt_range(s, v):
    lo, hi = s.rng(v)
    if lo is None:
        return "-"
    return f"{fmt_ns(s.med(v))} [{fmt_ns(lo)}-{fmt_ns(hi)}]"


def ratio(n, d):
    if n is None or d is None or d == 0:
        return None
    return n / d


def fmt_pct(x):
    return "-" if x is None else f"{100 * x:.1f}%"


def fmt_x(x):
    return "-" if x is None else f"{x:.2f}x"


def bpf_per_record(dirs, bench):
    """pfnmap's own BPF run time per record, median over the c runs."""
    vals = []
    for d in dirs:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for n in names:
            if n.startswith(f"record-{bench}-c-") and n.endswith(".txt"):
                s = parse_record_summary(open(os.path.join(d, n)).read())
                if "bpf_ns_per_record" in s:
                    vals.append((s["bpf_ns_per_record"], s["bpf_ns_per_run"],
                                 s.get("lost", 0)))
    if not vals:
        return None
    return {"ns_per_record": statistics.median(v[0] for v in vals),
            "ns_per_run": statistics.median(v[1] for v in vals),
            "lost": max(v[2] for v in vals), "n": len(vals)}


def prog_breakdown(d, bench, ops):
    """Per BPF program of pfnmap (and any other): runs per op, ns per run,
    from `floor --list` run inside a record session (progs-BENCH.txt)."""
    rows = []
    try:
        lines = open(os.path.join(d, f"progs-{bench}.txt")).read().splitlines()
    except OSError:
        return rows
    for line in lines:
        try:
            p = json.loads(line)
        except ValueError:
            continue
        if p["run_cnt"]:
            rows.append((p["name"], p["run_cnt"] / ops,
                         p["run_time_ns"] / p["run_cnt"]))
    return sorted(rows, key=lambda r: -r[1] * r[2])


class Report:
    def __init__(self, hostdir, guestdir):
        self.hostdir, self.guestdir = hostdir, guestdir
        self.host = self.group(load_results(os.path.join(hostdir, "results.jsonl")), "host")
        self.guest = self.group(load_results(os.path.join(guestdir, "results.jsonl")), "guest")
        try:
            self.info = json.load(open(os.path.join(hostdir, "info.json")))
        except (OSError, ValueError):
            self.info = {}
        self.tp = self.info.get("throughput", {})
        self.targets = []
        self.lines = []

    @staticmethod
    def group(rows, where):
        by = {}
        for r in rows:
            by.setdefault(r["bench"], []).append(r)
        return {b: Series(b, rs, where) for b, rs in by.items()}

    def out(self, s=""):
        self.lines.append(s)

    def target(self, name, value, ok, why=""):
        if ok is None:
            verdict = "n/a"
        else:
            verdict = "PASS" if ok else "MISS"
        self.targets.append((name, value, verdict, why))

    # -- tables --
    def cost_table(self, series, title, note):
        self.out(f"### {title}")
        self.out()
        self.out(note)
        self.out()
        cols = ["bench", "ops x reps", "a none", "b floor", "c record", "d bpftrace",
                "c-a", "b-a", "d-a", "(c-a)/a", "(c-a)/(b-a)", "(c-a)/(d-a)",
                "BPF ns/rec"]
        self.out("| " + " | ".join(cols) + " |")
        self.out("|" + "---|" * len(cols))
        for name, s in series:
            bpf = bpf_per_record([self.hostdir, self.guestdir], name)
            ca, ba, da = s.dmed("c"), s.dmed("b"), s.dmed("d")
            floor = fmt_ns(ba) + ("" if s.measurable("b") else " (noise)")
            row = [name, f"{s.ops}{'x' + str(s.threads) + 't' if s.threads > 1 else ''} x {s.reps()}",
                   fmt_range(s, "a"), fmt_range(s, "b"), fmt_range(s, "c"),
                   fmt_range(s, "d"), fmt_ns(ca), floor, fmt_ns(da),
                   fmt_pct(ratio(ca, s.med("a"))),
                   fmt_x(ratio(ca, ba)) if s.measurable("b") else "-",
                   fmt_x(ratio(ca, da)),
                   "-" if not bpf else fmt_ns(bpf["ns_per_record"])]
            self.out("| " + " | ".join(row) + " |")
        self.out()

    def extra_table(self, s, title):
        if s is None:
            return
        self.out(f"### {title}")
        self.out()
        self.out("| variant | ns/op median [min-max] | minus a (paired median) |")
        self.out("|---|---|---|")
        for v in s.variants():
            self.out(f"| {v} {VARIANT_NAMES[v]} | {fmt_range(s, v)} | "
                     f"{'-' if v == 'a' else fmt_ns(s.dmed(v))} |")
        self.out()

    def progs_table(self, bench, ops):
        rows = prog_breakdown(self.guestdir, bench, ops)
        if not rows:
            return
        self.out(f"Where pfnmap's BPF time goes in `{bench}` (one record "
                 f"session of {ops} ops, BPF_ENABLE_STATS on):")
        self.out()
        self.out("| program | runs per op | ns per run | ns per op |")
        self.out("|---|---|---|---|")
        for n, per, ns in rows[:10]:
            self.out(f"| {n} | {per:.2f} | {ns:.0f} | {per * ns:.0f} |")
        self.out()

    def in_kernel_targets(self, where, series, limits):
        for name, s in series:
            a, ca, ba, da = s.med("a"), s.dmed("c"), s.dmed("b"), s.dmed("d")
            if a is None or ca is None:
                continue
            lim = limits.get(name)
            bpf = bpf_per_record([self.hostdir, self.guestdir], name)
            bpfs = f"; pfnmap's BPF programs {fmt_ns(bpf['ns_per_record'])} ns per record" if bpf else ""
            if lim is not None:
                rel = ca / a
                self.target(f"{where} {name}: (c-a)/a <= {lim:.0%}",
                            f"{rel:.1%} (+{fmt_ns(ca)} ns on {fmt_ns(a)})",
                            rel <= lim,
                            "" if rel <= lim else
                            f"floor (empty programs) alone is {fmt_ns(ba)} ns = "
                            f"{(ba or 0) / a:.1%}{bpfs}")
            if ba is not None and s.measurable("b"):
                ok = ca <= 2 * ba
                self.target(f"{where} {name}: (c-a) <= 2 x (b-a)",
                            f"{ca / ba:.2f}x the floor", ok,
                            "" if ok else f"floor {fmt_ns(ba)} ns, pfnmap {fmt_ns(ca)} ns{bpfs}")
            elif ba is not None:
                self.target(f"{where} {name}: (c-a) <= 2 x (b-a)",
                            f"floor {fmt_ns(ba)} ns not above noise", None,
                            "floor not measurable above noise (paired sign test)")
            if da is not None and da > 0:
                ok = ca <= 0.5 * da
                self.target(f"{where} {name}: (c-a) <= 0.5 x (d-a)",
                            f"{ca / da:.2f}x bpftrace's", ok,
                            "" if ok else f"bpftrace {fmt_ns(da)} ns, pfnmap {fmt_ns(ca)} ns")

    def render(self):
        g, h = self.guest, self.host
        gk = self.read(os.path.join(self.guestdir, "kernel"))
        self.out("# pfnmap benchmarks")
        self.out()
        self.out("Generated by `make bench` (bench/run.sh); do not edit by hand.  "
                 "Numbers are from the last run of each part on the development machine "
                 f"({self.info.get('nproc', '?')} cores, shared: load average "
                 f"{' '.join(self.info.get('load_start', []))} at the start, "
                 f"{' '.join(self.info.get('load_end', []))} after the host part), "
                 f"{self.info.get('date', '?')}.  Host part: pfnmap "
                 f"{self.info.get('version', '?')} (bpf/ sha256 "
                 f"{self.info.get('bpf_sha256', '?')}); guest part: "
                 + " (bpf/ sha256 ".join(
                     (self.read(os.path.join(os.path.dirname(self.hostdir.rstrip("/")),
                                            "guest-version")).split() + ["?", "?"])[:2])
                 + ").  The BPF side changes often, and its cost with it.")
        tm = self.read(os.path.join(os.path.dirname(self.hostdir.rstrip("/")), "timings"))
        if tm != "?":
            t = dict(l.split() for l in tm.splitlines() if len(l.split()) == 2)
            parts = [f"{k} {t[k]}s" for k in ("built", "host", "guest") if k in t]
            total = sum(int(t[k]) for k in ("built", "host", "guest") if k in t)
            self.out("Run time of `make bench` on this machine: " + ", ".join(parts) +
                     f" (total {total}s = {total / 60:.1f} min, plus the report).")
        self.out()
        self.out("Variants, interleaved (each repetition runs them back to back, "
                 "in a rotated order): **a** no tracing, **b** the floor: empty "
                 "BPF programs on the same attach points as pfnmap "
                 "(bench/floor.bpf.c), **c** `pfnmap record --self-cost` "
                 "(BPF_ENABLE_STATS on, as record ran by default before "
                 "--self-cost), **d** the matching bpftrace script, "
                 "**e** `pfnmap stat` (same BPF programs, no stats), **bs** "
                 "the floor with BPF_ENABLE_STATS.  The loop times itself "
                 "(bench/ioctl_loop.c): tool start-up and exit are never in the "
                 "numbers.  Cells: median [min-max] over the repetitions, ns per "
                 "operation; differences (c-a etc.) are medians of the per-"
                 "repetition differences; `(noise)`: the floor's difference did "
                 "not have the same sign in every repetition.")
        self.out()
        guest = [(n, g[n]) for n in ("uffd-copy", "map-dma-1p", "map-dma-bar")
                 if n in g]
        if guest:
            self.cost_table(guest, f"In-kernel cost per operation, 7.3 guest ({gk}, QEMU TCG, fentry/fexit)",
                            "Wall time per operation inside the loop (for MAP_DMA: the "
                            "MAP_DMA call alone; UNMAP is not traced).  uffd-copy: "
                            "UFFDIO_COPY of one 4 KiB page from a populated source; "
                            "map-dma-1p: MAP_DMA of one page of the edu BAR; "
                            "map-dma-bar: of the whole 1 MiB BAR (256 pages, one "
                            "follow_pfnmap_start each).  TCG runs every instruction "
                            "about 20-50x slower than hardware, BPF programs and "
                            "kernel alike: the ratios carry over better than the "
                            "nanoseconds.")
            self.progs_table("uffd-copy", 20000)
            self.progs_table("map-dma-1p", 20000)
            self.progs_table("map-dma-bar", 100)
        host = [(n, h[n]) for n in ("host-uffd-copy", "host-fionread",
                                    "host-zeropage-eexist") if n in h]
        if host:
            self.cost_table(host, f"Host fallback: ioctl tracepoints ({self.info.get('kernel', '?')})",
                            "This host refuses fentry/fexit and has no kprobes: pfnmap "
                            "records UFFDIO_* and MAP_DMA from the syscalls:sys_"
                            "{enter,exit}_ioctl tracepoints.  Thread CPU time per "
                            "operation (the machine is shared: wall time measures the "
                            "neighbours).  The floor is two empty tracepoint programs; "
                            "d is bench/uffd_ioctl.bt.  host-fionread is an ioctl "
                            "that is not ours (FIONREAD on a pipe): what the "
                            "tracepoints cost everybody else.")
        self.extra_table(g.get("uffd-copy-x"), "What BPF_ENABLE_STATS costs (7.3 guest, uffd-copy)")
        self.extra_table(h.get("host-uffd-copy"), "All host variants, uffd-copy")
        self.extra_table(h.get("host-fionread"), "All host variants, FIONREAD (not ours)")
        self.scaling()
        self.userspace()
        self.evaluate()
        self.out("## Targets")
        self.out()
        self.out("| target | measured | verdict | why (when missed) |")
        self.out("|---|---|---|---|")
        for name, value, verdict, why in self.targets:
            self.out(f"| {name} | {value} | {verdict} | {why} |")
        self.out()
        return "\n".join(self.lines) + "\n"

    # -- analysis: where the cost goes, what would reach the targets --
    def prog_share(self, bench, ops, pred):
        rows = prog_breakdown(self.guestdir, bench, ops)
        tot = sum(per * ns for _, per, ns in rows)
        part = sum(per * ns for n, per, ns in rows if pred(n))
        return tot, part, rows

    def analysis(self):
        L = []
        g, h = self.guest, self.host
        L.append("## Where pfnmap's cost goes")
        L.append("")
        uc = g.get("uffd-copy")
        if uc and uc.dmed("c") is not None:
            tot, tp, rows = self.prog_share("uffd-copy", 20000,
                                            lambda n: n.startswith("tp_ioctl"))
            L.append(f"- **UFFDIO_COPY, 7.3 guest**: record adds {fmt_ns(uc.dmed('c'))} ns "
                     f"to an operation of {fmt_ns(uc.med('a'))} ns; the floor "
                     f"(empty programs on the same attach points) "
                     f"{fmt_ns(uc.dmed('b'))} ns, bpftrace {fmt_ns(uc.dmed('d'))} ns.")
            if tot:
                L.append(f"  pfnmap's BPF programs run {tot:.0f} ns per operation "
                         f"(table above, with stats on); {tp:.0f} ns of it "
                         f"({100 * tp / tot:.0f}%) are the ioctl tracepoint "
                         "programs (tp_ioctl_enter/exit), which pfnmap now "
                         "attaches even in fentry mode to see UFFDIO_* calls that "
                         "fail before they reach mfill_atomic_*(); they run on "
                         "every ioctl of every process, and turn on the syscall "
                         "tracepoint slow path for all tasks.")
        x = g.get("uffd-copy-x")
        if x and x.dmed("c") is not None and x.dmed("e") is not None:
            st = (x.dmed("bs") or 0) - (x.dmed("b") or 0)
            L.append(f"- **record vs stat** (the same BPF programs): record adds "
                     f"{fmt_ns(x.dmed('c'))} ns, stat {fmt_ns(x.dmed('e'))} ns "
                     f"(guest, uffd-copy-x).  BPF_ENABLE_STATS, which record keeps "
                     f"on to print its BPF run time, adds {fmt_ns(st)} ns to the "
                     f"empty programs of the floor (bs - b: two clock reads and a "
                     f"per-CPU update per program run), so most of the "
                     f"difference is the consumer: record's wake-ups, reading, "
                     f"compressing and writing; in a TCG guest the consumer's "
                     f"vCPU also takes host CPU from the producer's.")
        mb = g.get("map-dma-bar")
        if mb and mb.dmed("c") is not None:
            pages = 256
            tot, per_page, rows = self.prog_share(
                "map-dma-bar", 100, lambda n: any(k in n for k in ("follow", "get_pfn", "fixup")))
            L.append(f"- **MAP_DMA of the whole BAR** ({pages} pages): record adds "
                     f"{fmt_ns(mb.dmed('c'))} ns, {mb.dmed('c') / pages:.0f} ns per "
                     f"page (floor {(mb.dmed('b') or 0) / pages:.0f} ns per page): "
                     "the per-page probes (fentry+fexit on follow_pfnmap_start and "
                     "fexit on vaddr_get_pfns(), once per page too) dominate"
                     + (f": {100 * per_page / tot:.0f}% of pfnmap's BPF time there." if tot else "."))
        m1 = g.get("map-dma-1p")
        if m1 and m1.dmed("c") is not None:
            L.append(f"- **MAP_DMA of one page**: record adds {fmt_ns(m1.dmed('c'))} ns "
                     f"to {fmt_ns(m1.med('a'))} ns (floor {fmt_ns(m1.dmed('b'))}, "
                     f"bpftrace {fmt_ns(m1.dmed('d'))}).")
        hu = h.get("host-uffd-copy")
        if hu and hu.dmed("c") is not None:
            bpf = bpf_per_record([self.hostdir], "host-uffd-copy") or {}
            bn = bpf.get("ns_per_record")
            L.append(f"- **Host (ioctl tracepoints)**: record adds {fmt_ns(hu.dmed('c'))} ns "
                     f"of CPU to a UFFDIO_COPY of {fmt_ns(hu.med('a'))} ns; its two "
                     f"programs run {fmt_ns(bn)} ns per record (stats on), the "
                     f"empty ones {fmt_ns(hu.dmed('b'))} ns (tracepoint and "
                     f"program call), pfnmap stat (no stats) {fmt_ns(hu.dmed('e'))} "
                     f"ns, bpftrace's script {fmt_ns(hu.dmed('d'))} ns.")
        hf = h.get("host-fionread")
        if hf and hf.dmed("c") is not None:
            L.append(f"- **Everybody else's ioctls** (FIONREAD, host): "
                     f"{fmt_ns(hf.dmed('c'))} ns more each under record (floor "
                     f"{fmt_ns(hf.dmed('b'))}, bpftrace {fmt_ns(hf.dmed('d'))}) on "
                     f"an ioctl of {fmt_ns(hf.med('a'))} ns: the enter program "
                     "compares the command, the exit program looks the thread up "
                     "in a hash map, for every ioctl in the system.")
        for where, one, two in (("7.3 guest", g.get("uffd-copy"), g.get("uffd-copy-t2")),
                                ("host", h.get("host-uffd-copy"), h.get("host-uffd-copy-t2"))):
            if one and two and one.dmed("c") and two.dmed("c"):
                L.append(f"- **2 threads, {where}**: record adds {fmt_ns(two.dmed('c'))} ns "
                         f"per operation and thread against {fmt_ns(one.dmed('c'))} with "
                         f"one ({two.dmed('c') / one.dmed('c'):.2f}x), while the "
                         f"untraced operation itself goes from {fmt_ns(one.med('a'))} to "
                         f"{fmt_ns(two.med('a'))} ns"
                         + (" (a TCG guest's two vCPUs share the host's two cores "
                            "with QEMU's own threads)" if where != "host" else "")
                         + ".  The shared ring buffer (one reserve lock for all "
                         "CPUs) does not stand out at this size.")
        rec, rep, top = self.tp.get("record"), self.tp.get("report"), self.tp.get("top")
        if rec:
            L.append(f"- **record**: {rec.get('lost', '?')} of {rec.get('produced', 0):,} "
                     f"records lost at {rec.get('records_per_s', 0):,.0f} records/s, "
                     f"using {100 * rec.get('cpu_s', 0) / max((rec.get('producer_wall_ns') or 1) / 1e9, 1e-9):.0f}% "
                     f"of a CPU ({1e9 / max(rec.get('records_per_cpu_s') or 1, 1):.0f} ns "
                     "per record: reading, shuffling, zlib level 1, writing).  The "
                     "4 MiB ring buffer holds 32768 records of 128 bytes, tens of "
                     "milliseconds at such rates, and record reads it in the "
                     "thread that also compresses and writes: a stall of that "
                     "thread longer than that loses records.")
            if rec.get("smaps"):
                L.append("  record's resident memory by mapping: " + ", ".join(
                    f"{nm} {kb / 1024:.1f} MiB" for kb, nm in rec["smaps"]) + ".")
        if rep:
            raw = 128 * (rec or {}).get("records", 0)
            L.append(f"- **report** inflates {raw / 1e6:.0f} MB of records "
                     f"(128 bytes each) in {rep['wall_s']:.2f} s, "
                     f"{raw / 1e6 / max(rep['wall_s'], 1e-9):.0f} MB/s: about "
                     "what zlib's inflate does on one core, so decompression "
                     "bounds it, not the aggregation.")
        if top:
            L.append(f"- **top**: peak RSS {max(top['maxrss_kb'], top['vmhwm_kb']) / 1024:.1f} MiB"
                     + ("; by mapping: " + ", ".join(
                         f"{nm} {kb / 1024:.1f} MiB" for kb, nm in top["smaps"])
                        if top.get("smaps") else "")
                     + ".  The ring buffer's data pages are mapped twice (so that "
                     "a record can wrap around): a 4 MiB ring counts 8 MiB "
                     "once it has been filled around.")
        L.append("")
        L.append("## What would reach the targets (proposals for bpf/ and src/)")
        L.append("")
        L.append("1. **No syscall tracepoints in fentry mode.** Catch the UFFDIO_* "
                 "calls that fail early with fentry/fexit on the userfaultfd ioctl "
                 "handler (`userfaultfd_ioctl()`, reached through the file's "
                 "f_op, so never inlined) instead of `syscalls:sys_{enter,exit}_ioctl`: "
                 "only userfaultfd ioctls pay, not every ioctl of every process "
                 "(see FIONREAD above), and the syscall slow path stays off.")
        m1 = g.get("map-dma-1p")
        bpf1 = bpf_per_record([self.guestdir], "map-dma-1p")
        cmp = ""
        if m1 and bpf1 and m1.dmed("d"):
            cmp = (f" On a one-page MAP_DMA pfnmap's programs alone run "
                   f"{fmt_ns(bpf1['ns_per_record'])} ns per operation, "
                   f"{bpf1['ns_per_record'] / m1.dmed('d'):.1f}x all that bpftrace's "
                   f"script adds ({fmt_ns(m1.dmed('d'))} ns, trampolines included).")
        L.append("2. **Lighter operation programs.**" + cmp + "  fexit sees the arguments as well as the "
                 "return value, so the entry program only needs to store a "
                 "start time; build the record once, at exit, directly in the "
                 "ring buffer (no 128-byte template in a map, no memset of the "
                 "per-task copy at entry); read comm and cgroup once per task, "
                 "not per operation.")
        L.append("3. **Fewer per-page probes.**  A whole-BAR MAP_DMA runs three "
                 "programs per page (fentry+fexit on follow_pfnmap_start, fexit "
                 "on vaddr_get_pfns): drop the fentry on the lookups (fexit has "
                 "the address too) and count the vaddr_get_pfns results in the "
                 "same fexit, or derive pages and lookups from the pin's own "
                 "result and probe only the slow path (fixup_user_fault), "
                 "which is what a zap race needs.")
        L.append("4. **The consumer.**  record costs the traced task more than "
                 "stat with the same programs (c vs e): give record a thread that "
                 "only copies records out of the ring, apart from the one that "
                 "compresses and writes, a larger ring (16-32 MiB), and drain the "
                 "ring on every poll timeout: with wake-ups only past a fill "
                 "threshold, libbpf's ring_buffer__poll() (which reads only rings "
                 "that signalled) leaves a slow trickle of records in the kernel.")
        L.append("5. **BPF_ENABLE_STATS** costs little per program run (bs - b); "
                 "keeping it on in record is fine, but it is on for every BPF "
                 "program of the system while record runs.")
        L.append("6. **Smaller records**: 128 bytes per operation, half of it "
                 "counters that are zero in the common case; a 64-byte common "
                 "record halves the copy into the ring, the ring's footprint (and "
                 "top's RSS with it) and what report inflates.")
        heap = dict((nm, kb) for kb, nm in (top or {}).get("smaps", [])).get("[heap]")
        L.append("7. **report**: inflate chunks on a second thread (chunks are "
                 "independent), or a faster codec (zstd, libdeflate).  **top**: a "
                 "smaller ring (1 MiB is plenty for a view that only aggregates: "
                 "-6 MiB of RSS)"
                 + (f"; its heap ({heap / 1024:.1f} MiB after 201 processes went "
                    "by) grows with the groups it keeps, which is where the rest "
                    "of the way to 16 MiB is" if heap else "") + ".")
        L.append("")
        L.append("The 5% / 2% targets leave 2-5% of a microsecond or so natively "
                 "(a 4 KiB UFFDIO_COPY is about 1 us on hardware: 50 ns), which "
                 "is the order of the floor itself (two trampolines and two "
                 "program calls: b - a).  They are out of reach for any design "
                 "that runs an entry and an exit program per operation and "
                 "programs per page; with one light fexit program per operation "
                 "and none per page (items 1-3), pfnmap would sit near its floor, "
                 "which is what (c-a) <= 2 x (b-a) asks.")
        L.append("")
        return "\n".join(L) + "\n"

    @staticmethod
    def read(path):
        try:
            return open(path).read().strip()
        except OSError:
            return "?"

    def scaling(self):
        rows = []
        for where, one, two in (("7.3 guest", self.guest.get("uffd-copy"),
                                 self.guest.get("uffd-copy-t2")),
                                ("host", self.host.get("host-uffd-copy"),
                                 self.host.get("host-uffd-copy-t2"))):
            if one is None or two is None:
                continue
            rows.append((where, one, two))
        if not rows:
            return
        self.out("### Scaling: UFFDIO_COPY with 1 and 2 threads")
        self.out()
        self.out("Per-thread ns per operation; 2 threads work on their own "
                 "memory in the same process, one per CPU.")
        self.out()
        self.out("| where | threads | a none | c record | c-a | (c-a)/a |")
        self.out("|---|---|---|---|---|---|")
        for where, one, two in rows:
            for n, s in ((1, one), (2, two)):
                ca = s.dmed("c")
                self.out(f"| {where} | {n} | {fmt_range(s, 'a')} | {fmt_range(s, 'c')} | "
                         f"{fmt_ns(ca)} | {fmt_pct(ratio(ca, s.med('a')))} |")
        self.out()

    def userspace(self):
        rec, rep, top = self.tp.get("record"), self.tp.get("report"), self.tp.get("top")
        if not rec:
            return
        self.out("### User space (host)")
        self.out()
        self.out("A producer thread on CPU 1 issues UFFDIO_ZEROPAGE onto a page "
                 "that is already there (a real userfaultfd fill failing fast "
                 "with EEXIST: one record per syscall, through pfnmap's "
                 "tracepoint path); `pfnmap record -c ioctl_loop` runs on CPU 0.")
        self.out()
        rps = rec.get("records_per_s")
        cps = rec.get("records_per_cpu_s")
        self.out(f"- record: {rec.get('records', 0):,} records of "
                 f"{rec.get('produced', 0):,} produced, {rec.get('lost', '?')} lost; "
                 f"{rps or 0:,.0f} records/s arrived (the producer's pace), "
                 f"record used {rec.get('cpu_s', 0):.2f} s of CPU "
                 f"({rec.get('utime_s', 0):.2f} user, {rec.get('stime_s', 0):.2f} sys): "
                 f"**{cps or 0:,.0f} records per CPU-second**; "
                 f"{rec.get('bytes_per_record', '?')} bytes/record on disk; "
                 f"peak RSS {max(rec.get('maxrss_kb', 0), rec.get('vmhwm_kb', 0)) / 1024:.1f} MiB")
        if rep:
            self.out(f"- report: read that capture in {rep['wall_s']:.2f} s "
                     f"({rep['cpu_s']:.2f} s CPU): **{rep.get('records_per_s', 0):,.0f} "
                     f"records/s**; peak RSS {rep['maxrss_kb'] / 1024:.1f} MiB")
        if top:
            self.out(f"- top -b, system-wide, through the producer and 200 "
                     f"short-lived processes: peak RSS "
                     f"**{max(top['maxrss_kb'], top['vmhwm_kb']) / 1024:.1f} MiB**")
        bpr = self.real_bytes_per_record()
        if bpr:
            self.out(f"- bytes per record of real captures (guest record runs): "
                     + ", ".join(f"{k} {v:.1f}" for k, v in bpr.items()))
        self.out()

    def real_bytes_per_record(self):
        out = {}
        for b in ("uffd-copy", "map-dma-1p", "map-dma-bar"):
            vals = []
            try:
                names = os.listdir(self.guestdir)
            except OSError:
                names = []
            for n in names:
                if n.startswith(f"record-{b}-c-"):
                    s = parse_record_summary(open(os.path.join(self.guestdir, n)).read())
                    if "bytes_per_record" in s:
                        vals.append(s["bytes_per_record"])
            if vals:
                out[b] = statistics.median(vals)
        return out

    def evaluate(self):
        g = [(n, self.guest[n]) for n in ("uffd-copy", "map-dma-1p", "map-dma-bar")
             if n in self.guest]
        self.in_kernel_targets("guest", g, {"uffd-copy": 0.05, "map-dma-1p": 0.02,
                                            "map-dma-bar": 0.02})
        h = [(n, self.host[n]) for n in ("host-uffd-copy",) if n in self.host]
        self.in_kernel_targets("host", h, {"host-uffd-copy": 0.05})
        rec, rep, top = self.tp.get("record"), self.tp.get("report"), self.tp.get("top")
        if rec:
            cps, rps, lost = rec.get("records_per_cpu_s", 0), rec.get("records_per_s", 0), rec.get("lost")
            ok = cps >= 1e6 and lost == 0
            self.target("record >= 1M records/s on one core, 0 drops",
                        f"{cps:,.0f}/CPU-s, {rps:,.0f}/s offered, {lost} lost", ok,
                        "" if ok else (f"{lost} records lost" if lost else
                                       "record's CPU per record too high"))
            if rps < 1e6:
                self.targets[-1] = self.targets[-1][:3] + (
                    self.targets[-1][3] + ("; " if self.targets[-1][3] else "") +
                    f"the producer offered only {rps:,.0f}/s (its syscall plus "
                    "pfnmap's tracepoint programs); the verdict rests on CPU time",)
            bpr = rec.get("bytes_per_record")
            real = self.real_bytes_per_record()
            worst = max([bpr or 0] + list(real.values()))
            ok = worst <= 12
            self.target("<= 12 bytes/record on disk",
                        f"{bpr} synthetic; real: " + ", ".join(f"{v:.1f}" for v in real.values()),
                        ok, "" if ok else "compression of real records too low")
        if rep:
            ok = rep.get("records_per_s", 0) >= 5e6
            self.target("report >= 5M records/s", f"{rep.get('records_per_s', 0):,.0f}/s",
                        ok, "" if ok else "see the user-space notes in docs/bench.md")
        if top:
            mib = max(top["maxrss_kb"], top["vmhwm_kb"]) / 1024
            self.target("top RSS <= 16 MiB", f"{mib:.1f} MiB", mib <= 16,
                        "" if mib <= 16 else "see the user-space notes")


def report(hostdir, guestdir, md):
    r = Report(hostdir, guestdir)
    text = r.render() + r.analysis()
    print(text)
    if md:
        with open(md, "w") as f:
            f.write(text)
        log(f"wrote {md}")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "host":
        host(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "report":
        md = None
        if len(sys.argv) >= 6 and sys.argv[4] == "--md":
            md = sys.argv[5]
        report(sys.argv[2], sys.argv[3], md)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
