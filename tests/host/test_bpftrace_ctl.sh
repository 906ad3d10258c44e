#!/bin/sh
# test_bpftrace_ctl.sh - bpftrace/uffd_ctl.bt (ioctl tracepoints only: it
# runs on this host) around the UFFDIO_MOVE / _WRITEPROTECT scenarios of
# tests/scenarios.txt: calls, errors by errno and pages must be the
# workload's own.  A scenario the kernel cannot run (exit 3) is a skip.
here=$(dirname "$0")
STRESS=${STRESS:-build/pfnmap-stress}
if ! command -v bpftrace >/dev/null 2>&1; then
	echo "skip - bpftrace uffd_ctl.bt: NOT RUN: no bpftrace (scripts/setup.sh)"
	exit 0
fi
ulimit -l unlimited 2>/dev/null
exec python3 - "$here/../scenarios.txt" "$here/../../bpftrace/uffd_ctl.bt" "$STRESS" <<'PY'
import errno
import json
import subprocess
import sys

scen_file, script, stress = sys.argv[1:4]
failed = 0


def say(status, what):
    global failed
    print(f"{status} - bpftrace uffd_ctl.bt: {what}", flush=True)
    failed += status == "not ok"


def run(name, args):
    p = subprocess.run(["bpftrace", "-f", "json", "-c", f"{stress} {args}",
                        script], capture_output=True, text=True, timeout=120)
    work, maps = None, {}
    for line in p.stdout.splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if "scenario" in o:
            work = o
        elif o.get("type") == "map":
            maps.update(o["data"])
    if work is None:
        why = (p.stderr.strip().splitlines() or ["no output"])[-1]
        say("skip" if "no UFFDIO_MOVE" in why else "not ok",
            f"{name}: NOT RUN: {why}")
        return
    op = "move" if work["kind"] == "uffd_move" else "wp"
    key = f"pfnmap-stress,{work['pid']},{op}"
    errs = {}
    for k, v in maps.get("@errno", {}).items():
        if k.startswith(key + ","):
            errs[int(k.rsplit(",", 1)[1])] = v
    want_errs = {getattr(errno, n): v for n, v in work["errors"].items()}
    for what, got, want in (
            ("calls", maps.get("@ops", {}).get(key, 0), work["ops"]),
            ("errors by errno", errs, want_errs),
            ("pages", maps.get("@pages", {}).get(key, 0), work["done_pages"])):
        say("ok" if got == want else "not ok",
            f"{name}: {op} {what} = {got}" +
            ("" if got == want else f", the workload says {want}"))


for line in open(scen_file):
    if line.startswith("#") or not line.strip():
        continue
    name, group, args = line.rstrip("\n").split("|", 2)
    if args.split()[0] in ("uffd-move", "uffd-wp"):
        run(name, args)
sys.exit(1 if failed else 0)
PY
