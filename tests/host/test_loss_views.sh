#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_loss_views.sh - exact loss accounting under overload, black box,
# in each view that counts: `stat --json`, `top --json` (batch) and
# `record` + `report --json`.  The consumer is stopped (SIGSTOP) while a
# uffd workload makes more operations than the ring buffer holds (4 MiB:
# about 21,000 records), then let go.  The workload prints its own
# count; per kind it must hold that
#
#	operations made = operations counted + records reported lost
#
# exactly, with "lost" read from the JSON the command printed ("lost" of
# stat, "drops" of top's last snapshot, "drops" of report's inputs).  A
# view that counts in the kernel may lose nothing: the equation holds
# with lost 0.  A missing lost key fails.  Each kind runs alone (lost is
# one total per run, not per kind), then both in one run (the sum, and
# no kind counted above what was made of it).  record must really have
# overflowed (lost > 0): it sends every operation through the ring.
#
# One line per assertion: "ok - loss: ...", "not ok - loss: ...".
# LOSS_OPS (60000) sets the operations per kind, LOSS_VIEWS ("stat top
# record") the views, LOSS_KEEP=1 keeps the files of the runs.  PFNMAP,
# STRESS override the binaries.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
P=$(realpath -m "${PFNMAP:-$top/build/pfnmap}")
S=$(realpath -m "${STRESS:-$top/build/pfnmap-stress}")
N=${LOSS_OPS:-60000}
fails=0
tmp=$(mktemp -d /tmp/pfnmap-test-loss.XXXXXX)
bg_pids=()

cleanup() {
	local p
	for p in "${bg_pids[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${LOSS_KEEP:-}" ] && trap - EXIT && echo "# in $tmp"

ok() { echo "ok - loss: $*"; }
not_ok() { echo "not ok - loss: $*"; fails=$((fails + 1)); }

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - loss: needs root"
	exit 0
fi
if [ ! -x "$P" ] || [ ! -x "$S" ]; then
	echo "not ok - loss: build/pfnmap and build/pfnmap-stress must be built"
	exit 1
fi
cd "$tmp" || exit 1

# The workload under a name of its own: top selects it by comm, and other
# pfnmap-stress runs on this host (other suites) must not count.
comm=lv$$
cp "$S" "$comm"
W=$tmp/$comm

# work.sh KIND...: runs the workload of each kind, its JSON to KIND.made
cat > work.sh <<EOF
#!/bin/sh
for k in "\$@"; do
	case \$k in
	uffd_copy) "$W" uffd-copy --dst filled -n $N > \$k.made ;;
	uffd_zeropage) "$W" uffd-zeropage -n $N > \$k.made ;;
	esac
done
EOF
chmod +x work.sh

# A view's result as "KIND=COUNT ... lost=LOST" (lost=missing if its JSON
# has no such key), from stat JSON, top JSON lines or report JSON.
counts() {
	python3 - "$@" <<'EOF'
import json, sys
view, path = sys.argv[1], sys.argv[2]
kinds = {}
lost = "missing"
if view == "stat":
    j = json.load(open(path))
    for k in j.get("mode", {}):
        kinds[k] = (j.get(k) or {}).get("count", 0)
    lost = j.get("lost", "missing")
elif view == "top":
    snaps = [json.loads(l) for l in open(path) if l.strip()]
    for s in snaps:
        for r in s["rows"]:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + r["count"]
    if snaps and all("drops" in s and "drops_interval" in s for s in snaps):
        lost = snaps[-1]["drops"]
        # the intervals' drops add up to the total since the start
        if sum(s["drops_interval"] for s in snaps) != lost:
            lost = "inconsistent"
else:
    j = json.load(open(path))
    for k, v in j["kinds"].items():
        kinds[k] = v.get("count", 0)
    ins = j.get("inputs", [])
    if ins and all("drops" in i for i in ins):
        lost = sum(i["drops"] for i in ins)
print(" ".join(f"{k}={v}" for k, v in sorted(kinds.items()) if v),
      f"lost={lost}")
EOF
}

# run_stat KIND...: stat stopped for the time of the workload
run_stat() {
	"$P" stat --json -o "$out.json" -- sh -c \
		'kill -STOP $PPID; ./work.sh "$@"; kill -CONT $PPID' sh "$@" \
		> "$out.out" 2> "$out.err"
	counts stat "$out.json"
}

