#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check_offline_syms.sh OUTDIR LABEL - run by scripts/test-all.sh after
# each guest: the capture tests/vm/guest_offline_syms.sh recorded in the
# guest is reported here, on the host, which never saw that boot:
#   - the vfio-pci zaps' callers print as symbols ("func+0x.. [module]"),
#     at least one of vfio_pci, none the zap function itself; never in
#     hex, never [unresolved];
#   - the same capture stripped of its names (as format 2 wrote it) has
#     them [unresolved], and --kallsyms with the guest's vfio lines of
#     /proc/kallsyms names them the same;
#   - --perfetto OUT.gz loads, and has a zap -> pin arrow for each
#     attributed race whose zap is in the capture.
# PFNMAP overrides build/pfnmap.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
P=${PFNMAP:-$top/build/pfnmap}
d=$1/offline-syms
label=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

ok() { echo "ok - [$label] offline syms: $*"; }
notok() { echo "not ok - [$label] offline syms: $*"; fails=$((fails + 1)); }
skip() { echo "skip - [$label] offline syms: $*"; }

if [ ! -d "$d" ]; then
	notok "tests/vm/guest_offline_syms.sh left nothing in $d"
	exit 1
fi
if [ -s "$d/skip" ]; then
	skip "NOT RUN in the guest: $(cat "$d/skip")"
	exit 0
fi
rc=$(cat "$d/rc" 2>/dev/null)
if [ "$rc" = 0 ] && [ -s "$d/syms.data" ]; then
	ok "recorded the zap-race reproducer in the guest (kernel $(cat "$d/kernel"))"
else
	notok "record in the guest: exit '$rc', $(head -n 2 "$d/record.err" | tr '\n' ' ')"
	exit 1
fi

# zap_callers FILE ARGS...: the callers of vfio_zap in report --json, one a line
zap_callers() {
	local f=$1
	shift
	"$P" report --json "$@" -i "$f" 2> "$tmp/err" | python3 -c '
import json, sys
for c in json.load(sys.stdin).get("callers", []):
    if c["kind"] == "vfio_zap":
        print(c["caller"])'
}

zap_callers "$d/syms.data" > "$tmp/named"
if [ ! -s "$tmp/named" ]; then
	skip "NO vfio_zap RECORDS in the capture: zaps not traced on $label ($(grep -m1 vfio_zap "$tmp/err" || echo "see pfnmap probe")); callers not checked"
	exit 0
fi
sym='^[A-Za-z0-9_.]+\+0x[0-9a-f]+( \[[A-Za-z0-9_]+\])?$'
if grep -Evq "$sym" "$tmp/named"; then
	notok "zap callers not all symbolic: $(grep -Ev "$sym" "$tmp/named" | head -n 3 | tr '\n' ' ')"
else
	ok "zap callers symbolic on the host: $(tr '\n' ' ' < "$tmp/named")"
fi
# the caller of the zap, not the zap function itself (a stack one frame short)
if grep -q '^vfio_pci_zap_and_down_write_memory_lock+' "$tmp/named"; then
	notok "the zap's 'caller' is the zap function itself ($(grep -m1 '^vfio_pci_zap_and' "$tmp/named")): the fexit stack is deeper on this kernel than caller_skip (src/loader/session.c) assumes"
else
	ok "zap callers are callers, not the zap function itself"
fi
if grep -q 'vfio_pci' "$tmp/named"; then
	ok "a zap caller in vfio_pci: $(grep -m1 vfio_pci "$tmp/named")"
else
	notok "no vfio_pci symbol among the zap callers: $(tr '\n' ' ' < "$tmp/named")"
fi
"$P" report -i "$d/syms.data" > "$tmp/text" 2>&1
if grep -qi '0xffff' "$tmp/text"; then
	notok "a kernel address in the text report: $(grep -i -m1 0xffff "$tmp/text")"
else
	ok "no kernel address in the text report"
fi

# The capture as an older pfnmap wrote it: format 2, no names sections.
python3 - "$d/syms.data" "$tmp/old.data" <<'EOF'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
hl = struct.unpack_from("<I", b, 12)[0]
h = bytearray(b[:hl - 4])
struct.pack_into("<H", h, 8, 2)
out = bytes(h) + struct.pack("<I", zlib.crc32(h))
off = hl
while off + 4 <= len(b):
    magic = b[off:off + 4]
    if magic == b"PFCK":
        n = 56 + struct.unpack_from("<I", b, off + 12)[0]
        out += b[off:off + n]
    elif magic == b"PFNM":
        n = 24 + struct.unpack_from("<I", b, off + 8)[0]
    elif magic == b"PFTR":
        n = 64
        out += b[off:off + n]
    else:
        sys.exit("unknown structure at %d" % off)
    off += n
open(sys.argv[2], "wb").write(out)
EOF
zap_callers "$tmp/old.data" > "$tmp/old"
if [ -s "$tmp/old" ] && ! grep -vqx '\[unresolved\]' "$tmp/old"; then
	ok "stripped of its names (format 2): the callers are [unresolved]"
else
	notok "stripped of its names: callers '$(tr '\n' ' ' < "$tmp/old")' $(head -n 1 "$tmp/err")"
fi
zap_callers "$tmp/old.data" --kallsyms "$d/kallsyms.vfio" > "$tmp/ks"
if [ -s "$tmp/ks" ] && [ "$(sort "$tmp/ks")" = "$(sort "$tmp/named")" ]; then
	ok "--kallsyms of the guest's boot names them as the capture did"
else
	notok "--kallsyms: '$(tr '\n' ' ' < "$tmp/ks")', the capture's: '$(tr '\n' ' ' < "$tmp/named")'"
fi

# Perfetto: gzip, and an arrow per attributed race whose zap was recorded
"$P" report -i "$d/syms.data" --perfetto "$tmp/t.json.gz" > /dev/null 2>&1
python3 - "$tmp/t.json.gz" "$label" <<'EOF'
import gzip, json, sys
label = sys.argv[2]
j = json.load(gzip.open(sys.argv[1]))
ev = j["traceEvents"]
pins = [e for e in ev if e["ph"] == "X" and e["name"].startswith("vfio_pin")
        and (e["args"].get("zaps_attributed") or 0) > 0]
arrows = j["otherData"]["zap_race_arrows"]
ids = {}
for e in ev:
    if e["ph"] in "sf" and e["name"] == "zap race":
        ids.setdefault(e["id"], set()).add(e["ph"])
pairs = sum(v == {"s", "f"} for v in ids.values())
if not pins:
    print(f"skip - [{label}] offline syms: perfetto: NO ATTRIBUTED ZAP RACE in this "
          "capture (race timing under TCG): arrows not checked")
    sys.exit(0)
ok = 0 < arrows <= len(pins) and pairs == arrows == len(ids)
print(f"{'ok' if ok else 'not ok'} - [{label}] offline syms: perfetto .gz loads; "
      f"{arrows} zap -> pin arrows (each one start, one end) for {len(pins)} attributed races")
sys.exit(0 if ok else 1)
EOF
[ $? -eq 0 ] || fails=$((fails + 1))
[ "$fails" -eq 0 ]
