#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_help.sh - what a new user meets first: `pfnmap help [COMMAND]`,
# --help texts that offer only what a command does, and a clear error for
# a process that does not exist.  Needs no man page (MANPATH points
# nowhere: `pfnmap help` falls back to --help; test_install.sh tries the
# man pages).
set -u
cd "$(dirname "$0")/../.." || exit 1
OUTPUT=${OUTPUT:-build}	# the build tree (make OUTPUT=...)
P=${PFNMAP:-$OUTPUT/pfnmap}	# PFNMAP overrides
fails=0
export MANPATH=/nonexistent

ok() { echo "ok - help: $*"; }
notok() { echo "not ok - help: $*"; fails=$((fails + 1)); }

# every command of `pfnmap --help`: `pfnmap help C` is `pfnmap C --help`
mapfile -t cmds < <($P --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
for c in "${cmds[@]}"; do
	[[ $c == help ]] && continue
	if out=$($P help "$c") && [[ $out == "$($P "$c" --help)" ]]; then
		ok "pfnmap help $c: exit 0, its --help"
	else
		notok "pfnmap help $c: exit $?, '$(head -n 1 <<<"$out")'"
	fi
done
if [[ $($P help) == "$($P --help)" ]] && $P --help | grep -q '^  help '; then
	ok "pfnmap help: pfnmap --help, which lists help"
else
	notok "pfnmap help is not pfnmap --help"
fi

# report --help: the help alone
out=$($P report --help)
rc=$?
if ((rc == 0)) && [[ $(tail -n 1 <<<"$out") == *"unreadable input." ]]; then
	ok "pfnmap report --help: the help, nothing after it"
else
	notok "pfnmap report --help: exit $rc, ends '$(tail -n 1 <<<"$out")'"
fi

# probe filters nothing: no -p/-c/-k in its help, and refused
if $P probe --help | grep -Eq '^ +-(p|c|k),'; then
	notok "pfnmap probe --help lists -p/-c/-k"
else
	ok "pfnmap probe --help lists no -p, -c, -k"
fi
for o in "-p 1" "-c bash" "-k vfio_pin"; do
	# shellcheck disable=SC2086
	err=$($P probe $o 2>&1 >/dev/null)
	rc=$?
	if ((rc == 2)); then
		ok "pfnmap probe $o: exit 2 ($(head -n 1 <<<"$err"))"
	else
		notok "pfnmap probe $o: exit $rc"
	fi
done

# the exit status of a usage error, in every --help
for c in "${cmds[@]}"; do
	[[ $c == help ]] && continue
	if $P "$c" --help | tr '\n' ' ' | grep -Eq 'Exit status:.*2[ ,]+(on |usage)'; then
		ok "pfnmap $c --help: exit status 2 on a usage error"
	else
		notok "pfnmap $c --help does not say exit status 2 on a usage error"
	fi
done

# -p PID of a process that does not exist: said at once, exit 2
TMP=$(mktemp -d)
TMP_ERR=$TMP/err
trap 'rm -rf "$TMP"' EXIT
pid=999999
while kill -0 "$pid" 2>/dev/null; do pid=$((pid - 1)); done
for c in "stat -p $pid -d 1" "record -o $TMP/x.data -p $pid -d 1" "top -b -n 1 -p $pid"; do
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	out=$($P $c 2>"$TMP_ERR" </dev/null)
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	err=$(cat "$TMP_ERR")
	if ((rc == 2)) && [[ -z $out ]] && grep -q "no such process: pid $pid" <<<"$err" &&
		((ms < 1000)); then
		ok "pfnmap $c: '$err', exit 2, in $ms ms"
	else
		notok "pfnmap $c: exit $rc in $ms ms, stderr '$err', stdout '$(head -c 200 <<<"$out")'"
	fi
done
[ "$fails" -eq 0 ]
