#!/usr/bin/env bash
# patches/validate.sh [options] PATCH
#
# Measures a vfio_iommu_type1 patch the way pfnmap sees it:
#  1. fetches (private apt config under build/patches/apt) the Debian
#     linux-headers, linux-kbuild and linux-source packages of the kernel
#     the guests boot (build/kernels/SERIES, via tests/vm/fetch-kernel.sh);
#  2. builds vfio_iommu_type1.ko out of tree twice with the same headers
#     and compiler: from the pristine source (stock) and with PATCH applied;
#  3. boots ONE guest and runs the reproducer R times with each module,
#     interleaved stock/patched in ABBA order (stock, patched, patched,
#     stock, ...), the module swapped with rmmod/insmod before every run
#     (tests/vm/diff_runs_guest.sh): run-to-run noise is measured, a drift
#     falls on both sides, and R = 5 costs minutes, not a boot per run;
#  4. prints `pfnmap diff` of the R stock runs against the R patched ones
#     (a rank test across runs) and checks what the patch is meant to
#     change, run by run;
#  5. with -A K, then K A/A comparisons of R runs against R runs of the
#     stock module, reloaded the same way, in the same guest, checked by
#     tests/vm/diff_aa_check.sh (false calls at most 2 of K per row).
#
# Options:
#   -k SERIES   kernel series (default: from the patch name, else 6.12);
#               only 6.12 builds here: for a kernel built with a newer gcc
#               (7.3: gcc 14) the stock and the patched file are only
#               compiled (-fsyntax-only), nothing is booted
#   -R N        runs per side (default 5: the rank test needs 4 at alpha
#               0.05; 5 reaches p = 2/252 = 0.008)
#   -d SECS     reproducer duration per run (default 10)
#   -s SEED     seed of the first pair of runs; pair i uses SEED + i - 1,
#               the same for its stock and its patched run (default 1)
#   -w CMD      workload (default "pfnmap-stress vfio-race -d SECS --seed
#               {seed}"; {seed} is replaced per run; the checks expect a
#               zap-race reproducer)
#   -P ARGS     options of pfnmap stat in the guest (default "-k
#               vfio_pin,vfio_zap": under TCG attaching every kind costs
#               6.5 s a run, these two 3.4 s)
#   -A K        also K A/A comparisons, stock against stock (default 0)
#   -D SECS     reproducer duration of the A/A runs (default: -d)
#   -S          short, for scripts/test-all.sh: -R 4 -d 2 -A 10 -D 1
#   -t SECS     guest test timeout (default: from the number of runs)
#   -r N        attempts when the guest dies in the harness or times out
#               (default 2; every failed attempt is reported; a workload
#               stuck in the kernel fails at once)
#   -o DIR      output dir (default build/patches/validate/PATCHNAME)
#   -q ARG      extra QEMU argument for tests/vm/run-guest.sh (repeatable)
#   -B          build the two modules only, boot nothing
#   -h          this text
#
# $PFNMAP, $PFNMAP_STATIC and $STRESS name the pfnmap binaries to use
# (default: build/pfnmap, build/static/pfnmap, build/pfnmap-stress, made
# here).  The guest runs under single-threaded TCG ($PFNMAP_ACCEL,
# default tcg,thread=single, as tests/vm/run-guest.sh): with
# multi-threaded TCG the race wedges the guest.
#
# Exit status: 0 when the guest ran and every check passed; 1 when a
# check failed; 2 on usage errors; 3 when the packages cannot be had (the
# line "skip - ..." says so); 125 when the guest could not be run.
set -euo pipefail

PLOG_NAME=validate
# shellcheck source=patches/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$PATCH_ROOT
BUILD=${PFNMAP_BUILD:-$ROOT/build}

usage() {
	sed -n '2,58s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
	exit "${1:-0}"
}

# ---- timing ----------------------------------------------------------

