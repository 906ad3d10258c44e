#!/usr/bin/env bash
# run-guest.sh - run a test inside a QEMU (TCG) guest with VFIO + the edu device.
#
# Usage: tests/vm/run-guest.sh [options] -- FILE...
#   FILEs (static binaries, scripts, dirs; "src=dst" renames) land in
#   /opt/pfnmap/ in the guest, which is on PATH.  The test is, in order:
#   -c CMD, -e NAME, or the only *.sh among the FILEs.
#
# Options:
#   -k SERIES|DIR  kernel: 6.1, 6.12 or 7.3 (default: $PFNMAP_KERNEL or 7.3;
#                  fetched on first use), or a dir laid out like
#                  build/kernels/SERIES (vmlinuz, modules/, modules.order)
#   -t SECS        test timeout (default 300); the guest kills the test's
#                  process group, the host kills QEMU as a backstop
#   -o DIR         output dir (default build/vm-runs/SERIES-DATE-PID):
#                  console.log (kernel console), test.log (test port, raw),
#                  out/ (files the test wrote to $PFNMAP_OUT), qemu.log
#   -c CMD         shell command to run as the test
#   -e NAME        test entry: a FILE's name in /opt/pfnmap
#   -i             interactive: the test's stdio is this terminal (for TUIs);
#                  Ctrl-A x kills the VM, Ctrl-A c the QEMU monitor
#   -m MEM         guest memory (default 1G)
#   -r N           boot retries when the guest dies before the test starts
#                  (default 2)
#   -b SECS        boot timeout: QEMU start to test start (default 240)
#   -a ARG         extra kernel command line argument (repeatable)
#   -q ARG         extra QEMU argument (repeatable)
#   -P HOST:GUEST  forward TCP 127.0.0.1:HOST to the guest's port GUEST
#                  (repeatable): a virtio-net NIC on QEMU user networking
#                  (restrict=on); the test brings up 10.0.2.15/24 itself,
#                  and the kernel dir needs virtio_net in modules.order
#   -K             keep the initramfs in the output dir
#   -h, --help     this text
#
# Environment: PFNMAP_KERNEL (default -k), QEMU (binary), PFNMAP_ACCEL
# (default tcg,thread=single: multi-threaded TCG wedges under VFIO stress),
# PFNMAP_BUILD (build dir).
#
# In the guest the test gets EDU_BDF, EDU_GROUP (edu bound to vfio-pci),
# PFNMAP_OUT (files written there come back byte-exact to OUTDIR/out/),
# PFNMAP_SERIES; cwd is $PFNMAP_OUT.  The test's stdout+stderr stream to
# this script's stdout; harness messages go to stderr, prefixed "run-guest:".
#
# Exit status: the test's; 124 on timeout; 125 when the harness failed
# (boot failed on every try, guest died mid-test, files garbled).
#
# Examples:
#   tests/vm/run-guest.sh -k 7.3 -- build/pfnmap-stress my-test.sh
#   tests/vm/run-guest.sh -k 6.1 -c 'pfnmap-stress vfio-map -n 100' -- build/pfnmap-stress
#   tests/vm/run-guest.sh -i -c 'pfnmap top' -- build/pfnmap
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${PFNMAP_BUILD:-$ROOT/build}
QEMU=${QEMU:-qemu-system-x86_64}
# Single-threaded TCG: with MTTCG (thread=multi) QEMU 7.2 loses a vCPU's
# interrupts under vfio-race (RCU stall, CPU 0 halted with IF=1, its
# timers dead, the guest wedged): 5 of 5 boots looping vfio-race.  With
# thread=single, 12 of 12 10-second races ran clean.
ACCEL=${PFNMAP_ACCEL:-tcg,thread=single}

RC_TIMEOUT=124
RC_HARNESS=125

log() { echo "run-guest: $*" >&2; }
die() { log "$*"; exit "$RC_HARNESS"; }

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
	exit "${1:-0}"
}

