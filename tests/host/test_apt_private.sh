#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_apt_private.sh - scripts/apt-private.sh takes its archives from the
# machine's own apt configuration, never from a host name of its own.
# Machines are simulated with APT_CONFIG (Dir::Etc of a scratch
# directory): a mirror with another host name, in deb822 and one-line
# form, next to third-party, disabled and deb-src sources; a machine
# without a security source; one without any source; the overrides.  The
# dry run (scripts/apt-private.sh --dry-run) prints the sources it would
# use; apt_setup must write the same.  Last, this machine: every URI the
# dry run prints is one of its own apt sources.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
A=$top/scripts/apt-private.sh
fails=0

ok() { echo "ok - apt-private: $*"; }
notok() { echo "not ok - apt-private: $*"; fails=$((fails + 1)); }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# machine NAME: an empty apt configuration under $TMP/NAME; sets ETC, CONF
machine() {
	ETC=$TMP/$1/etc/apt
	CONF=$TMP/$1/apt.conf
	mkdir -p "$ETC/sources.list.d" "$ETC/apt.conf.d"
	printf 'Dir::Etc "%s";\n' "$ETC" >"$CONF"
}

# dry NAME: the dry run on machine NAME (stdout: $TMP/NAME.out, stderr: .err)
dry() {
	APT_CONFIG=$TMP/$1/apt.conf bash "$A" --dry-run >"$TMP/$1.out" 2>"$TMP/$1.err"
}

# A build farm's mirror, deb822, among sources that must not be taken.
machine farm
cat >"$ETC/sources.list.d/debian.sources" <<'EOS'
Types: deb
# a comment inside the paragraph
URIs: http://mirror.farm.internal/debian/
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://mirror.farm.internal/debian-security
Suites: bookworm-security
Components: main

Types: deb
URIs: http://disabled-mirror.example/debian
Suites: bookworm
Components: main
Enabled: no
EOS
cat >"$ETC/sources.list.d/nodesource.sources" <<'EOS'
Types: deb
URIs: https://third-party.example/node_20.x
Suites: nodistro
Components: main
EOS
if dry farm; then
	want="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.farm.internal/debian trixie-backports main
deb http://mirror.farm.internal/debian-security bookworm-security main"
	if [[ $(cat "$TMP/farm.out") == "$want" ]]; then
		ok "a deb822 mirror with another host name: $(tr '\n' ';' <"$TMP/farm.out")"
	else
		notok "deb822 mirror: got '$(cat "$TMP/farm.out")'"
	fi
	if grep -q 'farm/etc/apt/sources.list.d/debian.sources' "$TMP/farm.err"; then
		ok "the dry run says which file each archive came from"
	else
		notok "the dry run does not say where: $(cat "$TMP/farm.err")"
	fi
else
	notok "dry run on a deb822 mirror failed: $(cat "$TMP/farm.err")"
fi
if grep -Eq 'disabled-mirror|third-party' "$TMP/farm.out"; then
	notok "took a disabled or third-party source: $(cat "$TMP/farm.out")"
else
	ok "disabled (Enabled: no) and third-party sources are not taken"
fi

# The same in one-line form, through a proxy, with options and deb-src.
machine proxy
cat >"$ETC/sources.list" <<'EOS'
# apt-cacher-ng in front of the archives
deb-src http://src.example/debian bookworm main
deb cdrom:[Debian GNU/Linux 12]/ bookworm main
deb [arch=amd64 signed-by=/etc/apt/keyrings/farm.gpg] http://proxy.farm:3142/debian bookworm main
deb http://proxy.farm:3142/security bookworm-security main # trailing comment
EOS
if dry proxy && [[ $(cat "$TMP/proxy.out") == "deb [signed-by=/etc/apt/keyrings/farm.gpg] http://proxy.farm:3142/debian trixie-backports main
deb http://proxy.farm:3142/security bookworm-security main" ]]; then
	ok "a one-line sources.list through a proxy: $(tr '\n' ';' <"$TMP/proxy.out")"
else
	notok "one-line proxy: got '$(cat "$TMP/proxy.out")' $(cat "$TMP/proxy.err")"
fi

# No security source: the Debian suite alone, and what to set for the rest.
machine nosec
echo "deb http://mirror.example/debian trixie main" >"$ETC/sources.list"
if dry nosec && [[ $(cat "$TMP/nosec.out") == "deb http://mirror.example/debian trixie-backports main" ]] &&
	grep -q 'PFNMAP_APT_SECURITY' "$TMP/nosec.err"; then
	ok "no security source: the rest, and '$(grep -o 'set PFNMAP_APT_SECURITY[^(]*' "$TMP/nosec.err")'"
else
	notok "no security source: out '$(cat "$TMP/nosec.out")', err '$(cat "$TMP/nosec.err")'"
fi

# No source at all: an error that says what to set.
machine none
if dry none; then
	notok "no source at all, yet the dry run succeeded: $(cat "$TMP/none.out")"
elif grep -q PFNMAP_APT_DEBIAN "$TMP/none.err" && grep -q PFNMAP_APT_SECURITY "$TMP/none.err"; then
	ok "no source at all: exit 1, says to set PFNMAP_APT_DEBIAN and PFNMAP_APT_SECURITY"
else
	notok "no source at all: $(cat "$TMP/none.err")"
fi

# The overrides win.
if PFNMAP_APT_DEBIAN=http://a.example/debian PFNMAP_APT_SECURITY=http://b.example/sec/ dry farm &&
	[[ $(cat "$TMP/farm.out") == "deb http://a.example/debian trixie-backports main
deb http://b.example/sec bookworm-security main" ]]; then
	ok "PFNMAP_APT_DEBIAN and PFNMAP_APT_SECURITY override the machine's"
else
	notok "overrides: $(cat "$TMP/farm.out")"
fi

# apt_setup writes what the dry run printed (the update itself fails:
# the mirror does not exist).
dry farm
if APT_CONFIG=$TMP/farm/apt.conf APT_DIR=$TMP/private timeout 60 \
	bash -c '. "$1" && apt_setup' apt_setup "$A" >"$TMP/setup.log" 2>&1; then
	notok "apt_setup succeeded against a mirror that does not exist"
elif cmp -s "$TMP/private/sources.list" "$TMP/farm.out"; then
	ok "apt_setup writes the dry run's sources, and fails with: $(tail -n 1 "$TMP/setup.log")"
else
	notok "apt_setup wrote '$(cat "$TMP/private/sources.list" 2>/dev/null)'"
fi

# This machine: only URIs of its own sources.
if bash "$A" --dry-run >"$TMP/here.out" 2>"$TMP/here.err"; then
	mine=$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null; cat /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null)
	bad=()
	while read -r _ a b _; do
		[[ $a == \[* ]] && a=$b
		grep -qF -- "${a%/}" <<<"$mine" || bad+=("$a")
	done <"$TMP/here.out"
	if ((${#bad[@]} == 0)); then
		ok "this machine: $(tr '\n' ';' <"$TMP/here.out")"
	else
		notok "this machine: ${bad[*]} is none of its apt sources"
	fi
else
	echo "skip - apt-private: this machine has no Debian source: $(cat "$TMP/here.err")"
fi

[ "$fails" -eq 0 ]
