#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_install.sh - `make install` as a new user's machine sees it:
# DESTDIR=/tmp/... PREFIX=/usr installs a pfnmap that runs (--version,
# pfnmap-top), whose man pages man finds through MANPATH and formats
# without a warning, with every section and every option of --help,
# whose bash completion works, with the bpftrace scripts and the docs;
# `pfnmap help` shows the man page, else --help; the default PREFIX is
# /usr/local; `make uninstall` leaves nothing behind.
set -u
cd "$(dirname "$0")/../.." || exit 1
OUTPUT=${OUTPUT:-build}	# the build tree (make OUTPUT=...)
fails=0
# shellcheck source=tests/host/complete-lib.sh
. tests/host/complete-lib.sh

ok() { echo "ok - install: $*"; }
notok() { echo "not ok - install: $*"; fails=$((fails + 1)); }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
D=$TMP/root
R=$D/usr

if make -s OUTPUT="$OUTPUT" install DESTDIR="$D" PREFIX=/usr >"$TMP/make.log" 2>&1; then
	ok "make install DESTDIR=$D PREFIX=/usr"
else
	notok "make install failed: $(tail -n 5 "$TMP/make.log")"
	exit 1
fi

# The program
if out=$("$R/bin/pfnmap" --version) && [[ $out == "pfnmap "* ]]; then
	ok "$R/bin/pfnmap --version: $out"
else
	notok "$R/bin/pfnmap --version: '$out'"
fi
if [[ $(readlink "$R/bin/pfnmap-top") == pfnmap ]] &&
	"$R/bin/pfnmap-top" --help | grep -q '^usage: pfnmap top'; then
	ok "pfnmap-top is a link to pfnmap, and pfnmap top"
else
	notok "pfnmap-top is not pfnmap top"
fi

