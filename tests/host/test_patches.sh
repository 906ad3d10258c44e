#!/usr/bin/env bash
# tests/host/test_patches.sh - every kernel patch in patches/ applies.
#
# For each patches/*.patch (and patches/SERIES/*.patch): the kernel series
# comes from the name ("...-7.3.patch", or a directory named after the
# series; default 6.12), the version from the guest kernel in
# build/kernels/SERIES when the archive still has its linux-source, else
# the newest linux-source-SERIES ($PFNMAP_SOURCE_VERSION overrides).  The
# files the patch touches are extracted pristine from that Debian
# linux-source package (private apt config, cached under build/patches/)
# into a temporary directory, and `git apply --check` must pass there.
# Also checks the patch is a `git format-patch` mail with a Signed-off-by.
#
# Prints "ok - ..." / "not ok - ..." / "skip - ..." per assertion; exits 1
# if any assertion failed.  A patch whose package cannot be downloaded is
# skipped, loudly, not failed.
set -uo pipefail

PLOG_NAME=test_patches
# shellcheck source=../../patches/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../patches/lib.sh"

fails=0 passes=0 skips=0
ok() { echo "ok - $*"; passes=$((passes + 1)); }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }
skip() { echo "skip - $*"; skips=$((skips + 1)); }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

mapfile -t PATCHES < <(find "$PATCH_ROOT/patches" -maxdepth 2 -name '*.patch' | sort)
if ((${#PATCHES[@]} == 0)); then
	notok "no patches in $PATCH_ROOT/patches"
	exit 1
fi

index_ok=1
apt_setup 2>"$TMP/apt.err" || index_ok=0

for p in "${PATCHES[@]}"; do
	rel=${p#"$PATCH_ROOT"/}
	series=$(patch_series "$p")

	# A mail git am can take: headers, a message, a sign-off, a diff.
	if grep -q '^From [0-9a-f]\{40\} ' "$p" && grep -q '^Subject: \[PATCH' "$p" &&
		grep -q '^Date: ' "$p" && grep -q '^Signed-off-by: .* <.*>$' "$p" &&
		grep -q '^diff --git ' "$p"; then
		ok "$rel is a format-patch mail (From/Date/Subject/Signed-off-by)"
	else
		notok "$rel lacks a From/Date/Subject/Signed-off-by header or a diff"
	fi

	if ((!index_ok)); then
		skip "$rel: no package index for linux-source-$series ($(tr '\n' ' ' <"$TMP/apt.err"))"
		continue
	fi
	if ! ver=$(source_version "$series"); then
		skip "$rel: the package index has no linux-source-$series"
		continue
	fi
	mapfile -t files < <(patch_files "$p")
	if ((${#files[@]} == 0)); then
		notok "$rel touches no existing file"
		continue
	fi
	dir=$TMP/$(basename "$p" .patch)
	mkdir -p "$dir"
	if ! pristine_files "$series" "$ver" "$dir" "${files[@]}" 2>"$TMP/get.err"; then
		skip "$rel: cannot download linux-source-$series $ver ($(tr '\n' ' ' <"$TMP/get.err"))"
		continue
	fi
	missing=()
	for f in "${files[@]}"; do [[ -f $dir/$f ]] || missing+=("$f"); done
	if ((${#missing[@]})); then
		notok "$rel: linux-source-$series $ver has no ${missing[*]}"
		continue
	fi
	# GIT_CEILING_DIRECTORIES: were $dir inside a git work tree, git apply
	# would skip every path outside it, silently, and "pass".
	if out=$(cd "$dir" && GIT_CEILING_DIRECTORIES=$(dirname "$dir") \
		git apply --check -v "$p" 2>&1); then
		ok "$rel applies to linux-source-$series $ver (${files[*]})"
	else
		notok "$rel does not apply to linux-source-$series $ver:"
		while IFS= read -r line; do echo "#   $line"; done <<<"$out"
	fi
	# An offset means the patch was made against another version.
	if grep -q 'with offset\|with fuzz' <<<"${out:-}"; then
		notok "$rel applies to $ver only with an offset"
	fi
done

echo "# $passes passed, $fails failed, $skips skipped"
((fails == 0))
