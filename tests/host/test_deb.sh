#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_deb.sh - the Debian package: `make deb` (dpkg-buildpackage -us -uc
# -b of debian/ in a copy of the tree, then lintian, which must report no
# error), unpacked into a scratch root with dpkg-deb -x; there the
# installed pfnmap runs and says the package's version, links Debian's
# libbpf, libelf, zlib and ncurses dynamically, man finds and formats its
# pages, and its bash completion completes.  About a minute.
set -u
cd "$(dirname "$0")/../.." || exit 1
OUTPUT=${OUTPUT:-build}	# the build tree (make OUTPUT=...)
fails=0
# shellcheck source=tests/host/complete-lib.sh
. tests/host/complete-lib.sh

ok() { echo "ok - deb: $*"; }
notok() { echo "not ok - deb: $*"; fails=$((fails + 1)); }

for t in dpkg-buildpackage dh lintian; do
	if ! command -v "$t" >/dev/null; then
		echo "skip - deb: no $t (scripts/setup.sh installs it)"
		exit 0
	fi
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
t0=$SECONDS
if deb=$(make -s OUTPUT="$OUTPUT" deb 2>"$TMP/deb.log" | tail -n 1) && [[ -f $deb ]]; then
	ok "make deb: $(basename "$deb") in $((SECONDS - t0)) s"
else
	notok "make deb failed: $(grep -v '^deb: [IWP]:' "$TMP/deb.log" | tail -n 8)"
	exit 1
fi
nw=$(grep -c '^deb: W:' "$TMP/deb.log")
ok "lintian: no error ($nw warnings$( ((nw)) && echo ": $(grep '^deb: W:' "$TMP/deb.log" | cut -d: -f3- | sort -u | tr '\n' ';')"))"

ver=$(dpkg-parsechangelog -S Version)
if [[ $(basename "$deb") == pfnmap_${ver}_$(dpkg-architecture -qDEB_HOST_ARCH).deb ]]; then
	ok "named after debian/changelog: pfnmap_${ver}_ARCH.deb"
else
	notok "$(basename "$deb") is not pfnmap_${ver}_ARCH.deb"
fi
dep=$(dpkg-deb -f "$deb" Depends)
miss=()
# libelf1 comes with libbpf1 (pfnmap links -Wl,--as-needed)
for lib in libbpf1 zlib1g libncursesw6; do
	grep -q "\b$lib\b" <<<"$dep" || miss+=("$lib")
done
if ((${#miss[@]} == 0)); then
	ok "Depends: $dep"
else
	notok "Depends lacks ${miss[*]}: $dep"
fi

R=$TMP/root
dpkg-deb -x "$deb" "$R"
P=$R/usr/bin/pfnmap
if out=$("$P" --version) && [[ $out == "pfnmap $ver "* ]]; then
	ok "installed pfnmap --version: $out"
else
	notok "installed pfnmap --version: '$out' (want pfnmap $ver)"
fi
libs=$(ldd "$P" 2>&1)
miss=()
for lib in libbpf.so.1 libelf.so.1 libz.so.1 libncursesw.so.6; do
	grep -q "^[[:space:]]*${lib//./\\.} => /" <<<"$libs" || miss+=("$lib")
done
if ((${#miss[@]} == 0)); then
	ok "linked dynamically with Debian's libbpf, libelf, zlib, ncurses ($(grep -o 'libbpf\.so\.1 => [^ ]*' <<<"$libs"))"
else
	notok "not linked dynamically with ${miss[*]}: $libs"
fi
if page=$(MANPATH=$R/usr/share/man man -w pfnmap-stat) && [[ $page == "$R/"* ]] &&
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null) &&
	[[ -z $warn ]] && man -l "$page" 2>/dev/null | col -b | grep -q '^EXIT STATUS'; then
	ok "man: MANPATH=$R/usr/share/man man -w pfnmap-stat: $page, formats without a warning"
else
	notok "man pfnmap-stat: '${page:-}' ${warn:-}"
fi
if ! have_bash_completion; then
	echo "skip - deb: completion not tried: no bash-completion"
elif [[ $(complete_line "$R/usr/share/bash-completion/completions/pfnmap" \
	"pfnmap report --by z" | tr '\n' ' ') == "zapper " ]]; then
	ok "completion: 'pfnmap report --by z' -> zapper"
else
	notok "completion of the packaged $R/usr/share/bash-completion/completions/pfnmap"
fi
[ "$fails" -eq 0 ]
