#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# soak.sh - pfnmap for a long time at sustained load (`make soak`, not
# part of `make test`).  For SOAK_SECONDS (default 600) one pfnmap-stress
# uffd-zeropage workload does a UFFDIO_ZEROPAGE every SOAK_DELAY_US
# (default 200: some 3,500 a second here; the zero page costs no memory),
# while three pfnmaps watch it:
#   record -p PID --max-size SOAK_MAX_SIZE (default 2M) - record has no
#              rotation of its own: each time it stops at the size, the
#              next file starts (soak.1.data, soak.2.data, ...)
#   top -b -p PID -d 5
#   stat -p PID --json
# Every 5 s the RSS and open fds of each are sampled.  Checks:
#   - RSS flat: the mean of the last minute at most 5% above the mean of
#     the first minute after warm-up (SOAK_WARMUP, default 60 s);
#     records restart with each file, so theirs is sampled per slot;
#   - no fd growth: the most fds of the last minute <= the first sample
#     after warm-up;
#   - every rotated capture is complete and readable (report exit 0),
#     stopped by its size (the last by the end of the soak);
#   - 0 loss: no drops in stat, top or any capture.
# Samples go to SOAK_OUT (default build/soak): samples.tsv, the captures'
# counts, summary.txt.
#
# PFNMAP and STRESS override build/pfnmap and build/pfnmap-stress.  Needs
# root.  One "ok - soak: ..." / "not ok - soak: ..." line per check.
set -u
cd "$(dirname "$0")/../.." || exit 1
P=$(realpath -m "${PFNMAP:-build/pfnmap}")
S=$(realpath -m "${STRESS:-build/pfnmap-stress}")
DUR=${SOAK_SECONDS:-600}
DELAY=${SOAK_DELAY_US:-200}
MAXSIZE=${SOAK_MAX_SIZE:-2M}
WARMUP=${SOAK_WARMUP:-60}
out=$(realpath -m "${SOAK_OUT:-build/soak}")
fails=0
ok() { echo "ok - soak: $*"; }
not_ok() { echo "not ok - soak: $*"; fails=$((fails + 1)); }

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - soak: needs root"
	exit 0
fi
if [ ! -x "$P" ] || [ ! -x "$S" ]; then
	not_ok "$P and $S must be built"
	exit 1
fi
if [ "$DUR" -lt $((WARMUP + 120)) ]; then
	not_ok "SOAK_SECONDS=$DUR: at least warm-up + 2 minutes ($((WARMUP + 120)))"
	exit 1
fi
rm -rf "$out"
mkdir -p "$out"
cd "$out" || exit 1

