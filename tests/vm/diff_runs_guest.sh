#!/bin/sh
# diff_runs_guest.sh PLAN - in a guest: repeated runs of a workload under
# `pfnmap stat --json`, each with a freshly loaded vfio_iommu_type1.ko,
# for `pfnmap diff` across runs (patches/validate.sh writes the plan and
# reads the results; tests/vm/diff_aa_check.sh calibrates on them).
#
# PLAN (a file in /opt/pfnmap): lines "workload CMD..." (CMD may hold
# {seed}), "pfnmap ARGS..." (options of pfnmap
# stat, e.g. -k vfio_pin,vfio_zap: under TCG attaching every kind costs
# 6.5 s a run, two kinds 3.4 s) and, in the order to run them, one run per
# line, with the workload and options of the last such lines:
#     NAME KO SEED
# KO is a module file relative to /opt/pfnmap.  Before each run the
# module is unloaded and KO loaded (rmmod/insmod: no reboot between
# runs, so R runs a side cost seconds each, not a boot each); every run,
# stock or patched, gets the same reload, so the two sides differ in the
# module only.  pfnmap exits before the next rmmod: its fentry programs
# hold a reference on the module.
#
# Leaves in $PFNMAP_OUT/runs/: NAME.json (stat), NAME.out/.err (the
# workload's own JSON line and stderr), NAME.sha (the module inserted),
# NAME.dmesg (hung-task/lockup/BUG/WARNING lines the run added), and
# timing.txt.  Exit status: 0, or 1 if a module could not be swapped
# (the runs after it would not measure what they say).
set -u
here=$(dirname "$0")
plan=$here/$1
out=$PFNMAP_OUT/runs
mkdir -p "$out"

up() { cut -d' ' -f1 /proc/uptime; }

# The module file's hash: which build the run measured.
sha() { sha256sum "$1" | cut -c1-16; }

swap() {
	# absent after a failed insmod: nothing to unload
	[ -d /sys/module/vfio_iommu_type1 ] && ! rmmod vfio_iommu_type1 &&
		{ echo "diff_runs_guest: rmmod vfio_iommu_type1 failed"; return 1; }
	insmod "$1" || { echo "diff_runs_guest: insmod $1 failed"; return 1; }
}

problems() {
	dmesg | grep -E 'blocked for more than|hung_task|soft lockup|BUG:|WARNING:'
}

echo "diff_runs_guest: kernel $(uname -r), $(grep -vcE '^(workload|pfnmap) ' "$plan") runs"
t_all=$(up)
pfnargs='' workload=''
while read -r name ko seed <&3; do
	case $name in
	workload)
		workload="$ko $seed"
		echo "diff_runs_guest: workload $workload"
		continue ;;
	pfnmap)
		pfnargs="$ko $seed"
		continue ;;
	esac
	[ -n "$workload" ] || { echo "diff_runs_guest: run $name before a workload line"; exit 1; }
	t0=$(up)
	swap "$here/$ko" || exit 1
	sha "$here/$ko" > "$out/$name.sha"
	before=$(problems | wc -l)
	t1=$(up)
	# shellcheck disable=SC2046,SC2086 # the workload is a word list
	pfnmap stat --json $pfnargs -o "$out/$name.json" -- \
		$(echo "$workload" | sed "s/{seed}/$seed/g") \
		< /dev/null > "$out/$name.out" 2> "$out/$name.err"
	rc=$?
	t2=$(up)
	problems | tail -n +$((before + 1)) > "$out/$name.dmesg"
	echo "$name swap ${t0}-${t1} run ${t1}-${t2} rc $rc" >> "$out/timing.txt"
	echo "diff_runs_guest: $name ($ko, seed $seed) rc $rc, $(grep -o '"errors":{[^}]*}' "$out/$name.out")"
done 3< "$plan"
echo "diff_runs_guest: all runs in $(echo "$t_all $(up)" | awk '{printf "%.0f", $2 - $1}')s"
