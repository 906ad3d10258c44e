#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# packaging/deb.sh OUTDIR - the Debian package of this tree.
#
# Copies the tree (the files git knows of, new ones included, ignored ones
# not) to OUTDIR/pfnmap-VERSION, runs `dpkg-buildpackage -us -uc -b` there
# (a build runs `make clean` and writes its .deb next to its tree: never
# in the working tree), then lintian on the .changes.  Prints the .deb's
# path; exits 1 if the build fails or lintian reports an error (its
# report: OUTDIR/lintian.log, the build's: OUTDIR/build.log).
set -euo pipefail

die() { echo "deb: $*" >&2; exit 1; }

(($# == 1)) || die "usage: packaging/deb.sh OUTDIR"
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "$1")
for t in dpkg-buildpackage dpkg-parsechangelog dh lintian; do
	command -v "$t" >/dev/null || die "no $t (scripts/setup.sh installs it)"
done
ver=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$out/pfnmap-$ver

rm -rf "$out"
mkdir -p "$src"
cd "$top"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard |
		while IFS= read -r -d '' f; do
			[[ -e $f ]] && printf '%s\0' "$f"
		done | tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$src"
fi

# Not the flags and variables of a make this runs under (make deb): the
# package's make must see only what debian/rules gives it.
echo "deb: dpkg-buildpackage -us -uc -b in $src" >&2
if ! (cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	-u OUTPUT -u V dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	die "dpkg-buildpackage failed (log: $out/build.log)"
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$out/pfnmap_${ver}_$arch.deb
changes=$out/pfnmap_${ver}_$arch.changes
[[ -f $deb && -f $changes ]] || die "no $deb after the build (log: $out/build.log)"

echo "deb: lintian $changes" >&2
lintian --fail-on error --display-info "$changes" >"$out/lintian.log" 2>&1
rc=$?
sed 's/^/deb: /' "$out/lintian.log" >&2
((rc == 0)) || die "lintian reports errors (exit $rc, $out/lintian.log)"
echo "$deb"
