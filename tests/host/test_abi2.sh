#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_abi2.sh - captures of record ABI 2 stay readable.  tests/fixtures/
# abi2/ holds small captures that the ABI-2 release wrote (7.3 guest in
# fentry mode: retries, lookups, fault-ins, BAR faults; this host in the
# syscall view), each with its workload's own counts (*.work.json) and
# what `report --json` said about it then (*.report.json: the records and
# every kind).  report must still say exactly that, and the workload's
# counts; diff must read them.
#
# Run from anywhere; needs build/pfnmap (PFNMAP overrides), python3.  No
# root: nothing is traced.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
P=${PFNMAP:-$top/build/pfnmap}
F=$top/tests/fixtures/abi2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

ok() { echo "ok - abi2: $*"; }
not_ok() { echo "not ok - abi2: $*"; fails=$((fails + 1)); }

if [ ! -x "$P" ]; then
	not_ok "build/pfnmap must be built"
	exit 1
fi

# same NAME: report --json of the fixture equals its *.report.json
same() {
	local name=$1 got=$tmp/$1.json
	if ! "$P" report --json -i "$F/$name.data" > "$got" 2> "$tmp/$name.err"; then
		not_ok "$name: report failed: $(head -n 1 "$tmp/$name.err")"
		return
	fi
	if python3 - "$got" "$F/$name.report.json" <<'EOF'
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
got = {"records": got["records"], "kinds": got["kinds"]}
if got != want:
    for k in sorted(set(got["kinds"]) | set(want["kinds"])):
        if got["kinds"].get(k) != want["kinds"].get(k):
            print(f"# {k}: got {json.dumps(got['kinds'].get(k))[:300]}")
            print(f"# {k}: want {json.dumps(want['kinds'].get(k))[:300]}")
    sys.exit(1)
EOF
	then
		ok "$name: report --json is what ABI 2's report said (records, every kind)"
	else
		not_ok "$name: report --json differs from $name.report.json"
	fi
}

# counts NAME KIND EXPR: report's "count pages errors" of KIND equals the
# workload's, EXPR over its JSON line j
counts() {
	local name=$1 kind=$2 expr=$3 want got
	want=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$F/$name.work.json" "$expr")
	got=$(python3 -c 'import json,sys; k=json.load(open(sys.argv[1]))["kinds"][sys.argv[2]]; print("%d %d %d" % (k["count"], k["pages"], k["error_count"]))' \
		"$tmp/$name.json" "$kind" 2>/dev/null)
	if [ "$want" = "$got" ]; then
		ok "$name: $kind count, pages, errors = the workload's ($got)"
	else
		not_ok "$name: $kind count/pages/errors: workload '$want', report '$got'"
	fi
}

same 7.3-uffd-copy-untouched
counts 7.3-uffd-copy-untouched uffd_copy \
	'"%d %d %d" % (j["ops"], j["copied_pages"], sum(j["errors"].values()))'
same 7.3-vfio-map-bar
counts 7.3-vfio-map-bar vfio_pin \
	'"%d %d %d" % (j["maps"], j["maps"] * j["bar_pages"], sum(j["errors"].values()))'
same host-uffd-mixed
counts host-uffd-mixed uffd_copy \
	'"%d %d %d" % (j["ops"], j["copied_pages"], sum(j["errors"].values()))'

# diff reads ABI-2 captures on both sides
for name in 7.3-uffd-copy-untouched 7.3-vfio-map-bar host-uffd-mixed; do
	if "$P" diff "$F/$name.data" "$F/$name.data" > "$tmp/$name.diff" 2>&1 &&
	   grep -q "count" "$tmp/$name.diff"; then
		ok "$name: diff reads it (itself against itself: exit 0)"
	else
		not_ok "$name: diff failed: $(head -n 3 "$tmp/$name.diff")"
	fi
done

[ "$fails" -eq 0 ]