parse_args() {
	KERNEL=${PFNMAP_KERNEL:-7.3} TIMEOUT=300 OUTDIR='' CMD='' ENTRY='' INTERACTIVE=0
	MEM=1G RETRIES=2 BOOT_TIMEOUT=240 KEEP=0
	EXTRA_APPEND=() EXTRA_QEMU=() FILES=()
	FWD=()
	local opt
	while (($#)); do
		opt=$1
		case $opt in
		-h|--help) usage 0 ;;
		--) shift; FILES=("$@"); break ;;
		-i) INTERACTIVE=1 ;;
		-K) KEEP=1 ;;
		-P)
			[[ ${2:-} =~ ^[0-9]+:[0-9]+$ ]] || die "-P wants HOSTPORT:GUESTPORT"
			FWD+=("$2")
			shift ;;
		-k|-t|-o|-c|-e|-m|-r|-b|-a|-q)
			(($# >= 2)) || die "$opt needs an argument (see --help)"
			case $opt in
			-k) KERNEL=$2 ;; -t) TIMEOUT=$2 ;; -o) OUTDIR=$2 ;; -c) CMD=$2 ;;
			-e) ENTRY=$2 ;; -m) MEM=$2 ;; -r) RETRIES=$2 ;; -b) BOOT_TIMEOUT=$2 ;;
			-a) EXTRA_APPEND+=("$2") ;; -q) EXTRA_QEMU+=("$2") ;;
			esac
			shift ;;
		*) log "unexpected argument '$opt' (FILEs go after --; see --help)"; exit 2 ;;
		esac
		shift
	done
	[[ $TIMEOUT =~ ^[0-9]+$ && $BOOT_TIMEOUT =~ ^[0-9]+$ && $RETRIES =~ ^[0-9]+$ ]] ||
		die "-t, -b and -r take whole numbers"
}

# Sets KDIR and SERIES; fetches a Debian kernel on first use.
resolve_kernel() {
	if [[ -d $KERNEL ]]; then
		KDIR=$(cd "$KERNEL" && pwd)
		SERIES=$(basename "$KDIR")
	else
		SERIES=$KERNEL
		KDIR=$BUILD/kernels/$SERIES
		"$HERE/fetch-kernel.sh" "$SERIES" >&2 || die "could not fetch kernel $SERIES"
	fi
	[[ -f $KDIR/vmlinuz ]] || die "$KDIR/vmlinuz missing"
	KVERSION=$(cat "$KDIR/VERSION" 2>/dev/null || echo "custom kernel in $KDIR")
}

