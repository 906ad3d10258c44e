#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_report_offline.sh - report on a capture made elsewhere: a synthetic
# capture (tests/host/mkcapture.py, written from docs/capture-format.md)
# of another "boot" whose names section names its callers and cgroups.
#   - callers print as symbols (func+0x113 [module]), never as hex; an
#     address the capture does not name is [unresolved], named by
#     --kallsyms FILE, printed in hex only with --raw-addrs (CSV too);
#   - a format-2 capture (no names) reads, and --kallsyms names it;
#   - --pid, --comm, --kind, --cgroup (path or id), --time (relative and
#     @EPOCH) count what they should, in the report and in CSV/Perfetto;
#     --by cgroup prints paths;
#   - --perfetto OUT.gz is gzip JSON: slices, zap -> pin flow arrows
#     (each id one start on a zap slice, one end on a racing pin), ops/s
#     and lost-record counters; --time bounds it.
# No root, no tracing.  Needs python3.
set -u
cd "$(dirname "$0")/../.." || exit 1
OUTPUT=${OUTPUT:-build}
P=${PFNMAP:-$OUTPUT/pfnmap}
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - report offline: $*"; }
notok() { echo "not ok - report offline: $*"; fails=$((fails + 1)); }
check() {	# check NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1 ($2)"; else notok "$1: got '$2', want '$3'"; fi
}

if ! command -v python3 > /dev/null; then
	echo "skip - report offline: no python3"
	exit 0
fi
python3 tests/host/mkcapture.py "$tmp/s3.data" > "$tmp/want.json" || {
	notok "mkcapture.py failed"
	exit 1
}
python3 tests/host/mkcapture.py "$tmp/s2.data" --format 2 > /dev/null
# jq-less: want KEY
want() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$tmp/want.json" "$1"; }
# count JSONFILE KIND: that kind's count in report --json
count() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kinds"][sys.argv[2]]["count"])' "$1" "$2"; }

# ---- symbols -------------------------------------------------------------

"$P" report "$tmp/s3.data" > "$tmp/text" 2>&1
rc=$?
check "report exit status" "$rc" 0
if grep -q 'vfio_basic_config_write+0x113 \[vfio_pci_core\] *vfio_zap' "$tmp/text" &&
	grep -q 'kvm_faultin_pfn+0x42 *follow_pfnmap' "$tmp/text"; then
	ok "callers named from the capture: vfio_basic_config_write+0x113 [vfio_pci_core], kvm_faultin_pfn+0x42"
else
	notok "callers not named: $(grep -A4 '^CALLER' "$tmp/text" | tr '\n' '|')"
fi
if grep -qi '0xffff' "$tmp/text"; then
	notok "a kernel address in the text without --raw-addrs: $(grep -i -m1 0xffff "$tmp/text")"
else
	ok "no kernel address in the text without --raw-addrs"
fi
grep -q '^\[unresolved\] *follow_pfnmap  *5 ' "$tmp/text" &&
	ok "an address the capture does not name: [unresolved]" ||
	notok "no [unresolved] caller row"

"$P" report --raw-addrs "$tmp/s3.data" > "$tmp/raw" 2>&1
anon=$(want anon_addr)
grep -q "^$anon *follow_pfnmap" "$tmp/raw" && grep -q "vfio_pci_core\] $(want zap_addr)" "$tmp/raw" &&
	ok "--raw-addrs: hex of the unnamed caller, and after each symbol" ||
	notok "--raw-addrs: $(grep -A4 '^CALLER' "$tmp/raw" | tr '\n' '|')"

# --kallsyms: names what the capture does not; the capture's own names win
cat > "$tmp/kallsyms" <<EOF
ffffffff81000000 T _stext
ffffffff81234500 T wrong_name
ffffffff81999900 t generic_access_phys
ffffffff819a0000 T after_it
ffffffffc0a1b000 t wrong_too	[vfio_pci_core]
EOF
"$P" report --kallsyms "$tmp/kallsyms" "$tmp/s3.data" > "$tmp/ks" 2>&1
if grep -q '^generic_access_phys+0x99 *follow_pfnmap' "$tmp/ks" &&
	grep -q '^kvm_faultin_pfn+0x42 ' "$tmp/ks" && ! grep -q 'wrong' "$tmp/ks"; then
	ok "--kallsyms names the unnamed caller (generic_access_phys+0x99), the capture's names win"
else
	notok "--kallsyms: $(grep -A4 '^CALLER' "$tmp/ks" | tr '\n' '|')"
