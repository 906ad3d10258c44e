#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mkcapture.py OUT [--format 2|3] - a synthetic capture, written from
docs/capture-format.md alone (not with pfnmap's writer: a second reading
of the format), for tests/host/test_report_offline.sh.

What it holds (times in seconds from the capture start, t0):
  pid 100 "qemu-a" (cgroup 11): vfio_pin at 0.5 + i * 0.01, 1 ms each,
      i = 0..19; the even ones lost a zap race to tid 300
  pid 300 "toggler" (cgroup 12): a vfio_zap inside each racing pin,
      caller 0xffffffffc0a1b2c3 (vfio_basic_config_write+0x113
      [vfio_pci_core] in the names)
  pid 200 "kvm-vcpu" (no cgroup path): follow_pfnmap at 1.0 + i * 0.01,
      i = 0..9, caller 0xffffffff81234567 (named kvm_faultin_pfn+0x42)
      for even i, 0xffffffff81999999 (not named) for odd i
  pid 400 "postcopy" (cgroup 11): uffd_copy at 2.0 + i * 0.001,
      i = 0..999
Chunks of 512 records (zlib, byte-transposed); drops 0, 5, ... 5; the
trailer says 7.  Format 3 has a names section before the first chunk
(cgroups 11 and 12 and the named callers); format 2 has none.

Prints one JSON line: what a test compares with.
"""
import json
import struct
import sys
import zlib

REC = struct.Struct("<BBHIIIQQQqQQQ10I16sIIqQIIHHIiIB15x")
assert REC.size == 192
K_VFIO_PIN, K_FOLLOW, K_UFFD_COPY, K_ZAP = 0, 1, 3, 8
S_FENTRY = 1
MONO0 = 1_000_000_000
REAL0 = 1_795_000_000 * 1_000_000_000
ZAP_ADDR = 0xffffffffc0a1b2c3
KVM_ADDR = 0xffffffff81234567
ANON_ADDR = 0xffffffff81999999


def rec(kind, pid, tid, comm, t, dur, cgroup=0, caller=0, ret=0,
        zap_tid=0, zaps=0):
    u32s = [1, 0, 0, 0, 0, 0, 0, zaps, 0, 0]  # pages .. bar_faults
    # pages; pins: zap_races and zap attribution too
    valid = 0x91 if kind == K_VFIO_PIN else 0x1
    return REC.pack(kind, S_FENTRY, valid, pid, tid, 0, cgroup,
                    MONO0 + int(t * 1e9), int(dur * 1e9), ret, 0x7f0000000000,
                    1, caller, *u32s, comm.encode(), zap_tid, zaps,
                    1000 if zaps else 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def records():
    out = []
    for i in range(20):
        t = 0.5 + i * 0.01
        race = i % 2 == 0
        out.append(rec(K_VFIO_PIN, 100, 101, "qemu-a", t, 0.001, cgroup=11,
                       ret=-22 if race else 0, zap_tid=300 if race else 0,
                       zaps=1 if race else 0))
        if race:
            out.append(rec(K_ZAP, 300, 300, "toggler", t + 0.0002, 0.0001,
                           cgroup=12, caller=ZAP_ADDR))
    for i in range(10):
        out.append(rec(K_FOLLOW, 200, 200, "kvm-vcpu", 1.0 + i * 0.01,
                       0.00001, caller=KVM_ADDR if i % 2 == 0 else ANON_ADDR))
    for i in range(1000):
        out.append(rec(K_UFFD_COPY, 400, 401, "postcopy", 2.0 + i * 0.001,
                       0.00002, cgroup=11))
    return out


def item(tag, value):
    return struct.pack("<HH", tag, len(value)) + value


def header(fmt):
    items = (item(1, b"7.3.0-synthetic") + item(2, b"guest-x") +
             item(3, b"00000000-1111-2222-3333-444444444444") +
             item(4, struct.pack("<QQ", MONO0, REAL0)) +
             item(6, b"pfnmap\0record\0--synthetic\0"))
    fixed = (b"PFNMAPCF" + struct.pack("<HHI", fmt, 0, 32 + len(items) + 4) +
             struct.pack("<II", 2, 192) + struct.pack("<Q", 0x5eed))
    h = fixed + items
    return h + struct.pack("<I", zlib.crc32(h))


def names():
    ents = b""
    for key, off, name, mod in ((ZAP_ADDR, 0x113, b"vfio_basic_config_write",
                                 b"vfio_pci_core"),
                                (KVM_ADDR, 0x42, b"kvm_faultin_pfn", b"")):
        ents += item(1, struct.pack("<QI", key, off) + name + b"\0" + mod)
    ents += item(2, struct.pack("<Q", 11) + b"/machine.slice/a.scope")
    ents += item(2, struct.pack("<Q", 12) + b"/machine.slice/b.scope")
    h = struct.pack("<4sIIII", b"PFNM", 4, len(ents), zlib.crc32(ents), 0)
    return h + struct.pack("<I", zlib.crc32(h)) + ents


def chunk(seq, recs, drops):
    n = len(recs)
    raw = b"".join(recs)
    shuf = bytes(raw[i * 192 + b] for b in range(192) for i in range(n))
    data = zlib.compress(shuf)
    starts = [struct.unpack_from("<Q", r, 24)[0] for r in recs]
    h = struct.pack("<4sIIIIIQQQI", b"PFCK", seq, n, len(data), 1,
                    zlib.crc32(data), drops, min(starts), max(starts), 0)
    return h + struct.pack("<I", zlib.crc32(h)) + data


def trailer(chunks, nrecs, drops):
    end = MONO0 + 4 * 1_000_000_000
    t = struct.pack("<4sIQQQQQIII", b"PFTR", chunks, nrecs, drops, end, 0, 0,
                    1, 0, 0)
    return t + struct.pack("<I", zlib.crc32(t))


def main():
    out = sys.argv[1]
    fmt = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--format" else 3
    recs = records()
    body = header(fmt) + (names() if fmt >= 3 else b"")
    seqs = 0
    for i in range(0, len(recs), 512):
        body += chunk(seqs, recs[i:i + 512], 0 if i == 0 else 5)
        seqs += 1
    body += trailer(seqs, len(recs), 7)
    with open(out, "wb") as f:
        f.write(body)
    print(json.dumps({
        "records": len(recs), "real0_ns": REAL0, "pins": 20, "races": 10,
        "zaps": 10, "follow": 10, "uffd_copy": 1000, "drops": 7,
        "zap_addr": "0x%x" % ZAP_ADDR, "kvm_addr": "0x%x" % KVM_ADDR,
        "anon_addr": "0x%x" % ANON_ADDR}))


if __name__ == "__main__":
    main()
