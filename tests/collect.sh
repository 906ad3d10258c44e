#!/bin/sh
# collect.sh OUTDIR GROUP... - run the scenarios of tests/scenarios.txt in
# the given groups, each under `pfnmap stat --json`, and leave in OUTDIR:
#   probe.json            pfnmap probe --json of this kernel
#   NAME.work.json        the workload's own counts (its stdout)
#   NAME.stat.json        what pfnmap counted
#   NAME.rc, NAME.err     exit status and stderr of the pair
# POSIX sh: it runs on the host and in the busybox guests.  PFNMAP and
# STRESS name the binaries (default: from PATH).
set -u
PFNMAP=${PFNMAP:-pfnmap}
STRESS=${STRESS:-pfnmap-stress}
here=$(dirname "$0")
out=$1
shift
mkdir -p "$out"
uname -r > "$out/kernel"
"$PFNMAP" probe --json > "$out/probe.json" 2> "$out/probe.err"

in_groups() {
	for g in "$@"; do
		[ "$g" = "$group" ] && return 0
	done
	return 1
}

grep -v '^#' "$here/scenarios.txt" | while IFS='|' read -r name group args; do
	[ -n "$name" ] || continue
	in_groups "$@" || continue
	# shellcheck disable=SC2086 # args are words by design
	"$PFNMAP" stat --json -o "$out/$name.stat.json" -- "$STRESS" $args \
		> "$out/$name.work.json" 2> "$out/$name.err"
	echo $? > "$out/$name.rc"
	echo "collected $name (rc $(cat "$out/$name.rc"))"
done
