#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_top_tui.sh - the full-screen pfnmap-top, driven through tmux: rows,
# sorting (s, <), grouping (g), pause (p), the histogram (h), and a
# terminal restored after q, SIGTERM and Ctrl-C (alternate screen gone,
# cursor back, the shell's output after pfnmap-top visible).
#
# Two workloads make the sort observable: "fast" does many UFFDIO_COPYs
# that succeed, "slow" fewer that all fail with EEXIST.  By OPS/s fast
# comes first, by ERR/s slow does.  Rows are found by pid, so other
# processes doing userfaultfd copies at the same time do not matter.
#
# Runs on a private tmux server (-L), killed on every way out.  Set
# TOP_TUI_KEEP=DIR to keep the screens it captured.  Needs root, tmux,
# build/pfnmap-top and build/pfnmap-stress ($PFNMAP_TOP, $STRESS).
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
TOP=${PFNMAP_TOP:-$(dirname "${PFNMAP:-build/pfnmap}")/pfnmap-top}
case $TOP in /*) ;; *) TOP=$(pwd)/$TOP ;; esac
STRESS=${STRESS:-build/pfnmap-stress}
T="top tui"
SOCK=pfnmap-top-test.$$
failed=0
pids=()
tmp=$(mktemp -d /tmp/pfnmap-top-tui.XXXXXX) || exit 1
shot=0

cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	if [ -n "${TOP_TUI_KEEP:-}" ]; then
		mkdir -p "$TOP_TUI_KEEP" && cp "$tmp"/screen.* "$TOP_TUI_KEEP"/ 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() { echo "ok - $T: $*"; }
notok() { echo "not ok - $T: $*"; failed=1; }
skip() { echo "skip - $T: $*"; }

tm() { tmux -L "$SOCK" "$@"; }
screen() { tm capture-pane -p -t top; }
keys() { tm send-keys -t top "$@"; }
alt_on() { [ "$(tm display -p -t top '#{alternate_on}')" = 1 ]; }
cursor_on() { [ "$(tm display -p -t top '#{cursor_flag}')" = 1 ]; }

# Saves the screen (for diagnostics and TOP_TUI_KEEP) as $tmp/screen.N.
save() {
	shot=$((shot + 1))
	screen > "$tmp/screen.$shot.$1"
}

# wait_screen SECONDS CMD...: until CMD, given the screen on stdin, succeeds.
wait_screen() {
	local end=$((SECONDS + $1))
	shift
	until screen | "$@" > /dev/null; do
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.05
	done
}

# check WHAT SECONDS CMD...: one assertion on the screen, with a dump on failure.
check() {
	local what=$1
	shift
	if wait_screen "$@"; then
		ok "$what"
	else
		notok "$what"
		screen | sed 's/^/# /' >&2
	fi
}

# Line number of pid $1's row on the screen (0 if none).
row_of() {
	screen | awk -v pid="$1" '$1 == ">" { $0 = substr($0, 2) }
		$1 == pid { print NR; found = 1; exit } END { if (!found) print 0 }'
}

# before PID1 PID2: both rows shown, PID1's above PID2's.
before() {
	local a b
	a=$(row_of "$1")
	b=$(row_of "$2")
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ] && [ "$a" -lt "$b" ]
}

preflight() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "needs root (loads BPF programs)"
		exit 0
	fi
	if ! command -v tmux > /dev/null; then
		skip "tmux is not installed"
		exit 0
	fi
	if [ ! -x "$TOP" ] || [ ! -x "$STRESS" ]; then
		notok "$TOP or $STRESS missing: run make first"
		exit 1
	fi
	"$STRESS" uffd-copy -n 1 > /dev/null 2>&1
	case $? in
	0) ;;
	3) skip "userfaultfd is not available here"; exit 0 ;;
	*) notok "pfnmap-stress uffd-copy -n 1 failed"; exit 1 ;;
	esac
}

# A shell with a known prompt in a 160x40 terminal; pfnmap-top runs in it
# between two markers, so its exit status and what follows it show up.
start_shell() {
	tm new-session -d -s top -x 160 -y 40 \
		"env -i TERM=screen HOME=/tmp PATH=$PATH PS1='prompt\$ ' bash --norc --noprofile"
	wait_screen 5 grep -q 'prompt\$'
}

run_top() {
	keys "clear; echo BEFORE-\$((6 * 7)); $TOP -d 0.5; echo AFTER-TOP rc=\$?" Enter
}

# The terminal after pfnmap-top: main screen, cursor, the marker after it.
restored() {
	local how=$1
	check "$how: the command after pfnmap-top ran (exit status 0)" 5 \
		grep -q 'AFTER-TOP rc=0'
	save "after-$how"
	if alt_on; then notok "$how: alternate screen left on"; else ok "$how: alternate screen gone"; fi
	if cursor_on; then ok "$how: cursor visible again"; else notok "$how: cursor left hidden"; fi
	check "$how: the screen before pfnmap-top is back, the view is gone" 2 \
		bash -c 'x=$(cat); grep -q BEFORE-42 <<< "$x" && ! grep -q "^pfnmap top " <<< "$x"'
}

# pfnmap-top's pid: the child of the pane's shell.
top_pid() { pgrep -P "$(tm display -p -t top '#{pane_pid}')" | head -1; }

test_view() {
	local fast slow
	"$STRESS" uffd-copy --src populated -n 20000 --delay-us 1000 > /dev/null &
	fast=$!
	"$STRESS" uffd-copy --dst filled -n 4000 --delay-us 5000 > /dev/null &
	slow=$!
	pids+=("$fast" "$slow")

	run_top
	check "the view starts (header, mode line, column titles)" 10 \
		bash -c 'x=$(cat); grep -q "^pfnmap top .* by pid  sort OPS/s" <<< "$x" &&
			grep -q "^mode " <<< "$x" && grep -q "PID COMM *KIND *OPS/s *ERR/s" <<< "$x"'
	if alt_on; then ok "it runs on the alternate screen"; else notok "not on the alternate screen"; fi
	check "rows of both workloads (pid, comm, kind)" 10 \
		bash -c "x=\$(cat); grep -Eq '^.? +$fast pfnmap-stress +uffd_copy ' <<< \"\$x\" &&
			grep -Eq '^.? +$slow pfnmap-stress +uffd_copy ' <<< \"\$x\""
	check "the failing workload's row names its errno (EEXIST)" 5 \
		grep -Eq "^.? +$slow pfnmap-stress +uffd_copy +[0-9.]+ +[0-9.]+ EEXIST "
	save rows
	if wait_for 3 before "$fast" "$slow"; then ok "sorted by OPS/s: the fast workload first"; else notok "sorted by OPS/s: order"; fi

	keys s
	check "s: the sort column becomes ERR/s" 3 grep -q "^pfnmap top .* sort ERR/s"
	if wait_for 3 before "$slow" "$fast"; then ok "s: by ERR/s the failing workload comes first"; else notok "s: order by ERR/s"; fi
	save sort-errors
	keys '<'
	check "<: back to OPS/s" 3 grep -q "^pfnmap top .* sort OPS/s"
	if wait_for 3 before "$fast" "$slow"; then ok "<: the fast workload first again"; else notok "<: order by OPS/s"; fi

	keys g
	check "g: grouped by cgroup, CGROUP column instead of PID COMM" 3 \
		bash -c 'x=$(cat); grep -q "^pfnmap top .* by cgroup " <<< "$x" &&
			grep -q "CGROUP *KIND *OPS/s" <<< "$x" && ! grep -q "PID COMM" <<< "$x"'
	check "g: rows per cgroup after the next refresh" 5 \
		grep -Eq '^.? /[^ ]* +uffd_copy +[0-9.]+ '
	save by-cgroup
	keys g g g g
	check "g x4: cycled through caller, kind, comm back to pid" 5 \
		bash -c "x=\$(cat); grep -q '^pfnmap top .* by pid ' <<< \"\$x\" &&
			grep -Eq '^.? +$fast pfnmap-stress +uffd_copy ' <<< \"\$x\""

	keys p
	check "p: paused" 3 grep -q '^pfnmap top .*\[paused\]'
	local frozen
	frozen=$(screen | head -2)
	sleep 1.2
	if [ "$(screen | head -2)" = "$frozen" ]; then ok "p: the screen does not change while paused"; else notok "p: the screen changed while paused"; fi
	keys p
	check "p again: running" 3 bash -c '! grep -q "\[paused\]"'

	keys Home h
	check "h: a log2 latency histogram of the selected row" 5 \
		bash -c 'x=$(cat); grep -q "^latency of pid [0-9]* .* uffd_copy: [0-9]* ops" <<< "$x" &&
			grep -q "nsecs *: count *distribution" <<< "$x" &&
			grep -Eq "^ *[0-9]+ -> [0-9]+ *: [0-9]+ *\|\*+ *\|" <<< "$x"'
	save histogram
	keys Down
	check "Down: the selection (>) moves to the second row" 3 \
		bash -c 'awk "/PID COMM/ { t = NR } t && NR == t + 2 && /^>/ { f = 1 } END { exit !f }"'
	keys h
	check "h again: the histogram is gone" 3 bash -c '! grep -q "distribution"'

	keys q
	restored q
}

test_signals() {
	local pid
	run_top
	check "started again" 10 grep -q '^pfnmap top '
	pid=$(top_pid)
	if [ -n "$pid" ] && kill -TERM "$pid"; then
		restored SIGTERM
	else
		notok "SIGTERM: pfnmap-top's pid not found"
	fi

	run_top
	check "started a third time" 10 grep -q '^pfnmap top '
	keys C-c
	restored Ctrl-C
}

preflight
if ! start_shell; then
	notok "tmux: no shell prompt"
	exit 1
fi
test_view
test_signals
exit $failed