run_record() {
	"$P" record -o "$out.data" -- sh -c \
		'kill -STOP $PPID; ./work.sh "$@"; kill -CONT $PPID' sh "$@" \
		> "$out.out" 2> "$out.err"
	"$P" report --json "$out.data" > "$out.json" 2>> "$out.err"
	counts record "$out.json"
}

# drained FILE N: after line N of top's JSON lines, a snapshot that saw
# the workload (rows or drops), then two that saw nothing more.
drained() {
	tail -n +$(($2 + 1)) "$1" | python3 -c '
import json, sys
busy = [bool(s["rows"]) or s.get("drops_interval", 0) > 0
        for s in map(json.loads, sys.stdin) if s]
sys.exit(0 if any(busy) and len(busy) >= 3 and not any(busy[-2:]) else 1)'
}

# top watches the workload's comm: started, stopped once it has shown a
# snapshot (attached), the workload run, let go; ended by SIGTERM once
# drained (or after 30 s: then the counts tell what is missing).
run_top() {
	local t lines

	"$P" top --json -d 0.5 -c "$comm" > "$out.jsonl" 2> "$out.err" &
	t=$!
	bg_pids+=("$t")
	for _ in $(seq 200); do
		[ -s "$out.jsonl" ] && break
		sleep 0.1
	done
	kill -STOP "$t"
	./work.sh "$@"
	lines=$(wc -l < "$out.jsonl")	# before it runs again: it may write at once
	kill -CONT "$t"
	for _ in $(seq 120); do
		sleep 0.25
		drained "$out.jsonl" "$lines" 2>/dev/null && break
	done
	kill -TERM "$t"
	wait "$t"
	bg_pids=()
	counts top "$out.jsonl"
}

# made KIND: the workload's own count
made() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ops"])' \
		"$1.made" 2>/dev/null || echo 0
}

# What a failed run leaves: top's snapshots, and stderr.
diag() {
	[ -f "$out.jsonl" ] && printf '%s snapshots, ' "$(wc -l < "$out.jsonl")"
	printf 'stderr: %s' "$(head -c 300 "$out.err" | tr '\n' ' ')"
}

# check_run VIEW KIND...: one overloaded run of VIEW over the kinds
check_run() {
	local view=$1 got lost k m c sum_made=0 sum_counted=0 bad=
	shift
	rm -f ./*.made
	out=$view-$(tr ' ' + <<< "$*")	# the run's files (LOSS_KEEP=1 keeps them)
	got=$("run_$view" "$@")
	lost=${got##*lost=}
	case $lost in
	missing | inconsistent | '')
		not_ok "$view $*: no lost count in its JSON ($lost): $got"
		return ;;
	esac
	for k in "$@"; do
		m=$(made "$k")
		c=$(grep -o "\b$k=[0-9]*" <<< "$got" | cut -d= -f2)
		c=${c:-0}
		sum_made=$((sum_made + m))
		sum_counted=$((sum_counted + c))
		[ "$m" -gt 0 ] && [ "$c" -le "$m" ] || bad="$bad $k: made $m counted $c;"
	done
	# nothing counted of a kind the workload did not make
	for k in $(grep -o '[a-z_]*=' <<< "${got% lost=*}" | tr -d =); do
		case " $* " in *" $k "*) ;; *) bad="$bad $k counted, never made;" ;; esac
	done
	if [ -z "$bad" ] && [ $((sum_counted + lost)) -eq "$sum_made" ]; then
		ok "$view $*: made $sum_made = counted $sum_counted + lost $lost"
	else
		not_ok "$view $*: made $sum_made, counted $sum_counted + lost $lost ($got)$bad; $(diag)"
	fi
	if [ "$view" = record ]; then
		if [ "$lost" -gt 0 ]; then
			ok "$view $*: the ring overflowed on purpose ($lost lost)"
		else
			not_ok "$view $*: nothing lost: the overload did not happen"
		fi
	fi
}

for view in ${LOSS_VIEWS:-stat top record}; do
	check_run "$view" uffd_copy
	check_run "$view" uffd_zeropage
	check_run "$view" uffd_copy uffd_zeropage
done

[ "$fails" -eq 0 ]
