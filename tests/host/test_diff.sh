#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_diff.sh - `pfnmap diff` on real runs of pfnmap-stress on this host.
# (Its calibration, A/A and power, is tests/host/test_diff_aa.sh.)
#
#   - one stat JSON per side, uffd-mixed 500 copies onto empty pages vs
#     500 onto filled ones: EEXIST per op 0 -> 1, a structural change
#     nb1 calls from one run each (p = 2/501 exactly: equal exposures);
#     latency and ops/s get '~ (need >= 4 runs)';
#   - the same workload twice, one run each: no 'better' or 'worse';
#   - four stat JSONs per side of --filled 0 vs --filled 50 (EEXIST
#     50 of 150, set by the workload): every run's value is exact, the
#     rank test's p is 2/C(8,4) = 2/70, --fail-if sees the totals;
#   - --fail-if: exit 1 when NEW has EEXIST, 0 when not; a bad
#     expression, a missing file, not-JSON, a bad grouping: exit 2, one
#     line on stderr;
#   - captures (pfnmap record) of uffd-copy --pages 1 vs --pages 64, four
#     runs a side: latency p50 'worse' by the rank test across runs; one
#     capture a side: no latency verdict.
#
# Run from anywhere; needs root, jq, build/pfnmap and build/pfnmap-stress
# ($PFNMAP and $STRESS override them).  Prints "ok - " or "not ok - " per
# assertion; exits 1 if one failed.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
PFNMAP=${PFNMAP:-build/pfnmap}
STRESS=${STRESS:-build/pfnmap-stress}
T='diff'
failed=0
tmp=$(mktemp -d /tmp/pfnmap-diff.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

ok() { echo "ok - $T: $*"; }
notok() { echo "not ok - $T: $*"; failed=1; }
diag() { sed 's/^/# /' "$@" >&2; }

# stat_json NAME STRESS-ARGS...: $tmp/NAME.json from pfnmap stat --json
stat_json() {
	local name=$1
	shift
	if ! "$PFNMAP" stat --json -o "$tmp/$name.json" -- "$STRESS" "$@" \
		> "$tmp/$name.stress" 2> "$tmp/$name.err"; then
		notok "pfnmap stat of '$*' failed"
		diag "$tmp/$name.err"
		return 1
	fi
}

# record NAME STRESS-ARGS...: $tmp/NAME.data from pfnmap record
record() {
	local name=$1
	shift
	if ! "$PFNMAP" record -f -o "$tmp/$name.data" -- "$STRESS" "$@" \
		> "$tmp/$name.stress" 2> "$tmp/$name.err"; then
		notok "pfnmap record of '$*' failed"
		diag "$tmp/$name.err"
		return 1
	fi
}

# diff_json OUT ARGS...: pfnmap diff --json ARGS; sets RC
diff_json() {
	local out=$1
	shift
	"$PFNMAP" diff --json "$@" > "$tmp/$out" 2> "$tmp/$out.err"
	RC=$?
}

# field FILE KIND METRIC JQ: JQ applied to that row, "none" if no such row
field() {
	jq -r --arg k "$2" --arg m "$3" \
		"[.rows[] | select(.kind == \$k and .metric == \$m) | $4][0] // \"none\"" "$1"
}
verdict() { field "$1" "$2" "$3" .verdict; }

# expect_exit WHAT RC ARGS...: pfnmap diff ARGS exits RC; with RC 2 the
# error is one line on stderr
expect_exit() {
	local what=$1 want=$2 got lines
	shift 2
	"$PFNMAP" diff "$@" > /dev/null 2> "$tmp/exit.err"
	got=$?
	lines=$(wc -l < "$tmp/exit.err")
	if [ "$got" -eq "$want" ] && { [ "$want" -ne 2 ] || [ "$lines" -eq 1 ]; }; then
		ok "$what: exit $got$([ "$lines" -gt 0 ] && echo " ($(head -n 1 "$tmp/exit.err"))")"
	else
		notok "$what: exit $got, want $want ($lines lines on stderr)"
		diag "$tmp/exit.err"
	fi
}

# p_is FILE KIND METRIC NUM DEN: the row's p-value is NUM/DEN exactly
p_is() {
	jq -e --arg k "$2" --arg m "$3" --argjson n "$4" --argjson d "$5" \
		'[.rows[] | select(.kind == $k and .metric == $m) | .p_value][0] as $p |
		 $p != null and (($p - $n / $d) | fabs) < 1e-12' "$1" > /dev/null
}

command -v jq > /dev/null || { echo "not ok - $T: jq is missing"; exit 1; }

# ---- one run per side: what one run can tell ---------------------------------

stat_json e0 uffd-mixed --populated 500 --untouched 0 --filled 0 || exit 1
stat_json e500 uffd-mixed --populated 0 --untouched 0 --filled 500 || exit 1
stat_json e0b uffd-mixed --populated 500 --untouched 0 --filled 0 || exit 1

diff_json up.json "$tmp/e0.json" "$tmp/e500.json"
v=$(verdict "$tmp/up.json" uffd_copy EEXIST)
t=$(field "$tmp/up.json" uffd_copy EEXIST '"\(.base_value) -> \(.new_value) p=\(.p_value) \(.test)"')
if [ "$RC" -eq 0 ] && [ "$v" = worse ] && p_is "$tmp/up.json" uffd_copy EEXIST 2 501; then
	ok "one run each, EEXIST 0 -> 500 of 500: worse, nb1 p = 2/501 ($t)"
else
	notok "one run each, EEXIST 0 -> 500 of 500: verdict $v, exit $RC ($t)"
	diag "$tmp/up.json"
fi
diff_json down.json "$tmp/e500.json" "$tmp/e0.json"
v=$(verdict "$tmp/down.json" uffd_copy EEXIST)
if [ "$v" = better ]; then
	ok "one run each, EEXIST 500 -> 0: better"
else
	notok "one run each, EEXIST 500 -> 0: verdict $v"
fi
# latency and ops/s: no verdict from one run, and the row says so
bad=$(jq -r '[.rows[] | select(.metric == "p50" or .metric == "p99" or .metric == "max"
	or .metric == "ops_per_s") | select(.p_value != null or .verdict != "~" or
	(.need_runs != 4 and .delta != 0)) | "\(.kind).\(.metric)"] | join(" ")' "$tmp/up.json")
