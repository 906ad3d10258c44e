#!/bin/sh
# guest_views.sh OUT - record/report and top in fentry mode, on workloads
# that report their own counts: a capture of 100 untouched-source copies
# (one lock-drop retry each) and 20 BAR pins, read back by report; and
# top's batch views while the zap race and retrying copies run (started
# once top has attached: attaching takes seconds under TCG).  Checked by
# tests/vm/check_views.py.
set -u
out=$1/views
mkdir -p "$out"
pfnmap record -f -o "$out/copy.data" -- \
	pfnmap-stress uffd-copy --src untouched -n 100 > "$out/copy.work.json" 2> "$out/record.err"
pfnmap report --json -i "$out/copy.data" > "$out/copy.report.json" 2>> "$out/record.err"
pfnmap record -f -o "$out/map.data" -- \
	pfnmap-stress vfio-map -n 20 > "$out/map.work.json" 2>> "$out/record.err"
pfnmap report --json -i "$out/map.data" > "$out/map.report.json" 2>> "$out/record.err"
# the fallback of a VFIO host without fentry or kprobes: MAP_DMA ioctls
pfnmap record --mode syscall -f -o "$out/map-sys.data" -- \
	pfnmap-stress vfio-map -n 20 > "$out/map-sys.work.json" 2>> "$out/record.err"
pfnmap report --json -i "$out/map-sys.data" > "$out/map-sys.report.json" 2>> "$out/record.err"

# $1: file the view writes; waits until its first snapshot is out
started() {
	n=0
	while [ ! -s "$1" ] && [ $n -lt 600 ]; do
		usleep 100000
		n=$((n + 1))
	done
}

pfnmap top -b --json -n 8 -d 1 > "$out/top.json" 2> "$out/top.err" &
top=$!
pfnmap top -b -n 6 -d 1 > "$out/top.txt" 2>> "$out/top.err" &
top2=$!
started "$out/top.json"
started "$out/top.txt"
pfnmap-stress vfio-race -d 4 > "$out/race.work.json" 2>&1 &
race=$!
pfnmap-stress uffd-copy --src untouched -n 1000 --delay-us 2000 \
	> "$out/copy2.work.json" 2>&1 &
copy=$!
wait $top $top2 $race $copy
