#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test-all.sh - every test of pfnmap, from a fresh machine: installs what
# it needs, builds, runs the unit tests, the host tests (this kernel's
# fallback mode) and the VM suite on each kernel of $KERNELS (default:
# 6.1 6.12 7.3), then prints one row per kernel and the closing line
# "N passed, M failed, K skipped".
#
#   KERNELS="7.3" scripts/test-all.sh     # a subset of the matrix
#   SKIP_VM=1 scripts/test-all.sh         # host only (says so, loudly)
#   QEMU_VFIO_KERNELS="7.3"               # where QEMU with an assigned
#                                         # device runs (default: all three)
#
# Every assertion prints one line: "ok - ...", "not ok - ..." or
# "skip - ..." (a kernel or field that is not available: never a pass).
# Exit status: 0 if nothing failed, 1 otherwise.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
KERNELS=${KERNELS:-6.1 6.12 7.3}
results=build/test-results
log=$results/all.log
declare -A row_pass row_fail row_skip

mkdir -p "$results"
: > "$log"

note() { printf 'test-all: %s\n' "$*" >&2; }

# Runs a producer of ok/not ok/skip lines, tees them, tallies them by row.
tally() {
	local row=$1
	shift
	local line
	row_pass[$row]=${row_pass[$row]:-0}
	row_fail[$row]=${row_fail[$row]:-0}
	row_skip[$row]=${row_skip[$row]:-0}
	while IFS= read -r line; do
		printf '%s\n' "$line" | tee -a "$log"
		case "$line" in
		"ok - "*) row_pass[$row]=$((row_pass[$row] + 1)) ;;
		"not ok - "*) row_fail[$row]=$((row_fail[$row] + 1)) ;;
		"skip - "*) row_skip[$row]=$((row_skip[$row] + 1)) ;;
		esac
	done < <("$@" 2>&1)
}

build() {
	scripts/setup.sh >&2 || { echo "not ok - setup: installing packages failed"; return; }
	if make -s all >&2 && make -s OUTPUT=build/static STATIC=1 build/static/pfnmap >&2; then
		echo "ok - build: build/pfnmap, build/static/pfnmap, build/pfnmap-stress"
	else
		echo "not ok - build failed"
	fi
	# The man pages quote docs/bench.md cell by cell: a regenerated bench
	# that moved a cell fails here, not in the packaging tests.
	if make -s man completion >&2; then
		echo "ok - build: man pages and completion (their bench cells found)"
	else
		echo "not ok - build: man pages or completion"
	fi
}

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)".
unit() {
	local t out
	make -s unit-build >&2 || { echo "not ok - unit: build failed"; return; }
	for t in build/tests/test_*; do
		[ -x "$t" ] || continue
		if out=$("$t" 2>&1); then
			echo "ok - unit $(basename "$t"): $(grep -o 'PASSED  \] [0-9]* test' <<< "$out" | grep -o '[0-9]*') tests"
		else
			printf '%s\n' "$out" | grep -E 'FAILED|ERROR' | sed 's/^/# /'
			echo "not ok - unit $(basename "$t")"
		fi
	done
}

# check.py exits 1 when an assertion failed (already said), else crashed.
check() {
	python3 tests/check.py "$1" "$2"
	local rc=$?
	[ "$rc" -le 1 ] || echo "not ok - [$2] tests/check.py crashed (exit $rc)"
}

host() {
	local out=$results/host t rc
	rm -rf "$out"
	PFNMAP=build/pfnmap STRESS=build/pfnmap-stress tests/collect.sh "$out" uffd > /dev/null
	check "$out" host
	for t in tests/host/test_*.sh; do
		[ -x "$t" ] || continue
		"$t"
		rc=$?
		[ "$rc" -eq 0 ] || echo "not ok - $(basename "$t") exited $rc"
	done
}

# The host part again, against build/asan/pfnmap (ASan + UBSan): any
# sanitizer report fails (tests/sanitize.sh).
asan() {
	tests/sanitize.sh "$results/asan"
	local rc=$?
	[ "$rc" -le 1 ] || echo "not ok - [asan] tests/sanitize.sh crashed (exit $rc)"
}