if [ -z "$bad" ]; then
	ok "one run each: latency and ops/s untested, '~' and need_runs 4 where they differ"
else
	notok "one run each: latency or ops/s rows tested or silent: $bad"
	diag "$tmp/up.json"
fi

# same BASE NEW: no row better or worse, every tested row '~'
same() {
	local called tested
	diff_json same.json "$@"
	called=$(jq -r '[.rows[] | select(.verdict == "better" or .verdict == "worse") |
		"\(.kind).\(.metric):\(.verdict)"] | join(" ")' "$tmp/same.json")
	tested=$(jq -r '[.rows[] | select(.p_value != null) | .metric] | join(",")' \
		"$tmp/same.json")
	if [ -z "$called" ] && [ -n "$tested" ]; then
		ok "same workload ($*): tested rows ($tested) all '~'"
	else
		notok "same workload ($*): called '$called'"
		diag "$tmp/same.json"
	fi
}
same "$tmp/e0.json" "$tmp/e0b.json"

# the text table says what was compared, and what one run cannot tell
"$PFNMAP" diff "$tmp/e0.json" "$tmp/e500.json" > "$tmp/table.txt" 2>&1
if grep -q "kernel $(uname -r)" "$tmp/table.txt" &&
   grep -q -- "--filled 500" "$tmp/table.txt" &&
   grep -Eq '^uffd_copy +EEXIST/op .* worse' "$tmp/table.txt" &&
   grep -Eq '^uffd_copy +latency p99 .* ~ \(need >= 4 runs\)' "$tmp/table.txt"; then
	ok "text table: header names kernel and commands, EEXIST worse, p99 '~ (need >= 4 runs)'"
else
	notok "text table"
	diag "$tmp/table.txt"
fi

# ---- several runs per side ------------------------------------------------------

for i in 1 2 3 4; do
	stat_json f0_$i uffd-mixed --populated 100 --untouched 0 --filled 0 || exit 1
	stat_json f50_$i uffd-mixed --populated 100 --untouched 0 --filled 50 || exit 1
done
f0=("$tmp"/f0_?.json)
f50=("$tmp"/f50_?.json)
diff_json runs.json "${f0[@]}" -- "${f50[@]}"
t=$(field "$tmp/runs.json" uffd_copy EEXIST '"\(.base_values) -> \(.new_values) p=\(.p_value) \(.test)"')
if [ "$(verdict "$tmp/runs.json" uffd_copy EEXIST)" = worse ] &&
   p_is "$tmp/runs.json" uffd_copy EEXIST 2 70 &&
   [ "$(field "$tmp/runs.json" uffd_copy EEXIST '.new_values | map(. == 50 / 150) | all')" = true ] &&
   [ "$(field "$tmp/runs.json" uffd_copy EEXIST .test)" = u-test ]; then
	ok "4 runs a side, filled 0 -> 50: EEXIST/op 0 -> 1/3 in every run, worse, p = 2/70 ($t)"
else
	notok "4 runs a side, filled 0 -> 50: $t, verdict $(verdict "$tmp/runs.json" uffd_copy EEXIST)"
	diag "$tmp/runs.json"
fi
expect_exit "runs: gate on NEW's total, EEXIST==200 (4 x 50)" 1 \
	--fail-if 'uffd_copy.EEXIST==200' -b "${f0[0]}" -b "${f0[1]}" -b "${f0[2]}" \
	-b "${f0[3]}" -n "${f50[0]}" -n "${f50[1]}" -n "${f50[2]}" -n "${f50[3]}"
expect_exit "runs: gate on the verdict, EEXIST:worse" 1 \
	--fail-if 'uffd_copy.EEXIST:worse' "${f0[@]}" -- "${f50[@]}"
