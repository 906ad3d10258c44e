#!/usr/bin/env bash
# mkinitramfs.sh OUT.cpio.gz KERNEL_DIR FILE...
#
# Builds the pfnmap test guest's initramfs: busybox-static with all applet
# links, /init from tests/vm/init.sh, KERNEL_DIR/modules/*.ko and
# KERNEL_DIR/modules.order (as made by fetch-kernel.sh) in
# /lib/modules/pfnmap/, and each FILE in /opt/pfnmap/:
#   path/to/x        -> /opt/pfnmap/x          (basename kept)
#   path/to/x=y      -> /opt/pfnmap/y
#   path/to/x=/a/b   -> /a/b                   (absolute destination)
# A FILE may be a directory (copied recursively).  The guest has no libc:
# for a dynamically linked FILE, the libraries `ldd` lists and the loader
# are copied too, at the paths ldd gives (/lib/x86_64-linux-gnu, /lib64).
# KERNEL_DIR may be "" for a module-less image.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUSYBOX=${BUSYBOX:-/bin/busybox}

die() { echo "mkinitramfs: $*" >&2; exit 1; }
warn() { echo "mkinitramfs: warning: $*" >&2; }

usage() {
	sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
	exit "${1:-0}"
}

STAGE=
cleanup() { [[ -z $STAGE ]] || rm -rf "$STAGE"; }
trap cleanup EXIT

add_busybox() {
	[[ -x $BUSYBOX ]] || die "$BUSYBOX missing (apt-get install busybox-static, or scripts/setup.sh)"
	is_dynamic "$BUSYBOX" && die "$BUSYBOX is dynamically linked; install busybox-static"
	mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,etc,root,proc,sys,dev,tmp,run,opt/pfnmap/out,lib/modules/pfnmap}
	cp "$BUSYBOX" "$STAGE/bin/busybox"
	local app
	while read -r app; do
		[[ $app == bin/busybox || -e $STAGE/$app ]] || ln -s /bin/busybox "$STAGE/$app"
	done < <("$BUSYBOX" --list-full)
	# Some tools (and busybox's own id/ps) look these up.
	echo 'root:x:0:0:root:/root:/bin/sh' >"$STAGE/etc/passwd"
	echo 'root:x:0:' >"$STAGE/etc/group"
}

add_modules() {
	local kdir=$1
	[[ -n $kdir ]] || return 0
	[[ -f $kdir/modules.order ]] || die "$kdir/modules.order missing (run tests/vm/fetch-kernel.sh)"
	local m
	while read -r m; do
		[[ -f $kdir/modules/$m ]] || die "$kdir/modules/$m listed in modules.order but missing"
		cp "$kdir/modules/$m" "$STAGE/lib/modules/pfnmap/"
	done <"$kdir/modules.order"
	cp "$kdir/modules.order" "$STAGE/lib/modules/pfnmap/"
}

# True when $1 is an ELF with a program interpreter (i.e. not static).
is_dynamic() {
	[[ $(head -c 4 "$1" | od -An -c | tr -d ' ') == 177ELF ]] || return 1
	head -c 4096 "$1" | LC_ALL=C grep -qa -e '/lib64/ld-linux' -e '/lib/ld-linux' -e 'ld-musl'
}

# The shared libraries of dynamic ELF $1 (and its loader), where ldd says.
add_libs() {
	local lib
	while read -r lib; do
		[[ -e $STAGE$lib ]] && continue
		mkdir -p "$STAGE$(dirname "$lib")"
		cp -L "$lib" "$STAGE$lib" || return 1
	done < <(ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
	[[ -e $STAGE/lib64 || -e $STAGE/lib/x86_64-linux-gnu ]]
}

add_file() {
	local spec=$1 src dst
	if [[ $spec == *=* ]]; then src=${spec%%=*}; dst=${spec#*=}; else src=$spec; dst=$(basename "$spec"); fi
	[[ -e $src ]] || die "no such file: $src"
	[[ -n $dst ]] || die "empty destination in '$spec'"
	[[ $dst == /* ]] || dst=/opt/pfnmap/$dst
	if [[ -f $src ]] && is_dynamic "$src"; then
		add_libs "$src" || warn "$src is dynamically linked and ldd failed; it will not run in the guest"
	fi
	mkdir -p "$STAGE$(dirname "$dst")"
	cp -a "$src" "$STAGE$dst"
}

main() {
	[[ ${1:-} == -h || ${1:-} == --help ]] && usage 0
	(($# >= 2)) || usage 2
	local out=$1 kdir=$2
	shift 2
	STAGE=$(mktemp -d)
	add_busybox
	cp "$HERE/init.sh" "$STAGE/init"
	chmod 755 "$STAGE/init"
	add_modules "$kdir"
	local f
	for f in "$@"; do add_file "$f"; done
	mkdir -p "$(dirname "$out")"
	# Sorted, root-owned: the same inputs give the same archive listing.
	(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$out.tmp"
	mv "$out.tmp" "$out"
}

main "$@"
