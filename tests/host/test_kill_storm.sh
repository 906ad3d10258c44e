#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_kill_storm.sh - `pfnmap record` killed at random moments under load.
# KILL_STORM_RUNS runs (default 100; the whole storm stops at
# KILL_STORM_BUDGET seconds, default 120, and says how many it did), while
# pfnmap-stress workloads do UFFDIO_COPYs: system-wide records and
# records of a command of their own, each ended after a random 0-1.5 s,
# by SIGKILL mostly, every 5th by SIGTERM and every 7th by SIGINT.  A
# few runs are in a private mount namespace without tracefs, so that
# record mounts it itself.  For every run:
#   - a capture that exists is read by `pfnmap report` up to its last
#     complete chunk: its record count is the sum of the chunks that an
#     independent walker (Python, from docs/capture-format.md: header and
#     data CRCs) finds whole, and a cut capture is said on one stderr
#     line (exit 1: truncated, trailer missing); a record that exited by
#     itself (SIGTERM, SIGINT handled) left a complete capture (exit 0);
#   - tracefs mounts are as they were; in a namespace without tracefs,
#     no run leaves one mounted, SIGKILLed or not (record mounts it in
#     a mount namespace of its own).
# After the storm: no BPF program or link with one of pfnmap's program
# names that was not there before (bpftool prog/link show), unless a live
# process that is not ours holds it (another pfnmap running).
#
#   KILL_STORM_RUNS=20 tests/host/test_kill_storm.sh
#
# PFNMAP and STRESS override build/pfnmap and build/pfnmap-stress.  Needs
# root and bpftool.  One line per assertion ("ok - kill storm: ...");
# exit 1 if one failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
P=$(realpath -m "${PFNMAP:-build/pfnmap}")
S=$(realpath -m "${STRESS:-build/pfnmap-stress}")
RUNS=${KILL_STORM_RUNS:-100}
BUDGET=${KILL_STORM_BUDGET:-120}
fails=0
ok() { echo "ok - kill storm: $*"; }
not_ok() { echo "not ok - kill storm: $*"; fails=$((fails + 1)); }

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - kill storm: needs root"
	exit 0
fi
if ! command -v bpftool > /dev/null; then
	echo "skip - kill storm: no bpftool"
	exit 0
fi
if [ ! -x "$P" ] || [ ! -x "$S" ]; then
	not_ok "$P and $S must be built"
	exit 1
