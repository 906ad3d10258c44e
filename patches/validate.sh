#!/usr/bin/env bash
# patches/validate.sh [options] PATCH
#
# Measures a vfio_iommu_type1 patch the way pfnmap sees it:
#  1. fetches (private apt config under build/patches/apt) the Debian
#     linux-headers, linux-kbuild and linux-source packages of the kernel
#     the guests boot (build/kernels/SERIES, via tests/vm/fetch-kernel.sh);
#  2. builds vfio_iommu_type1.ko out of tree twice with the same headers
#     and compiler: from the pristine source (stock) and with PATCH applied;
#  3. boots the guest twice, with the stock and with the patched module,
#     each running the same reproducer (same duration and seed) under
#     pfnmap stat --json;
#  4. prints `pfnmap diff stock patched` (both stat tables when the diff
#     command is missing) and checks what the patch is meant to change.
#
# Options:
#   -k SERIES   kernel series (default: from the patch name, else 6.12);
#               only 6.12 builds here: for a kernel built with a newer gcc
#               (7.3: gcc 14) the stock and the patched file are only
#               compiled (-fsyntax-only), nothing is booted
#   -d SECS     reproducer duration (default 20)
#   -s SEED     reproducer seed (default 1)
#   -w CMD      workload (default "pfnmap-stress vfio-race -d SECS --seed SEED";
#               the checks expect a zap-race reproducer)
#   -t SECS     guest test timeout (default 240)
#   -r N        attempts per guest when a run dies in the harness or times
#               out (default 2; every failed attempt is reported; a
#               workload stuck in the kernel fails at once)
#   -o DIR      output dir (default build/patches/validate/PATCHNAME)
#   -q ARG      extra QEMU argument for tests/vm/run-guest.sh (repeatable)
#   -B          build the two modules only, boot nothing
#   -h          this text
#
# The guests run under single-threaded TCG ($PFNMAP_ACCEL, default
# tcg,thread=single, as tests/vm/run-guest.sh): with multi-threaded TCG the
# race wedges the guest (a vCPU's timer interrupts stop).
#
# Exit status: 0 when both guests ran and every check passed (stock:
# EINVAL == zap races; patched: no EINVAL, races retried, bounded, EFAULT
# share unchanged, every MAP_DMA returned, clean dmesg); 1 when a check
# failed; 2 on usage errors; 3 when the packages cannot be had; 125 when
# a guest could not be run.
set -euo pipefail

PLOG_NAME=validate
# shellcheck source=patches/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$PATCH_ROOT
BUILD=${PFNMAP_BUILD:-$ROOT/build}

