#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_bad_input.sh - every command given bad input: option values out of
# range, overlong, not UTF-8 or in conflict; -p of a process that is
# gone; -i (or diff's inputs) of a directory, a FIFO nobody writes to,
# /dev/zero, an empty file, captures of a newer format and record ABI,
# stat JSON of garbage.  Each must end with exit 2 and exactly one line
# on stderr, "pfnmap CMD: ..." naming the problem: no crash (exit >= 128),
# no hang (timeout), no usage text.  The cases are the table below.
#
# One line per case: "ok - bad input: ...", "not ok - bad input: ...".
# Exit status 1 if any case failed.  PFNMAP, STRESS override the binaries
# (tests/sanitize.sh style: an ASan report is more than one line).
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
P=$(realpath -m "${PFNMAP:-$top/build/pfnmap}")
S=$(realpath -m "${STRESS:-$top/build/pfnmap-stress}")
TIMEOUT=${BAD_INPUT_TIMEOUT:-20}	# seconds per case: a hang fails it
fails=0
tmp=$(mktemp -d /tmp/pfnmap-test-bad-input.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - bad input: $*"; }
not_ok() { echo "not ok - bad input: $*"; fails=$((fails + 1)); }

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - bad input: needs root (the tracing commands check -p, -o first)"
	exit 0
fi
if [ ! -x "$P" ] || [ ! -x "$S" ]; then
	echo "not ok - bad input: build/pfnmap and build/pfnmap-stress must be built"
	exit 1
fi
cd "$tmp" || exit 1

# ---- the inputs ----------------------------------------------------------

mkdir dir
mkfifo fifo
: > empty
LONG=$(printf 'a%.0s' $(seq 5000))
BAD8=$'\xff\xfe\xc3('			# not UTF-8
# a pid that was and is no more (reuse within the test is unlikely)
sh -c 'exit 0' & gone=$!
wait "$gone"

# A real capture and a real stat JSON of this host, then their corrupt
# and newer-than-us variants.
"$P" record -o real.data -- "$S" uffd-copy -n 20 > /dev/null 2>&1
"$P" stat --json -o real.json -- "$S" uffd-copy -n 20 > /dev/null 2>&1
if [ ! -s real.data ] || [ ! -s real.json ]; then
	echo "not ok - bad input: record or stat made no file to corrupt"
	exit 1
fi
python3 - real.data real.json <<'EOF'
import json, random, struct, sys, zlib

# docs/capture-format.md: u16 format at 8, u32 header_len at 12, u32
# record ABI at 16, the header's CRC-32 in its last 4 bytes.
cap = bytearray(open(sys.argv[1], "rb").read())
hlen = struct.unpack_from("<I", cap, 12)[0]

def newer(name, off, fmt):
    c = bytearray(cap)
    struct.pack_into(fmt, c, off, struct.unpack_from(fmt, c, off)[0] + 1)
    struct.pack_into("<I", c, hlen - 4, zlib.crc32(bytes(c[:hlen - 4])))
    open(name, "wb").write(c)

newer("newfmt.data", 8, "<H")
newer("newabi.data", 16, "<I")

st = json.load(open(sys.argv[2]))
def garbage(name, change):
    j = json.loads(json.dumps(st))
    change(j)
    open(name, "w").write(json.dumps(j))

garbage("g-string.json", lambda j: j["uffd_copy"].update(count="many"))
garbage("g-negative.json", lambda j: j["uffd_copy"].update(count=-5))
garbage("g-errors.json", lambda j: j["uffd_copy"].update(error_count=10**6))
garbage("g-version.json", lambda j: j.update(version=j["version"] + 1))
garbage("g-mode.json", lambda j: j.update(mode=7))
garbage("g-kind.json", lambda j: j.update(uffd_copy=None))
open("g-cut.json", "w").write(json.dumps(st)[:300])
open("g-deep.json", "w").write("[" * 100000)
open("g-huge.json", "w").write('{"version": 1e999}')
r = random.Random(15)
open("g-random.json", "wb").write(bytes(r.randrange(256) for _ in range(4096)))
EOF

# ---- the table -------------------------------------------------------------
#
# PATTERN | ARGUMENTS
# PATTERN: an ERE the one stderr line must match after "pfnmap CMD: ".
# ARGUMENTS: words (no quoting) where @LONG@ (5,000 chars), @BAD8@ (not
# UTF-8), @EMPTY@ (an empty word), @GONE@ (a pid no more), @REAL@ (a good
# capture) and @JSON@ (a good stat JSON) are replaced.
cases() {
	cat <<'EOF'
unknown command				| bogus
unknown command				| @BAD8@
unknown option				| --bogus
# probe, list
unexpected argument			| probe extra
bad --mode				| probe --mode @BAD8@
bad --mode				| probe --mode @LONG@
unknown list				| list @BAD8@
not both				| list --json --markdown
# stat
no such process				| stat -p @GONE@ -d 1
bad pid					| stat -p 0 -d 1
bad pid					| stat -p -1 -d 1
bad pid					| stat -p 99999999999999999999 -d 1
bad pid					| stat -p @BAD8@ -d 1
bad duration				| stat -p 1 -d -1
bad duration				| stat -p 1 -d 1e99
bad duration				| stat -p 1 -d @LONG@
unknown kind				| stat -k @LONG@ -- true
unknown kind				| stat -k @BAD8@ -- true
no kind in -k				| stat -k , -- true
no kind in -k				| stat -k @EMPTY@ -- true
comm					| stat -c @LONG@ -- true
bad --mode				| stat --mode @BAD8@ -- true
exclude each other			| stat -p 1 -- true
give a command				| stat
Is a directory				| stat -o dir -- true
# top
no such process				| top -b -n 1 -p @GONE@
bad pid					| top -b -n 1 -p 0
bad delay				| top -b -n 1 -d 0
bad delay				| top -b -n 1 -d 1e9
bad delay				| top -b -n 1 -d @BAD8@
bad count				| top -b -n -1
bad count				| top -b -n 99999999999999999999
bad --by				| top -b -n 1 --by @LONG@
bad --sort				| top -b -n 1 -s @BAD8@
--cgroup				| top -b -n 1 --cgroup /nonexistent
--cgroup				| top -b -n 1 --cgroup empty
unknown kind				| top -b -n 1 -k @BAD8@
# record
no such process				| record -o x.data -p @GONE@ -d 1
bad duration				| record -o x.data -d -3
bad --max-size				| record -o x.data --max-size 0 -d 1
bad --max-size				| record -o x.data --max-size 1Q -d 1
bad --max-size				| record -o x.data --max-size 99999999999999999999 -d 1
unknown kind				| record -o x.data -k @LONG@ -d 1
exclude each other			| record -o x.data -p 1 -- true
# report: its inputs
Is a directory				| report -i dir
not a regular file			| report -i fifo
not a regular file			| report -i /dev/zero
empty file				| report -i empty
No such file				| report -i @BAD8@
File name too long			| report -i @LONG@
capture format [0-9]+ with record ABI	| report -i newfmt.data
record ABI [0-9]+ .*reads .*ABI		| report -i newabi.data
not a pfnmap capture			| report -i @JSON@
bad --by				| report --by @BAD8@ @REAL@
pick one				| report --json --csv @REAL@
# diff: its inputs, then its options
is a directory				| diff dir @JSON@
empty					| diff fifo @JSON@
File too large				| diff /dev/zero @JSON@
empty					| diff empty @JSON@
No such file				| diff @JSON@ @BAD8@
capture format [0-9]+ with record ABI	| diff newfmt.data @REAL@
record ABI [0-9]+ .*reads .*ABI		| diff @REAL@ newabi.data
is a string, not a count		| diff g-string.json @JSON@
not a count				| diff g-negative.json @JSON@
exceeds count				| diff g-errors.json @JSON@
stat JSON version			| diff g-version.json @JSON@
mode is a number			| diff g-mode.json @JSON@
is null, not an object			| diff g-kind.json @JSON@
not valid JSON				| diff g-cut.json @JSON@
neither					| diff g-deep.json @JSON@
not valid JSON				| diff g-huge.json @JSON@
neither					| diff g-random.json @JSON@
bad --alpha				| diff -a 2 @JSON@ @JSON@
bad --alpha				| diff -a @BAD8@ @JSON@ @JSON@
bad --min-change			| diff -m @LONG@ @JSON@ @JSON@
bad --fail-if				| diff --fail-if @BAD8@ @JSON@ @JSON@
bad --fail-if				| diff --fail-if @LONG@ @JSON@ @JSON@
give BASE NEW				| diff @JSON@
not both				| diff -b @JSON@ @JSON@ @JSON@
# export
bad --listen				| export --listen @BAD8@
bad --listen				| export --listen 127.0.0.1:99999
bad --listen				| export --listen 127.0.0.1:65536
bad --listen				| export --listen 127.0.0.1:@LONG@
bad interval				| export --textfile x.prom -d 0
bad --max-series			| export --by comm --max-series -1
bad --by				| export --by @BAD8@
no such process				| export -p @GONE@
EOF
}

# ---- running them ----------------------------------------------------------

# expand WORD: the placeholders of the table replaced
expand() {
	local w=$1
	w=${w//@LONG@/$LONG}
	w=${w//@BAD8@/$BAD8}
	w=${w//@GONE@/$gone}
	w=${w//@REAL@/real.data}
	w=${w//@JSON@/real.json}
	w=${w//@EMPTY@/}
	printf '%s' "$w"
}

# check PATTERN ARGS...: one case
check() {
	local pat=$1 name rc lines msg
	shift
	name=$(printf '%s ' "$@" | cut -c1-60)
	name=${name% }
	local -a argv=()
	local w
	for w in "$@"; do
		argv+=("$(expand "$w")")
	done
	timeout -k 5 "$TIMEOUT" "$P" "${argv[@]}" < /dev/null > out 2> err
	rc=$?
	lines=$(wc -l < err)
	msg=$(head -n 1 err | cut -c1-160 | LC_ALL=C tr -d '\n' |
	      LC_ALL=C tr -c '[:print:]' '?')
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		not_ok "$name: hangs (killed after ${TIMEOUT} s)"
	elif [ "$rc" -ge 128 ]; then
		not_ok "$name: killed by signal $((rc - 128)): $msg"
	elif [ "$rc" -ne 2 ]; then
		not_ok "$name: exit $rc, not 2: $msg"
	elif [ "$lines" -ne 1 ]; then
		not_ok "$name: $lines lines on stderr, not 1: $msg"
	elif ! LC_ALL=C grep -Eq "^pfnmap( [a-z]+)?: .*($pat)" err; then
		not_ok "$name: message does not say '$pat': $msg"
	else
		ok "$name: exit 2, \"$msg\""
	fi
}

set -f	# the words of the table are no globs
while IFS='|' read -r pat args; do
	pat=$(sed -e 's/[[:space:]]*$//' <<< "$pat")
	case $pat in '' | '#'*) continue ;; esac
	# shellcheck disable=SC2086 # the words of the table, on purpose
	check "$pat" $args
done < <(cases)

[ "$fails" -eq 0 ]
