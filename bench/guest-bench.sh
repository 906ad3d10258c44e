#!/bin/sh
# guest-bench.sh - the in-guest part of bench/run.sh (7.3 guest, fentry
# mode).  Runs bench/ioctl_loop under each variant, interleaved:
#   a   no tracing
#   b   floor: empty programs on pfnmap's attach points (floor-targets)
#   c   pfnmap record (every operation a record through the ring buffer;
#       no --self-cost, so no BPF_ENABLE_STATS)
#   d   the matching bpftrace script (uffd_retry.bt, pfnmap_zap.bt)
#   e   pfnmap stat (counts in per-CPU maps, read once at the end)
#   x   pfnmap export --textfile, system-wide, started before the loop and
#       stopped after it (counts in per-CPU maps, read every
#       BENCH_X_INTERVAL seconds, default 1: 15 times the usual scrape)
#   bs  floor with BPF_ENABLE_STATS (what --self-cost's stats cost an
#       empty program, per program run: map-dma-bar runs hundreds per op)
# and appends one JSON line per run to $PFNMAP_OUT/bench/results.jsonl:
#   {"bench":..,"variant":..,"rep":..,"rc":..,"secs":..,"loop":{ioctl_loop's line}}
# (secs: the whole run, tool start-up and exit included, for planning).
# Tool output lands beside it (record-*.txt: record's summary; stat-*.json;
# export-*.prom: the exporter's last textfile; bt-*.json; progs-*.txt:
# every program's run count and time, from one `record --self-cost`
# session per series, whose summary is record-BENCH-progs.txt).
# Series (bench names): uffd-copy (a b c d e x) and map-dma-1p (a b c d e;
# one BAR page per map), BENCH_OPS ops (200000) x BENCH_REPS (6: a
# paired sign test still at p = 0.031, and the part stays near 15 min);
# map-dma-bar (the whole 1 MiB BAR, 256 pages, per map; a b bs c d e)
# BENCH_BAR_OPS (500) x BENCH_BAR_REPS (5); uffd-copy-t2 (2 threads;
# a c e) BENCH_T2_OPS (50000 per thread) x BENCH_T2_REPS (3).
# BENCH_ONLY="name ..." runs only those.  A progs-OPS of 0 skips the
# per-program breakdown run of a series.
# shellcheck disable=SC2086,SC3045 # FLOOR and VARIANTS are word lists; busybox has ulimit -l
set -u
d=/opt/pfnmap
export PATH="$d:$PATH"
OPS=${BENCH_OPS:-200000}
REPS=${BENCH_REPS:-6}
BAR_OPS=${BENCH_BAR_OPS:-500}
BAR_REPS=${BENCH_BAR_REPS:-5}
T2_OPS=${BENCH_T2_OPS:-50000}
T2_REPS=${BENCH_T2_REPS:-3}
X_INTERVAL=${BENCH_X_INTERVAL:-1}
ONLY=${BENCH_ONLY:-}
out=$PFNMAP_OUT/bench
res=$out/results.jsonl
mkdir -p "$out"
: >"$res"
ulimit -l unlimited 2>/dev/null

# The floor: an empty program wherever pfnmap has one on this kernel
# (fentry/fexit functions, ioctl and fork tracepoints), read from the
# programs of a live pfnmap session.
FLOOR=$(pfnmap stat -o /dev/null -- floor --pfnmap-targets)
echo "$FLOOR" >"$out/floor-targets"
case $FLOOR in *-[fx]\ *) ;; *) echo "guest-bench: no fentry targets found: '$FLOOR'" ;; esac

uname -r >"$out/kernel"
echo "$X_INTERVAL" >"$out/x-interval"
pfnmap probe --json >"$out/probe.json" 2>"$out/probe.err"
bpftrace --version >"$out/bpftrace-version" 2>&1
cat /sys/devices/system/clocksource/clocksource0/current_clocksource \
	>"$out/clocksource" 2>/dev/null
START=$(cut -d. -f1 /proc/uptime)

say() { echo "guest-bench: [$(( $(cut -d. -f1 /proc/uptime) - START ))s] $*"; }

# export LOOP-ARGS...: variant x.  The exporter writes its textfile once
# its programs are attached, then every X_INTERVAL seconds: the loop starts
# only once the file is there (start-up is not measured: the loop times
# itself), and the exporter is stopped by its PID after the loop.
export_run() {
	xd=/tmp/bench-export
	xf=$xd/pfnmap.prom
	rm -rf "$xd"
	mkdir -p "$xd"
	pfnmap export --textfile "$xf" -d "$X_INTERVAL" 2>"$out/export-$tag.txt" &
	xpid=$!
	n=0
	# up to 5 minutes: loading the programs in a TCG guest is slow
	while [ ! -e "$xf" ] && kill -0 "$xpid" 2>/dev/null && [ "$n" -lt 3000 ]; do
		usleep 100000
		n=$((n + 1))
	done
	if [ -e "$xf" ]; then
		ioctl_loop "$@" >/tmp/loop.out 2>/tmp/loop.err
		xrc=$?
	else
		echo "export wrote no $xf in $((n / 10))s" >/tmp/loop.err
		: >/tmp/loop.out
		xrc=1
	fi
	kill -INT "$xpid" 2>/dev/null
	wait "$xpid"
	erc=$?
	cp "$xf" "$out/export-$tag.prom" 2>/dev/null
	rm -rf "$xd"
	# the loop's status first; then the exporter's (0 when stopped by a signal)
	[ "$xrc" != 0 ] && return "$xrc"
	return "$erc"
}

