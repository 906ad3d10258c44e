#!/bin/busybox sh
# shellcheck shell=dash disable=SC2013
# /init of the pfnmap test guest (busybox, built by mkinitramfs.sh).
#
# Serial ports, as run-guest.sh wires them:
#   ttyS0  kernel console + this script's progress ("pfnmap-init: ...")
#   ttyS1  "pfnmap-init: kernel ..." then the test's stdin/stdout/stderr,
#          framed by @@PFNMAP-BEGIN@@ ... @@PFNMAP-END rc=N@@ (both markers
#          are copied to ttyS0; in interactive runs only ttyS0 has them)
#   ttyS2  files the test left in /opt/pfnmap/out (plus guest-dmesg.txt):
#          base64 of a tar.gz between
#          @@PFNMAP-FILES-BEGIN@@ and @@PFNMAP-FILES-END sha256=<of tar.gz>@@
#
# Kernel command line knobs (all optional):
#   pfnmap.test=PATH      test to run (default /opt/pfnmap/guest-test.sh)
#   pfnmap.timeout=SECS   kill the test's process group after SECS (default 600)
#   pfnmap.interactive=1  the test port is a terminal: keep echo/line discipline
#   pfnmap.rows=N pfnmap.cols=N pfnmap.term=NAME   terminal size/type
#   pfnmap.series=X       kernel series label, exported as PFNMAP_SERIES
#
# The test sees: EDU_BDF, EDU_GROUP (empty when edu is absent or unbound),
# PFNMAP_DIR=/opt/pfnmap, PFNMAP_OUT=/opt/pfnmap/out, PFNMAP_SERIES, and
# /opt/pfnmap on PATH.
export PATH=/opt/pfnmap:/bin:/sbin:/usr/bin:/usr/sbin
PFNMAP_DIR=/opt/pfnmap
PFNMAP_OUT=$PFNMAP_DIR/out
CON=/dev/ttyS0
TPORT=/dev/ttyS1
FPORT=/dev/ttyS2

say() { echo "pfnmap-init: $*" >"$CON"; }

# Never return from /init (that panics); power off instead.  If the
# orderly power-off wedges (device shutdown after VFIO stress can), sysrq-b
# resets without it, and QEMU's -no-reboot turns the reset into an exit.
finish() {
	sync
	(sleep 5; echo b >/proc/sysrq-trigger) &
	poweroff -f
	sleep 10
}

mounts() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mkdir -p /dev/pts /dev/shm /tmp /run
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t tmpfs tmpfs /tmp
	mount -t tmpfs tmpfs /run
	mount -t debugfs debugfs /sys/kernel/debug
	# tracefs is automounted under debugfs too, but tools use the new path.
	mount -t tracefs tracefs /sys/kernel/tracing
	mount -t bpf bpf /sys/fs/bpf
	mkdir -p "$PFNMAP_OUT"
	# Blocked-task reports in dmesg well before any timeout fires.
	[ -w /proc/sys/kernel/hung_task_timeout_secs ] &&
		echo 30 >/proc/sys/kernel/hung_task_timeout_secs
}

cmdline_opts() {
	TEST=$PFNMAP_DIR/guest-test.sh
	TIMEOUT=600
	INTERACTIVE=0
	ROWS='' COLS='' TERMNAME=''
	PFNMAP_SERIES=
	for arg in $(cat /proc/cmdline); do
		case $arg in
		pfnmap.test=*) TEST=${arg#*=} ;;
		pfnmap.timeout=*) TIMEOUT=${arg#*=} ;;
		pfnmap.interactive=*) INTERACTIVE=${arg#*=} ;;
		pfnmap.rows=*) ROWS=${arg#*=} ;;
		pfnmap.cols=*) COLS=${arg#*=} ;;
		pfnmap.term=*) TERMNAME=${arg#*=} ;;
		pfnmap.series=*) PFNMAP_SERIES=${arg#*=} ;;
		esac
	done
	case $TEST in /*) ;; *) TEST=$PFNMAP_DIR/$TEST ;; esac
}

load_modules() {
	local m order=/lib/modules/pfnmap/modules.order
	[ -f "$order" ] || return 0
	while read -r m; do
		[ -n "$m" ] || continue
		if ! out=$(insmod "/lib/modules/pfnmap/$m" 2>&1); then
			# EEXIST: built in or already there; anything else is worth a line.
			case $out in *"File exists"*) ;; *) say "insmod $m failed: $out" ;; esac
		fi
	done <"$order"
}

# Finds the edu device (1234:11e8) and hands it to vfio-pci.
bind_edu() {
	EDU_BDF='' EDU_GROUP=''
	local d
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" != 0x1234 ] || [ "$(cat "$d/device")" != 0x11e8 ]; then
			continue
		fi
		EDU_BDF=${d##*/}
		break
	done
	if [ -z "$EDU_BDF" ]; then
		say "no edu device (1234:11e8); EDU_BDF is empty"
		return 0
	fi
	d=/sys/bus/pci/devices/$EDU_BDF
	if [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
		say "vfio-pci driver missing; edu $EDU_BDF left unbound"
		return 0
	fi
	# driver_override binds this one device only, whatever ids vfio-pci has.
	echo vfio-pci >"$d/driver_override"
	[ -e "$d/driver" ] && echo "$EDU_BDF" >"$d/driver/unbind"
	echo "$EDU_BDF" >/sys/bus/pci/drivers_probe 2>/dev/null
	if [ "$(readlink "$d/driver")" = "${d%/*/*}/drivers/vfio-pci" ] ||
		[ "$(basename "$(readlink "$d/driver")")" = vfio-pci ]; then
		EDU_GROUP=$(basename "$(readlink "$d/iommu_group")")
		say "edu $EDU_BDF bound to vfio-pci, iommu group $EDU_GROUP"
	else
		say "could not bind edu $EDU_BDF to vfio-pci (driver: $(readlink "$d/driver"))"
	fi
}

