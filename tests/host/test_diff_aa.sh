#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_diff_aa.sh - is `pfnmap diff` calibrated on this host?
#
# A/A: K (10) comparisons of R (5) runs against R runs of one workload
# (pfnmap record of pfnmap-stress uffd-copy -n 3000: the host sees
# UFFDIO_COPY through the ioctl tracepoints, so its rows are latency
# p50/p99/max, ops/s, errors/op and pages/op).  Nothing changed, so a
# 'better' or 'worse' is a false positive.  Each comparison's 2R runs are
# taken in ABBA order, so that a drift over time falls on both sides.
#
# tests/vm/diff_aa_check.sh counts the calls and tests the bounds (the
# guest's A/A in patches/validate.sh uses it too): per row at most 2 of
# the K comparisons called (at R = 5 runs a side the rank test's size at
# alpha 0.05 is 8/252 = 3.2%: 3 or more calls in 10 happen with
# probability 0.3%), with a Bonferroni correction over the rows of a
# comparison at most 2 of K, and the same for one run against one.
#
# Power, with the same R: copies of 4 pages against 1 (more work per
# ioctl), and from an untouched source against a populated one (each
# copy faults the source in and retries): latency p50 'worse', and
# 'better' the other way round.
#
# Prints "ok - " / "not ok - " per assertion and "# " lines with the
# counts; exits 1 if one failed.  Needs root, jq, build/pfnmap and
# build/pfnmap-stress ($PFNMAP, $STRESS); DIFF_AA_K and DIFF_AA_RUNS
# change K and R.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
PFNMAP=${PFNMAP:-build/pfnmap}
STRESS=${STRESS:-build/pfnmap-stress}
K=${DIFF_AA_K:-10}
R=${DIFF_AA_RUNS:-5}
T=diff_aa
WORK=(uffd-copy -n 3000)
failed=0
tmp=$(mktemp -d /tmp/pfnmap-diff-aa.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

ok() { echo "ok - $T: $*"; }
notok() { echo "not ok - $T: $*"; failed=1; }
say() { echo "# $T: $*"; }

# record NAME STRESS-ARGS...: $tmp/NAME.data
record() {
	local name=$1
	shift
	if ! "$PFNMAP" record -f -o "$tmp/$name.data" -- "$STRESS" "$@" \
		> /dev/null 2> "$tmp/$name.err"; then
		notok "pfnmap record of '$*' failed"
		sed 's/^/# /' "$tmp/$name.err" >&2
		exit 1
	fi
}

# runs PREFIX: $tmp/PREFIX_1.data ... _R.data
runs() {
	local i
	for ((i = 1; i <= R; i++)); do
		printf '%s ' "$tmp/${1}_$i.data"
	done
}

command -v jq > /dev/null || { echo "not ok - $T: jq is missing"; exit 1; }

# ---- the runs ------------------------------------------------------------------

t0=$SECONDS
for ((c = 1; c <= K; c++)); do
	for ((i = 1; i <= R; i++)); do
		# ABBA: A B, B A, A B, ...
		if ((i % 2)); then order="a b"; else order="b a"; fi
		for s in $order; do
			record "aa${c}${s}-$i" "${WORK[@]}"
		done
	done
done
for ((i = 1; i <= R; i++)); do
	record "pop_$i" "${WORK[@]}"
	record "p4_$i" "${WORK[@]}" --pages 4
	record "unt_$i" "${WORK[@]}" --src untouched
done
say "$((2 * K * R + 3 * R)) runs of pfnmap record -- pfnmap-stress ${WORK[*]} in $((SECONDS - t0))s"

# ---- A/A: tests/vm/diff_aa_check.sh, shared with the guest's ---------------------

PFNMAP=$PFNMAP tests/vm/diff_aa_check.sh "$tmp" "$K" "$R" host || failed=1
# one run a side: latency has no verdict, whatever its p would be
"$PFNMAP" diff --json "$tmp/aa1a-1.data" "$tmp/aa1b-1.data" > "$tmp/one.json"
got=$(jq -r '[.rows[] | select(.metric == "p50" or .metric == "p99") |
	"\(.verdict) \(.p_value) \(.need_runs // 0)"] | unique | join(",")' "$tmp/one.json")
if [[ $got =~ ^(~\ null\ (0|4),?)+$ ]]; then
	ok "one run a side: latency p50/p99 untested, '~' ($got)"
else
	notok "one run a side: latency p50/p99 '$got'"
fi

# ---- power -----------------------------------------------------------------------

# power NAME BASE NEW WANT: the verdict on p50 of NEW against BASE is WANT
power() {
	local name=$1 base=$2 new=$3 want=$4 got
	# shellcheck disable=SC2046
	"$PFNMAP" diff --json $(runs "$base") -- $(runs "$new") > "$tmp/pw.json"
	got=$(jq -r '[.rows[] | select(.kind == "uffd_copy" and .metric == "p50") |
		"\(.verdict) p=\(.p_value) \(.base)ns -> \(.new)ns"][0]' "$tmp/pw.json")
	if [[ $got == "$want "* ]]; then
		ok "power, $R runs a side, $name: p50 $got"
	else
		notok "power, $R runs a side, $name: p50 $got, want $want"
	fi
}
power "1 -> 4 pages per copy" pop p4 worse
power "4 -> 1 pages per copy" p4 pop better
power "populated -> untouched source" pop unt worse
power "untouched -> populated source" unt pop better

exit $failed
