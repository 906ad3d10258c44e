#!/bin/sh
# guest_offline_syms.sh OUT - a capture that reads anywhere: record the
# VFIO zap-race reproducer (its vfio-pci zaps carry the zapping function),
# for tests/vm/check_offline_syms.sh to report on the host, which has no
# kallsyms of this boot.  Also leaves the vfio modules' lines of
# /proc/kallsyms, for `report --kallsyms` of the same capture stripped of
# its names (as an older pfnmap wrote it).
set -u
out=$1/offline-syms
mkdir -p "$out"
if [ -z "${EDU_BDF:-}" ]; then
	echo "no edu device bound to vfio-pci in this guest" > "$out/skip"
	exit 0
fi
pfnmap record -f -o "$out/syms.data" -- \
	pfnmap-stress vfio-race -d "${SYMS_SECONDS:-3}" > "$out/work.json" \
	2> "$out/record.err"
echo $? > "$out/rc"
grep '\[vfio' /proc/kallsyms > "$out/kallsyms.vfio"
uname -r > "$out/kernel"
