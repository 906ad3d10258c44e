#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# diff_aa_check.sh DIR K R LABEL - is `pfnmap diff` calibrated on these
# A/A runs?  DIR holds K comparisons of R runs a side of one unchanged
# system, aa{c}a-{i} and aa{c}b-{i} (c = 1..K, i = 1..R; .json stat
# outputs or .data captures), taken in ABBA order so that a drift over
# time falls on both sides.  Run by tests/host/test_diff_aa.sh (host,
# captures) and patches/validate.sh (guest: the zap-race reproducer with
# the stock module reloaded before every run, as in a validation).
#
# Nothing changed, so every 'better' or 'worse' is a false positive:
#   - per row, at most 2 of K comparisons called.  With R runs a side and
#     no ties the rank test's size at alpha 0.05 is 2/C(2R, R) times the
#     splits at least as extreme: 8/252 = 3.2% (R = 5), 2/70 = 2.9%
#     (R = 4); 3 or more calls in 10 then happen with probability 0.3%;
#   - per comparison, with a Bonferroni correction over its m rows whose
#     runs differ at all (called when its smallest p < 0.05/m): at most 2
#     of K; a "skip" when 0.05/m is below the smallest p R runs a side
#     can give (2/C(2R, R)): then no call is possible;
#   - one run against one (the first of each side): per row at most 2 of
#     K called (nb1's size is at most alpha under its own assumption);
#   - nb1's assumption, measured: the coefficient of variation across
#     all the runs of every rate it tests from one run, below 1.
# Prints "ok - " / "not ok - " per assertion and "# " lines with the
# numbers ($PFNMAP: the pfnmap binary, default build/pfnmap).  Exit 1 if
# an assertion failed, 2 on usage errors.
set -uo pipefail

(($# == 4)) || { echo "usage: $0 DIR K R LABEL" >&2; exit 2; }
dir=$1 K=$2 R=$3 label=$4
cd "$(dirname "$0")/../.." || exit 2
PFNMAP=${PFNMAP:-build/pfnmap}
T="[$label] diff A/A"
failed=0
tmp=$(mktemp -d /tmp/pfnmap-aa.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - $T: $*"; }
notok() { echo "not ok - $T: $*"; failed=1; }
say() { echo "# $T: $*"; }

# run C S I: the input of run I of side S of comparison C
run() {
	local f
	for f in "$dir/aa$1$2-$3".json "$dir/aa$1$2-$3".data; do
		[ -e "$f" ] && { echo "$f"; return; }
	done
	echo "$dir/aa$1$2-$3.missing"
}

# side C S: the R runs of side S of comparison C
side() {
	local i
	for ((i = 1; i <= R; i++)); do run "$1" "$2" "$i"; done
}

# calls FILE C: "C metric verdict p varies" per row that got a p;
# varies: 1 if its runs' values are not all equal
calls() {
	jq -r --arg c "$2" '.rows[] | select(.p_value != null) |
		"\($c) \(.kind).\(.metric) \(.verdict) \(.p_value) \(
		if ([.base_values[], .new_values[]] | unique | length) > 1 then 1 else 0 end)"' "$1"
}

# bound WHAT FILE: per metric of FILE (lines of calls()), <= 2 of K
bound() {
	local what=$1 f=$2 m n called ps
	for m in $(awk '{print $2}' "$f" | sort -u); do
		n=$(awk -v m="$m" '$2 == m' "$f" | wc -l)
		called=$(awk -v m="$m" '$2 == m && ($3 == "better" || $3 == "worse")' "$f" | wc -l)
		ps=$(awk -v m="$m" '$2 == m {printf "%s%.3g", s, $4; s = " "}' "$f")
		if [ "$called" -le 2 ]; then
			ok "$what $m: $called of $n comparisons called (bound 2)"
		else
			notok "$what $m: $called of $n comparisons called (bound 2)"
		fi
		say "$what $m p-values: $ps"
	done
}

command -v jq > /dev/null || { echo "not ok - $T: jq is missing"; exit 1; }
for ((c = 1; c <= K; c++)); do
	# shellcheck disable=SC2046 # side() is a word list of paths
	if ! "$PFNMAP" diff --json $(side "$c" a) -- $(side "$c" b) > "$tmp/r$c.json" \
		2> "$tmp/r$c.err"; then
		notok "comparison $c: pfnmap diff failed ($(head -n 1 "$tmp/r$c.err"))"
		exit 1
	fi
	calls "$tmp/r$c.json" "$c"
	"$PFNMAP" diff --json "$(run "$c" a 1)" "$(run "$c" b 1)" > "$tmp/one$c.json" 2> /dev/null
	calls "$tmp/one$c.json" "$c" >> "$tmp/one.txt"
done > "$tmp/runs.txt"

[ -s "$tmp/runs.txt" ] || notok "no row got a p-value"
bound "$R runs a side," "$tmp/runs.txt"
# per comparison: Bonferroni over the rows whose runs differ at all
fam=$(awk '$5 {n[$1]++; if (!($1 in min) || $4 < min[$1]) min[$1] = $4}
	END {for (c in n) if (min[c] < 0.05 / n[c]) k++; print k + 0}' "$tmp/runs.txt")
m=$(awk '$1 == 1 && $5' "$tmp/runs.txt" | wc -l)
minp=$(awk -v r="$R" 'BEGIN { c = 1; for (i = 1; i <= r; i++) c = c * (r + i) / i; print 2 / c }')
if awk -v m="$m" -v p="$minp" 'BEGIN { exit !(m > 0 && p < 0.05 / m) }'; then
	if [ "$fam" -le 2 ]; then
		ok "any of the $m varying rows at 0.05/$m (Bonferroni): $fam of $K comparisons (bound 2)"
	else
		notok "any of the $m varying rows at 0.05/$m (Bonferroni): $fam of $K comparisons (bound 2)"
	fi
else
	echo "skip - $T: Bonferroni over $m varying rows: 0.05/$m is below the smallest p $R runs a side can give ($minp), no call possible"
fi
say "comparisons with any row called, uncorrected: $(awk '$3 == "better" || $3 == "worse" {print $1}' "$tmp/runs.txt" | sort -u | wc -l) of $K"
say "$(awk '$3 == "better" || $3 == "worse"' "$tmp/runs.txt" | wc -l) false calls in $(wc -l < "$tmp/runs.txt") tested rows (alpha 0.05, no correction)"
if [ -s "$tmp/one.txt" ]; then
	bound "one run a side," "$tmp/one.txt"
fi

# nb1's assumption: every run's rate within a CV of 1 of the others
for row in $(jq -r '.rows[] | select(.test == "nb1") | "\(.kind).\(.metric)"' "$tmp/one1.json"); do
	cv=$(jq -rs --arg r "$row" '[.[].rows[] | select("\(.kind).\(.metric)" == $r) |
		.base_values[], .new_values[]] | . as $v | ($v | add / length) as $m |
		if $m > 0 then (($v | map((. - $m) * (. - $m)) | add) / (($v | length) - 1) | sqrt) / $m
		else "none" end' "$tmp"/r*.json)
	if [ "$cv" = none ]; then
		say "$row: no events in any run"
	elif awk -v c="$cv" 'BEGIN { exit !(c < 1) }'; then
		ok "$row per op: coefficient of variation over $((2 * K * R)) runs $(printf %.3f "$cv") (nb1 assumes at most 1)"
	else
		notok "$row per op: coefficient of variation over $((2 * K * R)) runs $(printf %.3f "$cv"), over nb1's 1"
	fi
done
exit $failed