# Picks the guest-side test path; writes a script for -c.
resolve_test() {
	local f n sh=()
	if [[ -n $CMD ]]; then
		printf '#!/bin/sh\n%s\n' "$CMD" >"$OUTDIR/guest-cmd.sh"
		FILES+=("$OUTDIR/guest-cmd.sh=pfnmap-guest-cmd.sh")
		TEST=pfnmap-guest-cmd.sh
		return
	fi
	if [[ -n $ENTRY ]]; then
		for f in "${FILES[@]}"; do
			n=${f#*=}
			[[ $(basename "$n") == "$(basename "$ENTRY")" ]] && { TEST=$ENTRY; return; }
		done
		die "-e $ENTRY: no FILE of that name"
	fi
	for f in "${FILES[@]}"; do
		n=${f#*=}; n=$(basename "$n")
		[[ $n == *.sh ]] && sh+=("$n")
	done
	((${#sh[@]} == 1)) || die "cannot tell which FILE is the test (${#sh[@]} *.sh files): use -e NAME or -c CMD"
	TEST=${sh[0]}
}

build_initramfs() {
	INITRD=$OUTDIR/initramfs.cpio.gz
	"$HERE/mkinitramfs.sh" "$INITRD" "$KDIR" "${FILES[@]}" || die "initramfs build failed"
}

# Fills QEMU_CMD for attempt $1.  Serial ports: ttyS0 kernel console,
# ttyS1 test stdio, ttyS2 file channel (see init.sh).
qemu_cmd() {
	local append="console=ttyS0 intel_iommu=on panic=-1 pfnmap.series=$SERIES pfnmap.test=$TEST pfnmap.timeout=$TIMEOUT"
	local tport="-serial file:$OUTDIR/test.log"
	if ((INTERACTIVE)); then
		local rows cols
		read -r rows cols < <(stty size <&3 2>/dev/null || echo "24 80")
		append+=" pfnmap.interactive=1 pfnmap.rows=$rows pfnmap.cols=$cols pfnmap.term=${TERM:-linux}"
		# mux: Ctrl-A x / Ctrl-A c; signal=off: ^C goes to the guest TUI.
		tport="-chardev stdio,id=tty,mux=on,signal=off -serial chardev:tty -mon chardev=tty,mode=readline"
	fi
	((${#EXTRA_APPEND[@]})) && append+=" ${EXTRA_APPEND[*]}"
	# -smp 2 (4 hangs under VFIO load), -cpu max (qemu64 crashed 6.12),
	# caching-mode=on is required by the vIOMMU for VFIO.
	# shellcheck disable=SC2206,SC2054 # tport is a word list; commas are QEMU's
	QEMU_CMD=("$QEMU" -M q35,kernel-irqchip=split -accel "$ACCEL" -cpu max -smp 2 -m "$MEM"
		-device intel-iommu,intremap=on,caching-mode=on -device edu
		-nodefaults -display none -no-reboot
		-kernel "$KDIR/vmlinuz" -initrd "$INITRD" -append "$append"
		-serial "file:$OUTDIR/console.log" $tport -serial "file:$OUTDIR/files.b64"
		"${EXTRA_QEMU[@]}")
	# -P: one NIC, reachable from this host's loopback only; restrict=on
	# keeps the guest off the host's network (forwards still work).
	# romfile= : no iPXE ROM to find or run, the kernel boots directly.
	if ((${#FWD[@]})); then
		local f net=user,id=pfnmapnet,restrict=on
		for f in "${FWD[@]}"; do net+=",hostfwd=tcp:127.0.0.1:${f%%:*}-:${f#*:}"; done
		# shellcheck disable=SC2054 # commas are QEMU's
		QEMU_CMD+=(-netdev "$net" -device virtio-net-pci,netdev=pfnmapnet,romfile=)
	fi
	((INTERACTIVE)) || QEMU_CMD+=(-monitor none)
}

# Copies the test port to stdout as it grows: "pfnmap-init:" lines before
# BEGIN go to stderr, the test's lines between the markers to stdout.
stream_test_port() {
	local line state=pre
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		case $state:$line in
		pre:@@PFNMAP-BEGIN@@) state=in ;;
		pre:pfnmap-init:*) echo "$line" >&2 ;;
		in:*@@PFNMAP-END\ rc=*@@)
			line=${line%@@PFNMAP-END rc=*}
			[[ -z $line ]] || echo "$line"
			state=post ;;
		in:*) echo "$line" ;;
		esac
	done < <(tail -n +1 -s 0.2 -F --pid="$QPID" "$OUTDIR/test.log" 2>/dev/null)
}

# The file holding the BEGIN/END markers.
marker_file() {
	if ((INTERACTIVE)); then echo "$OUTDIR/console.log"; else echo "$OUTDIR/test.log"; fi
}

has_begin() { grep -qa '@@PFNMAP-BEGIN@@' "$(marker_file)" 2>/dev/null; }
# END is near the end of the file: do not rescan a big test log each tick.
has_end() { tail -c 8192 "$(marker_file)" 2>/dev/null | grep -qa '@@PFNMAP-END rc='; }

# Kills QEMU politely (it restores the terminal on SIGTERM), then firmly.
stop_qemu() {
	kill -TERM "$QPID" 2>/dev/null || return 0
	local _
	for _ in $(seq 50); do kill -0 "$QPID" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$QPID" 2>/dev/null || true
}

# One boot.  Sets FAIL to "" (test ran to its END), boot-died, boot-timeout,
# test-timeout or died-mid-test.
attempt() {
	FAIL=
	rm -f "$OUTDIR/console.log" "$OUTDIR/test.log" "$OUTDIR/files.b64"
	qemu_cmd
	printf '%q ' "${QEMU_CMD[@]}" >"$OUTDIR/qemu.cmdline"
	"${QEMU_CMD[@]}" <&3 3<&- 2>"$OUTDIR/qemu.log" &
	QPID=$!
	local spid=
	if ((!INTERACTIVE)); then
		stream_test_port &
		spid=$!
	fi
	local start=$SECONDS began='' ended='' fsize=0 fstamp=$SECONDS size
	while kill -0 "$QPID" 2>/dev/null; do
		sleep 0.2
		if [[ -n $ended ]]; then
			# Files and rc are in: a guest wedged in its power-off (seen
			# after VFIO stress) must not cost the whole timeout.
			if ((SECONDS - ended > 10)); then
				log "guest did not power off within 10s of the test's end; killing QEMU"
				stop_qemu
				break
			fi
		elif [[ -n $began ]] && has_end; then
			ended=$SECONDS
		elif [[ -z $began ]]; then
			if has_begin; then
				began=$SECONDS
				log "boot took $((began - start))s"
			elif ((SECONDS - start > BOOT_TIMEOUT)); then
				FAIL=boot-timeout; stop_qemu; break
			fi
		elif ((SECONDS - began > TIMEOUT + 60)); then
			# Backstop: the guest watchdog should have fired; allow a file
			# transfer that is still making progress.
			size=$(stat -c %s "$OUTDIR/files.b64" 2>/dev/null || echo 0)
			if ((size != fsize)); then fsize=$size; fstamp=$SECONDS; fi
			if ((SECONDS - fstamp > 10)); then FAIL=test-timeout; stop_qemu; break; fi
		fi
	done
	wait "$QPID" 2>/dev/null || true
	[[ -z $spid ]] || wait "$spid" 2>/dev/null || true
	QEMU_SAID=$(head -n1 "$OUTDIR/qemu.log" 2>/dev/null || true)
	[[ -n $FAIL ]] && return
	if ! has_begin; then FAIL=boot-died; return; fi
	has_end || FAIL=died-mid-test
}

show_console_tail() {
	log "last lines of $OUTDIR/console.log:"
	tail -n "${1:-25}" "$OUTDIR/console.log" 2>/dev/null | tr -d '\r' | sed 's/^/  | /' >&2 || true
	[[ -s $OUTDIR/qemu.log ]] && { log "qemu said:"; sed 's/^/  | /' "$OUTDIR/qemu.log" >&2; }
	return 0
}

# Decodes the tar.gz the guest sent on ttyS2 into OUTDIR/out.
receive_files() {
	local raw=$OUTDIR/files.b64 tgz=$OUTDIR/out.tar.gz want got
	grep -qa '@@PFNMAP-FILES-END' "$raw" 2>/dev/null || { log "no files came back (guest sent no FILES-END marker)"; return 1; }
	want=$(tr -d '\r' <"$raw" | sed -n 's/^@@PFNMAP-FILES-END sha256=\([0-9a-f]*\)@@$/\1/p')
	tr -d '\r' <"$raw" | sed -n '/^@@PFNMAP-FILES-BEGIN@@$/,/^@@PFNMAP-FILES-END/{/^@@/d;p}' |
		base64 -d >"$tgz" || { log "files: base64 decoding failed"; return 1; }
	got=$(sha256sum "$tgz" | cut -d' ' -f1)
	[[ $got == "$want" ]] || { log "files: checksum mismatch (guest $want, host $got)"; return 1; }
	rm -rf "$OUTDIR/out"; mkdir -p "$OUTDIR/out"
	tar -C "$OUTDIR/out" -xzf "$tgz" || { log "files: tar extraction failed"; return 1; }
	rm -f "$tgz"
}

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	[[ -n ${QPID:-} ]] && kill -0 "$QPID" 2>/dev/null && stop_qemu
	[[ -n ${TTY_STATE:-} ]] && stty "$TTY_STATE" <&3 2>/dev/null
	return 0
}

main() {
	parse_args "$@"
	command -v "$QEMU" >/dev/null || die "$QEMU not found (scripts/setup.sh installs qemu-system-x86)"
	resolve_kernel
	[[ -n $OUTDIR ]] || OUTDIR=$BUILD/vm-runs/$SERIES-$(date +%Y%m%d-%H%M%S)-$$
	mkdir -p "$OUTDIR"
	OUTDIR=$(cd "$OUTDIR" && pwd)
	resolve_test
	build_initramfs

	# fd 3 is our stdin: background jobs of a script get /dev/null otherwise.
	exec 3<&0
	if ((INTERACTIVE)); then
		[[ -t 3 ]] || die "-i needs a terminal on stdin"
		TTY_STATE=$(stty -g <&3)
	fi
	QPID=
	trap cleanup EXIT
	trap 'log "interrupted"; exit 130' INT TERM

	log "kernel $SERIES: $KVERSION; test $TEST; timeout ${TIMEOUT}s; output in $OUTDIR"
	local try=1 max=$((RETRIES + 1)) t0
	while :; do
		t0=$SECONDS
		attempt
		case $FAIL in
		boot-died|boot-timeout)
			cp "$OUTDIR/console.log" "$OUTDIR/console.try$try.log" 2>/dev/null || true
			cp "$OUTDIR/qemu.log" "$OUTDIR/qemu.try$try.log" 2>/dev/null || true
			if ((try < max)); then
				log "boot $try/$max failed before the test started ($FAIL after $((SECONDS - t0))s${QEMU_SAID:+; qemu: $QEMU_SAID}); retrying"
				try=$((try + 1))
				continue
			fi
			log "boot failed $max times ($FAIL); giving up"
			show_console_tail
			exit "$RC_HARNESS" ;;
		esac
		break
	done
	((INTERACTIVE)) && stty "$TTY_STATE" <&3 2>/dev/null

	local rc files_ok=1
	receive_files || files_ok=0
	case $FAIL in
	test-timeout)
		log "test did not finish within ${TIMEOUT}s (+60s grace); QEMU killed"
		show_console_tail
		rc=$RC_TIMEOUT ;;
	died-mid-test)
		log "guest died during the test (no END marker)"
		show_console_tail 40
		rc=$RC_HARNESS ;;
	*)
		rc=$(tr -d '\r' <"$(marker_file)" | sed -n 's/.*@@PFNMAP-END rc=\([0-9]*\)@@.*/\1/p' | tail -n1)
		[[ -n $rc ]] || die "END marker without an exit code in $(marker_file)"
		((rc == RC_TIMEOUT)) && log "guest watchdog killed the test after ${TIMEOUT}s"
		;;
	esac
	if ((!files_ok && rc == 0)); then
		log "test passed but its files did not come back intact"
		rc=$RC_HARNESS
	fi
	((KEEP || rc != 0)) || rm -f "$INITRD"
	log "test exit code $rc (${SECONDS}s total; logs in $OUTDIR)"
	exit "$rc"
}

main "$@"
