#!/usr/bin/env bash
# shellcheck shell=bash
# scripts/apt-private.sh - Debian packages through a private apt
# configuration: every state, list and cache path under $APT_DIR (set it
# before sourcing), so the machine's /etc/apt is never touched.  Used by
# tests/vm/fetch-kernel.sh and patches/lib.sh.
#
# The suites pfnmap needs (APT_SUITES) come from the archives this
# machine's apt already uses: the URIs of its sources.list and
# sources.list.d/*.list, *.sources (where apt-config says they are, so
# APT_CONFIG counts), so a local mirror or proxy keeps working.  The
# Debian archive is the one serving a Debian release (bookworm,
# bookworm-updates, stable...), the security archive the one serving a
# *-security suite.  PFNMAP_APT_DEBIAN and PFNMAP_APT_SECURITY (URIs)
# override them, and are what to set where apt has no such source.
#
#   scripts/apt-private.sh --dry-run    the sources it would use, and why
#
# Functions: apt_opts, apt_sources, apt_setup, apt_cache.

# What pfnmap fetches: ARCHIVE SUITE COMPONENT, ARCHIVE being debian or
# security.  trixie-backports: the 7.3 guest kernel; bookworm-security:
# the 6.1 and 6.12 guest kernels and their linux-source.
APT_SUITES=(
	"debian trixie-backports main"
	"security bookworm-security main"
)

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

# The machine's source files, as its apt configuration names them.
apt_source_files() {
	local sl='' sp=''
	eval "$(apt-config shell sl Dir::Etc::sourcelist/f sp Dir::Etc::sourceparts/d)"
	[[ -n $sl && -f $sl ]] && echo "$sl"
	[[ -n $sp && -d $sp ]] &&
		find "$sp" -maxdepth 1 -type f \( -name '*.list' -o -name '*.sources' \) |
		LC_ALL=C sort
	return 0
}

# "FILE URI SUITE SIGNED-BY" per enabled deb source of the machine (one
# line per URI and suite; SIGNED-BY "-" if none or an inline key).
apt_machine_sources() {
	local f
	while read -r f; do
		case $f in
		*.sources)
			awk -v file="$f" '
			function flush(   n, m, i, j, u, s) {
				if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no") {
					n = split(uris, u, " ")
					m = split(suites, s, " ")
					for (i = 1; i <= n; i++)
						for (j = 1; j <= m; j++)
							print file, u[i], s[j], (signed ~ /^\// ? signed : "-")
				}
				types = uris = suites = signed = enabled = key = ""
			}
			/^#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { if (key == "signed-by") signed = signed " x"; next }
			{
				key = tolower($0); sub(/:.*/, "", key)
				val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
				if (key == "types") types = val
				else if (key == "uris") uris = val
				else if (key == "suites") suites = val
				else if (key == "signed-by") signed = val
				else if (key == "enabled") enabled = val
			}
			END { flush() }' "$f" ;;
		*)
			awk -v file="$f" '
			/^[ \t]*deb[ \t]/ {
				sub(/#.*/, "")
				signed = "-"
				if (match($0, /\[[^]]*\]/)) {
					opts = substr($0, RSTART + 1, RLENGTH - 2)
					$0 = substr($0, 1, RSTART - 1) substr($0, RSTART + RLENGTH)
					n = split(opts, o, /[ \t]+/)
					for (i = 1; i <= n; i++)
						if (o[i] ~ /^signed-by=\//)
							signed = substr(o[i], 11)
				}
				if (NF >= 3)
					print file, $2, $3, signed
			}' "$f" ;;
		esac
	done < <(apt_source_files)
}

# debian, security or nothing: the archive serving suite $1.
apt_suite_archive() {
	local rel='' id=''
	# shellcheck disable=SC1091
	[[ -r /etc/os-release ]] && { . /etc/os-release; rel=${VERSION_CODENAME:-} id=${ID:-}; }
	[[ $id == debian ]] || rel=
	case $1 in
	*-security|*/updates) echo security; return ;;
	esac
	local base=${1%-updates}
	base=${base%-proposed-updates}
	base=${base%-backports-sloppy}
	base=${base%-backports}
	case " $rel buster bullseye bookworm trixie forky duke sid stable testing unstable oldstable oldoldstable experimental " in
	*" $base "*) echo debian ;;
	esac
}