# run BENCH VARIANT REP SCRIPT LOOP-ARGS...
run() {
	b=$1 v=$2 r=$3 bt=$4
	shift 4
	tag=$b-$v-$r
	t0=$(cut -d' ' -f1 /proc/uptime)
	case $v in
	a) ioctl_loop "$@" >/tmp/loop.out 2>/tmp/loop.err ;;
	b) floor $FLOOR -- ioctl_loop "$@" >/tmp/loop.out 2>/tmp/loop.err ;;
	bs) floor --stats -o "$out/floor-$tag.json" $FLOOR -- ioctl_loop "$@" \
		>/tmp/loop.out 2>/tmp/loop.err ;;
	c) pfnmap record -f -o /tmp/bench.data -- ioctl_loop "$@" \
		>/tmp/loop.out 2>"$out/record-$tag.txt" ;;
	e) pfnmap stat --json -o "$out/stat-$tag.json" -- ioctl_loop "$@" \
		>/tmp/loop.out 2>/tmp/loop.err ;;
	d) bpftrace -f json -o "$out/bt-$tag.json" \
		-c "$d/ioctl_loop $*" "$d/bpftrace/$bt" \
		>/tmp/loop.out 2>/tmp/loop.err ;;
	x) export_run "$@" ;;
	esac
	rc=$?
	secs=$(awk -v a="$t0" '{ printf "%.2f", $1 - a }' /proc/uptime)
	line=$(grep '^{' /tmp/loop.out | tail -n 1)
	[ -n "$line" ] || line=null
	echo "{\"bench\":\"$b\",\"variant\":\"$v\",\"rep\":$r,\"rc\":$rc,\"secs\":$secs,\"loop\":$line}" >>"$res"
	if [ "$rc" != 0 ] || [ "$line" = null ]; then
		say "$tag failed (rc $rc): $(tail -n 2 /tmp/loop.err "$out/record-$tag.txt" "$out/export-$tag.txt" 2>/dev/null | tr '\n' ' ')"
	fi
}

# rotate N LIST...: LIST rotated left by N (interleaving without a fixed order)
rotate() {
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		first=$1
		shift
		set -- "$@" "$first"
		n=$((n - 1))
	done
	echo "$@"
}

wanted() {
	[ -z "$ONLY" ] && return 0
	case " $ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}

# series BENCH REPS "VARIANTS" SCRIPT PROGS_OPS LOOP-ARGS...
series() {
	sb=$1 reps=$2 vs=$3 sbt=$4 pops=$5
	shift 5
	wanted "$sb" || return 0
	say "$sb: $reps reps of {$vs}: ioctl_loop $*"
	nv=$(echo $vs | wc -w)
	rep=1
	while [ "$rep" -le "$reps" ]; do
		for v in $(rotate $(( (rep - 1) % nv )) $vs); do
			run "$sb" "$v" "$rep" "$sbt" "$@"
		done
		rep=$((rep + 1))
	done
	[ "$pops" -gt 0 ] || return 0
	# every program's run count and time, inside one record session with
	# --self-cost (the only run with BPF_ENABLE_STATS but bs; -n PROGS_OPS
	# comes last: it wins); \$PPID: record's, to list only its programs
	pfnmap record --self-cost -f -o /tmp/progs.data -- sh -c \
		"ioctl_loop $* -n $pops >/dev/null; floor --list \$PPID >$out/progs-$sb.txt" \
		2>"$out/record-$sb-progs.txt"
	echo "$pops" >"$out/progs-$sb.ops"
}

# x only in uffd-copy: it counts in the kernel like stat, but system-wide
# and with periodic reads; one series says what those add next to e.  bs
# only in map-dma-bar, where hundreds of program runs per op make the
# per-run cost of BPF_ENABLE_STATS (which inflates the progs tables)
# measurable cheaply.
series uffd-copy "$REPS" "a b c d e x" uffd_retry.bt 20000 uffd-copy -n "$OPS"
series map-dma-1p "$REPS" "a b c d e" pfnmap_zap.bt 20000 map-dma -n "$OPS" --bar-pages 1
series map-dma-bar "$BAR_REPS" "a b bs c d e" pfnmap_zap.bt 100 map-dma -n "$BAR_OPS"
series uffd-copy-t2 "$T2_REPS" "a c e" uffd_retry.bt 0 uffd-copy -n "$T2_OPS" -t 2
say "done"
