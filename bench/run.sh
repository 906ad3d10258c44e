#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh - the benchmarks of pfnmap (`make bench`): what tracing
# costs per operation in the kernel (7.3 guest: fentry/fexit; this host:
# the ioctl tracepoints), next to no tracing, empty BPF programs and
# bpftrace, for each of pfnmap's modes: record (a record per operation),
# stat and export (counts in per-CPU maps); what record, report and top
# cost in user space.  Prints a table and writes docs/bench.md.  About 20
# minutes on a 2-core machine.
#
#   bench/run.sh                      everything
#   BENCH_QUICK=1 bench/run.sh        a smoke test: few ops, 3 repetitions
#   BENCH_SKIP_HOST=1 / BENCH_SKIP_GUEST=1   reuse the last results of a half
#   BENCH_MD=FILE                     write FILE instead of docs/bench.md
#
# Results: build/bench/host/ (host runs, info.json) and
# build/bench/guest/out/bench/ (guest runs), one JSON line per run in
# results.jsonl.  Knobs: see bench/bench.py and bench/guest-bench.sh.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
OUT=build/bench
MD=${BENCH_MD:-docs/bench.md}
T0=$SECONDS

# $OUT/timings: "PHASE SECONDS" per phase of the last run that did it
mkdir -p "$OUT"
touch "$OUT/timings"
P0=$SECONDS
phase() {
	grep -v "^$1 " "$OUT/timings" >"$OUT/timings.new"
	echo "$1 $((SECONDS - P0))" >>"$OUT/timings.new"
	mv "$OUT/timings.new" "$OUT/timings"
	P0=$SECONDS
}
say() { printf 'bench: [%ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { say "$*"; exit 1; }

if [ -n "${BENCH_QUICK:-}" ]; then
	export BENCH_OPS=${BENCH_OPS:-20000} BENCH_REPS=${BENCH_REPS:-3}
	export BENCH_BAR_OPS=${BENCH_BAR_OPS:-50} BENCH_BAR_REPS=${BENCH_BAR_REPS:-3}
	export BENCH_T2_OPS=${BENCH_T2_OPS:-5000}
	export BENCH_HOST_NR_OPS=${BENCH_HOST_NR_OPS:-100000}
	export BENCH_TP_RECORDS=${BENCH_TP_RECORDS:-500000}
fi

# ---- build ------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "needs root (BPF, VFIO in the guest)"
scripts/setup.sh >&2 || die "scripts/setup.sh failed"
command -v bpftrace >/dev/null || die "bpftrace missing (scripts/setup.sh installs it)"
mk=(make -s)
grep -q 'bench/Makefile.inc' Makefile || mk=(make -s -f Makefile -f bench/Makefile.inc)
"${mk[@]}" bench-build || die "build failed"
make -s OUTPUT=build/static STATIC=1 build/static/pfnmap 2>/dev/null ||
	die "static build failed"
say "built"
phase built
export PFNMAP=$top/build/pfnmap LOOP=$top/$OUT/ioctl_loop FLOOR=$top/$OUT/floor
ulimit -l unlimited 2>/dev/null

# ---- host ------------------------------------------------------------------
P0=$SECONDS
if [ -z "${BENCH_SKIP_HOST:-}" ]; then
	say "host part (kernel $(uname -r))"
	python3 bench/bench.py host "$OUT/host" || die "host part failed"
	say "host part done"
	phase host
fi

# ---- guest -----------------------------------------------------------------
P0=$SECONDS
if [ -z "${BENCH_SKIP_GUEST:-}" ]; then
	say "guest part (7.3, TCG: most of the time)"
	envs=""
	for v in BENCH_OPS BENCH_REPS BENCH_BAR_OPS BENCH_BAR_REPS BENCH_X_INTERVAL \
		BENCH_T2_OPS BENCH_T2_REPS BENCH_ONLY; do
		[ -n "${!v:-}" ] && envs+="$v='${!v}' "
	done
	rm -rf "$OUT/guest"
	# the guest has no git: say here what it runs
	echo "$(git describe --always --dirty 2>/dev/null) $(cat bpf/*.h bpf/*.bpf.c | sha256sum | cut -c1-12)" \
		>"$OUT/guest-version"
	tests/vm/run-guest.sh -k 7.3 -t "${BENCH_GUEST_TIMEOUT:-1500}" -o "$OUT/guest" \
		-c "${envs}/opt/pfnmap/guest-bench.sh" -- \
		build/static/pfnmap=pfnmap "$OUT/ioctl_loop" "$OUT/floor" \
		bench/guest-bench.sh bpftrace /usr/bin/bpftrace=/usr/bin/bpftrace \
		>&2 || say "guest part failed (exit $?): partial results"
	say "guest part done"
	phase guest
fi

# ---- report ----------------------------------------------------------------
python3 bench/bench.py report "$OUT/host" "$OUT/guest/out/bench" --md "$MD" ||
	die "report failed"
say "total $((SECONDS - T0))s"