# 3 runs a side: no p below 0.05 is possible, the verdict says so
diff_json three.json "${f0[@]:0:3}" -- "${f50[@]:0:3}"
v=$(field "$tmp/three.json" uffd_copy EEXIST '"\(.verdict) \(.need_runs) \(.p_value)"')
if [ "$v" = "~ 4 0.1" ]; then
	ok "3 runs a side: EEXIST '~', need_runs 4, p = 2/20"
else
	notok "3 runs a side: EEXIST '$v'"
fi

# ---- --fail-if and the exit status -------------------------------------------------

expect_exit "gate EEXIST>0, NEW has EEXIST" 1 \
	--fail-if 'uffd_copy.EEXIST>0' "$tmp/e0.json" "$tmp/e500.json"
expect_exit "gate EEXIST>0, NEW has none" 0 \
	--fail-if 'uffd_copy.EEXIST>0' "$tmp/e500.json" "$tmp/e0.json"
expect_exit "gate EEXIST:worse on the same workload" 0 \
	--fail-if 'uffd_copy.EEXIST:worse' "$tmp/e0.json" "$tmp/e0b.json"
expect_exit "gate EEXIST/op>0.5 on runs (it is 1/3)" 0 \
	--fail-if 'uffd_copy.EEXIST/op>0.5' "${f0[@]}" -- "${f50[@]}"
expect_exit "bad expression" 2 \
	--fail-if 'uffd_copy.EEXIST=>0' "$tmp/e0.json" "$tmp/e500.json"
expect_exit "unknown metric" 2 \
	--fail-if 'uffd_copy.EFROB>0' "$tmp/e0.json" "$tmp/e500.json"
expect_exit "missing file" 2 "$tmp/e0.json" "$tmp/nonexistent.json"
expect_exit "three inputs, no --" 2 "$tmp/e0.json" "$tmp/e0b.json" "$tmp/e500.json"
expect_exit "-b without -n" 2 -b "$tmp/e0.json"
expect_exit "two -- separators" 2 "$tmp/e0.json" -- "$tmp/e0b.json" -- "$tmp/e500.json"
# pfnmap-stress's own report: JSON, but not pfnmap stat's
expect_exit "JSON of another program" 2 "$tmp/e0.json" "$tmp/e0.stress"
echo "not json" > "$tmp/text.txt"
expect_exit "not a stat JSON or capture" 2 "$tmp/e0.json" "$tmp/text.txt"
jq '.version = 999' "$tmp/e0.json" > "$tmp/v999.json"
expect_exit "other version" 2 "$tmp/e0.json" "$tmp/v999.json"
# retries are unknown under the ioctl-tracepoint fallback: a condition on
# them cannot be checked, and says so rather than passing
if [ "$(jq -r '.uffd_copy.retries' "$tmp/e500.json")" = null ]; then
	expect_exit "gate on a counter NEW does not know" 2 \
		--fail-if 'uffd_copy.retries>0' "$tmp/e0.json" "$tmp/e500.json"
fi

# ---- captures: exact percentiles, one value per run ------------------------------------

for i in 1 2 3 4; do
	record c1_$i uffd-copy -n 300 --pages 1 || exit 1
	record c64_$i uffd-copy -n 300 --pages 64 || exit 1
done
c1=("$tmp"/c1_?.data)
c64=("$tmp"/c64_?.data)
diff_json lat.json "${c1[@]}" -- "${c64[@]}"
t=$(field "$tmp/lat.json" uffd_copy p50 '"\(.base_values) -> \(.new_values) p=\(.p_value)"')
if [ "$(verdict "$tmp/lat.json" uffd_copy p50)" = worse ] &&
   [ "$(field "$tmp/lat.json" uffd_copy p50 .test)" = u-test ]; then
	ok "captures, 4 runs a side, 1 -> 64 pages per copy: p50 worse ($t)"
else
	notok "captures, 1 -> 64 pages per copy: p50 $(verdict "$tmp/lat.json" uffd_copy p50) ($t)"
	diag "$tmp/lat.json"
fi

diff_json one.json "${c1[0]}" "${c64[0]}"
v=$(field "$tmp/one.json" uffd_copy p50 '"\(.verdict) \(.need_runs) \(.p_value)"')
if [ "$v" = "~ 4 null" ]; then
	ok "one capture a side, 1 -> 64 pages: p50 '~ (need >= 4 runs)', however large the change"
else
	notok "one capture a side: p50 '$v'"
fi

diff_json self.json "${c1[0]}" "${c1[0]}"
called=$(jq -r '[.rows[] | select(.verdict == "better" or .verdict == "worse")] | length' \
	"$tmp/self.json")
if [ "$called" -eq 0 ]; then
	ok "a capture against itself: no better/worse"
else
	notok "a capture against itself: $called rows called"
fi

# stat JSON and captures mix, one run each or several
diff_json mixed.json "$tmp/f0_1.json" "${c1[0]}" -- "${c1[1]}" "${c1[2]}"
if [ "$RC" -eq 0 ] && [ "$(jq '.base | length' "$tmp/mixed.json")" -eq 2 ]; then
	ok "stat JSON and captures in one side: compared (exit 0)"
else
	notok "stat JSON and captures in one side: exit $RC"
	diag "$tmp/mixed.json.err"
fi

exit $failed
