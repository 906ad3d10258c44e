#!/usr/bin/env bash
# test_cli.sh - pfnmap's errors on bad input and missing privileges: one
# clear line on stderr and a non-zero exit, never a trace or a hang.
set -u
cd "$(dirname "$0")/../.."
P=${PFNMAP:-build/pfnmap}	# PFNMAP overrides
fails=0

# expect NAME RC REGEX CMD...: exit status RC and stderr matching REGEX
expect() {
	local name=$1 rc=$2 re=$3 err got
	shift 3
	err=$("$@" 2>&1 >/dev/null)
	got=$?
	if [ "$got" -eq "$rc" ] && grep -Eq "$re" <<< "$err" &&
	   [ "$(wc -l <<< "$err")" -le 2 ]; then
		echo "ok - cli: $name (exit $got: $(head -n 1 <<< "$err"))"
	else
		echo "not ok - cli: $name: exit $got (want $rc), stderr: $err"
		fails=$((fails + 1))
	fi
}

expect "unknown command" 2 "unknown command 'frob'" $P frob
expect "unknown option" 2 "unknown option '--frob'" $P --frob
expect "stat unknown flag" 2 "unrecognized option|invalid option" $P stat --frob -- true
expect "stat without command" 2 "give a command" $P stat
expect "bad pid" 2 "bad pid" $P stat -p abc
expect "bad kind" 2 "unknown kind 'nope'" $P stat -k nope -- true
expect "bad mode" 2 "bad --mode" $P probe --mode fast
expect "missing BTF" 1 "cannot read BTF" env PFNMAP_BTF=/nonexistent $P probe
expect "not root" 1 "need root" setpriv --reuid=65534 --regid=65534 --clear-groups $P probe
expect "command not found" 127 "cannot run 'no-such-cmd'" $P stat -- no-such-cmd

# --help and --version go to stdout and succeed
for c in "--help" "--version" "probe --help" "stat --help"; do
	# shellcheck disable=SC2086
	if out=$($P $c 2>&1) && [ -n "$out" ]; then
		echo "ok - cli: pfnmap $c"
	else
		echo "not ok - cli: pfnmap $c failed"
		fails=$((fails + 1))
	fi
done

# nothing stays attached after exit
before=$(bpftool link show 2>/dev/null | grep -c '^[0-9]')
$P stat -- true > /dev/null 2>&1
after=$(bpftool link show 2>/dev/null | grep -c '^[0-9]')
if [ "$before" -eq "$after" ]; then
	echo "ok - cli: no BPF links left after exit ($after before and after)"
else
	echo "not ok - cli: BPF links $before before, $after after"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ]
