#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# sanitize.sh [OUTDIR] - the host part of the suite against the sanitizer
# build: `make SANITIZE=1` (build/asan/pfnmap: ASan + UBSan, no recovery),
# then its unit tests, tests/collect.sh + tests/check.py and the host
# tests that run the program, with PFNMAP=build/asan/pfnmap (and the kill
# storm with 20 runs).  Any sanitizer report fails:
# reports go to OUTDIR/san/{asan,ubsan}.PID (log_path) and the tests'
# output is searched for them as well.
#
# Not run here: the tests of packaging (test_apt_private, test_completion,
# test_deb, test_install, test_patches: they build or fetch, and the
# normal host row runs them) and SKIP_COPY in test_registry (it builds a
# copy of the tree: the normal row does).  scripts/test-all.sh calls this
# as its "asan" row; about 3 minutes on a 2-core machine.
#
# Prints "ok - [asan] ...", "not ok - [asan] ..." or "skip - [asan] ...";
# exit 1 if one failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
top=$PWD
out=$(realpath -m "${1:-build/test-results/asan}")
A=build/asan
fails=0

rm -rf "$out"
mkdir -p "$out/san"

if ! make -s SANITIZE=1 OUTPUT=$A all > "$out/build.log" 2>&1; then
	echo "not ok - [asan] make SANITIZE=1 failed: $(tail -n 3 "$out/build.log" | tr '\n' ' ')"
	exit 1
fi
echo "ok - [asan] make SANITIZE=1: $A/pfnmap (ASan + UBSan, -fno-sanitize-recover=all)"

export PFNMAP=$top/$A/pfnmap STRESS=$top/$A/pfnmap-stress
export PFNMAP_TOP=$top/$A/pfnmap-top
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:log_path=$out/san/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$out/san/ubsan"
export SKIP_COPY=1
# the kill storm: its full count runs in the host row
export KILL_STORM_RUNS=${ASAN_KILL_STORM_RUNS:-20}

# run NAME CMD...: its lines tagged [asan], its whole output kept
run() {
	local name=$1 rc
	shift
	"$@" > "$out/$name.out" 2>&1
	rc=$?
	sed -E 's/^(ok|not ok|skip) - (\[asan\] )?/\1 - [asan] /' "$out/$name.out" |
		grep -E '^(ok|not ok|skip) - '
	if [ "$rc" -ne 0 ]; then
		echo "not ok - [asan] $name exited $rc"
		fails=$((fails + 1))
	fi
}

# the unit tests, built with the same flags
if make -s SANITIZE=1 OUTPUT=$A unit > "$out/unit.out" 2>&1; then
	echo "ok - [asan] unit tests: $(grep -o 'PASSED  \] [0-9]*' "$out/unit.out" | awk '{ s += $3 } END { print s }') tests under ASan + UBSan"
else
	grep -E 'FAILED|ERROR|runtime error' "$out/unit.out" | head -n 5 | sed 's/^/# /'
	echo "not ok - [asan] unit tests (see $out/unit.out)"
	fails=$((fails + 1))
fi
run collect tests/collect.sh "$out/collect" uffd
run check python3 tests/check.py "$out/collect" asan
for t in test_abi2 test_bad_input test_cli test_diff test_help test_loss_views \
	 test_postcopy test_record test_registry test_top_batch test_top_tui \
	 test_kill_storm; do
	[ -x "tests/host/$t.sh" ] || continue
	run "$t" "tests/host/$t.sh"
done

# Any report: a log_path file, or one in the output of a test
shopt -s nullglob
logs=("$out"/san/*)
shopt -u nullglob
hits=$(grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:|UndefinedBehaviorSanitizer' \
	"$out"/*.out "$out"/collect/*.err 2>/dev/null)
if [ ${#logs[@]} -eq 0 ] && [ -z "$hits" ]; then
	echo "ok - [asan] no sanitizer report (ASan, LSan, UBSan)"
else
	for f in "${logs[@]}" $hits; do
		echo "# $f:"
		grep -E 'ERROR|runtime error|SUMMARY|#[0-9] ' "$f" | head -n 12 | sed 's/^/#   /'
	done
	echo "not ok - [asan] sanitizer reports: ${logs[*]} $hits"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ]