# "URI SIGNED-BY WHERE" of archive $1 (debian or security): the override,
# else the first source of the machine serving one of its suites.
apt_archive() {
	local var=PFNMAP_APT_${1^^} file uri suite signed
	if [[ -n ${!var:-} ]]; then
		echo "${!var%/} - \$$var"
		return
	fi
	while read -r file uri suite signed; do
		if [[ $(apt_suite_archive "$suite") == "$1" && $uri != cdrom:* ]]; then
			echo "${uri%/} $signed $file"
			return
		fi
	done < <(apt_machine_sources)
	return 1
}

# The private sources.list, on stdout; on stderr where each archive came
# from, or what to set.  Returns 1 if no suite has an archive.
apt_sources() {
	local line archive suite comp uri signed from n=0
	local -A where=() missing=()
	for archive in debian security; do
		if read -r uri signed from < <(apt_archive "$archive"); then
			where[$archive]="$uri $signed"
			((!${APT_VERBOSE:-0})) ||
				echo "apt: $archive archive: $uri (from $from)" >&2
		fi
	done
	for line in "${APT_SUITES[@]}"; do
		read -r archive suite comp <<<"$line"
		if [[ -z ${where[$archive]:-} ]]; then
			missing[$archive]+=" $suite"
			continue
		fi
		read -r uri signed <<<"${where[$archive]}"
		if [[ $signed != - ]]; then
			echo "deb [signed-by=$signed] $uri $suite $comp"
		else
			echo "deb $uri $suite $comp"
		fi
		n=$((n + 1))
	done
	for archive in "${!missing[@]}"; do
		echo "apt: no $archive archive in this machine's apt sources ($(apt_source_files | tr '\n' ' '| sed 's/ $//')):" \
			"left out${missing[$archive]}; set PFNMAP_APT_${archive^^} to its URI" \
			"(the URI of your Debian$([[ $archive == security ]] && echo " security") mirror)" >&2
	done
	((n > 0))
}

# Sets up the suites and refreshes the index at most once an hour (suites
# move, but not that fast), or when the sources changed.  Returns
# non-zero, with a message, when the index cannot be fetched, so that
# callers can skip or die as they see fit.
apt_setup() {
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	touch "$APT_DIR/status"
	local sources stamp=$APT_DIR/lists/.updated
	sources=$(apt_sources) || {
		echo "apt: no source for any suite pfnmap needs (private config in $APT_DIR)" >&2
		return 1
	}
	if [[ $sources != "$(cat "$APT_DIR/sources.list" 2>/dev/null)" ]]; then
		printf '%s\n' "$sources" >"$APT_DIR/sources.list"
		rm -f "$stamp"
	fi
	[[ -z $(find "$stamp" -mmin -60 2>/dev/null) ]] || return 0
	local -a o
	mapfile -t o < <(apt_opts)
	(
		exec 8>"$APT_DIR/.lock"
		flock 8
		apt-get -qq "${o[@]}" update >&2
	) || { echo "apt: update failed (sources: $APT_DIR/sources.list)" >&2; return 1; }
	# apt-get update exits 0 when a suite cannot be fetched
	if ! compgen -G "$APT_DIR/lists/*_Packages*" >/dev/null; then
		echo "apt: update fetched no package list (network? mirror without these suites? sources: $APT_DIR/sources.list)" >&2
		return 1
	fi
	touch "$stamp"
}

apt_cache() { local -a o; mapfile -t o < <(apt_opts); apt-cache "${o[@]}" "$@"; }

# Run, not sourced: --dry-run prints the sources.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	case ${1:-} in
	-n|--dry-run)
		APT_VERBOSE=1 apt_sources
		exit ;;
	*)
		sed -n '3,/^$/s/^# \{0,1\}//p' "$0"
		[[ ${1:-} == -h || ${1:-} == --help ]]
		exit ;;
	esac
fi
