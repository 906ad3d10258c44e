#!/bin/sh
# guest-suite.sh - the test entry in every guest (run by tests/vm/run-guest.sh).
# It only collects: the workloads and pfnmap run here, the host checks
# the files it leaves in $PFNMAP_OUT (tests/check.py), so no JSON tool is
# needed in the busybox guest.
set -u
here=$(dirname "$0")
echo "guest-suite: kernel $(uname -r), edu $EDU_BDF group $EDU_GROUP"
"$here/collect.sh" "$PFNMAP_OUT/collect" uffd vfio
for t in "$here"/guest_*.sh; do
	[ -e "$t" ] || continue
	echo "guest-suite: $(basename "$t")"
	"$t" "$PFNMAP_OUT" || echo "guest-suite: $(basename "$t") exited $?"
done
exit 0
