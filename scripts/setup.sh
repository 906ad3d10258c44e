#!/usr/bin/env bash
# scripts/setup.sh - install what pfnmap needs to build and test (Debian).
#
# Installs only the missing packages (one dpkg-query when all are there,
# so it is cheap to call from CI), runs `apt-get update` at most once, and
# never prompts.  -n/--dry-run lists what would be installed.
set -euo pipefail

# build: the tool, its BPF objects and unit tests
BUILD_PKGS="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libncurses-dev
	libcmocka-dev make gcc libc6-dev pkg-config"
# VM tests: QEMU guests with a busybox initramfs (tests/vm/)
VM_PKGS="qemu-system-x86 busybox-static cpio xz-utils zstd gzip"
# test drivers (python3: tests/check.py and the guest checkers) and the TUI demo
TEST_PKGS="tmux jq bpftrace python3"

die() { echo "setup: $*" >&2; exit 1; }

# Prints the packages of $@ that are not installed.
missing() {
	local -A have=()
	local p
	while read -r p; do have[$p]=1; done < <(
		dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
			awk '$1 == "ii" {print $2}')
	for p in "$@"; do [[ -n ${have[$p]:-} ]] || echo "$p"; done
}

main() {
	local dry=0
	case ${1:-} in
	-n|--dry-run) dry=1 ;;
	-h|--help) sed -n '2,6s/^# \{0,1\}//p' "$0"; exit 0 ;;
	"") ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
	command -v dpkg-query >/dev/null || die "not a Debian system (no dpkg-query)"

	local -a want need
	read -r -d '' -a want <<<"$BUILD_PKGS $VM_PKGS $TEST_PKGS" || true
	mapfile -t need < <(missing "${want[@]}")
	if ((${#need[@]} == 0)); then
		echo "setup: all ${#want[@]} packages present"
		return
	fi
	echo "setup: installing ${need[*]}"
	((dry)) && return
	((EUID == 0)) || die "need root for apt-get (missing: ${need[*]})"

	export DEBIAN_FRONTEND=noninteractive
	local -a apt=(apt-get -y -q -o Dpkg::Options::=--force-confdef
		-o Dpkg::Options::=--force-confold --no-install-recommends)
	# Try the existing lists first; update once only if that fails (fresh
	# machines have empty or stale lists).
	if ! "${apt[@]}" install "${need[@]}"; then
		apt-get -q update || die "apt-get update failed"
		"${apt[@]}" install "${need[@]}" || die "apt-get install failed: ${need[*]}"
	fi
	mapfile -t need < <(missing "${want[@]}")
	((${#need[@]} == 0)) || die "still missing after install: ${need[*]}"
	echo "setup: done"
}

main "$@"
