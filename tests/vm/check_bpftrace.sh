#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check_bpftrace.sh OUTDIR LABEL - on the host, after a guest run: do the
# bpftrace scripts (bpftrace/*.bt, run by tests/vm/guest_bpftrace.sh into
# OUTDIR/bpftrace/) count what `pfnmap stat` counted (OUTDIR/collect/, from
# tests/collect.sh, or the same vfio-race run) and what each workload says
# it did?  One line per assertion: "ok - ...", "not ok - ..." or
# "skip - ..." (a count this kernel or this script cannot show).
# Exit status: 1 if an assertion failed, else 0.
set -u
(($# == 2)) || { echo "usage: check_bpftrace.sh OUTDIR LABEL" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
exec python3 - "$1" "$2" "$here/../scenarios.txt" <<'PY'
import errno
import json
import os
import sys

outdir, label, scenarios = sys.argv[1:4]
bt = os.path.join(outdir, "bpftrace")
failed = 0


def say(status, what):
    global failed
    print(f"{status} - [{label}] bpftrace {what}")
    if status == "not ok":
        failed += 1


def eq(what, got, want):
    if got == want:
        say("ok", f"{what} = {want}")
    else:
        say("not ok", f"{what} = {got}, expected {want}")


def load(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def bt_maps(path):
    """{map: {tuple(key): value}} from bpftrace -f json output."""
    maps = {}
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return None
    for line in lines:
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("type") not in ("map", "stats"):
            continue
        for name, val in o["data"].items():
            m = maps.setdefault(name, {})
            if isinstance(val, dict):
                for k, v in val.items():
                    m[tuple(k.split(","))] = v
            else:
                m[()] = val
    return maps


def errnames(m, prefix):
    """{EEXIST: n} from a map keyed (..., errno) whose key starts with prefix."""
    out = {}
    for k, v in m.items():
        if k[:len(prefix)] == prefix and len(k) == len(prefix) + 1:
            name = errno.errorcode.get(int(k[-1]), "E" + k[-1])
            out[name] = out.get(name, 0) + v
    return out


def scenario_list(group):
    out = []
    for line in open(scenarios):
        if line.strip() and not line.startswith("#"):
            name, g, args = line.rstrip("\n").split("|", 2)
            if g == group:
                out.append(name)
    return out


def session(name):
    """The maps of one bpftrace session, or None after saying why."""
    rc = read(os.path.join(bt, name + ".rc"), "missing")
    maps = bt_maps(os.path.join(bt, name + ".json"))
    if rc != "0" or not maps:
        log = read(os.path.join(bt, name + ".log"))
        say("not ok", f"{name}: session failed (rc {rc}): "
            + " | ".join(log.splitlines()[-3:]))
        return None
    return maps


def workload(sess, scen):
    w = load(os.path.join(bt, sess, scen + ".work.json"))
    rc = read(os.path.join(bt, sess, scen + ".rc"), "missing")
    if rc == "3":
        # not on this kernel (UFFDIO_MOVE before 6.8): tests/check.py
        # checks that pfnmap reports the kind absent
        say("skip", f"{sess}/{scen}: NOT RUN on this kernel: "
            + read(os.path.join(bt, sess, scen + ".err")))
        return None
    if w is None or rc != "0":
        say("not ok", f"{sess}/{scen}: workload failed (rc {rc}): "
            + read(os.path.join(bt, sess, scen + ".err")))
        return None
    return w


def stat_of(scen, sess=None):
    """pfnmap stat of the scenario: the same run (race) or collect/."""
    if sess:
        return load(os.path.join(bt, sess, scen + ".stat.json"))
    return load(os.path.join(outdir, "collect", scen + ".stat.json"))


# What the workloads report of the operations they did (not of their pace).
COUNTS = ("ops", "errors", "copied_pages", "expected_retries", "ok",
          "eagain_retries", "maps", "unmaps", "pages", "bar_pages", "touched")


def same_run_counts(w, scen):
    """Did the collect/ run of scen report the same counts as w?  Only then
    is pfnmap's count of that run comparable with bpftrace's of this one."""
    c = load(os.path.join(outdir, "collect", scen + ".work.json"))
    if c is None:
        return False
    return all(c.get(k) == w.get(k) for k in COUNTS)


def vs_stat(what, got, stat_val, why_unknown="unknown to pfnmap here"):
    if stat_val is None:
        say("skip", f"{what}: pfnmap's count {why_unknown}")
    else:
        eq(what + " (pfnmap stat)", got, stat_val)


def check_uffd(maps, variant):
    for scen in scenario_list("uffd"):
        w = workload("uffd_retry", scen)
        if w is None:
            continue
        if w.get("kind") in ("uffd_move", "uffd_wp"):
            # the script traces fills only: a move or a write-protect is none
            for other in ("copy", "zeropage"):
                eq(f"uffd_retry/{scen}: {other} ops ({w['kind']} workload)",
                   maps.get("@ops", {}).get(
                       ("pfnmap-stress", str(w["pid"]), other), 0), 0)
            continue
        st = stat_of(scen) or {}
        op = "zeropage" if w["scenario"] == "uffd-zeropage" else "copy"
        kind = "uffd_" + op
        s = st.get(kind)
        key = ("pfnmap-stress", str(w["pid"]), op)
        get = lambda m: maps.get(m, {}).get(key, 0)
        t = f"uffd_retry/{scen}:"
        if w.get("threads", 1) > 1 and 0 < get("@ops") < w["ops"]:
            # bpftrace 0.17 was seen dropping concurrent operations on the
            # 2-vCPU TCG guest (243 of 300 once); pfnmap's own count of the
            # same scenario is checked exactly by tests/check.py.
            say("skip", f"{t} bpftrace saw {get('@ops')} of {w['ops']} "
                "operations of 2 threads: BPFTRACE LOST EVENTS "
                "(docs/bpftrace.md); not compared")
            continue
        eq(f"{t} {op} ops (workload)", get("@ops"), w["ops"])
        eq(f"{t} errors by errno (workload)",
           errnames(maps.get("@op_errno", {}), key), w["errors"])
        eq(f"{t} pages (workload)", get("@pages"), w["copied_pages"])
        eq(f"{t} retries (workload's design)", get("@retries"),
           w.get("expected_retries", 0))
        other = "copy" if op == "zeropage" else "zeropage"
        eq(f"{t} {other} ops", maps.get("@ops", {}).get(key[:2] + (other,), 0), 0)
        if s is None:
            say("skip", f"{t} no pfnmap stat of this scenario in collect/")
            continue
        if not same_run_counts(w, scen):
            say("skip", f"{t} pfnmap's run of it (collect/) reported other "
                "counts than this one: compared with the workload only")
            continue
        vs_stat(f"{t} {op} ops", get("@ops"), s.get("count"))
        vs_stat(f"{t} errors", errnames(maps.get("@op_errno", {}), key),
                s.get("errors"))
        vs_stat(f"{t} pages", get("@pages"), s.get("pages"))
        vs_stat(f"{t} retries", get("@retries"), s.get("retries"))
        vs_stat(f"{t} max retries", get("@max_retries"), s.get("max_retries"))
        if variant == "uffd_retry.bt":
            vs_stat(f"{t} retry aborts", get("@aborts"), s.get("retry_aborts"))
        else:
            say("skip", f"{t} retry aborts: not seen by {variant}")


def vfio_runs(sess):
    race = os.path.exists(os.path.join(bt, sess, "race.rc"))
    return scenario_list("vfio") + (["race"] if race else [])


def check_vfio_pin(maps):
    for scen in vfio_runs("vfio_pin"):
        w = workload("vfio_pin", scen)
        if w is None:
            continue
        race = scen == "race"
        st = stat_of(scen, "vfio_pin" if race else None) or {}
        s = st.get("vfio_pin")
        key = ("pfnmap-stress", str(w["pid"]))
        get = lambda m: maps.get(m, {}).get(key, 0)
        t = f"vfio_pin/{scen}:"
        pins = get("@pins")
        bar_map = w["scenario"] == "vfio-map"
        if bar_map:
            # one contiguous PFNMAP range: one pin of the whole BAR per map
            eq(f"{t} pins (workload maps)", pins, w["maps"])
            eq(f"{t} pages (workload)", get("@pin_pages"),
               w["maps"] * w["bar_pages"])
        elif "pages" in w and not race:
            # anonymous memory: as many pins as physically contiguous runs
            eq(f"{t} pages (workload)", get("@pin_pages"), w["pages"])
        if not race:
            eq(f"{t} pin errors (workload)",
               errnames(maps.get("@pin_errno", {}), key), w["errors"])
        else:
            say("ok" if pins >= w["maps"] else "not ok",
                f"{t} pins {pins} >= MAP_DMA calls {w['maps']}")
        if s is None:
            say("skip", f"{t} no pfnmap stat of this run")
            continue
        if race and st.get("lost"):
            say("skip", f"{t} pfnmap lost {st['lost']} records: no exact comparison")
            continue
        if not race and not same_run_counts(w, scen):
            say("skip", f"{t} pfnmap's run of it (collect/) reported other "
                "counts than this one: compared with the workload only")
            continue
        if bar_map or race:
            vs_stat(f"{t} pins", pins, s.get("count"))
        vs_stat(f"{t} pages", get("@pin_pages"), s.get("pages"))
        vs_stat(f"{t} pin errors",
                errnames(maps.get("@pin_errno", {}), key), s.get("errors"))
        mean = maps.get("@pin_ns", {}).get(key, {}).get("average")
        pmean = (s.get("latency_ns") or {}).get("mean")
        if race and mean and pmean:
            ok = abs(mean - pmean) <= 0.25 * pmean
            say("ok" if ok else "not ok",
                f"{t} mean pin latency {mean} ns, pfnmap {pmean} ns "
                "(same run: within 25%)")


def check_zap(maps, variant):
    for scen in vfio_runs("pfnmap_zap"):
        w = workload("pfnmap_zap", scen)
        if w is None:
            continue
        race = scen == "race"
        st = stat_of(scen, "pfnmap_zap" if race else None) or {}
        s = st.get("vfio_pin")
        pid = str(w["pid"])
        t = f"pfnmap_zap/{scen}:"

        def get(m, where="pin"):
            return maps.get(m, {}).get(("pfnmap-stress", pid, where), 0)

        fo, ff = get("@follow"), get("@follow_fail")
        fx = get("@fixup")
        if w["scenario"] == "vfio-zeropage":
            # anonymous memory: pinned by GUP, never a PFNMAP lookup
            eq(f"{t} lookups in pins (anonymous memory)", fo, 0)
            eq(f"{t} fault-ins in pins (anonymous memory)", fx, 0)
            continue
        if w["scenario"] == "vfio-map":
            bar = w["maps"] * w["bar_pages"]
            eq(f"{t} lookups in pins (pages + failed lookups)", fo, bar + ff)
            eq(f"{t} fault-ins in pins (one per failed lookup)", fx, ff)
            if w.get("touched"):
                eq(f"{t} failed lookups (BAR touched first)", ff, 0)
            eq(f"{t} zap races (no zapper)", get("@zap_races"), 0)
        if s is None:
            say("skip", f"{t} no pfnmap stat of this run")
            continue
        if race and st.get("lost"):
            say("skip", f"{t} pfnmap lost {st['lost']} records: no exact comparison")
            continue
        if not race and not same_run_counts(w, scen):
            say("skip", f"{t} pfnmap's run of it (collect/) reported other "
                "counts than this one: compared with the workload only")
            continue
        fop = s.get("follow_pfnmap") or {}
        fxp = s.get("fixup_user_fault") or {}
        vs_stat(f"{t} lookups in pins", fo, fop.get("calls"))
        vs_stat(f"{t} failed lookups in pins", ff, fop.get("failures"))
        vs_stat(f"{t} fault-ins in pins", fx, fxp.get("calls"))
        vs_stat(f"{t} failed fault-ins in pins", get("@fixup_fail"),
                fxp.get("failures"))
        vs_stat(f"{t} fault-ins that dropped mmap_lock",
                get("@fixup_unlocked"), fxp.get("unlocked"))
        vs_stat(f"{t} zap races", get("@zap_races"), s.get("zap_races"))
        alone = (st.get("follow_pfnmap") or {}).get("count")
        vs_stat(f"{t} stand-alone lookups", get("@follow", "alone"), alone)
        zaps = (st.get("vfio_zap") or {}).get("count")
        vs_stat(f"{t} BAR zaps", maps.get("@zaps", {}).get(
            ("pfnmap-stress", pid), 0), zaps)
        if race:
            say("ok", f"{t} zap races seen: {get('@zap_races')} "
                f"(pfnmap {s.get('zap_races')}), failed MAP_DMA {w['maps'] - w['ok']}"
                f" of {w['maps']}, {w.get('toggles')} toggles")


def check_ctl(maps):
    """uffd_ctl.bt: calls, errors by errno and pages of each MOVE and
    WRITEPROTECT workload, as the workload counted them."""
    for line in open(scenarios):
        if not line.strip() or line.startswith("#"):
            continue
        scen, g, args = line.rstrip("\n").split("|", 2)
        if g != "uffd" or args.split()[0] not in ("uffd-move", "uffd-wp"):
            continue
        w = workload("uffd_ctl", scen)
        if w is None:
            continue
        op = "move" if w["kind"] == "uffd_move" else "wp"
        key = ("pfnmap-stress", str(w["pid"]), op)
        t = f"uffd_ctl/{scen}:"
        eq(f"{t} {op} calls", maps.get("@ops", {}).get(key, 0), w["ops"])
        eq(f"{t} {op} errors by errno", errnames(maps.get("@errno", {}), key),
           w["errors"])
        eq(f"{t} {op} pages", maps.get("@pages", {}).get(key, 0),
           w["done_pages"])


def main():
    if not os.path.isdir(bt):
        say("skip", "scripts: not run in this guest (no OUTDIR/bpftrace: "
            "is tests/vm/guest_bpftrace.sh in the image?)")
        return
    why = read(os.path.join(bt, "skipped"))
    if why:
        say("skip", f"scripts: not run in this guest: {why}")
        return
    variants = dict(l.split() for l in read(os.path.join(bt, "variants")).splitlines()
                    if len(l.split()) == 2)
    say("ok", "variants for this kernel: " +
        ", ".join(f"{k}: {v}" for k, v in sorted(variants.items())))
    m = session("uffd_retry")
    if m is not None:
        check_uffd(m, variants.get("uffd_retry"))
    m = session("uffd_ctl")
    if m is not None:
        check_ctl(m)
    m = session("vfio_pin")
    if m is not None:
        check_vfio_pin(m)
    m = session("pfnmap_zap")
    if m is not None:
        check_zap(m, variants.get("pfnmap_zap"))


main()
sys.exit(1 if failed else 0)
PY