declare -a STEP_NAMES=() STEP_SECS=()
step_t0=0
step_begin() { step_name=$1; step_t0=$(date +%s%N); plog "== $1"; }
step_end() {
	local ms=$((($(date +%s%N) - step_t0) / 1000000)) dt
	dt=$((ms / 1000)).$((ms % 1000 / 100))
	STEP_NAMES+=("$step_name"); STEP_SECS+=("$dt")
	plog "   $step_name: ${dt}s"
}
print_timings() {
	local i
	echo "timings:"
	for i in "${!STEP_NAMES[@]}"; do
		printf '  %-50s %7ss\n' "${STEP_NAMES[$i]}" "${STEP_SECS[$i]}"
	done
}

# ---- headers ---------------------------------------------------------

# Unpacks linux-headers-KREL, -common and linux-kbuild into $HDR and
# points the headers' Makefile (which includes /usr/src/... by absolute
# path) at the unpacked copy.  Prints the kernel build dir.
headers_tree() {
	local krel=$1 ver=$2 base=${1%-cloud-amd64}
	local hdr=$PATCH_BUILD/headers/$krel
	local kdir=$hdr/usr/src/linux-headers-$krel
	if [[ ! -f $hdr/.done ]]; then
		local -a debs=() p deb
		for p in "linux-headers-$krel" "linux-headers-$base-common" \
			"linux-kbuild-$base"; do
			deb=$(deb_get "$p" "$ver") || return 1
			debs+=("$deb")
		done
		rm -rf "$hdr"; mkdir -p "$hdr"
		for deb in "${debs[@]}"; do dpkg-deb -x "$deb" "$hdr"; done
		[[ -f $kdir/Makefile ]] || { plog "no $kdir/Makefile"; return 1; }
		# 6.12: "include /usr/src/...-common/Makefile"; 7.x also sets
		# KBUILD_OUTPUT=/usr/src/...: both must name the unpacked copy.
		sed -i -e "s|^include /usr/src/|include $hdr/usr/src/|" \
			-e "s|^KBUILD_OUTPUT=/usr/src/|KBUILD_OUTPUT=$hdr/usr/src/|" "$kdir/Makefile"
		touch "$hdr/.done"
	fi
	echo "$kdir"
}

# modinfo_field KO FIELD (no kmod needed).
modinfo_field() { tr '\0' '\n' <"$1" | sed -n "s/^$2=//p" | head -n1; }

# build_module NAME KDIR SRCDIR: builds SRCDIR's vfio_iommu_type1.ko.
build_module() {
	local name=$1 kdir=$2 src=$3
	printf 'obj-m := vfio_iommu_type1.o\n' >"$src/Kbuild"
	if ! make -C "$kdir" M="$src" modules >"$src/build.log" 2>&1; then
		tail -n 30 "$src/build.log" >&2
		pdie "building the $name module failed (log: $src/build.log)"
	fi
	if grep -q 'warning:' "$src/build.log"; then
		plog "$name build warnings:"; grep 'warning:' "$src/build.log" >&2
	fi
	[[ -f $src/vfio_iommu_type1.ko ]] || pdie "no $src/vfio_iommu_type1.ko"
}

# gcc major version the kernel in KDIR was built with, and ours.
kernel_gcc_major() {
	sed -n 's/^CONFIG_GCC_VERSION=\([0-9]*\)[0-9][0-9][0-9][0-9]$/\1/p' "$1/.config"
}
our_gcc_major() { gcc -dumpversion | cut -d. -f1; }