setup_ports() {
	# 115200 is cosmetic under QEMU, but keeps the line settings sane.
	if [ "$INTERACTIVE" = 1 ]; then
		stty -F "$TPORT" 115200 sane
		[ -n "$ROWS" ] && stty -F "$TPORT" rows "$ROWS"
		[ -n "$COLS" ] && stty -F "$TPORT" cols "$COLS"
	else
		# Captured to a file: no echo, no \n -> \r\n rewriting.
		stty -F "$TPORT" 115200 raw -echo
	fi
	# Byte-exact channel for files.
	stty -F "$FPORT" 115200 raw -echo
}

# Runs the test in its own session on the test port with a watchdog that
# kills the whole process group (tests start tracers, stress children...).
# A test stuck in the kernel cannot be killed: the watchdog then wakes us
# with USR1, we save its stacks and carry on, so the files still come back.
run_test() {
	rm -f /tmp/pfnmap-timedout
	STUCK=0
	trap 'STUCK=1' USR1
	export EDU_BDF EDU_GROUP PFNMAP_DIR PFNMAP_OUT PFNMAP_SERIES HOME=/root
	export TERM="${TERMNAME:-${TERM:-linux}}"
	mkdir -p /root
	cd "$PFNMAP_OUT" || return 1
	# setsid -c makes the test port the controlling terminal: a TUI gets
	# job control, ^C and window-size ioctls.
	# shellcheck disable=SC2016 # expanded by the inner sh
	setsid -c sh -c '
		ulimit -l unlimited 2>/dev/null || ulimit -l 1048576
		ulimit -c 0
		[ -x "$0" ] && exec "$0" || exec sh "$0"' "$TEST" \
		<>"$TPORT" >&0 2>&0 &
	TEST_PID=$!
	(
		sleep "$TIMEOUT"
		touch /tmp/pfnmap-timedout
		kill -TERM -"$TEST_PID" 2>/dev/null
		sleep 5
		kill -KILL -"$TEST_PID" 2>/dev/null
		sleep 10
		kill -USR1 $$
	) &
	WATCHDOG=$!
	wait "$TEST_PID"
	RC=$?
	kill "$WATCHDOG" 2>/dev/null
	if [ "$STUCK" = 1 ]; then
		say "test process group $TEST_PID survived SIGKILL: stuck in the kernel; stacks in $PFNMAP_OUT/guest-stuck.txt"
		dump_stuck "$TEST_PID" >"$PFNMAP_OUT/guest-stuck.txt" 2>&1
		RC=124
		return 0
	fi
	# Reap whatever the test left running so it cannot hold the ports open.
	kill -KILL -"$TEST_PID" 2>/dev/null
	if [ -e /tmp/pfnmap-timedout ]; then
		# Console only: the test port carries nothing but the test's output.
		say "test timed out after ${TIMEOUT}s, killed"
		RC=124
	fi
	return 0
}

# Kernel stacks of every task in process group $1, and of all blocked
# tasks (sysrq w, into dmesg).
dump_stuck() {
	local d pid
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$(cut -d' ' -f5 "$d/stat" 2>/dev/null)" = "$1" ] || continue
		echo "== pid $pid: $(tr '\0' ' ' <"$d/cmdline")"
		grep -E '^(State|Name):' "$d/status"
		for t in "$d"/task/*; do
			echo "-- task ${t##*/} (wchan $(cat "$t/wchan" 2>/dev/null))"
			cat "$t/stack" 2>/dev/null
		done
	done
	echo w >/proc/sysrq-trigger
}

send_files() {
	# The kernel log rides along: splats during a test matter.
	dmesg >"$PFNMAP_OUT/guest-dmesg.txt" 2>/dev/null
	local tgz=/tmp/pfnmap-out.tar.gz sum
	if ! tar -C "$PFNMAP_OUT" -czf "$tgz" .; then
		say "tar of $PFNMAP_OUT failed"
		return 0
	fi
	sum=$(sha256sum "$tgz")
	{
		echo "@@PFNMAP-FILES-BEGIN@@"
		base64 "$tgz"
		echo "@@PFNMAP-FILES-END sha256=${sum%% *}@@"
	} >"$FPORT"
}

main() {
	mounts
	cmdline_opts
	say "kernel $(uname -r) series ${PFNMAP_SERIES:-?}"
	load_modules
	bind_edu
	setup_ports
	# Before BEGIN, so the test's own output stays clean.
	echo "pfnmap-init: kernel $(uname -r) edu=${EDU_BDF:-none} group=${EDU_GROUP:-none}" >"$TPORT"
	# A terminal user needs no markers: the host reads ttyS0's.
	[ "$INTERACTIVE" = 1 ] || echo "@@PFNMAP-BEGIN@@" >"$TPORT"
	echo "@@PFNMAP-BEGIN@@" >"$CON"
	if [ ! -e "$TEST" ]; then
		say "test $TEST not found in the initramfs"
		echo "pfnmap-init: test $TEST not found in the initramfs" >"$TPORT"
		RC=127
	else
		say "running $TEST (timeout ${TIMEOUT}s)"
		run_test
	fi
	send_files
	[ "$INTERACTIVE" = 1 ] || echo "@@PFNMAP-END rc=$RC@@" >"$TPORT"
	echo "@@PFNMAP-END rc=$RC@@" >"$CON"
	finish
}

main
finish
