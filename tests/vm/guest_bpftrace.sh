#!/bin/sh
# guest_bpftrace.sh OUT - run the bpftrace scripts of bpftrace/ around the
# deterministic workloads, in a guest (guest-suite.sh calls it with
# $PFNMAP_OUT).  Leaves in OUT/bpftrace/, for tests/vm/check_bpftrace.sh
# on the host:
#   variants             "uffd_retry uffd_retry-lockvma.bt" ...: the variant
#                        of each script this kernel took, by its anchors
#   SCRIPT.json          bpftrace -f json output of one session
#   SCRIPT/NAME.work.json, .rc, .err   each workload run in that session
#   SCRIPT/race.*                      with BT_RACE_SECS: a vfio-race run
#                                      and pfnmap stat of that same run
#   skipped              why nothing ran (no bpftrace, no scripts)
# One bpftrace session per script runs all the workloads of its group
# (uffd_retry: the "uffd" scenarios of tests/scenarios.txt; uffd_ctl:
# those of them that MOVE or WRITEPROTECT; vfio_pin and pfnmap_zap: the
# "vfio" ones); the scripts key their maps by pid, the
# workloads report theirs.  BT_RACE_SECS=N adds an N s vfio-race run under
# pfnmap stat to the vfio sessions (zap races, compared run for run): not
# by default, as vfio-race can wedge a TCG guest (seen on 7.3 without any
# tracing too).
#
# Needs /usr/bin/bpftrace with its libraries in the image (run-guest.sh
# FILE /usr/bin/bpftrace=/usr/bin/bpftrace: mkinitramfs.sh adds what ldd
# lists) and the scripts as /opt/pfnmap/bpftrace/.  POSIX sh, busybox.
set -u
here=$(cd "$(dirname "$0")" && pwd)
PFNMAP=${PFNMAP:-$here/pfnmap}
STRESS=${STRESS:-$here/pfnmap-stress}
BT=${BPFTRACE:-bpftrace}
scripts=${BT_SCRIPTS:-$here/bpftrace}
scen=$here/scenarios.txt

# --inner DIR GROUP: the command bpftrace runs once its probes are attached
if [ "${1:-}" = --inner ]; then
	dir=$2 group=$3
	mkdir -p "$dir"
	grep -v '^#' "$scen" | while IFS='|' read -r name g args; do
		# ctl: the uffd scenarios of UFFDIO_MOVE and _WRITEPROTECT
		if [ "$group" = ctl ] && [ "$g" = uffd ]; then
			case $args in
			uffd-move*|uffd-wp*) g=ctl ;;
			esac
		fi
		if [ -z "$name" ] || [ "$g" != "$group" ]; then
			continue
		fi
		# shellcheck disable=SC2086 # args are words by design
		"$STRESS" $args >"$dir/$name.work.json" 2>"$dir/$name.err"
		echo $? >"$dir/$name.rc"
	done
	if [ "$group" = vfio ] && [ -n "${BT_RACE_SECS:-}" ]; then
		# not deterministic: pfnmap watches the very same run
		"$PFNMAP" stat --json -o "$dir/race.stat.json" -- \
			"$STRESS" vfio-race -d "$BT_RACE_SECS" --seed 1 \
			>"$dir/race.work.json" 2>"$dir/race.err"
		echo $? >"$dir/race.rc"
	fi
	exit 0
fi

out=$1/bpftrace
mkdir -p "$out"
if ! command -v "$BT" >/dev/null 2>&1; then
	echo "no bpftrace in the guest image" >"$out/skipped"
	echo "guest_bpftrace: skipped: no bpftrace"
	exit 0
fi
if [ ! -f "$scripts/uffd_retry.bt" ] || [ ! -f "$scen" ]; then
	echo "no bpftrace scripts or scenarios.txt in the guest image" >"$out/skipped"
	echo "guest_bpftrace: skipped: no scripts"
	exit 0
fi
# shellcheck disable=SC3045 # busybox sh has ulimit -l
ulimit -l unlimited 2>/dev/null
"$BT" --version >"$out/version" 2>&1

has() { "$BT" -l "$1" 2>/dev/null | grep -q .; }

# The variant of each script, by the anchors this kernel has (like
# user/targets.c: no version numbers).
if has 'kfunc:mfill_retry_state_save'; then
	uffd=uffd_retry.bt
elif has 'kfunc:uffd_lock_vma'; then
	uffd=uffd_retry-lockvma.bt
else
	uffd=uffd_retry-mmaplock.bt
fi
if has 'kfunc:follow_pfnmap_start'; then
	zap=pfnmap_zap.bt
else
	zap=pfnmap_zap-follow_pte.bt
fi
printf 'uffd_retry %s\nvfio_pin vfio_pin.bt\npfnmap_zap %s\nuffd_ctl uffd_ctl.bt\n' \
	"$uffd" "$zap" >"$out/variants"

# session NAME SCRIPT GROUP
session() {
	echo "guest_bpftrace: $1 ($2) around the $3 workloads"
	"$BT" -f json -o "$out/$1.json" \
		-c "/bin/sh $here/guest_bpftrace.sh --inner $out/$1 $3" \
		"$scripts/$2" >"$out/$1.log" 2>&1
	echo $? >"$out/$1.rc"
}

session uffd_retry "$uffd" uffd
session uffd_ctl uffd_ctl.bt ctl
session vfio_pin vfio_pin.bt vfio
session pfnmap_zap "$zap" vfio
exit 0