pids=()
cleanup() {
	touch "$out/stop"
	[ ${#pids[@]} -gt 0 ] && kill -KILL "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT

# ---- the workload: more ops than it can do in DUR, killed at the end -----

"$S" uffd-zeropage -n $((DUR * 6000)) --delay-us "$DELAY" > workload.json 2> workload.err &
W=$!
pids+=("$W")

# ---- the watchers ------------------------------------------------------

"$P" stat -p "$W" --json -o stat.json > /dev/null 2> stat.err &
ST=$!
pids+=("$ST")
"$P" top -b -p "$W" -d 5 > top.out 2> top.err &
TP=$!
pids+=("$TP")

# record, one file after the other; the running one's pid in record.pid
(
	n=0
	while [ ! -e "$out/stop" ]; do
		n=$((n + 1))
		"$P" record -f -p "$W" --max-size "$MAXSIZE" -o "soak.$n.data" \
			> /dev/null 2> "soak.$n.rec" &
		echo $! > record.pid
		wait $!
		echo "$n $(date +%s) $?" >> record.ends
	done
) &
RL=$!
pids+=("$RL")

# ---- samples -----------------------------------------------------------

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

printf 't\tstat_rss\tstat_fds\ttop_rss\ttop_fds\trecord_rss\trecord_fds\trecord_file\n' > samples.tsv
t0=$SECONDS
while [ $((SECONDS - t0)) -lt "$DUR" ]; do
	sleep 5
	kill -0 "$W" 2>/dev/null || { not_ok "the workload ended early: $(cat workload.err)"; break; }
	rp=$(cat record.pid 2>/dev/null)
	printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $((SECONDS - t0)) \
		"$(rss "$ST")" "$(fds "$ST")" "$(rss "$TP")" "$(fds "$TP")" \
		"$(rss "$rp")" "$(fds "$rp")" "$(ls soak.*.data 2>/dev/null | wc -l)" >> samples.tsv
done

# ---- the end: stop the watchers cleanly, then the workload -----------------

touch stop
kill -TERM "$(cat record.pid)" "$TP" "$ST" 2>/dev/null
wait "$RL" "$TP" "$ST" 2>/dev/null
kill -KILL "$W" 2>/dev/null
wait "$W" 2>/dev/null
pids=()

# ---- checks ------------------------------------------------------------

# flat NAME COLUMN: RSS of the last minute vs the first after warm-up
python3 - "$WARMUP" "$DUR" > flat.txt <<'EOF'
import csv, sys
warm, dur = int(sys.argv[1]), int(sys.argv[2])
rows = [r for r in csv.DictReader(open("samples.tsv"), delimiter="\t")]
for name in ("stat", "top", "record"):
	rss = [(int(r["t"]), int(r[name + "_rss"] or 0)) for r in rows]
	fd = [(int(r["t"]), int(r[name + "_fds"] or 0)) for r in rows]
	first = [v for t, v in rss if warm <= t < warm + 60 and v]
	last = [v for t, v in rss if t >= dur - 60 and v]
	f0 = [v for t, v in fd if t >= warm and v]
	fl = [v for t, v in fd if t >= dur - 60 and v]
	if not first or not last or not f0 or not fl:
		print(name, "none")
		continue
	a, b = sum(first) / len(first), sum(last) / len(last)
	print(name, "%.0f %.0f %.2f %d %d %d" % (a, b, 100.0 * (b - a) / a,
						  f0[0], max(fl), max(v for t, v in rss)))
EOF
while read -r name a b pct fd0 fdmax rmax; do
	if [ "$a" = none ]; then
		not_ok "$name: no samples (it did not run?)"
		continue
	fi
	if python3 -c "import sys; sys.exit(not float('$pct') <= 5.0)"; then
		ok "$name: RSS flat: ${a} kB in the first minute after warm-up, ${b} kB in the last ($pct%; peak $rmax kB)"
	else
		not_ok "$name: RSS grew: ${a} kB in the first minute after warm-up, ${b} kB in the last ($pct%)"
	fi
	if [ "$fdmax" -le "$fd0" ]; then
		ok "$name: no fd growth ($fd0 after warm-up, at most $fdmax in the last minute)"
	else
		not_ok "$name: fds grew from $fd0 to $fdmax"
	fi
done < flat.txt

# the captures
nf=0 bad=0 recs=0 drops=0
: > captures.txt
for f in $(ls soak.*.data 2>/dev/null | sort -t. -k2 -n); do
	nf=$((nf + 1))
	if ! "$P" report --json "$f" > "$f.json" 2> "$f.err"; then
		bad=$((bad + 1))
		echo "# $f: $(cat "$f.err")"
		continue
	fi
	read -r r c st d < <(python3 -c 'import json, sys
j = json.load(open(sys.argv[1])); i = j["inputs"][0]
print(j["records"], i["complete"], i["stop"].replace(" ", "_"), i["drops"])' "$f.json")
	echo "$f $(stat -c %s "$f") $r $c $st $d" >> captures.txt
	recs=$((recs + r))
	[ "$d" = None ] || drops=$((drops + d))
	[ "$c" = True ] || bad=$((bad + 1))
done
nsize=$(grep -c ' max_size_reached ' captures.txt)
if [ "$nf" -ge 2 ] && [ "$bad" -eq 0 ]; then
	ok "$nf rotated captures ($nsize ended at --max-size $MAXSIZE), all complete and readable: $recs records"
else
	not_ok "$nf captures, $bad unreadable or incomplete (need at least 2 files: lower SOAK_MAX_SIZE)"
fi

# loss: stat's and the captures' drops
sops=$(python3 -c 'import json; j = json.load(open("stat.json")); print(j["uffd_zeropage"]["count"], j["lost"])' 2>/dev/null)
tdrops=$(grep -Eio 'drops[^0-9]*[0-9,]+' top.out | tr -d ',' | grep -Eo '[0-9]+$' | sort -n | tail -n 1)
if [ -n "$sops" ] && [ "${sops#* }" = 0 ] && [ "$drops" -eq 0 ] && [ "${tdrops:-0}" -eq 0 ]; then
	ok "0 loss: stat counted ${sops% *} uffd_zeropage ops, lost 0; captures 0 drops; top 0 drops"
else
	not_ok "loss: stat (count lost) '$sops', captures' drops $drops, top's drops '${tdrops:-?}'"
fi
{
	echo "duration ${DUR}s, warm-up ${WARMUP}s, workload delay ${DELAY} us, --max-size $MAXSIZE"
	echo "stat: uffd_zeropage ops and lost: $sops"
	echo "captures: $nf files, $recs records ($(awk '{ s += $2 } END { print s }' captures.txt) bytes)"
	echo "RSS (kB: first minute after warm-up, last minute, change %, fds after warm-up, most fds at the end, peak RSS):"
	cat flat.txt
} > summary.txt
sed 's/^/# /' summary.txt
[ "$fails" -eq 0 ]
