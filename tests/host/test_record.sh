#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_record.sh - `pfnmap record` and `pfnmap report` on this host, in
# whatever mode it has (on a kernel without fentry and kprobes: the ioctl
# view of the uffd kinds).  The workload's own counts are the truth:
# report --json must give exactly them.  Then the ways a capture ends
# badly: SIGKILL, cut, corrupt; and the exports.
#
# One line per assertion: "ok - record: ...", "not ok - record: ...",
# "skip - record: ...".  Exit status 1 if any assertion failed.
set -u
cd "$(dirname "$0")/../.."
top=$PWD
P=$(realpath -m "${PFNMAP:-$top/build/pfnmap}")	# PFNMAP, STRESS override
S=$(realpath -m "${STRESS:-$top/build/pfnmap-stress}")
fails=0
tmp=$(mktemp -d /tmp/pfnmap-test-record.XXXXXX)
bg_pids=()

cleanup() {
	local p
	for p in "${bg_pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { echo "ok - record: $*"; }
not_ok() { echo "not ok - record: $*"; fails=$((fails + 1)); }
# check NAME CMD...: ok if CMD succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# not_in PATTERN FILE: ok if FILE does not have PATTERN
not_in() { ! grep -q "$1" "$2"; }

# jget FILE EXPR: a Python expression over the JSON document j
jget() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - record: needs root"
	exit 0
fi
if [ ! -x "$P" ] || [ ! -x "$S" ]; then
	echo "not ok - record: build/pfnmap and build/pfnmap-stress must be built"
	exit 1
fi
cd "$tmp" || exit 1

# ---- exact counts ------------------------------------------------------

# counts NAME STRESS-ARGS...: record the workload, compare report --json
counts() {
	local name=$1 f
	local -a self=()
	f=$name.data
	shift
	# one run measures pfnmap's own BPF run time (off by default)
	[ "$name" = populated ] && self=(--self-cost)
	if ! "$P" record "${self[@]}" -o "$f" -- "$S" "$@" > "$name.stress" 2> "$name.rec"; then
		not_ok "$name: record failed: $(tail -n 1 "$name.rec")"
		return
	fi
	if ! "$P" report --json "$f" > "$name.json" 2> "$name.err"; then
		not_ok "$name: report failed: $(cat "$name.err")"
		return
	fi
	local want got
	want=$(jget "$name.stress" '"%d %d %d %d" % (j["ops"], j["errors"].get("EEXIST", 0), j["copied_pages"], j["pages"])')
	got=$(jget "$name.json" '"%d %d %d %d" % (j["kinds"]["uffd_copy"]["count"], j["kinds"]["uffd_copy"]["errors"].get("EEXIST", 0), j["kinds"]["uffd_copy"]["pages"], j["kinds"]["uffd_copy"]["pages_asked"])')
	if [ "$want" = "$got" ]; then
		ok "$name: report --json has the workload's ops, EEXIST, pages done, pages asked ($got)"
	else
		not_ok "$name: workload says ops/EEXIST/pages/asked '$want', report '$got'"
	fi
}

counts populated uffd-copy --src populated -n 2000
counts filled uffd-copy --src populated --dst filled -n 300
counts threads uffd-mixed --populated 200 --untouched 100 --filled 50 -t 3

mode=$(stat -c %a populated.data)
check "capture file mode is 0600 (got $mode)" [ "$mode" = 600 ]
check "the record summary tells bytes per record, drops and BPF run time" \
	grep -q "bytes per record on disk" populated.rec
check "... drops" grep -Eq "[0-9]+ records lost in the kernel" populated.rec
check "... BPF run time (--self-cost)" grep -Eq "BPF run time [0-9]+ ns per program run" populated.rec
check "without --self-cost no BPF run time (BPF_ENABLE_STATS stays off)" \
	not_in "BPF run time" filled.rec
"$P" report populated.data > whole.out 2> whole.err
rc=$?
if [ "$rc" -eq 0 ] && [ ! -s whole.err ] && grep -q "; complete" whole.out; then
	ok "a whole capture: report exits 0, nothing on stderr, says complete"
else
	not_ok "a whole capture: report exits 0, nothing on stderr, says complete"
fi

# ---- an existing file is kept -------------------------------------------

cp populated.data first.copy
"$P" record -- "$S" uffd-copy -n 10 > /dev/null 2> first.rec
"$P" record -- "$S" uffd-copy -n 20 > /dev/null 2> second.rec
check "an existing pfnmap.data is renamed to pfnmap.data.old" \
	[ -s pfnmap.data.old ]
check "... and record says so on stderr" \
	grep -q "renamed the existing pfnmap.data to pfnmap.data.old" second.rec
check "... the .old file is the earlier capture (10 ops)" \
	[ "$(jget <("$P" report --json pfnmap.data.old) 'j["records"]')" = 10 ]
cp pfnmap.data.old old.copy
"$P" record -f -- "$S" uffd-copy -n 30 > /dev/null 2> force.rec
check "-f overwrites: no rename, the .old file untouched" \
	cmp -s pfnmap.data.old old.copy
check "... and the new file has the new capture (30 ops)" \
	[ "$(jget <("$P" report --json pfnmap.data) 'j["records"]')" = 30 ]

# ---- SIGKILL in the middle -----------------------------------------------

"$P" record -o killed.data -- "$S" uffd-copy -n 4000 --delay-us 1000 \
	> /dev/null 2>&1 &
rec=$!
bg_pids+=("$rec")
sleep 2.5
child=$(pgrep -P "$rec" | head -n 1)
[ -n "$child" ] && bg_pids+=("$child")
kill -KILL "$rec"
wait "$rec" 2>/dev/null
[ -n "$child" ] && kill -KILL "$child" 2>/dev/null
"$P" report --json killed.data > killed.json 2> killed.err
rc=$?
check "SIGKILLed capture: report exits 1 (got $rc)" [ "$rc" -eq 1 ]
check "... one line on stderr: $(head -c 150 killed.err)" \
	[ "$(wc -l < killed.err)" -eq 1 ]
check "... it says truncated, records read, trailer and drops" \
	grep -Eq "truncated after chunk [0-9]+: [0-9,]+ records read; trailer missing, drops unknown after chunk" killed.err
n=$(jget killed.json 'j["records"]' 2>/dev/null || echo 0)
check "... and still reads the records of its whole chunks ($n > 0)" [ "$n" -gt 0 ]

# ---- cut and corrupt files ----------------------------------------------

"$P" record -o big.data -- "$S" uffd-copy -n 10000 > /dev/null 2>&1
total=$(jget <("$P" report --json big.data) 'j["records"]')
size=$(stat -c %s big.data)

# damaged NAME RC REGEX: report of NAME.data: exit RC, one stderr line
damaged() {
	local name=$1 want=$2 re=$3 rc
	"$P" report "$name.data" > "$name.out" 2> "$name.err"
	rc=$?
	if [ "$rc" -eq "$want" ] && [ "$(wc -l < "$name.err")" -eq 1 ] &&
	   grep -Eq "$re" "$name.err"; then
		ok "$name: exit $rc, one line: $(cat "$name.err")"
	else
		not_ok "$name: exit $rc (want $want), stderr: $(cat "$name.err")"
	fi
}

head -c $((size - 200)) big.data > cut.data
damaged cut 1 "truncated after chunk [0-9]+, in chunk [0-9]+ \(its [0-9,]+ records lost\): [0-9,]+ records read; trailer missing"
got=$(jget <("$P" report --json cut.data 2>/dev/null) 'j["records"]')
if [ "$got" -gt 0 ] && [ "$got" -lt "$total" ]; then
	ok "cut: the whole chunks are still reported ($got of $total)"
else
	not_ok "cut: the whole chunks are still reported ($got of $total)"
fi
check "cut: the text report is printed too" grep -q "^uffd_copy" cut.out

cp big.data flip.data
# invert the byte: writing a fixed value leaves it as it was 1 time in 256
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))' flip.data $((size / 2))
damaged flip 1 "chunk [0-9]+: data checksum mismatch, its [0-9,]+ records lost: [0-9,]+ of [0-9,]+ records read|chunk header at offset [0-9]+ corrupt"
got=$(jget <("$P" report --json flip.data 2>/dev/null) 'j["records"]')
if [ "$got" -gt 0 ] && [ "$got" -lt "$total" ]; then
	ok "flip: the other chunks are still reported ($got of $total)"
