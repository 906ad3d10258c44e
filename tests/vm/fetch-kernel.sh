#!/usr/bin/env bash
# fetch-kernel.sh SERIES [--update]
#
# Downloads the newest Debian cloud kernel of SERIES (6.1, 6.12 or 7.3) and
# unpacks what a pfnmap test guest needs into build/kernels/SERIES/:
#   vmlinuz        the kernel
#   modules/*.ko   WANT_MODULES and their dependencies, decompressed
#   modules.order  basenames in load order (dependencies first)
#   config         the kernel's .config (for feature checks)
#   VERSION        "<package> <debian version> <kernel release>"
#
# apt runs with a private config under build/apt, so /etc/apt is untouched.
# Nothing is downloaded again once VERSION exists; --update re-resolves the
# newest package.  The .debs stay in build/apt/cache, so editing
# WANT_MODULES only re-unpacks.  PFNMAP_BUILD overrides the build dir.
set -euo pipefail

# Modules the guest loads.  Dependencies are added from each module's
# "depends=", so list only the top of each stack.  Add yours here (or, for
# a one-off, in $PFNMAP_EXTRA_MODULES).
WANT_MODULES="vfio vfio_iommu_type1 vfio-pci-core vfio-pci ${PFNMAP_EXTRA_MODULES:-}"
# shellcheck disable=SC2086,SC2116 # normalise blanks: it is compared below
WANT_MODULES=$(echo $WANT_MODULES)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${PFNMAP_BUILD:-$ROOT/build}
APT_DIR=$BUILD/apt

die() { echo "fetch-kernel: $*" >&2; exit 1; }
log() { echo "fetch-kernel: $*" >&2; }

usage() {
	sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
	exit "${1:-0}"
}

# apt_opts, apt_setup, apt_cache
# shellcheck source=scripts/apt-private.sh
. "$ROOT/scripts/apt-private.sh"

# Newest package whose name matches the anchored regex $1.
newest_pkg() {
	apt_cache search --names-only "$1" | awk '{print $1}' | grep -E "$1" |
		sort -V | tail -n1
}

pkg_version() {
	apt_cache policy "$1" | awk '/Candidate:/ {print $2; exit}'
}

# Download package $1 into the apt cache dir (kept for re-unpacking); prints
# the .deb path.
download() {
	local pkg=$1 ver deb dir=$APT_DIR/cache/archives
	ver=$(pkg_version "$pkg")
	[[ -n $ver && $ver != "(none)" ]] || die "no candidate version for $pkg"
	deb=$(find "$dir" -maxdepth 1 -name "${pkg}_*.deb" | head -n1)
	if [[ -z $deb ]]; then
		log "downloading $pkg $ver"
		local -a o; mapfile -t o < <(apt_opts)
		(cd "$dir" && apt-get -qq "${o[@]}" download "$pkg" >&2) ||
			die "apt-get download $pkg failed"
		deb=$(find "$dir" -maxdepth 1 -name "${pkg}_*.deb" | head -n1)
		[[ -n $deb ]] || die "download of $pkg left no .deb in $dir"
	fi
	echo "$deb"
}

# Package names per series: "<package with vmlinuz> [<modules package>]".
resolve_pkgs() {
	local image mods
	case $1 in
	7.3)
		image=$(newest_pkg '^linux-binary-unsigned-7\.3\.[0-9]+\+deb13-cloud-amd64$')
		[[ -n $image ]] || die "no 7.3 cloud kernel in trixie-backports"
		mods=${image/linux-binary-unsigned-/linux-modules-}
		echo "$image $mods" ;;
	6.12)
		image=$(newest_pkg '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$')
		[[ -n $image ]] || die "no 6.12 cloud kernel in bookworm-security"
		echo "$image" ;;
	6.1)
		image=$(newest_pkg '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$')
		[[ -n $image ]] || die "no 6.1 cloud kernel in bookworm-security"
		echo "$image" ;;
	*) die "unknown series '$1' (want 6.1, 6.12 or 7.3)" ;;
	esac
}

# Reads field $2 (depends, softdep, ...) of module file $1 from its .modinfo
# section: NUL-separated "key=value" strings, so no kmod/binutils is needed.
modinfo_field() {
	local cat=cat
	case $1 in *.xz) cat="xz -dc" ;; *.zst) cat="zstd -qdc" ;; *.gz) cat="gzip -dc" ;; esac
	$cat "$1" | tr '\0' '\n' | sed -n "s/^$2=//p"
}

# Module name as the kernel sees it: basename, no suffix, '-' == '_'.
mod_name() { local n=${1##*/}; n=${n%%.ko*}; echo "${n//-/_}"; }

# Prints module files in load order (dependencies first), walking the
# "depends=" and "softdep=pre:" fields from the WANT_MODULES.  The packages
# ship no modules.dep (Debian runs depmod at install time).
load_order() {
	local mdir=$1; shift
	declare -gA MOD_PATH=() MOD_STATE=()
	local f
	while IFS= read -r f; do MOD_PATH[$(mod_name "$f")]=$f; done \
		< <(find "$mdir" -name '*.ko*' -type f)
	local m
	for m in "$@"; do
		[[ -n ${MOD_PATH[$(mod_name "$m")]:-} ]] ||
			die "module $m not found in the package (built in? see $BUILD/kernels/*/config)"
		visit "$(mod_name "$m")"
	done
}

visit() {
	local n=$1 d
	case ${MOD_STATE[$n]:-} in
	done) return ;;
	busy) die "module dependency cycle at $n" ;;
	esac
	MOD_STATE[$n]=busy
	local deps soft
	deps=$(modinfo_field "${MOD_PATH[$n]}" depends | tr ',' ' ')
	# softdep=pre: a b post: c -> a b; optional, so only those present.
	soft=$(modinfo_field "${MOD_PATH[$n]}" softdep | sed -n 's/.*pre:\([^:]*\)\( post:.*\)\{0,1\}$/\1/p')
	for d in $deps; do
		[[ -n ${MOD_PATH[$(mod_name "$d")]:-} ]] || die "$n depends on $d, which the package lacks"
		visit "$(mod_name "$d")"
	done
	for d in $soft; do
		[[ -z ${MOD_PATH[$(mod_name "$d")]:-} ]] || visit "$(mod_name "$d")"
	done
	MOD_STATE[$n]='done'
	echo "${MOD_PATH[$n]}"
}