usage() {
	sed -n '2,44s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
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
		printf '  %-44s %7ss\n' "${STEP_NAMES[$i]}" "${STEP_SECS[$i]}"
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

# ---- guests ----------------------------------------------------------

guest_script() {
	cat <<-EOF
	#!/bin/sh
	# Written by patches/validate.sh: one measured run of the reproducer.
	# /init loaded the modules from /lib/modules/pfnmap: the module
	# file's hash says which build this guest runs.
	ko=/lib/modules/pfnmap/vfio_iommu_type1.ko
	[ -d /sys/module/vfio_iommu_type1 ] || echo "validate-guest: vfio_iommu_type1 is not loaded"
	sha256sum "\$ko" | cut -c1-16 >"\$PFNMAP_OUT/module-sha"
	echo "validate-guest: vfio_iommu_type1.ko \$(cat "\$PFNMAP_OUT/module-sha") (want \$(cat /opt/pfnmap/want-module)), taint \$(cat /proc/sys/kernel/tainted)"
	start=\$(cut -d' ' -f1 /proc/uptime)
	pfnmap stat --json -o "\$PFNMAP_OUT/stat.json" -- $WORKLOAD \\
		>"\$PFNMAP_OUT/workload.out" 2>"\$PFNMAP_OUT/workload.err"
	rc=\$?
	end=\$(cut -d' ' -f1 /proc/uptime)
	echo "validate-guest: workload rc=\$rc, \$start..\$end s uptime"
	cat "\$PFNMAP_OUT/workload.out" "\$PFNMAP_OUT/workload.err"
	# A MAP_DMA that never returned would show as a blocked task.
	dmesg | grep -E 'blocked for more than|hung_task|soft lockup|BUG:|WARNING:' >"\$PFNMAP_OUT/dmesg-problems.txt"
	exit \$rc
	EOF
}

# run_guest NAME KDIR SRCVERSION: boots KDIR, leaves OUT/NAME/out/stat.json.
run_guest() {
	local name=$1 kdir=$2 want=$3 try rc dir
	local -a q=()
	local a
	for a in "${QEMU_ARGS[@]}"; do q+=(-q "$a"); done
	echo "$want" >"$OUT/want-module"
	for ((try = 1; try <= ATTEMPTS; try++)); do
		dir=$OUT/$name.$try
		rm -rf "$dir"
		rc=0
		"$ROOT/tests/vm/run-guest.sh" -k "$kdir" -t "$GUEST_TIMEOUT" \
			"${q[@]}" -o "$dir" -e validate-guest.sh -- \
			"$PFNMAP_STATIC=pfnmap" "$STRESS=pfnmap-stress" \
			"$OUT/validate-guest.sh=validate-guest.sh" \
			"$OUT/want-module=want-module" \
			>"$dir.log" 2>&1 || rc=$?
		sed 's/^/    | /' "$dir.log" >&2
		if ((rc == 0)) && [[ -s $dir/out/stat.json ]]; then
			local got
			got=$(cat "$dir/out/module-sha" 2>/dev/null || true)
			[[ $got == "$want" ]] ||
				pdie "$name guest ran vfio_iommu_type1.ko '$got', not the $name build '$want'"
			rm -rf "${OUT:?}/$name"; cp -a "$dir" "$OUT/$name"
			ATTEMPTS_USED[$name]=$try
			return 0
		fi
		plog "$name guest attempt $try/$ATTEMPTS failed (rc $rc; logs in $dir)"
		# A test that survived SIGKILL is stuck in the kernel (a MAP_DMA
		# that never returns): that is a result, not a flaky boot.
		if [[ -s $dir/out/guest-stuck.txt ]]; then
			sed 's/^/    | /' "$dir/out/guest-stuck.txt" >&2
			echo "not ok - $name: the workload got stuck in the kernel ($dir/out/guest-stuck.txt)"
			PDIE_RC=1 pdie "$name guest: workload stuck in the kernel"
		fi
		FAILED_ATTEMPTS+=("$name#$try rc=$rc $dir")
	done
	return 1
}

# ---- comparison ------------------------------------------------------

# Prints both stat JSONs side by side (when `pfnmap diff` is missing).
side_by_side() {
	python3 - "$1" "$2" <<-'EOF'
	import json, sys
	a, b = (json.load(open(p)) for p in sys.argv[1:3])
	print("%-17s %-22s %14s %14s" % ("kind", "field", "stock", "patched"))
	for kind in ("vfio_pin", "follow_pfnmap", "fixup_user_fault"):
	    ka, kb = a.get(kind) or {}, b.get(kind) or {}
	    keys = [k for k in ka if not isinstance(ka[k], (dict, list))]
	    keys += [k for k in kb if k not in keys and not isinstance(kb[k], (dict, list))]
	    for k in keys:
	        print("%-17s %-22s %14s %14s" % (kind, k, ka.get(k), kb.get(k)))
	    errs = sorted(set((ka.get("errors") or {}) | (kb.get("errors") or {})))
	    for e in errs:
	        print("%-17s %-22s %14s %14s" % (kind, "errors." + e,
	              (ka.get("errors") or {}).get(e, 0), (kb.get("errors") or {}).get(e, 0)))
	EOF
}

# checks STOCK PATCHED: the assertions, "ok - ..." / "not ok - ...".
checks() {
	python3 - "$1" "$2" "$OUT/stock/out/workload.out" "$OUT/patched/out/workload.out" \
		"$OUT/stock/out/dmesg-problems.txt" "$OUT/patched/out/dmesg-problems.txt" <<-'EOF'
	import json, os, sys
	sa, sb = (json.load(open(p)) for p in sys.argv[1:3])
	def wl(p):
	    try:
	        for line in open(p):
	            line = line.strip()
	            if line.startswith("{"):
	                return json.loads(line)
	    except OSError:
	        pass
	    return {}
	wa, wb = wl(sys.argv[3]), wl(sys.argv[4])
	def slurp(p):
	    try:
	        return open(p).read().strip()
	    except OSError:
	        return ""
	pa, pb = (slurp(p) for p in sys.argv[5:7])
	a, b = sa["vfio_pin"], sb["vfio_pin"]
	ea, eb = a.get("errors") or {}, b.get("errors") or {}
	fails = 0
	def check(ok, msg):
	    global fails
	    print(("ok - " if ok else "not ok - ") + msg)
	    fails += not ok
	n = lambda d, k: d.get(k) or 0
	check(n(ea, "EINVAL") > 0,
	      "stock: the reproducer hit the zap race (vfio_pin EINVAL %d)" % n(ea, "EINVAL"))
	check(n(ea, "EINVAL") == n(a, "zap_races"),
	      "stock: every vfio_pin EINVAL is a zap race (EINVAL %d, zap_races %d)"
	      % (n(ea, "EINVAL"), n(a, "zap_races")))
	check(n(eb, "EINVAL") == 0,
	      "patched: no vfio_pin EINVAL (%d; zap_races %d)" % (n(eb, "EINVAL"), n(b, "zap_races")))
	check(n(b, "retries") >= n(b, "zap_races") > 0,
	      "patched: every zap race retried (retries %s, zap_races %s)" % (b.get("retries"), b.get("zap_races")))
	bound = os.environ.get("RETRY_BOUND") or "?"
	check(b.get("max_retries") is not None and
	      (bound == "?" or b["max_retries"] <= int(bound)),
	      "patched: max retries per pin %s, within the patch's bound of %s per page lookup"
	      % (b.get("max_retries"), bound))
	fa = n(ea, "EFAULT") / max(n(a, "count"), 1)
	fb = n(eb, "EFAULT") / max(n(b, "count"), 1)
	check(abs(fa - fb) < 0.05,
	      "patched: EFAULT share unchanged (%.1f%% of %d pins vs %.1f%% of %d)"
	      % (100 * fa, n(a, "count"), 100 * fb, n(b, "count")))
	check(wb.get("maps", 0) > 0 and wb.get("maps") == wb.get("ok", 0) + sum((wb.get("errors") or {}).values()),
	      "patched: every MAP_DMA returned (%s maps, %s ok, errors %s)"
	      % (wb.get("maps"), wb.get("ok"), json.dumps(wb.get("errors"))))
	check(wa.get("maps", 0) > 0 and n(wa.get("errors") or {}, "EINVAL") == n(ea, "EINVAL"),
	      "stock: the workload's own EINVAL count matches pfnmap's (%s vs %d)"
	      % ((wa.get("errors") or {}).get("EINVAL"), n(ea, "EINVAL")))
	check(not pb, "patched: no hung-task/lockup/BUG/WARNING in dmesg" + (": " + pb if pb else ""))
	check(not pa, "stock: no hung-task/lockup/BUG/WARNING in dmesg" + (": " + pa if pa else ""))
	sys.exit(1 if fails else 0)
	EOF
}

# ---- main ------------------------------------------------------------

main() {
	local series='' secs=20 seed=1 workload='' build_only=0
	GUEST_TIMEOUT=240 ATTEMPTS=2 OUT=''
	QEMU_ARGS=()
	while getopts 'k:d:s:w:t:r:o:q:Bh' opt; do
		case $opt in
		k) series=$OPTARG ;;
		d) secs=$OPTARG ;;
		s) seed=$OPTARG ;;
		w) workload=$OPTARG ;;
		t) GUEST_TIMEOUT=$OPTARG ;;
		r) ATTEMPTS=$OPTARG ;;
		o) OUT=$OPTARG ;;
		q) QEMU_ARGS+=("$OPTARG") ;;
		B) build_only=1 ;;
		h) usage 0 ;;
		*) usage 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	(($# == 1)) || usage 2
	local patch
	patch=$(realpath "$1")
	[[ -f $patch ]] || { plog "no such patch: $1"; exit 2; }
	[[ -n $series ]] || series=$(patch_series "$patch")
	export PFNMAP_ACCEL=${PFNMAP_ACCEL:-tcg,thread=single}
	WORKLOAD=${workload:-"pfnmap-stress vfio-race -d $secs --seed $seed"}
	local pname
	pname=$(basename "$patch" .patch)
	OUT=${OUT:-$PATCH_BUILD/validate/$pname}
	mkdir -p "$OUT"
	OUT=$(realpath "$OUT")
	declare -gA ATTEMPTS_USED=()
	FAILED_ATTEMPTS=()
	local t_all
	t_all=$(date +%s)

	step_begin "guest kernel $series (tests/vm/fetch-kernel.sh)"
	"$ROOT/tests/vm/fetch-kernel.sh" "$series" >&2 ||
		PDIE_RC=3 pdie "cannot fetch the $series kernel"
	KERNEL_DIR=$BUILD/kernels/$series
	local pkg kver krel
	read -r pkg kver krel <"$KERNEL_DIR/VERSION"
	step_end

	step_begin "packages for $krel ($kver)"
	apt_setup || PDIE_RC=3 pdie "no package index"
	local kdir
	kdir=$(headers_tree "$krel" "$kver") || PDIE_RC=3 pdie "cannot get the headers of $krel"
	local -a files
	mapfile -t files < <(patch_files "$patch")
	((${#files[@]})) || pdie "$patch touches no existing file"
	local f
	for f in "${files[@]}"; do
		[[ $f == drivers/vfio/vfio_iommu_type1.c ]] ||
			pdie "$patch touches $f: only drivers/vfio/vfio_iommu_type1.c is rebuilt here"
	done
	rm -rf "$OUT/src"
	pristine_files "$series" "$kver" "$OUT/src/stock" \
		drivers/vfio/vfio_iommu_type1.c drivers/vfio/vfio.h ||
		PDIE_RC=3 pdie "cannot get linux-source-$series $kver"
	step_end

	step_begin "apply $(basename "$patch")"
	cp -a "$OUT/src/stock" "$OUT/src/patched"
	# Inside a git work tree (build/ is in pfnmap's) git apply would skip,
	# silently, every path outside the current directory: stop the
	# repository discovery at the tree itself.
	(cd "$OUT/src/patched" && export GIT_CEILING_DIRECTORIES=$OUT/src &&
		git apply --check "$patch" && git apply "$patch") ||
		pdie "$patch does not apply to linux-source-$series $kver"
	! cmp -s "$OUT/src/stock/drivers/vfio/vfio_iommu_type1.c" \
		"$OUT/src/patched/drivers/vfio/vfio_iommu_type1.c" ||
		pdie "$patch changed nothing in drivers/vfio/vfio_iommu_type1.c"
	mkdir -p "$OUT/build"
	local w
	for w in stock patched; do
		rm -rf "$OUT/build/$w"; mkdir -p "$OUT/build/$w"
		cp "$OUT/src/$w/drivers/vfio/"{vfio_iommu_type1.c,vfio.h} "$OUT/build/$w/"
	done
	step_end

	local -A srcv=()
	local kgcc ogcc
	kgcc=$(kernel_gcc_major "$kdir") ogcc=$(our_gcc_major)
	if [[ -n $kgcc ]] && ((kgcc > ogcc)) && ! command -v "x86_64-linux-gnu-gcc-$kgcc" >/dev/null; then
		plog "$krel was built with gcc $kgcc, this machine has gcc $ogcc: no module can be built"
		plog "for it here; compiling the stock and the patched file only (nothing is booted)"
		for w in stock patched; do
			step_begin "compile-check $w vfio_iommu_type1.c (gcc $ogcc, -fsyntax-only)"
			compile_check "$w" "$kdir" "$OUT/build/$w"
			step_end
		done
		print_timings
		echo "compile-check: both files compile against the $krel headers (gcc $ogcc, -fsyntax-only);"
		echo "no module was built or booted: validate the change on a kernel this gcc can build (6.12)"
		return 0
	fi
	for w in stock patched; do
		step_begin "build $w vfio_iommu_type1.ko ($(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion))"
		build_module "$w" "$kdir" "$OUT/build/$w"
		plog "   $w: vermagic $(modinfo_field "$OUT/build/$w/vfio_iommu_type1.ko" vermagic)"
		step_end
	done
	((!build_only)) || { print_timings; return 0; }

	step_begin "pfnmap (static) and pfnmap-stress"
	# Others edit the tree: a build that fails with a binary already
	# there is a warning (the binary is used), not the end of the run.
	local t
	for t in "OUTPUT=build/static STATIC=1 build/static/pfnmap" build/pfnmap-stress build/pfnmap; do
		# shellcheck disable=SC2086 # t is a word list
		if ! make -C "$ROOT" -s $t >"$OUT/make.log" 2>&1; then
			[[ -x $ROOT/${t##* } ]] || { cat "$OUT/make.log" >&2; pdie "make $t failed"; }
			plog "warning: make $t failed (log: $OUT/make.log); using the existing ${t##* }"
		fi
	done
	PFNMAP_STATIC=$ROOT/build/static/pfnmap
	STRESS=$ROOT/build/pfnmap-stress
	guest_script >"$OUT/validate-guest.sh"
	chmod +x "$OUT/validate-guest.sh"
	for w in stock patched; do
		kernel_dir "$OUT/kernel-$w" "$OUT/build/$w/vfio_iommu_type1.ko"
		srcv[$w]=$(sha256sum "$OUT/kernel-$w/modules/vfio_iommu_type1.ko" | cut -c1-16)
	done
	[[ ${srcv[stock]} != "${srcv[patched]}" ]] || pdie "the stock and the patched module are the same file"
	step_end

	local failed=0
	for w in stock patched; do
		step_begin "guest $krel, $w module: $WORKLOAD"
		run_guest "$w" "$OUT/kernel-$w" "${srcv[$w]}" || failed=1
		step_end
	done
	if ((failed)); then
		print_timings
		PDIE_RC=125 pdie "a guest run failed on every attempt: ${FAILED_ATTEMPTS[*]}"
	fi

	local rc=0
	echo
	echo "== $(basename "$patch") on $krel: $WORKLOAD (seed $seed, ${secs}s)"
	echo "   stock   $OUT/stock/out/stat.json (module ${srcv[stock]}, attempt ${ATTEMPTS_USED[stock]})"
	echo "   patched $OUT/patched/out/stat.json (module ${srcv[patched]}, attempt ${ATTEMPTS_USED[patched]})"
	for w in stock patched; do
		echo "   $w workload: $(grep -h '^{' "$OUT/$w/out/workload.out" | head -n1)"
	done
	echo
	local gate=''
	if "$ROOT/build/pfnmap" diff --help >/dev/null 2>&1; then
		# The gate: 1 when NEW still has an EINVAL from vfio_pin.
		local drc=0
		"$ROOT/build/pfnmap" diff --fail-if 'vfio_pin.EINVAL>0' \
			"$OUT/stock/out/stat.json" "$OUT/patched/out/stat.json" \
			>"$OUT/diff.txt" 2>&1 || drc=$?
		cat "$OUT/diff.txt"
		case $drc in
		0) gate="ok - pfnmap diff --fail-if 'vfio_pin.EINVAL>0': passes" ;;
		1) gate="not ok - pfnmap diff --fail-if 'vfio_pin.EINVAL>0': the patched run has EINVAL" ;;
		*) gate="not ok - pfnmap diff failed (exit $drc)" ;;
		esac
	else
		echo "(pfnmap diff is not built: both stat outputs side by side)"
		side_by_side "$OUT/stock/out/stat.json" "$OUT/patched/out/stat.json" |
			tee "$OUT/diff.txt"
	fi
	echo
	RETRY_BOUND=$(sed -n 's/^+#define VFIO_PFNMAP_MAX_RETRIES[[:space:]]*\([0-9]*\).*/\1/p' "$patch" | head -n1) \
		checks "$OUT/stock/out/stat.json" "$OUT/patched/out/stat.json" |
		tee "$OUT/checks.txt" || rc=1
	if [[ -n $gate ]]; then
		echo "$gate" | tee -a "$OUT/checks.txt"
		[[ $gate == ok* ]] || rc=1
	fi
	((${#FAILED_ATTEMPTS[@]} == 0)) ||
		echo "note: failed guest attempts (retried): ${FAILED_ATTEMPTS[*]}"
	echo
	print_timings
	echo "total: $(($(date +%s) - t_all))s; everything is in $OUT"
	return $rc
}

main "$@"; exit
