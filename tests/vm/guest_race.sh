#!/bin/sh
# guest_race.sh OUT - the VFIO zap race of the "retry follow_pfnmap_start"
# thread, recorded: one thread maps/unmaps the edu BAR, another toggles
# memory enable.  The race is timing-dependent, so a run that did not hit
# it (no EINVAL) is tried again, longer, up to three times.  Leaves
# OUT/race/{work.json,report.json,zappers.json,tries} for
# tests/vm/check_race.py.
set -u
out=$1/race
mkdir -p "$out"
tries=0
for secs in ${RACE_SECONDS:-8 16 30}; do
	tries=$((tries + 1))
	pfnmap record -f -o "$out/race.data" -- \
		pfnmap-stress vfio-race -d "$secs" > "$out/work.json" \
		2> "$out/record.err"
	echo $? > "$out/rc"
	grep -q '"EINVAL"' "$out/work.json" && break
done
echo "$tries" > "$out/tries"
pfnmap report -i "$out/race.data" --json > "$out/report.json" 2>> "$out/record.err"
pfnmap report -i "$out/race.data" --json --by zapper > "$out/zappers.json" \
	2>> "$out/record.err"
pfnmap report -i "$out/race.data" --by zapper 2>&1 | tail -n 8
