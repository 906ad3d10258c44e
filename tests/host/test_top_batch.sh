#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_top_batch.sh - `pfnmap top -b` and `pfnmap top --json` against
# pfnmap-stress, whose own report is the reference.
#
# Exact, not "about right": every workload is forked first and held on a
# FIFO (so its pid is known for -p before it runs), released only once top
# has printed its first snapshot (so the probes are attached), and must be
# done before top's last snapshot.  Then each of its operations lies in
# exactly one interval, and the per-interval counts of all snapshots must
# add up to the workload's own total.  Rates are compared with the
# workload's own rate only on intervals it covered from end to end.
#
# Run from anywhere; needs root, jq, build/pfnmap and build/pfnmap-stress
# ($PFNMAP and $STRESS override them).  Prints "ok - ", "not ok - " or
# "skip - " per assertion; exits 1 if one failed.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
PFNMAP=${PFNMAP:-build/pfnmap}
STRESS=${STRESS:-build/pfnmap-stress}
T="top batch"
failed=0
pids=()
cgdirs=()
tmp=$(mktemp -d /tmp/pfnmap-top-batch.XXXXXX) || exit 1

cleanup() {
	local d i
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	# A cgroup can be removed once its last task is reaped.
	for d in "${cgdirs[@]}"; do
		for i in 1 2 3 4 5; do
			[ -d "$d" ] || break
			rmdir "$d" 2>/dev/null || sleep 0.2
		done
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() { echo "ok - $T: $*"; }
notok() { echo "not ok - $T: $*"; failed=1; }
skip() { echo "skip - $T: $*"; }
diag() { sed 's/^/# /' "$@" >&2; }
# check WHAT CMD...: one assertion
check() {
	local what=$1
	shift
	if "$@" > /dev/null; then ok "$what"; else notok "$what"; fi
}

has_lines() { [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; }
has_text() { [ -f "$1" ] && grep -q "$2" "$1"; }

# held NAME [--cgroup DIR] STRESS-ARGS...: forks pfnmap-stress, held on a
# FIFO until `release NAME`; sets HELD_PID (the pid it will run as: the
# subshell execs it).  Its JSON report goes to $tmp/NAME.json.
held() {
	local name=$1 cg=
	shift
	if [ "$1" = --cgroup ]; then
		cg=$2
		shift 2
	fi
	mkfifo "$tmp/$name.go"
	(
		[ -z "$cg" ] || echo "$BASHPID" > "$cg/cgroup.procs" || exit 99
		read -r _ < "$tmp/$name.go"
		exec "$STRESS" "$@"
	) > "$tmp/$name.json" 2> "$tmp/$name.err" &
	HELD_PID=$!
	pids+=("$HELD_PID")
}

release() { echo go > "$tmp/$1.go"; }

# finish NAME PID: waits for a workload; fails if it did not do its job.
finish() {
	local rc
	wait "$2"
	rc=$?
	if [ $rc -ne 0 ] || ! jq -e .ops "$tmp/$1.json" > /dev/null 2>&1; then
		notok "workload $1 failed (exit $rc)"
		diag "$tmp/$1.err"
		return 1
	fi
}

stress_field() { jq -r ".$2" "$tmp/$1.json"; }

preflight() {
	local rc
	if [ "$(id -u)" -ne 0 ]; then
		skip "needs root (loads BPF programs)"
		exit 0
	fi
	if ! command -v jq > /dev/null; then
		notok "jq is needed to read the JSON output"
		exit 1
	fi
	if [ ! -x "$PFNMAP" ] || [ ! -x "$STRESS" ]; then
		notok "$PFNMAP or $STRESS missing: run make first"
		exit 1
	fi
	"$STRESS" uffd-copy -n 1 > /dev/null 2>&1
	rc=$?
	if [ $rc -eq 3 ]; then
		skip "userfaultfd is not available here"
		exit 0
	fi
	[ $rc -eq 0 ] || { notok "pfnmap-stress uffd-copy -n 1 exited $rc"; exit 1; }
}

# The options, the exit codes, and both ways of calling it.
test_cli() {
	"$PFNMAP" top --help > "$tmp/help" 2>&1
	check "--help exits 0 and documents the keys" \
		[ $? -eq 0 -a -n "$(grep '^Keys:' "$tmp/help")" ]
	"$(dirname "$PFNMAP")/pfnmap-top" --help > "$tmp/help" 2>&1
	check "pfnmap-top --help works (argv[0] dispatch)" \
		[ $? -eq 0 -a -n "$(grep '^usage: pfnmap top' "$tmp/help")" ]
	"$PFNMAP" top -b --by nothing > /dev/null 2>&1
	check "a bad --by exits 2" [ $? -eq 2 ]
	"$PFNMAP" top -b -d 0 > /dev/null 2>&1
	check "a bad -d exits 2" [ $? -eq 2 ]
	"$PFNMAP" top -b --cgroup /proc > /dev/null 2>&1
	check "--cgroup on a directory that is not cgroup v2 exits 2" [ $? -eq 2 ]
}

# Sums of one text snapshot stream for one pid: "<snapshots> <ops>".  Each
# snapshot gives ops/s (one decimal) and its interval (ms): their product
# rounds to the exact count while rate x 0.5 ms + 0.05/s x interval < 0.5.
text_count() {
	awk -v pid="$2" '
		/^pfnmap top / {
			n++
			for (i = 1; i < NF; i++)
				if ($i == "interval") { iv = $(i + 1); sub("s", "", iv) }
		}
		$1 == pid && $2 == "pfnmap-stress" && $3 == "uffd_copy" {
			ops += int($4 * iv + 0.5)
		}
		END { print n + 0, ops + 0 }' "$1"
}

# Every row of every table of a text snapshot stream is pid $2's.
only_pid() {
	awk -v pid="$2" '/PID COMM/ { t = 1; next } !NF { t = 0 }
		t && $1 != pid { bad = 1 } END { exit bad }' "$1"
}

no_drops() {
	[ "$(grep -c '^total .* drops 0 (+0)$' "$1")" -eq "$(grep -c '^total ' "$1")" ] &&
		grep -q '^total ' "$1"
}

# -b -n 3 -d 1: the workload runs between the first and the last snapshot.
test_text() {
	local out=$tmp/top.txt spid tpid rc n ops want was=$failed
	held text uffd-copy --src populated -n 150 --delay-us 4000
	spid=$HELD_PID
	"$PFNMAP" top -b -n 3 -d 1 -p "$spid" > "$out" 2> "$tmp/top.err" &
	tpid=$!
	pids+=("$tpid")
	if ! wait_for 15 has_text "$out" '^pfnmap top '; then
		notok "-b: no first snapshot within 15s"
		diag "$tmp/top.err"
		return
	fi
	release text
	finish text "$spid" || return
	check "-b: the workload ran inside the observation window" \
		kill -0 "$tpid"
	wait "$tpid"
	rc=$?
	check "-b -n 3 exits 0" [ $rc -eq 0 ]
	read -r n ops < <(text_count "$out" "$spid")
	want=$(stress_field text ops)
	check "-b -n 3 printed 3 snapshots ($n)" [ "$n" -eq 3 ]
	check "-b: the workload's row (pid $spid, pfnmap-stress, uffd_copy) is shown" \
		grep -Eq "^ +$spid pfnmap-stress +uffd_copy " "$out"
	check "-b: ops/s x interval summed over the snapshots = the workload's ops ($ops = $want)" \
		[ "$ops" -eq "$want" ]
	check "-b: -p shows no other process" only_pid "$out" "$spid"
	check "-b: the header gives the attach mode of uffd_copy" \
		grep -Eq '^mode .*(fentry|kprobe|syscall):( [a-z_()]+)* uffd_copy' "$out"
	check "-b: drops are shown in every snapshot, and 0" no_drops "$out"
	if grep -Eq '^mode .*syscall:.* uffd_copy' "$out"; then
		check "-b: syscall mode says what it cannot see" \
			grep -q '^note .*retries.*nested calls.*zap races' "$out"
		check "-b: unknown retries print as '-'" \
			grep -Eq "^ +$spid pfnmap-stress +uffd_copy +[0-9.]+ +[0-9.]+ +- +- " "$out"
	fi
	[ $failed -eq $was ] || diag "$out"
}

# json_checks FILE NAME WHO LINES [rate]: checks the JSON snapshots of
# workload NAME; WHO is a jq filter choosing its rows.
json_checks() {
	local out=$1 name=$2 who=$3 lines=$4 want got rate full bad
	want=$(stress_field "$name" ops)
	check "--json: $lines snapshots, one valid JSON object per line" \
		[ "$(jq -c . "$out" 2>/dev/null | wc -l)" -eq "$lines" \
		-a "$(wc -l < "$out")" -eq "$lines" ]
	check "--json: timestamp, interval_ns, drops, mode and rows in every line" \
		jq -e -s 'all(.[]; (.timestamp | type) == "number" and .interval_ns > 0
			and .drops == 0 and .drops_interval == 0
			and (.mode.uffd_copy | IN("fentry", "kprobe", "syscall"))
			and (.rows | type) == "array")' "$out"
	got=$(jq -s "[.[].rows[] | select($who) | .count] | add // 0" "$out")
	check "--json: counts summed over the refreshes = the workload's ops ($got = $want)" \
		[ "$got" -eq "$want" ]
	got=$(jq -s "[.[].rows[] | select($who) | .error_count] | add // 0" "$out")
	want=$(jq '[.errors[]] | add // 0' "$tmp/$name.json")
	check "--json: errors summed = the workload's errors ($got = $want)" \
		[ "$got" -eq "$want" ]
	got=$(jq -s "[.[].rows[] | select($who) | .pages] | if any(. == null) then \"null\" else add // 0 end" "$out")
	want=$(stress_field "$name" copied_pages)
	if [ "$got" = null ]; then
		skip "--json: pages are unknown in this attach mode"
	else
		check "--json: pages summed = the workload's copied pages ($got = $want)" \
			[ "$got" -eq "$want" ]
	fi
	check "--json: ops_per_s x interval = count in every row" \
		jq -e -s '[.[] | .interval_ns as $iv | .rows[]
			| ((.ops_per_s * $iv / 1e9) - .count | fabs) < 1e-6 * (.count + 1)]
			| all' "$out"
	[ "${5:-}" = rate ] || return 0
	# Intervals strictly between the first and the last one with its
	# operations were covered from end to end: their rate is its rate.
	rate=$(jq '.ops / .elapsed_ns * 1e9' "$tmp/$name.json")
	read -r full bad < <(jq -r -s --argjson rate "$rate" "
		[.[] | [.rows[] | select($who) | .ops_per_s] | add // 0]
		| . as \$r | [range(length) | select(\$r[.] > 0)] as \$act
		| [\$r[(\$act[0] + 1):\$act[-1]][]] as \$full
		| [\$full[] | select(((. - \$rate) / \$rate | fabs) > 0.2)]
		| \"\\(\$full | length) \\(length)\"" "$out")
	check "--json: the workload covered at least one interval end to end ($full)" \
		[ "$full" -ge 1 ]
	check "--json: ops/s of those intervals within 20% of the workload's own rate ($(printf %.1f "$rate")/s)" \
		[ "$bad" -eq 0 ]
}

# --json: 12 refreshes of 0.5s around a 2s workload.
test_json() {
	local out=$tmp/top.json spid tpid rc
	held json uffd-copy --src populated -n 500 --delay-us 4000
	spid=$HELD_PID
	"$PFNMAP" top --json -n 12 -d 0.5 -p "$spid" > "$out" 2> "$tmp/top.err" &
	tpid=$!
	pids+=("$tpid")
	if ! wait_for 15 has_lines "$out" 1; then
		notok "--json: no first snapshot within 15s"
		diag "$tmp/top.err"
		return
	fi
	release json
	finish json "$spid" || return
	check "--json: the workload ran inside the observation window" \
		kill -0 "$tpid"
	wait "$tpid"
	rc=$?
	check "--json -n 12 exits 0" [ $rc -eq 0 ]
	check "--json: rows carry the keys of --by pid" \
		jq -e -s "[.[].rows[]] | length > 0 and all(.pid == $spid
			and .comm == \"pfnmap-stress\" and .kind == \"uffd_copy\")" "$out"
	json_checks "$out" json ".pid == $spid" 12 rate
}

# --cgroup takes the subtree; --by cgroup names it.  Two workloads, one
# inside a fresh child cgroup, one outside: only the first may be counted.
test_cgroup() {
	local mnt cg out=$tmp/cg.json inpid outpid tpid ino
	# mountinfo: field 5 is the mount point, the type follows the " - ".
	mnt=$(awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup2") { print $5; exit } }' \
		/proc/self/mountinfo)
	if [ -z "$mnt" ] || ! mkdir "$mnt/pfnmap-top-test.$$" 2>/dev/null; then
		skip "--cgroup: no writable cgroup2 mount"
		return
	fi
	cg=$mnt/pfnmap-top-test.$$
	cgdirs=("$cg/child" "$cg")
	mkdir "$cg/child"
	ino=$(stat -c %i "$cg/child")
	held cgin --cgroup "$cg/child" uffd-copy -n 200 --delay-us 3000
	inpid=$HELD_PID
	held cgout uffd-copy -n 200 --delay-us 3000
	outpid=$HELD_PID
	"$PFNMAP" top --json -n 8 -d 0.5 --cgroup "$cg" --by cgroup \
		> "$out" 2> "$tmp/top.err" &
	tpid=$!
	pids+=("$tpid")
	if ! wait_for 15 has_lines "$out" 1; then
		notok "--cgroup: no first snapshot within 15s"
		diag "$tmp/top.err"
		return
	fi
	release cgin
	release cgout
	finish cgin "$inpid" || return
	finish cgout "$outpid" || return
	check "--cgroup: the workloads ran inside the observation window" \
		kill -0 "$tpid"
	wait "$tpid"
	check "--cgroup -n 8 exits 0" [ $? -eq 0 ]
	check "--cgroup: only the child cgroup's rows, named by path (--by cgroup)" \
		jq -e -s "[.[].rows[]] | length > 0 and all(.cgroup_id == $ino
			and .cgroup == \"/pfnmap-top-test.$$/child\")" "$out"
	json_checks "$out" cgin ".cgroup_id == $ino" 8
}

preflight
test_cli
test_text
test_json
test_cgroup
exit $failed