# compile_check NAME KDIR SRCDIR: when this gcc is older than the
# kernel's (7.3 wants gcc 14 and an objtool built for a newer glibc), a
# module cannot be built, but the file can still be compiled: take
# kbuild's command line for it, drop the options this gcc does not know
# and the objtool step, and run it with -fsyntax-only (full parsing and
# type checking, no object file).
compile_check() {
	local name=$1 kdir=$2 src=$3 cmd out opt i
	printf 'obj-m := vfio_iommu_type1.o\n' >"$src/Kbuild"
	make -C "$kdir" M="$src" CC=gcc V=1 modules >"$src/build.log" 2>&1 || true
	cmd=$(grep -m1 -e ' -c -o vfio_iommu_type1.o vfio_iommu_type1.c' "$src/build.log" |
		sed -e 's/^ *//' -e 's/ vfio_iommu_type1\.c .*/ vfio_iommu_type1.c/' \
		    -e 's/-Wp,-MMD,[^ ]*//' -e 's/ -c -o vfio_iommu_type1.o / /')
	[[ -n $cmd ]] || { tail -n 20 "$src/build.log" >&2; pdie "no compiler command for $name in $src/build.log"; }
	for ((i = 0; i < 20; i++)); do
		if out=$(cd "$src" && eval "$cmd -fsyntax-only" 2>&1); then
			printf '%s\n' "$out" >"$src/check.log"
			if grep -q 'warning:' <<<"$out"; then
				plog "$name compile warnings:"; grep 'warning:' <<<"$out" >&2
			fi
			return 0
		fi
		opt=$(sed -n "s/.*unrecognized command-line option [‘'\"]\([^’'\"]*\)[’'\"].*/\1/p" <<<"$out" | head -n1)
		if [[ -z $opt ]]; then
			printf '%s\n' "$out" | tail -n 30 >&2
			pdie "compiling the $name source failed"
		fi
		plog "   dropping $opt (unknown to gcc $(our_gcc_major))"
		cmd=${cmd//" $opt"/}
	done
	pdie "compiling the $name source: too many unknown options"
}

# kernel_dir OUT KO: a copy of build/kernels/SERIES whose
# modules/vfio_iommu_type1.ko is KO (debug info stripped, BTF kept).
kernel_dir() {
	local out=$1 ko=$2
	rm -rf "$out"; mkdir -p "$out/modules"
	cp "$KERNEL_DIR"/{vmlinuz,modules.order,VERSION,RELEASE} "$out/"
	[[ -f $KERNEL_DIR/config ]] && cp "$KERNEL_DIR/config" "$out/"
	cp "$KERNEL_DIR"/modules/*.ko "$out/modules/"
	grep -qx vfio_iommu_type1.ko "$out/modules.order" ||
		pdie "$KERNEL_DIR/modules.order does not load vfio_iommu_type1.ko"
	objcopy --strip-debug "$ko" "$out/modules/vfio_iommu_type1.ko"
}

# ---- the guest --------------------------------------------------------

# The runs, in order (tests/vm/diff_runs_guest.sh's plan): R pairs of
# stock and patched, ABBA, then K A/A comparisons of R pairs, ABBA.
# A pair shares its seed.
write_plan() {
	local i c w seed=$SEED
	local -a ab
	echo "pfnmap $PFNMAP_ARGS"
	echo "workload $WORKLOAD"
	for ((i = 1; i <= RUNS; i++, seed++)); do
		if ((i % 2)); then ab=(stock patched); else ab=(patched stock); fi
		for w in "${ab[@]}"; do echo "$w-$i ko/$w.ko $seed"; done
	done
	((AA_K)) || return 0
	echo "workload $AA_WORKLOAD"
	for ((c = 1; c <= AA_K; c++)); do
		for ((i = 1; i <= RUNS; i++, seed++)); do
			if ((i % 2)); then ab=(a b); else ab=(b a); fi
			for w in "${ab[@]}"; do echo "aa$c$w-$i ko/stock.ko $seed"; done
		done
	done
}

# Runs the plan in one guest; leaves $OUT/guest/out/runs/.
run_guest() {
	local try rc dir a
	local -a q=()
	for a in "${QEMU_ARGS[@]}"; do q+=(-q "$a"); done
	for ((try = 1; try <= ATTEMPTS; try++)); do
		dir=$OUT/guest.$try
		rm -rf "$dir"
		rc=0
		"$ROOT/tests/vm/run-guest.sh" -k "$OUT/kernel" -t "$GUEST_TIMEOUT" \
			"${q[@]}" -o "$dir" -c 'diff_runs_guest.sh plan' -- \
			"$PFNMAP_STATIC=pfnmap" "$STRESS=pfnmap-stress" \
			"$ROOT/tests/vm/diff_runs_guest.sh" "$OUT/plan=plan" \
			"$OUT/ko/stock.ko=ko/stock.ko" "$OUT/ko/patched.ko=ko/patched.ko" \
			>"$dir.log" 2>&1 || rc=$?
		sed 's/^/    | /' "$dir.log" >&2
		if ((rc == 0)); then
			rm -rf "$OUT/guest"; cp -a "$dir" "$OUT/guest"
			return 0
		fi
		plog "guest attempt $try/$ATTEMPTS failed (rc $rc; logs in $dir)"
		# A test that survived SIGKILL is stuck in the kernel (a MAP_DMA
		# that never returns): that is a result, not a flaky boot.
		if [[ -s $dir/out/guest-stuck.txt ]]; then
			sed 's/^/    | /' "$dir/out/guest-stuck.txt" >&2
			echo "not ok - validate: the workload got stuck in the kernel ($dir/out/guest-stuck.txt)"
			PDIE_RC=1 pdie "workload stuck in the kernel"
		fi
		FAILED_ATTEMPTS+=("#$try rc=$rc $dir")
	done
	return 1
}

# ---- comparison and checks -------------------------------------------

# side NAME: the stat JSONs of NAME's runs (stock or patched), in $RUNDIR
side() {
	local i
	for ((i = 1; i <= RUNS; i++)); do echo "$1-$i.json"; done
}

# Every run measured the module it says (the hash of the file inserted).
check_modules() {
	local w i got bad=0
	for w in stock patched; do
		for ((i = 1; i <= RUNS; i++)); do
			got=$(cat "$RUNDIR/$w-$i.sha" 2>/dev/null || true)
			[[ $got == "${SHA[$w]}" ]] || { bad=1; plog "$w-$i ran '$got', not ${SHA[$w]}"; }
		done
	done
	if ((bad)); then
		echo "not ok - every run measured its module (stock ${SHA[stock]}, patched ${SHA[patched]})"
	else
		echo "ok - every run measured its module: $RUNS x stock ${SHA[stock]}, $RUNS x patched ${SHA[patched]}"
	fi
	return $bad
}

# pfnmap diff of the stock runs against the patched ones: the table, and
# its JSON for the checks.  The gate: 1 when a patched run has EINVAL.
compare() {
	local -a args=()
	local f drc=0
	for f in $(side stock); do args+=(-b "$f"); done
	for f in $(side patched); do args+=(-n "$f"); done
	# in the runs' directory: the table names them, not their path
	(cd "$RUNDIR" && "$PFNMAP" diff --fail-if 'vfio_pin.EINVAL>0' "${args[@]}") \
		>"$OUT/diff.txt" 2>&1 || drc=$?
	(cd "$RUNDIR" && "$PFNMAP" diff --json "${args[@]}") >"$OUT/diff.json" 2>/dev/null || true
	cat "$OUT/diff.txt"
	echo
	case $drc in
	0) echo "ok - pfnmap diff --fail-if 'vfio_pin.EINVAL>0': passes" ;;
	1) echo "not ok - pfnmap diff --fail-if 'vfio_pin.EINVAL>0': a patched run has EINVAL" ;;
	*) echo "not ok - pfnmap diff failed (exit $drc)" ;;
	esac
	((drc == 0))
}

# checks: the assertions on every run, "ok - ..." / "not ok - ...".
checks() {
	python3 - "$RUNDIR" "$RUNS" "$OUT/diff.json" <<-'EOF'
	import json, os, sys
	rundir, runs, diff = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	def load(p, default):
	    try:
	        with open(p) as f:
	            return json.load(f)
	    except (OSError, ValueError):
	        return default
	def workload(p):
	    try:
	        for line in open(p):
	            if line.strip().startswith("{"):
	                return json.loads(line)
	    except (OSError, ValueError):
	        pass
	    return {}
	def side(w):
	    return [(load("%s/%s-%d.json" % (rundir, w, i), {}).get("vfio_pin") or {},
	             workload("%s/%s-%d.out" % (rundir, w, i)),
	             open("%s/%s-%d.dmesg" % (rundir, w, i)).read().strip()
	             if os.path.exists("%s/%s-%d.dmesg" % (rundir, w, i)) else "?")
	            for i in range(1, runs + 1)]
	stock, patched = side("stock"), side("patched")
	fails = 0
	def check(ok, msg):
	    global fails
	    print(("ok - " if ok else "not ok - ") + msg)
	    fails += not ok
	n = lambda d, k: (d or {}).get(k) or 0
	err = lambda p, e: n(p.get("errors"), e)
	einval = [err(p, "EINVAL") for p, _, _ in stock]
	races = [n(p, "zap_races") for p, _, _ in stock]
	check(sum(einval) > 0,
	      "stock: the reproducer hit the zap race (vfio_pin EINVAL per run %s)" % einval)
	check(einval == races,
	      "stock: every vfio_pin EINVAL is a zap race, run by run (EINVAL %s, zap_races %s)"
	      % (einval, races))
	check(all(err(p, "EINVAL") == n(w.get("errors"), "EINVAL") and w.get("maps")
	          for p, w, _ in stock),
	      "stock: the workload's own EINVAL counts match pfnmap's (%s vs %s)"
	      % ([n(w.get("errors"), "EINVAL") for _, w, _ in stock], einval))
	pe = [err(p, "EINVAL") for p, _, _ in patched]
	pr = [n(p, "zap_races") for p, _, _ in patched]
	pt = [n(p, "retries") for p, _, _ in patched]
	check(sum(pe) == 0, "patched: no vfio_pin EINVAL in any run (%s; zap_races %s)" % (pe, pr))
	check(sum(pr) > 0 and all(t >= r for t, r in zip(pt, pr)),
	      "patched: every zap race retried, run by run (retries %s, zap_races %s)" % (pt, pr))
	bound = os.environ.get("RETRY_BOUND") or "?"
	mr = [p.get("max_retries") for p, _, _ in patched]
	check(None not in mr and (bound == "?" or max(mr) <= int(bound)),
	      "patched: max retries per pin %s, within the patch's bound of %s per page lookup"
	      % (mr, bound))
	share = lambda s: (sum(err(p, "EFAULT") for p, _, _ in s) /
	                   max(sum(n(p, "count") for p, _, _ in s), 1))
	check(abs(share(stock) - share(patched)) < 0.05,
	      "patched: EFAULT share unchanged (%.1f%% of stock pins vs %.1f%%, all runs)"
	      % (100 * share(stock), 100 * share(patched)))
	check(all(w.get("maps", 0) > 0 and
	          w.get("maps") == w.get("ok", 0) + sum((w.get("errors") or {}).values())
	          for _, w, _ in patched),
	      "patched: every MAP_DMA returned, every run (maps %s)" % [w.get("maps") for _, w, _ in patched])
	for name, s in (("patched", patched), ("stock", stock)):
	    bad = [d for _, _, d in s if d]
	    check(not bad, "%s: no hung-task/lockup/BUG/WARNING in dmesg during its runs%s"
	          % (name, ": " + " | ".join(bad) if bad else ""))
	# what the rank test across runs concluded, in the right direction
	rows = {r["metric"]: r for r in load(diff, {}).get("rows", []) if r["kind"] == "vfio_pin"}
	for metric, want in (("EINVAL", "better"), ("retries", "worse")):
	    r = rows.get(metric) or {}
	    check(r.get("verdict") == want,
	          "pfnmap diff, %d runs a side: vfio_pin %s/op %s (p %s, %s)"
	          % (runs, metric, r.get("verdict"), r.get("p_value"), r.get("test")))
	sys.exit(1 if fails else 0)
	EOF
}

# The A/A comparisons of the stock module against itself.
check_aa() {
	local i c s bad=0 got
	for ((c = 1; c <= AA_K; c++)); do
		for s in a b; do
			for ((i = 1; i <= RUNS; i++)); do
				got=$(cat "$RUNDIR/aa$c$s-$i.sha" 2>/dev/null || true)
				[[ $got == "${SHA[stock]}" ]] || bad=1
			done
		done
	done
	((!bad)) || echo "not ok - [$KREL] A/A: a run did not measure the stock module"
	PFNMAP=$PFNMAP "$ROOT/tests/vm/diff_aa_check.sh" "$RUNDIR" "$AA_K" "$RUNS" \
		"$KREL" && ((!bad))
}

# ---- main ------------------------------------------------------------

parse_args() {
	local short=0 aa_secs=''
	SERIES='' SECS=10 SEED=1 WORKLOAD='' BUILD_ONLY=0 RUNS=5 AA_K=0
	PFNMAP_ARGS='-k vfio_pin,vfio_zap'
	GUEST_TIMEOUT='' ATTEMPTS=2 OUT=''
	QEMU_ARGS=()
	while getopts 'k:R:d:s:w:P:A:D:St:r:o:q:Bh' opt; do
		case $opt in
		k) SERIES=$OPTARG ;;
		R) RUNS=$OPTARG ;;
		d) SECS=$OPTARG ;;
		s) SEED=$OPTARG ;;
		w) WORKLOAD=$OPTARG ;;
		P) PFNMAP_ARGS=$OPTARG ;;
		A) AA_K=$OPTARG ;;
		D) aa_secs=$OPTARG ;;
		S) short=1 ;;
		t) GUEST_TIMEOUT=$OPTARG ;;
		r) ATTEMPTS=$OPTARG ;;
		o) OUT=$OPTARG ;;
		q) QEMU_ARGS+=("$OPTARG") ;;
		B) BUILD_ONLY=1 ;;
		h) usage 0 ;;
		*) usage 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	(($# == 1)) || usage 2
	if ((short)); then
		RUNS=4 SECS=2 AA_K=10 aa_secs=1
	fi
	[[ $RUNS =~ ^[1-9][0-9]*$ && $AA_K =~ ^[0-9]+$ ]] || usage 2
	PATCH=$(realpath "$1")
	[[ -f $PATCH ]] || { plog "no such patch: $1"; exit 2; }
	[[ -n $SERIES ]] || SERIES=$(patch_series "$PATCH")
	if [[ -z $WORKLOAD ]]; then
		WORKLOAD="pfnmap-stress vfio-race -d $SECS --seed {seed}"
		AA_WORKLOAD="pfnmap-stress vfio-race -d ${aa_secs:-$SECS} --seed {seed}"
	else
		AA_WORKLOAD=$WORKLOAD	# -D is for the default workload
	fi
	# a run costs its workload, pfnmap's start and a module swap
	GUEST_TIMEOUT=${GUEST_TIMEOUT:-$((120 + 2 * RUNS * (SECS + 20) + 2 * AA_K * RUNS * (${aa_secs:-$SECS} + 20)))}
}

# The packages, the pristine and the patched file, both modules (or,
# for a kernel this gcc cannot build for, both files compile-checked).
# Returns 1 after a compile-check: nothing to boot.
build_modules() {
	local kver kdir f w kgcc ogcc
	local -a files
	step_begin "guest kernel $SERIES (tests/vm/fetch-kernel.sh)"
	"$ROOT/tests/vm/fetch-kernel.sh" "$SERIES" >&2 ||
		unavailable "cannot fetch the $SERIES kernel"
	KERNEL_DIR=$BUILD/kernels/$SERIES
	read -r _ kver KREL <"$KERNEL_DIR/VERSION"
	step_end

	step_begin "packages for $KREL ($kver)"
	apt_setup || unavailable "no package index"
	kdir=$(headers_tree "$KREL" "$kver") || unavailable "cannot get the headers of $KREL"
	mapfile -t files < <(patch_files "$PATCH")
	((${#files[@]})) || pdie "$PATCH touches no existing file"
	for f in "${files[@]}"; do
		[[ $f == drivers/vfio/vfio_iommu_type1.c ]] ||
			pdie "$PATCH touches $f: only drivers/vfio/vfio_iommu_type1.c is rebuilt here"
	done
	rm -rf "$OUT/src"
	pristine_files "$SERIES" "$kver" "$OUT/src/stock" \
		drivers/vfio/vfio_iommu_type1.c drivers/vfio/vfio.h ||
		unavailable "cannot get linux-source-$SERIES $kver"
	step_end

	step_begin "apply $(basename "$PATCH")"
	cp -a "$OUT/src/stock" "$OUT/src/patched"
	# Inside a git work tree (build/ is in pfnmap's) git apply would skip,
	# silently, every path outside the current directory: stop the
	# repository discovery at the tree itself.
	(cd "$OUT/src/patched" && export GIT_CEILING_DIRECTORIES=$OUT/src &&
		git apply --check "$PATCH" && git apply "$PATCH") ||
		pdie "$PATCH does not apply to linux-source-$SERIES $kver"
	! cmp -s "$OUT/src/stock/drivers/vfio/vfio_iommu_type1.c" \
		"$OUT/src/patched/drivers/vfio/vfio_iommu_type1.c" ||
		pdie "$PATCH changed nothing in drivers/vfio/vfio_iommu_type1.c"
	mkdir -p "$OUT/build"
	for w in stock patched; do
		rm -rf "$OUT/build/$w"; mkdir -p "$OUT/build/$w"
		cp "$OUT/src/$w/drivers/vfio/"{vfio_iommu_type1.c,vfio.h} "$OUT/build/$w/"
	done
	step_end

	kgcc=$(kernel_gcc_major "$kdir") ogcc=$(our_gcc_major)
	if [[ -n $kgcc ]] && ((kgcc > ogcc)) && ! command -v "x86_64-linux-gnu-gcc-$kgcc" >/dev/null; then
		plog "$KREL was built with gcc $kgcc, this machine has gcc $ogcc: no module can be built"
		plog "for it here; compiling the stock and the patched file only (nothing is booted)"
		for w in stock patched; do
			step_begin "compile-check $w vfio_iommu_type1.c (gcc $ogcc, -fsyntax-only)"
			compile_check "$w" "$kdir" "$OUT/build/$w"
			step_end
		done
		echo "compile-check: both files compile against the $KREL headers (gcc $ogcc, -fsyntax-only);"
		echo "no module was built or booted: validate the change on a kernel this gcc can build (6.12)"
		return 1
	fi
	for w in stock patched; do
		step_begin "build $w vfio_iommu_type1.ko ($(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion))"
		build_module "$w" "$kdir" "$OUT/build/$w"
		plog "   $w: vermagic $(modinfo_field "$OUT/build/$w/vfio_iommu_type1.ko" vermagic)"
		step_end
	done
}

# A missing package or kernel: not the patch's fault.  Says so on stdout
# for the suite's tally.
unavailable() {
	echo "skip - validate: $*"
	PDIE_RC=3 pdie "$*"
}

# pfnmap (static, for the guest), pfnmap and pfnmap-stress: $PFNMAP... or
# made here.  Others edit the tree: a build that fails with a binary
# already there is a warning (the binary is used), not the end.
binaries() {
	local t
	if [[ -z ${PFNMAP_STATIC:-} ]]; then
		for t in "OUTPUT=build/static STATIC=1 build/static/pfnmap" build/pfnmap-stress build/pfnmap; do
			# shellcheck disable=SC2086 # t is a word list
			if ! make -C "$ROOT" -s $t >"$OUT/make.log" 2>&1; then
				[[ -x $ROOT/${t##* } ]] || { cat "$OUT/make.log" >&2; pdie "make $t failed"; }
				plog "warning: make $t failed (log: $OUT/make.log); using the existing ${t##* }"
			fi
		done
	fi
	PFNMAP_STATIC=$(realpath "${PFNMAP_STATIC:-$ROOT/build/static/pfnmap}")
	PFNMAP=$(realpath "${PFNMAP:-$ROOT/build/pfnmap}")
	STRESS=$(realpath "${STRESS:-$ROOT/build/pfnmap-stress}")
}

# The guest's kernel (stock module loaded at boot), both modules and the
# plan; SHA[stock], SHA[patched]: what the guest must report.
stage() {
	local w
	kernel_dir "$OUT/kernel" "$OUT/build/stock/vfio_iommu_type1.ko"
	mkdir -p "$OUT/ko"
	declare -gA SHA=()
	for w in stock patched; do
		objcopy --strip-debug "$OUT/build/$w/vfio_iommu_type1.ko" "$OUT/ko/$w.ko"
		SHA[$w]=$(sha256sum "$OUT/ko/$w.ko" | cut -c1-16)
	done
	[[ ${SHA[stock]} != "${SHA[patched]}" ]] || pdie "the stock and the patched module are the same file"
	write_plan >"$OUT/plan"
}

# A failure the checks did not print (a build, the guest) still makes a
# "not ok" line for the suite's tally; 3 (no packages) said "skip".
# shellcheck disable=SC2317 # called from the EXIT trap
report_exit() {
	local rc=$?
	((rc == 0 || rc == 3)) ||
		echo "not ok - validate: $(basename "${PATCH:-patch}") exited $rc (see its log)"
}

main() {
	trap report_exit EXIT
	parse_args "$@"
	export PFNMAP_ACCEL=${PFNMAP_ACCEL:-tcg,thread=single}
	local pname t_all rc=0
	pname=$(basename "$PATCH" .patch)
	OUT=${OUT:-$PATCH_BUILD/validate/$pname}
	mkdir -p "$OUT"
	OUT=$(realpath "$OUT")
	RUNDIR=$OUT/guest/out/runs
	FAILED_ATTEMPTS=()
	t_all=$(date +%s)

	build_modules || { print_timings; return 0; }
	((!BUILD_ONLY)) || { print_timings; return 0; }
	step_begin "pfnmap (static) and pfnmap-stress"
	binaries
	stage
	step_end

	step_begin "guest $KREL: $((2 * RUNS * (1 + AA_K))) runs, module swapped before each"
	if ! run_guest; then
		print_timings
		echo "not ok - validate: the guest failed on every attempt: ${FAILED_ATTEMPTS[*]}"
		PDIE_RC=125 pdie "the guest failed on every attempt"
	fi
	step_end

	echo
	echo "== $(basename "$PATCH") on $KREL: $RUNS runs a side, ABBA, of: $WORKLOAD"
	echo "   seeds $SEED..$((SEED + RUNS - 1)), one per stock/patched pair; runs in $RUNDIR"
	echo
	check_modules || rc=1
	compare || rc=1
	RETRY_BOUND=$(sed -n 's/^+#define VFIO_PFNMAP_MAX_RETRIES[[:space:]]*\([0-9]*\).*/\1/p' "$PATCH" | head -n1) \
		checks | tee "$OUT/checks.txt" || rc=1
	if ((AA_K)); then
		echo
		echo "== A/A: $AA_K comparisons of $RUNS stock runs against $RUNS, ABBA, of: $AA_WORKLOAD"
		check_aa | tee "$OUT/aa.txt" || rc=1
	fi
	((${#FAILED_ATTEMPTS[@]} == 0)) ||
		echo "note: failed guest attempts (retried): ${FAILED_ATTEMPTS[*]}"
	echo
	print_timings
	cat "$RUNDIR/timing.txt" >"$OUT/timing.txt" 2>/dev/null || true
	echo "total: $(($(date +%s) - t_all))s; everything is in $OUT"
	return $rc
}

main "$@"; exit