fi
"$P" report --kallsyms "$tmp/kallsyms" "$tmp/s2.data" > "$tmp/ks2" 2>&1
rc=$?
if ((rc == 0)) && grep -q '^generic_access_phys+0x99 ' "$tmp/ks2" &&
	grep -q '^wrong_name+0x67 ' "$tmp/ks2"; then
	ok "format 2 (no names): read, and named by --kallsyms like perf report --kallsyms"
else
	notok "format 2 + --kallsyms: exit $rc, $(grep -A4 '^CALLER' "$tmp/ks2" | tr '\n' '|')"
fi
"$P" report --kallsyms "$tmp/nonexistent" "$tmp/s3.data" > /dev/null 2>&1
check "--kallsyms of a missing file: exit 2" "$?" 2

# CSV: caller_sym always, the hex caller only with --raw-addrs
"$P" report --csv "$tmp/s3.data" > "$tmp/csv"
"$P" report --csv --raw-addrs "$tmp/s3.data" > "$tmp/csv.raw"
python3 - "$tmp/csv" "$tmp/csv.raw" <<'EOF' && ok "CSV: caller_sym named; hex caller column only with --raw-addrs" || notok "CSV caller columns"
import csv, sys
a = list(csv.DictReader(open(sys.argv[1])))
b = list(csv.DictReader(open(sys.argv[2])))
zaps = [r for r in a if r["kind"] == "vfio_zap"]
assert zaps and all(r["caller_sym"] == "vfio_basic_config_write+0x113 [vfio_pci_core]" for r in zaps), zaps[:1]
assert all(r["caller"] == "" for r in a)
assert all(r["caller"].startswith("0xffff") for r in b if r["kind"] == "vfio_zap")
EOF

# ---- filters -------------------------------------------------------------

# filt NAME 'ARGS' KIND WANT: report --json ARGS counts WANT of KIND
filt() {
	local name=$1 args=$2 kind=$3 wantn=$4 got
	# shellcheck disable=SC2086
	if ! "$P" report --json $args "$tmp/s3.data" > "$tmp/f.json" 2> "$tmp/f.err"; then
		notok "$name: report $args failed: $(head -n 1 "$tmp/f.err")"
		return
	fi
	got=$(count "$tmp/f.json" "$kind")
	check "$name: $kind count" "$got" "$wantn"
}
filt "--pid 400" "--pid 400" uffd_copy 1000
filt "--pid 400" "--pid 400" vfio_pin 0
filt "--comm toggler" "--comm toggler" vfio_zap 10
filt "--comm toggler" "--comm toggler" uffd_copy 0
filt "-k vfio_pin,vfio_zap" "-k vfio_pin,vfio_zap" vfio_zap 10
filt "-k vfio_pin,vfio_zap" "-k vfio_pin,vfio_zap" follow_pfnmap 0
filt "--cgroup PATH" "--cgroup /machine.slice/a.scope" uffd_copy 1000
filt "--cgroup PATH" "--cgroup /machine.slice/a.scope" vfio_zap 0
filt "--cgroup parent" "--cgroup /machine.slice" vfio_zap 10
filt "--cgroup parent" "--cgroup /machine.slice" follow_pfnmap 0
filt "--cgroup ID" "--cgroup 12" vfio_zap 10
filt "--time 2,2.5" "--time 2,2.5" uffd_copy 500
filt "--time ,1" "--time ,1" vfio_pin 20
filt "--time ,1" "--time ,1" uffd_copy 0
epoch=$(python3 -c 'import sys; print((int(sys.argv[1]) // 10**9) + 2)' "$(want real0_ns)")
filt "--time @EPOCH," "--time @$epoch," uffd_copy 1000
filt "--time @EPOCH," "--time @$epoch," vfio_pin 0
"$P" report --time 3,1 "$tmp/s3.data" > /dev/null 2>&1
check "--time END before START: exit 2" "$?" 2
"$P" report --time 5 "$tmp/s3.data" > /dev/null 2>&1
check "--time without a comma: exit 2" "$?" 2
"$P" report --by cgroup --json "$tmp/s3.data" > "$tmp/cg.json"
got=$(python3 -c 'import json,sys; print(" ".join(sorted({g["cgroup"] for g in json.load(open(sys.argv[1]))["groups"]})))' "$tmp/cg.json")
check "--by cgroup: paths from the capture, ids where it has none" "$got" "/machine.slice/a.scope /machine.slice/b.scope id:0"
n=$("$P" report --csv --pid 400 --time 2,2.1 "$tmp/s3.data" | tail -n +2 | wc -l)
check "--csv under --pid --time: rows" "$n" 100
grep -q '# filter: pid 400; time 2,2.1: 100 records match' <("$P" report --pid 400 --time 2,2.1 "$tmp/s3.data") &&
	ok "the text says the filter and what matched" || notok "no filter line in the text"

