# shellcheck shell=bash
# patches/lib.sh - helpers shared by patches/validate.sh and
# tests/host/test_patches.sh: Debian packages through a private apt
# configuration, pristine kernel sources cached under build/.
#
# Like tests/vm/fetch-kernel.sh, apt runs with every state and config path
# under $PFNMAP_PATCH_BUILD/apt (default build/patches/apt), so /etc/apt is
# untouched; the .debs stay in its cache.  Extra directories holding .debs
# to use before downloading (a cache, never required) can be listed in
# $PFNMAP_DEB_CACHE (colon-separated).

PATCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATCH_BUILD=${PFNMAP_PATCH_BUILD:-${PFNMAP_BUILD:-$PATCH_ROOT/build}/patches}
APT_DIR=$PATCH_BUILD/apt

plog() { echo "${PLOG_NAME:-patches}: $*" >&2; }
pdie() { plog "$*"; exit "${PDIE_RC:-1}"; }

# apt_opts, apt_setup, apt_cache
# shellcheck source=scripts/apt-private.sh
. "$PATCH_ROOT/scripts/apt-private.sh"

# Versions of package $1 the index knows, newest first.
pkg_versions() {
	apt_cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}' |
		sort -Vru
}

# deb_get PKG [VERSION]: path of the .deb (VERSION, else the candidate),
# from the apt cache, $PFNMAP_DEB_CACHE, or downloaded.  Returns 1 (after
# saying why) when it cannot be had.
deb_get() {
	local pkg=$1 ver=${2:-} dir=$APT_DIR/cache/archives deb d
	if [[ -z $ver ]]; then
		ver=$(apt_cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
		[[ -n $ver && $ver != "(none)" ]] || { plog "no candidate version for $pkg"; return 1; }
	fi
	# .deb file names escape ':' in epochs as %3a; kernel packages have none.
	local -a dirs=("$dir")
	IFS=: read -r -a d <<<"${PFNMAP_DEB_CACHE:-}"
	dirs+=("${d[@]}")
	for d in "${dirs[@]}"; do
		[[ -n $d && -d $d ]] || continue
		deb=$(find "$d" -maxdepth 1 -name "${pkg}_${ver}_*.deb" | head -n1)
		if [[ -n $deb ]]; then
			echo "$deb"
			return 0
		fi
	done
	plog "downloading $pkg $ver"
	local -a o; mapfile -t o < <(apt_opts)
	if ! (cd "$dir" && apt-get -qq "${o[@]}" download "$pkg=$ver" >&2); then
		plog "apt-get download $pkg=$ver failed"
		return 1
	fi
	deb=$(find "$dir" -maxdepth 1 -name "${pkg}_${ver}_*.deb" | head -n1)
	[[ -n $deb ]] || { plog "download of $pkg left no .deb in $dir"; return 1; }
	echo "$deb"
}

# Series of a patch: "6.12" or "7.3", from a "-7.3.patch" suffix or a
# per-kernel directory (patches/7.3/...); default 6.12.
patch_series() {
	local p=$1 b
	b=$(basename "$p")
	case $b in
	*-[0-9]*.[0-9]*.patch)
		b=${b%.patch}; echo "${b##*-}"; return ;;
	esac
	b=$(basename "$(dirname "$p")")
	if [[ $b =~ ^[0-9]+\.[0-9]+$ ]]; then echo "$b"; return; fi
	echo 6.12
}

# The Debian version of linux-source-SERIES that a patch of SERIES is for:
# $PFNMAP_SOURCE_VERSION, else the version of the kernel the guests boot
# (build/kernels/SERIES/VERSION) if the index has it, else the newest.
source_version() {
	local series=$1 want='' vers
	if [[ -n ${PFNMAP_SOURCE_VERSION:-} ]]; then
		echo "$PFNMAP_SOURCE_VERSION"; return
	fi
	local vf=${PFNMAP_BUILD:-$PATCH_ROOT/build}/kernels/$series/VERSION
	[[ -f $vf ]] && want=$(awk '{print $2}' "$vf")
	vers=$(pkg_versions "linux-source-$series")
	[[ -n $vers ]] || return 1
	if [[ -n $want ]] && grep -qxF "$want" <<<"$vers"; then
		echo "$want"
	else
		head -n1 <<<"$vers"
	fi
}

# source_tarball SERIES VERSION: the source tarball of linux-source-SERIES
# VERSION, taken out of the .deb once and cached under build/patches/src/
# (the .deb is then deleted): prints the tarball's path.
source_tarball() {
	local series=$1 ver=$2 deb out
	out=$PATCH_BUILD/src/linux-source-$series-$ver
	if [[ ! -f $out/linux-source-$series.tar.xz ]]; then
		deb=$(deb_get "linux-source-$series" "$ver") || return 1
		plog "unpacking $(basename "$deb")"
		mkdir -p "$out.tmp"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x -C "$out.tmp" --strip-components=3 \
				"./usr/src/linux-source-$series.tar.xz" ||
			{ plog "no linux-source-$series.tar.xz in $deb"; rm -rf "$out.tmp"; return 1; }
		rm -rf "$out"; mv "$out.tmp" "$out"
		# The tarball is all we use: do not keep the same 150 MB twice
		# (a .deb from $PFNMAP_DEB_CACHE is not ours to delete).
		[[ $deb != "$APT_DIR/cache/archives/"* ]] || rm -f "$deb"
	fi
	echo "$out/linux-source-$series.tar.xz"
}

# pristine_files SERIES VERSION DEST FILE...: copies FILEs (paths inside
# the kernel tree) from the pristine source into DEST/ (same layout).
# Files are cached per version under build/patches/src/.../files/; a
# file the tarball lacks is an error.
pristine_files() {
	local series=$1 ver=$2 dest=$3; shift 3
	local cache=$PATCH_BUILD/src/linux-source-$series-$ver/files f
	local -a missing=()
	for f in "$@"; do
		[[ -f $cache/$f || -f $cache/$f.absent ]] || missing+=("$f")
	done
	if ((${#missing[@]})); then
		local tarball
		tarball=$(source_tarball "$series" "$ver") || return 1
		mkdir -p "$cache"
		plog "extracting ${missing[*]} from $(basename "$tarball") $ver"
		local -a members=()
		for f in "${missing[@]}"; do members+=("linux-source-$series/$f"); done
		# Missing members make tar fail; record which, keep the rest.
		tar -xJf "$tarball" -C "$cache" --strip-components=1 "${members[@]}" 2>/dev/null || true
		for f in "${missing[@]}"; do
			[[ -f $cache/$f ]] || { mkdir -p "$(dirname "$cache/$f")"; : >"$cache/$f.absent"; }
		done
	fi
	for f in "$@"; do
		if [[ -f $cache/$f ]]; then
			mkdir -p "$dest/$(dirname "$f")"
			cp "$cache/$f" "$dest/$f"
		fi
	done
}

# Files a patch touches (pre-image paths, a/ stripped; new files excluded).
patch_files() {
	awk '/^--- a\// { sub(/^--- a\//, ""); sub(/\t.*/, ""); print }' "$1" | sort -u
}