# Unpack the .debs into a scratch dir and install the pieces into $out.
unpack() {
	local out=$1 release=$2; shift 2
	local tmp; tmp=$(mktemp -d "$BUILD/kernels/.unpack.XXXXXX")
	SCRATCH=$tmp
	local deb
	for deb in "$@"; do dpkg-deb -x "$deb" "$tmp"; done

	local mdir kver
	mdir=$(find "$tmp/usr/lib/modules" "$tmp/lib/modules" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n1 || true)
	[[ -n $mdir ]] || die "no modules directory in $*"
	kver=$(basename "$mdir")
	[[ -z $release || $release == "$kver" ]] || die "kernel release mismatch: $release vs $kver"

	local vmlinuz
	for vmlinuz in "$mdir/vmlinuz.unsigned" "$mdir/vmlinuz" "$tmp/boot/vmlinuz-$kver"; do
		[[ -f $vmlinuz ]] && break
	done
	[[ -f $vmlinuz ]] || die "no vmlinuz for $kver in $*"

	local stage=$out.new
	rm -rf "$stage"; mkdir -p "$stage/modules"
	cp "$vmlinuz" "$stage/vmlinuz"
	local cfg
	for cfg in "$tmp/boot/config-$kver" "$mdir/config"; do
		[[ -f $cfg ]] && { cp "$cfg" "$stage/config"; break; }
	done

	local rel name
	# shellcheck disable=SC2086 # WANT_MODULES is a word list
	load_order "$mdir" $WANT_MODULES >"$tmp/order"
	while read -r rel; do
		name=$(basename "$rel")
		# Decompress here: busybox insmod may lack xz/zstd support.
		case $name in
		*.ko.xz) xz -dc "$rel" >"$stage/modules/${name%.xz}" ;;
		*.ko.zst) zstd -qdc "$rel" >"$stage/modules/${name%.zst}" ;;
		*.ko.gz) gzip -dc "$rel" >"$stage/modules/${name%.gz}" ;;
		*.ko) cp "$rel" "$stage/modules/$name" ;;
		*) die "unexpected module file $rel" ;;
		esac
		echo "${name%.ko*}.ko" >>"$stage/modules.order"
	done <"$tmp/order"
	echo "$WANT_MODULES" >"$stage/modules.wanted"
	echo "$kver" >"$stage/RELEASE"
	mv "$stage" "$out.ready"
	rm -rf "$tmp"
}

summary() {
	local out=$1
	local pkg ver kver
	read -r pkg ver kver <"$out/VERSION"
	echo "kernel $SERIES: $kver ($pkg $ver), $(wc -l <"$out/modules.order") modules: $(tr '\n' ' ' <"$out/modules.order" | sed 's/\.ko//g; s/ $//') -> $out"
}

SCRATCH=
cleanup() { [[ -z $SCRATCH ]] || rm -rf "$SCRATCH"; }
trap cleanup EXIT

main() {
	local update=0
	SERIES=
	while (($#)); do
		case $1 in
		-h|--help) usage 0 ;;
		--update) update=1 ;;
		-*) echo "fetch-kernel: unknown option $1 (see --help)" >&2; exit 2 ;;
		*) [[ -z $SERIES ]] || die "only one SERIES"; SERIES=$1 ;;
		esac
		shift
	done
	[[ -n $SERIES ]] || usage 2
	case $SERIES in 6.1|6.12|7.3) ;; *) die "unknown series '$SERIES' (want 6.1, 6.12 or 7.3)" ;; esac

	local out=$BUILD/kernels/$SERIES
	mkdir -p "$BUILD/kernels"
	# Serialise with other fetches/test runs sharing the build tree.
	exec 9>"$BUILD/kernels/.lock"
	flock 9

	local wanted="$WANT_MODULES"
	if ((!update)) && [[ -f $out/VERSION && -f $out/vmlinuz && -f $out/modules.order ]] &&
		[[ $(cat "$out/modules.wanted" 2>/dev/null) == "$wanted" ]]; then
		summary "$out"
		return
	fi

	apt_setup || die "cannot fetch the package index"
	local -a pkgs debs=()
	local pkg
	if ((!update)) && [[ -f $out/VERSION ]]; then
		# Only the module list changed: keep the version we already have.
		read -r pkg _ <"$out/VERSION"
		pkgs=("$pkg")
		[[ $SERIES == 7.3 ]] && pkgs+=("${pkg/linux-binary-unsigned-/linux-modules-}")
	else
		read -r -a pkgs <<<"$(resolve_pkgs "$SERIES")"
	fi
	for pkg in "${pkgs[@]}"; do debs+=("$(download "$pkg")"); done

	rm -rf "$out.ready"
	unpack "$out" "" "${debs[@]}"
	local kver; kver=$(cat "$out.ready/RELEASE")
	echo "${pkgs[0]} $(dpkg-deb -f "${debs[0]}" Version) $kver" >"$out.ready/VERSION"
	rm -rf "$out.old"
	[[ -d $out ]] && mv "$out" "$out.old"
	mv "$out.ready" "$out"
	rm -rf "$out.old"
	summary "$out"
}

main "$@"
