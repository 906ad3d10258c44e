# shellcheck shell=bash
# scripts/apt-private.sh - Debian packages through a private apt
# configuration: every state, list and cache path under $APT_DIR (set it
# before sourcing), so the machine's /etc/apt is never touched.  Used by
# tests/vm/fetch-kernel.sh and patches/lib.sh.

apt_opts() {
	printf '%s\n' \
		-o "Dir::Etc::SourceList=$APT_DIR/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o "Dir::State::Lists=$APT_DIR/lists" \
		-o "Dir::Cache=$APT_DIR/cache" \
		-o "Dir::State::status=$APT_DIR/status" \
		-o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root
}

# Sets up the suites and refreshes the index at most once an hour (suites
# move, but not that fast).  Returns non-zero, with a message, when the
# index cannot be fetched, so that callers can skip or die as they see fit.
apt_setup() {
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	touch "$APT_DIR/status"
	cat >"$APT_DIR/sources.list" <<-'EOS'
	deb http://deb.debian.org/debian trixie-backports main
	deb http://deb.debian.org/debian-security bookworm-security main
	EOS
	local stamp=$APT_DIR/lists/.updated
	[[ -z $(find "$stamp" -mmin -60 2>/dev/null) ]] || return 0
	local -a o
	mapfile -t o < <(apt_opts)
	(
		exec 8>"$APT_DIR/.lock"
		flock 8
		apt-get -qq "${o[@]}" update >&2
	) || { echo "apt: update failed (private config in $APT_DIR)" >&2; return 1; }
	# apt-get update exits 0 when a suite cannot be fetched
	if ! compgen -G "$APT_DIR/lists/*_Packages*" >/dev/null; then
		echo "apt: update fetched no package list (network? private config in $APT_DIR)" >&2
		return 1
	fi
	touch "$stamp"
}

apt_cache() { local -a o; mapfile -t o < <(apt_opts); apt-cache "${o[@]}" "$@"; }
