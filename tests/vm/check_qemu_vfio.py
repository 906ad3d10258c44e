#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check_qemu_vfio.py OUTDIR LABEL - QEMU with the edu device assigned,
run in a guest by tests/vm/guest_qemu_vfio.sh under pfnmap stat and
strace.  pfnmap's vfio_pin and vfio_zap counts are compared with two
observers that do not use BPF: strace (each VFIO_IOMMU_MAP_DMA's result,
the BAR's mmap, every config space write) and QEMU's own trace events
(each MAP_DMA's range, in ioctl order).  Nothing is a constant: how many
maps, pages and vfio_pin_pages_remote() calls QEMU causes varies."""
import json
import os
import re
import sys

PAGE = 4096
# vfio-pci's config space: region 7, at 7 << 40 in the device fd
CFG_BASE = 7 << 40
PCI_COMMAND = 4
PCI_COMMAND_MEMORY = 0x2

LINE = re.compile(r"^(\d+)\s+(.*)$")
CALL = re.compile(r"^(\w+)\((.*)\)\s+=\s+(0x[0-9a-f]+|-?\d+)(?:\s+(E[A-Z0-9]+))?")
RAM = re.compile(r"vfio_listener_region_add_ram region_add \[ram\] "
                 r"(0x[0-9a-f]+) - (0x[0-9a-f]+) \[(0x[0-9a-f]+)\]")


def unescape(s):
    """The bytes of a strace string argument (-x: \\xNN escapes)."""
    return s.encode("latin-1").decode("unicode_escape").encode("latin-1")


def syscalls(path):
    """(name, args, ret, errno) per syscall, with -f's unfinished and
    resumed halves joined."""
    pending = {}
    with open(path, errors="replace") as f:
        for raw in f:
            m = LINE.match(raw.rstrip("\n"))
            if not m:
                continue
            pid, text = m.groups()
            if text.endswith("<unfinished ...>"):
                pending[pid] = text[:-len("<unfinished ...>")].rstrip()
                continue
            r = re.match(r"^<\.\.\. \w+ resumed>\s?(.*)$", text)
            if r:
                text = pending.pop(pid, "") + r.group(1)
            c = CALL.match(text)
            if c:
                yield c.group(1), c.group(2), int(c.group(3), 0), c.group(4)


def cfg_chunks(off, n):
    """The pieces vfio_config_rw() splits a config access into."""
    while n > 0:
        size = 4 if n >= 4 and off % 4 == 0 else 2 if n >= 2 and off % 2 == 0 else 1
        yield off, size
        off, n = off + size, n - size


class Strace:
    """What strace saw QEMU do with the VFIO container and device."""

    def __init__(self, path):
        self.containers, self.devices = set(), set()
        self.maps = []          # (ok, errno) per MAP_DMA, in order
        self.unmaps_before = []  # UNMAP_DMAs before each MAP_DMA
        self.bars = []          # (start, end) of device fd mmaps
        self.cmd_writes = []    # PCI_COMMAND values written
        self.resets = 0         # successful VFIO_DEVICE_RESET/HOT_RESET
        unmaps = 0
        for name, args, ret, err in syscalls(path):
            a = [x.strip() for x in args.split(",")]
            if name == "openat" and '"/dev/vfio/vfio"' in args and ret >= 0:
                self.containers.add(ret)
            elif name == "ioctl" and "VFIO_GROUP_GET_DEVICE_FD" in a[1] and ret >= 0:
                self.devices.add(ret)
            elif name == "ioctl" and int(a[0]) in self.containers:
                if "VFIO_IOMMU_MAP_DMA" in a[1]:
                    self.maps.append((ret == 0, err))
                    self.unmaps_before.append(unmaps)
                elif "VFIO_IOMMU_UNMAP_DMA" in a[1]:
                    unmaps += 1
            elif name == "ioctl" and int(a[0]) in self.devices:
                if re.search(r"VFIO_DEVICE_(RESET|PCI_HOT_RESET)\b", a[1]) and ret == 0:
                    self.resets += 1
            elif name == "mmap" and len(a) == 6 and a[4].isdigit() and int(a[4]) in self.devices:
                self.bars.append((ret, ret + int(a[1])))
            elif name == "pwrite64" and int(a[0]) in self.devices:
                self.config_write(args, ret)

    def config_write(self, args, ret):
        m = re.match(r'^\d+, "(.*)", (\d+), (\d+)$', args)
        if not m or ret <= 0:
            return
        data, off = unescape(m.group(1)), int(m.group(3)) - CFG_BASE
        if not 0 <= off < 4096:
            return
        for start, size in cfg_chunks(off, ret):
            if start == PCI_COMMAND:
                piece = data[start - off:start - off + 2]
                self.cmd_writes.append(int.from_bytes(piece, "little"))


def ranges(path):
    """(iova, size, vaddr) of each region QEMU maps, from its trace."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = RAM.search(line)
            if m:
                start, end, vaddr = (int(x, 16) for x in m.groups())
                out.append((start, end - start + 1, vaddr))
            elif "vfio_listener_region_add_no_dma_map" in line and out:
                out.pop()       # traced as ram, but never mapped
    return out


class Checker:
    def __init__(self, label):
        self.label, self.failed = label, 0

    def say(self, ok, what):
        print(f"{'ok' if ok else 'not ok'} - [{self.label}] qemu_vfio {what}")
        self.failed += not ok
        return ok

    def eq(self, got, want, what):
        return self.say(got == want, f"{what} = {got}" +
                        ("" if got == want else f", expected {want}"))


def load_run(d, name):
    st = Strace(os.path.join(d, f"{name}.strace"))
    rg = ranges(os.path.join(d, f"{name}.trace"))
    with open(os.path.join(d, f"{name}.stat.json")) as f:
        stat = json.load(f)
    rc = int(open(os.path.join(d, f"{name}.rc")).read().strip())
    return st, rg, stat, rc


def errors_by_errno(maps):
    out = {}
    for ok, err in maps:
        if not ok:
            out[err] = out.get(err, 0) + 1
    return out


def common(c, name, st, rg, stat):
    """Pairs maps with ranges and checks what both runs share; returns
    (ok_pages, [(ok, pages, vaddr)]) or None when they do not pair."""
    pin = stat["vfio_pin"]
    mode = stat.get("mode", {}).get("vfio_pin")
    if mode not in ("fentry", "kprobe"):
        print(f"skip - [{c.label}] qemu_vfio {name}: vfio_pin not traced "
              f"on this kernel (mode {mode}); nothing checked")
        return None
    if not c.say(len(st.maps) == len(rg) and st.maps,
                 f"{name}: {len(st.maps)} MAP_DMAs (strace) paired with "
                 f"{len(rg)} mapped ranges (QEMU trace)"):
        return None
    maps = [(ok, size // PAGE, vaddr) for (ok, _), (_, size, vaddr) in zip(st.maps, rg)]
    want = errors_by_errno(st.maps)
    c.eq(pin["errors"], want, f"{name}: vfio_pin.errors (strace: MAP_DMA results)")
    c.eq(pin["error_count"], sum(want.values()), f"{name}: vfio_pin.error_count")
    if "lost" in stat:
        c.eq(stat["lost"], 0, f"{name}: records lost")
    return sum(p for ok, p, _ in maps if ok), maps


def check_assign(c, d):
    st, rg, stat, rc = load_run(d, "assign")
    bios = open(os.path.join(d, "assign.bios"), errors="replace").read()
    c.say(rc == 0 and "No bootable device" in bios,
          f"assign: QEMU exit {rc} after SeaBIOS ran to its end and QMP quit")
    r = common(c, "assign", st, rg, stat)
    if r is None:
        return
    ok_pages, maps = r
    pin = stat["vfio_pin"]
    nok = sum(ok for ok, _, _ in maps)
    c.eq(pin["pages"], ok_pages, f"assign: vfio_pin.pages (QEMU trace: {nok} maps' sizes)")
    c.say(nok <= pin["count"] <= max(ok_pages, nok),
          f"assign: vfio_pin.count = {pin['count']} pins, in [{nok} maps, {ok_pages} pages]")
    bar = sum(p for ok, p, v in maps if ok and any(s <= v < e for s, e in st.bars))
    if not c.say(bar > 0, f"assign: the BAR was mapped for DMA ({bar} pages "
                 f"in {len(st.bars)} device mmaps)"):
        return
    fol, fix = pin["follow_pfnmap"], pin["fixup_user_fault"]
    if fol is None or fix is None:
        print(f"skip - [{c.label}] qemu_vfio assign: follow_pfnmap/fixup_user_fault "
              "unknown on this kernel; BAR lookups not checked")
    else:
        c.eq(fol["calls"], bar + fol["failures"],
             f"assign: follow_pfnmap.calls (BAR pages {bar} + misses {fol['failures']})")
        c.eq(fix["calls"], fol["failures"], "assign: fixup_user_fault.calls (= misses)")
        c.eq(fix["failures"], 0, "assign: fixup_user_fault.failures")
    lv, zero = pin["locked_vm"], pin["zero_pages"]
    if lv is None or zero is None:
        print(f"skip - [{c.label}] qemu_vfio assign: locked_vm unknown on this kernel")
    else:
        c.eq(lv["delta_pages"], ok_pages - bar - zero,
             f"assign: locked_vm.delta_pages (pages - BAR {bar} - zero pages {zero}: "
             "the BAR is not charged)")
    off = [v for v in st.cmd_writes if not v & PCI_COMMAND_MEMORY]
    zap = stat["vfio_zap"]
    if stat["mode"].get("vfio_zap") in (None, "none"):
        print(f"skip - [{c.label}] qemu_vfio assign: vfio_zap not traced on this kernel")
        return
    c.eq(zap["count"], len(off) + st.resets,
         f"assign: vfio_zap.count (strace: {len(off)} of {len(st.cmd_writes)} "
         f"PCI_COMMAND writes with memory off, {st.resets} resets)")


def check_memlock(c, d):
    st, rg, stat, rc = load_run(d, "memlock")
    limit = open(os.path.join(d, "memlock.memlock")).read().strip()
    failed = [i for i, (ok, _) in enumerate(st.maps) if not ok]
    c.say(rc != 0 and failed and all(st.maps[i][1] == "ENOMEM" for i in failed),
          f"memlock: without CAP_IPC_LOCK, RLIMIT_MEMLOCK {limit} KiB: "
          f"{len(failed)} MAP_DMA ENOMEM (strace), QEMU exit {rc}")
    r = common(c, "memlock", st, rg, stat)
    if r is None or not failed:
        return
    ok_pages, maps = r
    pin = stat["vfio_pin"]
    # The failed maps' pins before the one that hit the limit are in
    # pfnmap's pages (the kernel undid them); they fit in what the limit
    # left after the maps before.
    room = 0
    for i in failed:
        if st.unmaps_before[i]:
            print(f"skip - [{c.label}] qemu_vfio memlock: UNMAP_DMA before a "
                  "failed map; pages not bounded")
            return
        room += int(limit) * 1024 // PAGE - sum(p for ok, p, _ in maps[:i] if ok)
    c.say(ok_pages <= pin["pages"] <= ok_pages + room,
          f"memlock: vfio_pin.pages = {pin['pages']}, in [{ok_pages} (maps that "
          f"succeeded), {ok_pages + room} (+ what the limit left)]")
    nmaps = len(maps)
    c.say(nmaps <= pin["count"] <= pin["pages"] + len(failed),
          f"memlock: vfio_pin.count = {pin['count']}, in [{nmaps} maps, "
          f"{pin['pages'] + len(failed)} pages + failures]")
    lv, zero = pin["locked_vm"], pin["zero_pages"]
    if lv is not None and zero is not None:
        c.eq(lv["delta_pages"], pin["pages"] - zero,
             f"memlock: locked_vm.delta_pages (pages - zero pages {zero})")


def main():
    outdir, label = sys.argv[1], sys.argv[2]
    d = os.path.join(outdir, "qemu_vfio")
    c = Checker(label)
    skipped = os.path.join(d, "skipped")
    if os.path.exists(skipped):
        why = open(skipped).read().strip()
        print(f"skip - [{label}] qemu_vfio: QEMU WITH AN ASSIGNED DEVICE NOT RUN "
              f"on this kernel ({why})")
        return 0
    for name, check in (("assign", check_assign), ("memlock", check_memlock)):
        if not os.path.exists(os.path.join(d, f"{name}.stat.json")):
            c.say(False, f"{name}: guest_qemu_vfio.sh left no {name}.stat.json")
            continue
        check(c, d)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