# ---- Perfetto ------------------------------------------------------------

"$P" report --perfetto "$tmp/t.json.gz" "$tmp/s3.data" > /dev/null 2> "$tmp/pf.err"
check "--perfetto OUT.gz: exit status" "$?" 0
python3 - "$tmp/t.json.gz" "$(want races)" "$(want records)" "$(want drops)" <<'EOF'
import collections, gzip, json, sys
path, races, records, drops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def say(ok, what):
    print(("ok" if ok else "not ok") + " - report offline: perfetto: " + what)
try:
    j = json.load(gzip.open(path))
except Exception as e:
    say(False, "gzip JSON does not load: %s" % e)
    sys.exit(1)
say(True, "OUT.gz opens with gzip + json")
ev = j["traceEvents"]
xs = [e for e in ev if e["ph"] == "X"]
say(len(xs) == records, "%d slices = %d records" % (len(xs), records))
ends = collections.defaultdict(dict)
for e in ev:
    if e["ph"] in ("s", "f"):
        ends[e["id"]][e["ph"]] = e
def inside(e, kind, pin_race=False):
    return any(x["tid"] == e["tid"] and x["name"].split()[0] == kind and
               x["ts"] <= e["ts"] <= x["ts"] + x["dur"] and
               (not pin_race or x["args"].get("zap_tid") == 300) for x in xs)
paired = [i for i, d in ends.items() if set(d) == {"s", "f"}]
say(len(ends) == races and len(paired) == races,
    "%d flow ids, each one start and one end (%d races)" % (len(paired), races))
say(all(inside(ends[i]["s"], "vfio_zap") for i in paired),
    "every flow starts on a vfio_zap slice")
say(all(inside(ends[i]["f"], "vfio_pin", True) and ends[i]["f"].get("bp") == "e"
        for i in paired), "every flow ends on the vfio_pin slice that raced")
ops = [e for e in ev if e["ph"] == "C" and e["name"] == "ops/s"]
lost = [e for e in ev if e["ph"] == "C" and e["name"] == "lost records"]
peak = max((e["args"].get("uffd_copy", 0) for e in ops), default=0)
say(len(ops) > 10 and 900 <= peak <= 1100,
    "ops/s counter: %d points, uffd_copy peak %.0f/s (1000/s written)" % (len(ops), peak))
say(lost and max(e["args"]["lost"] for e in lost) == drops and
    lost[-1]["args"]["lost"] == drops,
    "lost-records counter ends at the trailer's %d" % drops)
EOF
[ $? -eq 0 ] || fails=$((fails + 1))
"$P" report --perfetto "$tmp/w.json" --time 2,2.25 "$tmp/s3.data" > /dev/null 2>&1
got=$(python3 -c 'import json,sys; print(sum(e["ph"] == "X" for e in json.load(open(sys.argv[1]))["traceEvents"]))' "$tmp/w.json")
check "--perfetto with --time 2,2.25: slices of the window only" "$got" 250

# ---- record names cgroups on this host (root: it traces) -------------------

S=${STRESS:-$OUTPUT/pfnmap-stress}
if [ "$(id -u)" -ne 0 ] || [ ! -x "$S" ]; then
	echo "skip - report offline: record's cgroup names: needs root and $S"
elif ! grep -q '^0::' /proc/self/cgroup; then
	echo "skip - report offline: record's cgroup names: this host has no cgroup v2"
else
	"$P" record -f -o "$tmp/host.data" -- "$S" uffd-mixed --populated 20 \
		--untouched 0 --filled 0 -t 1 > /dev/null 2> "$tmp/rec.err"
	mine=$(sed -n 's/^0:://p' /proc/self/cgroup)
	got=$("$P" report --by cgroup --json "$tmp/host.data" 2>/dev/null | python3 -c '
import json, sys
print(" ".join(sorted({g["cgroup"] for g in json.load(sys.stdin).get("groups", [])})))')
	check "record stores the cgroup path: report --by cgroup of a capture made here" \
		"$got" "$mine"
fi

[ "$fails" -eq 0 ]