fi
tmp=$(mktemp -d /tmp/pfnmap-kill-storm.XXXXXX) || exit 1
load=()
cleanup() {
	touch "$tmp/stop"
	[ ${#load[@]} -gt 0 ] && kill -KILL "${load[@]}" 2>/dev/null
	wait 2>/dev/null
	if [ -n "${KILL_STORM_KEEP:-}" ]; then
		mkdir -p "$KILL_STORM_KEEP" && cp -r "$tmp"/. "$KILL_STORM_KEEP"/
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# pfnmap's program names, as bpftool shows them (15 characters at most)
llvm-readelf -s "$(dirname "$P")/pfnmap.bpf.o" 2>/dev/null |
	awk '$4 == "FUNC" && $5 == "GLOBAL" { print substr($8, 1, 15) }' |
	sort -u > "$tmp/names"
if [ ! -s "$tmp/names" ]; then
	# no object next to the binary: the names of a running record
	"$P" record -f -o "$tmp/names.data" -d 1 > /dev/null 2>&1 &
	sleep 0.8
	bpftool prog show --json | python3 -c 'import json, sys
for p in json.load(sys.stdin): print(p.get("name", ""))' | sort -u > "$tmp/names"
	wait
fi

# ours: "prog ID" and "link ID" lines of objects named like pfnmap's
ours() {
	python3 - "$tmp/names" <<'EOF'
import json, subprocess, sys
names = set(open(sys.argv[1]).read().split())
progs = json.loads(subprocess.run(["bpftool", "prog", "show", "--json"],
				  capture_output=True, text=True).stdout or "[]")
ids = {p["id"] for p in progs if p.get("name") in names}
for i in sorted(ids):
	print("prog", i)
links = json.loads(subprocess.run(["bpftool", "link", "show", "--json"],
				  capture_output=True, text=True).stdout or "[]")
for l in links:
	if l.get("prog_id") in ids:
		print("link", l["id"])
EOF
}
# sorted as comm(1) wants
ours_sorted() { ours | sort; }

# holders: "prog ID PID" and "link ID PID" of every BPF fd of every process
holders() {
	local f pid
	for f in /proc/[0-9]*/fdinfo/*; do
		pid=${f#/proc/}
		pid=${pid%%/*}
		awk -v pid="$pid" '/^prog_id:/ { print "prog", $2, pid }
			/^link_id:/ { print "link", $2, pid }' "$f" 2>/dev/null
	done | sort -u
}

tracefs() { findmnt -rn -t tracefs -o TARGET,SOURCE,OPTIONS | sort; }

# The capture walker: records of the whole chunks and their count, then
# what report --json (argv[2]) says: records read, complete.
cat > "$tmp/walk.py" <<'EOF'
import json, struct, sys, zlib
b = open(sys.argv[1], "rb").read()
if len(b) < 32 or b[:8] != b"PFNMAPCF":
	print(-1, 0, -1, False)
	sys.exit()
off = struct.unpack_from("<I", b, 12)[0]
recs = chunks = 0
while off + 56 <= len(b):
	magic, seq, n, clen = struct.unpack_from("<IIII", b, off)
	# a names section (format 3): skipped by its length
	if magic == 0x4d4e4650 and zlib.crc32(b[off:off + 20]) == \
	   struct.unpack_from("<I", b, off + 20)[0]:
		off += 24 + n
		continue
	if magic != 0x4b434650 or zlib.crc32(b[off:off + 52]) != \
	   struct.unpack_from("<I", b, off + 52)[0]:
		break
	data = b[off + 56:off + 56 + clen]
	if len(data) < clen or zlib.crc32(data) != \
	   struct.unpack_from("<I", b, off + 20)[0]:
		break
	recs += n
	chunks += 1
	off += 56 + clen
try:
	j = json.load(open(sys.argv[2]))
	print(recs, chunks, j["records"], j["inputs"][0]["complete"])
except (ValueError, KeyError, IndexError):
	print(recs, chunks, -1, False)
EOF

# ---- before ------------------------------------------------------------

ours_sorted > "$tmp/before"
tracefs > "$tmp/tracefs.before"

# the load: two workloads copying for the whole storm (some 4000 ops/s
# each, not more: the machine must still run the storm), 20000 ops each
# time (each op on memory of its own)
for a in "--src populated" "--src untouched --pages 4"; do
	# shellcheck disable=SC2086
	while [ ! -e "$tmp/stop" ]; do
		"$S" uffd-copy -n 20000 --delay-us 200 $a > /dev/null 2>&1
	done &
	load+=($!)
done

# ---- the storm ---------------------------------------------------------

# one RUN-NUMBER: record, kill, check the capture.  In a mount namespace
# (ns=1) tracefs is unmounted first, and checked there.
one() {
	local i=$1 sig=KILL f=$tmp/run$1.data rec child rc delay w
	local -a cmd=()

	[ $((i % 5)) -eq 0 ] && sig=TERM
	[ $((i % 7)) -eq 0 ] && sig=INT
	[ $((i % 3)) -eq 1 ] && cmd=(-- "$S" uffd-copy -n 200000 --delay-us 50)
	delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", r % 1500 / 1000 }')
	# a background job of a script starts with SIGINT ignored: undo that,
	# as a terminal's Ctrl-C reaches a program with its default action
	env --default-signal=INT "$P" record -f -o "$f" "${cmd[@]}" \
		> /dev/null 2> "$f.rec" &
	rec=$!
	sleep "$delay"
	child=$(pgrep -P "$rec" | head -n 1)
	# SIGTERM, SIGINT: record must end by itself within 30 s (a SIGKILLed
	# one may take long too: the kernel detaches its programs as it
	# exits).  bash's "Killed" notices of the job go to /dev/null.
	{
		kill -"$sig" "$rec"
		w=0
		while [ "$sig" != KILL ] && [ "$w" -lt 300 ] && kill -0 "$rec"; do
			sleep 0.1
			w=$((w + 1))
		done
		if [ "$sig" != KILL ] && kill -0 "$rec"; then
			echo "run $i: record still running 30 s after SIG$sig (${delay}s after its start)" >&3
			kill -KILL "$rec"
		fi
		wait "$rec"
		rc=$?
	} 3>&1 2>/dev/null
	# SIGKILL leaves the command running: it is ours to end
	[ -n "$child" ] && kill -KILL "$child" 2>/dev/null
	echo "$i $sig $delay $rc ${#cmd[@]}" >> "$tmp/runs"
	check_capture "$i" "$sig" "$delay" "$rc"
}

# check_capture RUN SIG DELAY RC: prints nothing if good, else the problem
check_capture() {
	local i=$1 sig=$2 delay=$3 rc=$4 f=$tmp/run$1.data want got rrc what
	local chunks complete
	what="run $i ($sig after ${delay}s, record exit $rc)"
	if [ ! -s "$f" ]; then
		# killed before it created the file or wrote its header
		if [ "$rc" -lt 128 ] && [ "$sig" != KILL ]; then
			echo "$what: record exited by itself but left no capture: $(tail -n 1 "$f.rec")"
		fi
		echo nofile >> "$tmp/kinds"
		return
	fi
	"$P" report --json "$f" > "$f.json" 2> "$f.err"
	rrc=$?
	read -r want chunks got complete < <(python3 "$tmp/walk.py" "$f" "$f.json")
	if [ "$want" -lt 0 ]; then
		# header not even whole: report must say so, exit 2
		if [ "$rrc" -ne 2 ] || [ "$(wc -l < "$f.err")" -ne 1 ]; then
			echo "$what: header cut, report exit $rrc (want 2): $(cat "$f.err")"
		fi
		echo header >> "$tmp/kinds"
		return
	fi
	if [ "$rrc" -gt 1 ]; then
		echo "$what: report exit $rrc: $(head -n 2 "$f.err")"
		return
	fi
	if [ "$got" != "$want" ]; then
		echo "$what: report read $got records, the whole chunks hold $want"
		return
	fi
	# SIGKILL: cut, said on one line.  SIGTERM, SIGINT: complete, or
	# (a signal before record's handlers were set) cut.  With a command
	# record exits with its status, 143 or 130 after SIGTERM or SIGINT.
	if [ "$rrc" -eq 0 ] && [ "$sig" != KILL ] && [ ! -s "$f.err" ] &&
	   [ "$complete" = True ]; then
		echo "complete $chunks $want" >> "$tmp/kinds"
	elif [ "$rrc" -eq 1 ] && [ "$rc" -ge 128 ] &&
	     [ "$(wc -l < "$f.err")" -eq 1 ] &&
	     grep -Eq "truncated|trailer missing" "$f.err"; then
		echo "cut $chunks $want" >> "$tmp/kinds"
	else
		echo "$what: report exit $rrc (complete: $complete), stderr: $(cat "$f.err")"
		return
	fi
	rm -f "$f"
}

# ns-one RUN: one run in a private mount namespace without tracefs; the
# namespace's tracefs mounts after it must be those before it (none)
ns_one() {
	local i=$1
	export -f one check_capture
	export P S tmp
	unshare -m --propagation private bash -c '
		umount -l /sys/kernel/tracing 2>/dev/null
		umount -l /sys/kernel/debug/tracing 2>/dev/null
		[ -d /sys/kernel/debug/tracing/events ] && umount -l /sys/kernel/debug 2>/dev/null
		before=$(findmnt -rn -t tracefs -o TARGET | sort)
		one "$1"
		sleep 0.2
		after=$(findmnt -rn -t tracefs -o TARGET | sort)
		# RUN SIG DELAY RC CMD SAME
		echo "$(tail -n 1 "$tmp/runs") $([ "$before" = "$after" ] && echo same || echo mounted)" >> "$tmp/ns"
	' _ "$i"
}

t0=$SECONDS
done_runs=0
: > "$tmp/problems"
: > "$tmp/kinds"
for ((i = 1; i <= RUNS; i++)); do
	if [ $((SECONDS - t0)) -ge "$BUDGET" ]; then
		break
	fi
	if [ $((i % 10)) -eq 3 ] && command -v unshare > /dev/null; then
		ns_one "$i" >> "$tmp/problems"
	else
		one "$i" >> "$tmp/problems"
	fi
	done_runs=$i
done
elapsed=$((SECONDS - t0))
touch "$tmp/stop"
wait "${load[@]}" 2>/dev/null
load=()

nk=$(grep -c ' KILL ' "$tmp/runs")
nt=$(grep -c ' TERM ' "$tmp/runs")
ni=$(grep -c ' INT ' "$tmp/runs")
if [ "$done_runs" -lt "$RUNS" ]; then
	echo "# kill storm: $done_runs of $RUNS runs in the ${BUDGET}s budget"
fi
if [ ! -s "$tmp/problems" ]; then
	ok "$done_runs runs in ${elapsed}s ($nk SIGKILL, $nt SIGTERM, $ni SIGINT): every capture read up to its last whole chunk"
else
	sed 's/^/# /' "$tmp/problems" | head -n 20
	not_ok "$(wc -l < "$tmp/problems") of $done_runs runs went wrong"
fi
echo "# kill storm: captures: $(grep -c '^cut' "$tmp/kinds") cut ($(awk '$1 == "cut" && $2 > 0' "$tmp/kinds" | wc -l) with whole chunks, $(awk '$1 == "cut" { s += $3 } END { print s + 0 }' "$tmp/kinds") records read), $(grep -c '^complete' "$tmp/kinds") complete, $(grep -c '^header' "$tmp/kinds") with a cut header, $(grep -c '^nofile' "$tmp/kinds") killed before the file"
n=$(awk '$1 == "cut" && $2 > 0' "$tmp/kinds" | wc -l)
if [ "$n" -gt 0 ]; then
	ok "$n SIGKILLed captures with whole chunks: report read exactly their records and said what was cut"
elif [ "$done_runs" -lt 50 ]; then
	echo "skip - kill storm: no SIGKILLed capture had a whole chunk in $done_runs runs"
else
	not_ok "no SIGKILLed capture had a whole chunk: the storm tested nothing of that"
fi

# ---- after ---------------------------------------------------------------

# In the namespaces: record mounted tracefs itself, in a mount namespace
# of its own, so the mount goes with the process: after a clean end and
# after a SIGKILL alike, the namespace it ran in has what it had before.
if [ -s "$tmp/ns" ]; then
	nns=$(wc -l < "$tmp/ns")
	bad=$(awk '$4 < 128 && $6 != "same"' "$tmp/ns" | wc -l)
	killed=$(awk '$4 >= 128 && $6 != "same"' "$tmp/ns" | wc -l)
	nkilled=$(awk '$4 >= 128' "$tmp/ns" | wc -l)
	if [ "$bad" -eq 0 ]; then
		ok "without tracefs ($nns runs in mount namespaces): record ended by itself left no tracefs mounted"
	else
		not_ok "without tracefs: $bad runs ended by themselves left tracefs mounted"
	fi
	if [ "$killed" -eq 0 ]; then
		ok "without tracefs: $nkilled SIGKILLed records left no tracefs mounted"
	else
		not_ok "without tracefs: $killed SIGKILLed records left the tracefs they mounted"
	fi
fi

if [ "$(tracefs)" = "$(cat "$tmp/tracefs.before")" ]; then
	ok "tracefs mounts as they were ($(tracefs | awk '{ print $1 }' | tr '\n' ' '| sed 's/ $//'))"
else
	not_ok "tracefs mounts were [$(tr '\n' ' ' < "$tmp/tracefs.before")], now [$(tracefs | tr '\n' ' ')]"
fi

# programs are freed after their last holder; give the kernel a moment
for _ in 1 2 3 4 5 6; do
	ours_sorted > "$tmp/after"
	holders > "$tmp/holders"
	# new objects not held by a live process (foreign pfnmaps hold theirs)
	left=$(comm -13 "$tmp/before" "$tmp/after" | while read -r t id; do
		grep -q "^$t $id " "$tmp/holders" || echo "$t $id"
	done)
	[ -z "$left" ] && break
	sleep 0.5
done
nbefore=$(wc -l < "$tmp/before")
nforeign=$(comm -13 "$tmp/before" "$tmp/after" | wc -l)
if [ -z "$left" ]; then
	ok "no BPF program or link left behind ($nbefore of pfnmap's before, $nforeign new ones all held by other live processes)"
else
	not_ok "BPF objects left behind: $(tr '\n' ' ' <<< "$left")"
fi
[ "$fails" -eq 0 ]