else
	not_ok "flip: the other chunks are still reported ($got of $total)"
fi

echo "hello, world" > text.data
damaged text 2 "not a pfnmap capture"
: > empty.data
damaged empty 2 "empty"
"$P" report nonexistent.data > /dev/null 2> missing.err
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l < missing.err)" -eq 1 ]; then
	ok "missing file: exit 2, one line ($(cat missing.err))"
else
	not_ok "missing file: exit 2, one line ($(cat missing.err))"
fi

# ---- merge ---------------------------------------------------------------

n=$(jget <("$P" report --json populated.data filled.data 2>/dev/null) 'j["kinds"]["uffd_copy"]["count"]')
check "two files merge: 2000 + 300 operations ($n)" [ "$n" = 2300 ]
"$P" report populated.data -i populated.data > /dev/null 2> dup.err
check "the same capture twice is read once, and said" \
	grep -q "is the same capture as" dup.err

# ---- exports ---------------------------------------------------------------

"$P" report threads.data --perfetto threads.perfetto.json > /dev/null 2>&1
check "perfetto: valid JSON" python3 -m json.tool threads.perfetto.json > /dev/null
"$P" report --csv threads.data > threads.csv
pt=$(python3 - threads.perfetto.json threads.csv threads.stress <<'EOF'
import collections, csv, json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
rows = list(csv.DictReader(open(sys.argv[2])))
pid = json.load(open(sys.argv[3]))["pid"]
x = [e for e in ev if e["ph"] == "X"]
tracks = {(e["pid"], e["tid"]) for e in ev
	  if e["ph"] == "M" and e["name"] == "thread_name"}
procs = {e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
per_x = collections.Counter((e["pid"], e["tid"]) for e in x)
per_csv = collections.Counter((int(r["pid"]), int(r["tid"])) for r in rows)
good = (all(e["pid"] == pid for e in x) and per_x == per_csv
	and set(per_x) <= tracks and procs == {pid}
	and all(e["dur"] > 0 and e["ts"] >= 0 for e in x))
print(len(x), len(per_x), "good" if good else "bad")
EOF
)
ops=$(jget threads.stress 'j["ops"]')
check "perfetto: one X slice per operation ($pt; workload ops $ops)" \
	[ "${pt%% *}" = "$ops" ]
check "perfetto: slices on the workload's pid, on named pid/tid tracks matching the CSV" \
	[ "${pt##* }" = good ]
"$P" report --folded threads.data > threads.folded
n=$(awk '{ s += $NF } END { print s }' threads.folded)
check "folded: the counts add up to the operations ($n)" [ "$n" = "$ops" ]
check "folded: EEXIST is a frame" grep -q ";uffd_copy;EEXIST " threads.folded

# ---- how recording ends --------------------------------------------------

"$P" record -o dur.data -d 1 > /dev/null 2>&1
check "-d 1: ends by itself, the capture complete, stop reason 'duration over'" \
	[ "$(jget <("$P" report --json dur.data) 'j["inputs"][0]["stop"]')" = "duration over" ]

"$P" record -o sig.data > /dev/null 2>&1 &
rec=$!
bg_pids+=("$rec")
sleep 1.5
kill -TERM "$rec"
wait "$rec"
rc=$?
if [ "$rc" -eq 0 ] && "$P" report sig.data > /dev/null 2>&1; then
	ok "SIGTERM: record exits 0 (got $rc), capture complete"
else
	not_ok "SIGTERM: record exits 0 (got $rc), capture complete"
fi
check "... stop reason 'signal'" \
	[ "$(jget <("$P" report --json sig.data) 'j["inputs"][0]["stop"]')" = "signal" ]

"$P" record -o max.data --max-size 8K -- "$S" uffd-copy -n 20000 > max.stress 2> max.rec
rc=$?
msize=$(stat -c %s max.data)
n=$(jget <("$P" report --json max.data) 'j["records"]')
if [ "$msize" -le 8192 ] && [ "$msize" -gt 6144 ] && [ "$n" -gt 0 ]; then
	ok "--max-size 8K: file within the limit ($msize bytes), filled with $n records"
else
	not_ok "--max-size 8K: file within the limit ($msize bytes), filled with $n records"
fi
check "... said on stderr" grep -q "reached --max-size" max.rec
if [ "$rc" -eq 0 ] && [ "$(jget max.stress 'j["ops"]')" = 20000 ]; then
	ok "... CMD ran to its end and record exits with its status ($rc)"
else
	not_ok "... CMD ran to its end and record exits with its status ($rc)"
fi
check "... the capture is complete, with the unwritten records counted" \
	[ "$(jget <("$P" report --json max.data) '(j["inputs"][0]["complete"], j["inputs"][0]["stop"], j["inputs"][0]["unwritten"] > 0)')" = "(True, 'max size reached', True)" ]

# ---- stat and record+report agree -------------------------------------

# The same deterministic workload under stat and under record: stat's
# aggregates (counts, errors by errno, pages, every summed counter) are
# what report makes of the records.  Times (latency, time retrying, zap
# gaps) and context switches differ from run to run and are left out.
mix=(uffd-mixed --populated 300 --untouched 100 --filled 50 -t 2)
"$P" stat --json -o agree.stat.json -- "$S" "${mix[@]}" > /dev/null 2>&1
"$P" record -o agree.data -- "$S" "${mix[@]}" > /dev/null 2>&1
"$P" report --json agree.data > agree.report.json 2>/dev/null
if out=$(python3 - agree.stat.json agree.report.json <<'EOF2'
import json, sys
st, rep = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["kinds"]
skip = {"latency_ns", "retry_time_ns", "sched", "zap_attribution", "partial"}
bad, n = [], 0
for kind, mode in st["mode"].items():
    s, r = st.get(kind) or {}, rep.get(kind) or {}
    for key in s:
        if key in skip:
            continue
        n += 1
        if s[key] != r.get(key):
            bad.append(f"{kind}.{key}: stat {s[key]} report {r.get(key)}")
print("; ".join(bad) if bad else f"{n} values, ops {st['uffd_copy']['count']}")
sys.exit(1 if bad or not st["uffd_copy"]["count"] else 0)
EOF2
); then
	ok "stat --json and record+report --json agree on every count ($out)"
else
	not_ok "stat and record+report differ: $out"
fi

# ---- loss stays honest ------------------------------------------------

# The consumer stopped while a workload makes more records than the ring
# buffer holds (4 MiB: about 21,000 records): every operation is either a
# record of the capture or counted as lost, none is both or neither.  The
# command stops record (its parent) for the time of the workload.
"$P" record -o lossy.data -- sh -c \
	'kill -STOP $PPID; "$1" uffd-copy --dst filled -n 60000; kill -CONT $PPID' \
	sh "$S" > lossy.stress 2> lossy.rec
got=$(jget <("$P" report --json lossy.data) '"%d %d" % (j["kinds"]["uffd_copy"]["count"], j["inputs"][0]["drops"])')
ops=$(jget lossy.stress 'j["ops"]')
rcount=${got% *}
lost=${got#* }
honest() { [ -n "$ops" ] && [ "$lost" -gt 0 ] && [ $((rcount + lost)) -eq "$ops" ]; }
check "overflow on purpose: produced $ops = recorded $rcount + lost $lost, and some were lost" honest
check "... record's summary says the same loss" \
	grep -q "^pfnmap record: $(python3 -c "print(f'{$lost:,}')") records lost in the kernel" lossy.rec

[ "$fails" -eq 0 ]