# One kernel: boot, run the guest suite, check its files here.
vm() {
	local k=$1 out=$results/vm-$k rc
	local -a extra=()
	rm -rf "$out"
	shopt -s nullglob
	extra=(tests/vm/guest_*.sh)
	shopt -u nullglob
	# bpftrace (its libraries follow) and the bpftrace/ scripts directory,
	# for the bpftrace edition's guest test
	if command -v bpftrace > /dev/null; then
		extra+=(bpftrace "$(command -v bpftrace)=/usr/bin/bpftrace")
	fi
	# QEMU, its firmware, strace and setpriv for guest_qemu_vfio.sh, on
	# $QEMU_VFIO_KERNELS only (~18 MiB more image, a 1.5 GiB guest); the
	# others skip it, saying so
	local -a mem=()
	if [[ " ${QEMU_VFIO_KERNELS-6.1 6.12 7.3} " == *" $k "* ]]; then
		mapfile -t -O "${#extra[@]}" extra < <(tests/vm/guest_qemu_vfio.sh --files)
		mem=(-m 1536M)
	fi
	if ! tests/vm/fetch-kernel.sh "$k" >&2; then
		echo "skip - [$k] KERNEL NOT AVAILABLE: fetching the Debian $k kernel failed"
		return
	fi
	tests/vm/run-guest.sh -k "$k" "${mem[@]}" -t 600 -o "$out" -e guest-suite.sh -- \
		build/static/pfnmap build/pfnmap-stress tests/collect.sh \
		tests/scenarios.txt tests/vm/guest-suite.sh "${extra[@]}" \
		> "$out.log" 2>&1
	rc=$?
	sed 's/^/# /' "$out.log" | grep -E 'run-guest|guest-suite|collected' >&2
	if [ "$rc" -ne 0 ]; then
		echo "not ok - [$k] guest suite did not complete (run-guest exit $rc, see $out.log)"
		return
	fi
	echo "ok - [$k] booted $(cut -d' ' -f1,2 "build/kernels/$k/VERSION" 2>/dev/null) and ran the guest suite"
	check "$out/out/collect" "$k"
	for t in tests/vm/check_*.sh; do
		[ -x "$t" ] || continue
		"$t" "$out/out" "$k"
		rc=$?
		[ "$rc" -eq 0 ] || echo "not ok - [$k] $(basename "$t") exited $rc"
	done
}

# docs/kernels.md: the matrix as measured by this run (host + guests).
kernels_md() {
	local -a cols=(host="$results/host/probe.json")
	local k p
	for k in $KERNELS; do
		p=$results/vm-$k/out/collect/probe.json
		[ -s "$p" ] && cols+=("$k=$p:build/kernels/$k/VERSION")
	done
	[ -s "$results/host/probe.json" ] &&
		python3 tests/gen-kernels-md.py docs/kernels.md "${cols[@]}" &&
		note "wrote docs/kernels.md (${#cols[@]} columns)"
}

summary() {
	local row p=0 f=0 s=0
	printf '\n%-8s %7s %7s %7s\n' "ROW" "PASSED" "FAILED" "SKIPPED"
	for row in build unit host asan $KERNELS fleet patch; do
		[ -n "${row_pass[$row]+x}" ] || continue
		printf '%-8s %7d %7d %7d\n' "$row" "${row_pass[$row]}" \
			"${row_fail[$row]}" "${row_skip[$row]}"
		p=$((p + row_pass[$row]))
		f=$((f + row_fail[$row]))
		s=$((s + row_skip[$row]))
	done
	[ -n "${SKIP_VM:-}" ] && printf 'VM SUITE SKIPPED (SKIP_VM set): kernels %s NOT TESTED\n' "$KERNELS"
	[ -n "${ROWS:-}" ] && printf 'ONLY ROWS %s (ROWS set): the others NOT TESTED\n' "$ROWS"
	printf '\n%d passed, %d failed, %d skipped\n' "$p" "$f" "$s"
	[ "$f" -eq 0 ]
}

# ROWS="unit host": only these of unit, host, asan, patch, fleet (developers'
# runs; the kernels are chosen with KERNELS).  Says so in the summary.
row_on() { [ -z "${ROWS:-}" ] || [[ " $ROWS " == *" $1 "* ]]; }

tally build build
if [ "${row_fail[build]}" -eq 0 ]; then
	row_on unit && tally unit unit
	row_on host && tally host host
	row_on asan && tally asan asan
	if [ -z "${SKIP_VM:-}" ]; then
		for k in $KERNELS; do
			tally "$k" vm "$k"
		done
		! row_on patch || [[ " $KERNELS " != *" 6.12 "* ]] || tally patch patches/validate.sh -S patches/0001-vfio-type1-retry-follow_pfnmap_start-when-PFNMAP-is-zapped.patch
		# fleet: one Prometheus scraping this host and a 7.3 guest at once
		# (tests/vm/test_fleet_prometheus.sh); the guest needs 7.3's fentry.
		if ! row_on fleet; then :
		elif [[ " $KERNELS " == *" 7.3 "* ]]; then
			tally fleet tests/vm/test_fleet_prometheus.sh
		else
			tally fleet echo "skip - fleet: NOT RUN: 7.3 not in KERNELS ($KERNELS)"
		fi
	fi
fi
kernels_md
summary