# The man pages: one per command of `pfnmap --help`, found through MANPATH
mapfile -t cmds < <("$R/bin/pfnmap" --help |
	sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' | grep -vx help)
if page=$(MANPATH=$R/share/man man -w pfnmap-stat) && [[ $page == "$R/"* ]]; then
	ok "MANPATH=$R/share/man man -w pfnmap-stat: $page"
else
	notok "man -w pfnmap-stat with MANPATH=$R/share/man: '$page'"
fi
sections="NAME SYNOPSIS DESCRIPTION OPTIONS EXIT.STATUS EXAMPLES OVERHEAD FILES SEE.ALSO"
for c in "" "${cmds[@]}"; do
	name=pfnmap${c:+-$c}
	f=$R/share/man/man8/$name.8
	if [[ ! -f $f ]]; then
		notok "no $f"
		continue
	fi
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null)
	if [[ -z $warn ]]; then
		ok "man --warnings -l $name.8: clean"
	else
		notok "man --warnings -l $name.8: $warn"
	fi
	text=$(MANWIDTH=200 man -l "$f" 2>/dev/null | col -b)
	miss=()
	for s in $sections; do
		grep -q "^${s//./ }\$" <<<"$text" || miss+=("${s//./ }")
	done
	# every option of --help, with its argument
	mapfile -t opts < <("$R/bin/pfnmap" ${c:+"$c"} --help |
		sed -n 's/^ \{2,6\}\(-[^ ].*\)/\1/p' | sed 's/  .*//')
	for o in "${opts[@]}"; do
		grep -qF -- "$o" <<<"$text" || miss+=("option '$o'")
	done
	grep -q '@' <<<"$(grep -A12 '^OVERHEAD' <<<"$text")" && miss+=("OVERHEAD values")
	if ((${#miss[@]} == 0)); then
		ok "$name(8) has $sections and the ${#opts[@]} options of --help"
	else
		notok "$name(8) lacks: ${miss[*]}"
	fi
done
# OVERHEAD: stat's cost as docs/bench.md has it (the guest's uffd-copy row
# of the first table with an "e-a stat" column), read here independently
# of gen.py
val=$(awk -F'|' '!col && /^\| bench \|/ {
		for (i = 2; i < NF; i++) if ($i == " e-a stat ") col = i; next }
	col && /^\| uffd-copy \|/ { v = $col; sub(/ *\(noise\)/, "", v)
		gsub(/ /, "", v); print v; exit }' docs/bench.md)
if [[ -n $val ]] && man -l "$R/share/man/man8/pfnmap-stat.8" 2>/dev/null | col -b |
	sed -n '/^OVERHEAD/,/^FILES/p' | tr -s ' \n' ' ' | grep -q "added $val ns"; then
	ok "pfnmap-stat(8) OVERHEAD: added $val ns, as docs/bench.md says"
else
	notok "pfnmap-stat(8) OVERHEAD lacks docs/bench.md's 'e pfnmap stat' cost ($val)"
fi

# pfnmap help: the man page where man finds it, else --help
if MANPATH=$R/share/man "$R/bin/pfnmap" help stat 2>&1 | col -b | grep -q '^EXIT STATUS'; then
	ok "pfnmap help stat: the man page (MANPATH=$R/share/man)"
else
	notok "pfnmap help stat with the page installed did not show it"
fi
if MANPATH=$TMP/none "$R/bin/pfnmap" help stat 2>&1 | head -n 1 | grep -q '^usage: pfnmap stat'; then
	ok "pfnmap help stat: --help where there is no man page"
else
	notok "pfnmap help stat without a man page did not print --help"
fi
if MANPATH=$TMP/none "$R/bin/pfnmap" help | head -n 1 | grep -q '^usage: pfnmap'; then
	ok "pfnmap help: pfnmap --help where there is no man page"
else
	notok "pfnmap help without a man page did not print --help"
fi
err=$("$R/bin/pfnmap" help frob 2>&1 >/dev/null)
rc=$?
if ((rc == 2)) && grep -q "unknown command 'frob'" <<<"$err"; then
	ok "pfnmap help frob: exit 2, $err"
else
	notok "pfnmap help frob: exit $rc, '$err'"
fi

# The completion, for pfnmap and pfnmap-top
comp=$R/share/bash-completion/completions/pfnmap
if ! have_bash_completion; then
	echo "skip - install: completion not tried: no bash-completion (scripts/setup.sh installs it)"
elif [[ $(complete_line "$comp" "pfnmap st" | tr '\n' ' ') == "stat " ]] &&
	[[ $(complete_line "$R/share/bash-completion/completions/pfnmap-top" \
		"pfnmap-top --so" | tr '\n' ' ') == "--sort " ]]; then
	ok "bash completion: 'pfnmap st' -> stat, 'pfnmap-top --so' -> --sort"
else
	notok "bash completion of the installed $comp"
fi

# bpftrace scripts and docs
n=$(find "$R/share/pfnmap/bpftrace" -name '*.bt' -perm -0100 | wc -l)
if ((n == $(find bpftrace -name "*.bt" | wc -l))); then
	ok "$n bpftrace scripts in $R/share/pfnmap/bpftrace, executable"
else
	notok "bpftrace scripts: $n installed of $(find bpftrace -name "*.bt" | wc -l)"
fi
if [[ -f $R/share/doc/pfnmap/README.md && -f $R/share/doc/pfnmap/questions.md &&
	-d $R/share/doc/pfnmap/questions ]]; then
	ok "docs in $R/share/doc/pfnmap"
else
	notok "docs missing from $R/share/doc/pfnmap"
fi
# The docs stand alone: no path outside the repository.
bad=$(grep -rlE '\.\./shared/|shared/seeds' README.md docs man 2>/dev/null | tr '\n' ' ')
if [[ -z $bad ]]; then
	ok "README, docs and man pages name nothing outside the repository"
else
	notok "pointing outside the repository: $bad"
fi

# make uninstall leaves nothing
make -s OUTPUT="$OUTPUT" uninstall DESTDIR="$D" PREFIX=/usr >"$TMP/make.log" 2>&1
left=$(find "$D" ! -type d | head -n 5)
if [[ -z $left ]]; then
	ok "make uninstall DESTDIR=$D PREFIX=/usr: nothing left"
else
	notok "make uninstall left $left"
fi

# The default PREFIX, and man pages that name its paths
D2=$TMP/local
if make -s OUTPUT="$OUTPUT" install DESTDIR="$D2" >"$TMP/make.log" 2>&1 &&
	[[ -x $D2/usr/local/bin/pfnmap ]] &&
	grep -q '/usr/local/share/doc/pfnmap' "$D2/usr/local/share/man/man8/pfnmap.8"; then
	ok "make install: PREFIX=/usr/local by default, in the man pages too"
else
	notok "make install with the default PREFIX: $(tail -n 3 "$TMP/make.log")"
fi
make -s OUTPUT="$OUTPUT" man >/dev/null 2>&1	# back to the default paths

[ "$fails" -eq 0 ]
