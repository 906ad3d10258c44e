#!/bin/sh
# guest_qemu_vfio.sh OUT - QEMU with the edu device assigned through
# vfio-pci, in a guest, under pfnmap stat and strace (guest-suite.sh calls
# it with $PFNMAP_OUT).  Leaves in OUT/qemu_vfio/, for
# tests/vm/check_qemu_vfio.sh on the host, per run NAME:
#   NAME.stat.json   pfnmap stat --json of the run
#   NAME.strace      strace -f -x: openat, ioctl, pwrite64, mmap (each
#                    MAP_DMA's result, the BAR's mmap, config writes)
#   NAME.trace       QEMU's vfio_listener_region_add_* trace events (each
#                    MAP_DMA's range, in the order of the ioctls)
#   NAME.bios        SeaBIOS's debug port; NAME.qmp, NAME.err, NAME.rc
#   NAME.memlock     RLIMIT_MEMLOCK in KiB for QEMU ("unlimited": root)
#   skipped          why nothing ran
# Runs: "assign" lets SeaBIOS run to "No bootable device" (it enables the
# device's memory decoding, so QEMU maps the BAR too), then quits over QMP;
# "memlock" drops CAP_IPC_LOCK and sets a small RLIMIT_MEMLOCK, so pinning
# guest RAM fails with ENOMEM and QEMU gives up by itself.
#
# Needs /usr/bin/qemu-system-x86_64 with its libraries, firmware and TCG
# module (a module in Debian's build), /usr/bin/strace, and util-linux
# setpriv as /opt/pfnmap/setpriv.ul in the image (--files lists them;
# scripts/test-all.sh adds them for $QEMU_VFIO_KERNELS only: they make the
# image ~18 MiB bigger and the guest needs 1.5 GiB).  POSIX sh.
set -u

# On the host: the run-guest.sh FILEs this test needs, one a line (none
# without QEMU: the guest then skips, saying why).  QEMU looks for its
# firmware next to its binary (../share) and for modules in its libdir,
# so they keep their paths.
if [ "${1:-}" = --files ]; then
	q=$(command -v qemu-system-x86_64) || exit 0
	echo "$q=/usr/bin/qemu-system-x86_64"
	for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
		/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so; do
		[ -e "$f" ] && echo "$f=$f"
	done
	s=$(command -v strace) && echo "$s=/usr/bin/strace"
	s=$(command -v setpriv) && echo "$s=setpriv.ul"
	exit 0
fi

out=$1/qemu_vfio
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
QEMU=${QEMU:-/usr/bin/qemu-system-x86_64}
SETPRIV=$here/setpriv.ul
# 8 MiB: more than the ROMs and low RAM, less than the 48 MiB guest.
MEMLOCK_KB=${MEMLOCK_KB:-8192}
BIOS_SECS=${BIOS_SECS:-240}

skip() {
	echo "$*" >"$out/skipped"
	echo "guest_qemu_vfio: skipped: $*"
	exit 0
}

# $1: run name; waits for SeaBIOS's last words or QEMU's exit ($pid).
wait_bios() {
	n=0
	while [ $n -lt $((BIOS_SECS * 5)) ] && kill -0 "$pid" 2>/dev/null; do
		grep -q 'No bootable device' "$out/$1.bios" 2>/dev/null && return 0
		usleep 200000
		n=$((n + 1))
	done
	return 1
}

# $1: run name, $2: QMP port; QEMU exits after "quit".
qmp_quit() {
	printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"quit"}' |
		nc 127.0.0.1 "$2" >"$out/$1.qmp" 2>&1
}

# run NAME PORT [WRAPPER...]: QEMU (behind WRAPPER) under strace under
# pfnmap stat.  The inner guest has no disk: SeaBIOS ends at "No bootable
# device".
run() {
	name=$1 port=$2
	shift 2
	echo "guest_qemu_vfio: $name"
	rm -f "$out/$name".*
	t0=$(date +%s)
	pfnmap stat --json -o "$out/$name.stat.json" -- \
		strace -f -qq -x --seccomp-bpf -o "$out/$name.strace" \
		-e trace=openat,ioctl,pwrite64,mmap -- \
		"$@" "$QEMU" -M pc -accel tcg -m 48M -nodefaults -display none \
		-device vfio-pci,host="$EDU_BDF" \
		-chardev file,id=bios,path="$out/$name.bios" \
		-device isa-debugcon,iobase=0x402,chardev=bios \
		-qmp tcp:127.0.0.1:"$port",server=on,wait=off \
		-D "$out/$name.trace" -trace 'vfio_listener_region_add_*' \
		>"$out/$name.out" 2>"$out/$name.err" &
	pid=$!
	if wait_bios "$name"; then
		echo "guest_qemu_vfio: $name: SeaBIOS done after $(($(date +%s) - t0))s; quit"
		qmp_quit "$name" "$port"
	elif kill -0 "$pid" 2>/dev/null; then
		echo "guest_qemu_vfio: $name: no SeaBIOS end in ${BIOS_SECS}s; quit"
		qmp_quit "$name" "$port"
	fi
	wait "$pid"
	echo $? >"$out/$name.rc"
	echo "guest_qemu_vfio: $name: exit $(cat "$out/$name.rc") after $(($(date +%s) - t0))s"
}

[ -x "$QEMU" ] || skip "no $QEMU in this guest image (scripts/test-all.sh adds it for QEMU_VFIO_KERNELS only)"
command -v strace >/dev/null || skip "no strace in this guest image"
[ -x "$SETPRIV" ] || skip "no util-linux setpriv ($SETPRIV) in this guest image"
[ -n "${EDU_GROUP:-}" ] || skip "edu not bound to vfio-pci (EDU_BDF='${EDU_BDF:-}')"
ip link set lo up || skip "cannot bring up lo for QMP"

run assign 4441
echo unlimited >"$out/assign.memlock"
# The ulimit is set after dropping CAP_IPC_LOCK (bounding set: gone for
# every exec after it), so QEMU's pins are charged against it.
# shellcheck disable=SC2016 # expanded by the inner sh
run memlock 4442 "$SETPRIV" --bounding-set -ipc_lock --inh-caps -ipc_lock -- \
	sh -c 'ulimit -l "$0" && exec "$@"' "$MEMLOCK_KB"
echo "$MEMLOCK_KB" >"$out/memlock.memlock"
exit 0
