#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check_views.py OUTDIR LABEL - what tests/vm/guest_views.sh left:
record + report give exactly the workloads' own counts (retries and
nested calls included where the kernel shows them), and top's batch JSON
shows the fentry mode, the retrying copies and the zap race."""
import json
import os
import sys


class Check:
    def __init__(self, d, label):
        self.d, self.label, self.failed = d, label, 0

    def load(self, name, every=False):
        with open(os.path.join(self.d, name)) as f:
            lines = [json.loads(x) for x in f.read().splitlines() if x.strip()]
        return lines if every else lines[-1]

    def say(self, ok, what):
        print(f"{'ok' if ok else 'not ok'} - [{self.label}] views: {what}")
        self.failed += not ok

    def skip(self, what):
        print(f"skip - [{self.label}] views: {what}")

    def eq(self, what, got, want):
        self.say(got == want, f"{what} = {got}" + ("" if got == want else f", expected {want}"))

    def record(self):
        w, r = self.load("copy.work.json"), self.load("copy.report.json")
        c = r["kinds"]["uffd_copy"]
        self.eq("report uffd_copy.count", c["count"], w["ops"])
        self.eq("report uffd_copy.pages", c["pages"], w["copied_pages"])
        if c["retries"] is None:
            self.skip("report uffd_copy.retries unknown on this kernel")
        else:
            self.eq("report uffd_copy.retries", c["retries"], w["expected_retries"])
        w, r = self.load("map.work.json"), self.load("map.report.json")
        p = r["kinds"]["vfio_pin"]
        self.eq("report vfio_pin.count", p["count"], w["maps"])
        self.eq("report vfio_pin.pages", p["pages"], w["maps"] * w["bar_pages"])
        fo = p.get("follow_pfnmap")
        if fo:
            self.eq("report follow_pfnmap.calls", fo["calls"],
                    w["maps"] * w["bar_pages"] + fo["failures"])
        # --mode syscall: the MAP_DMA ioctls, from their user structs
        w, r = self.load("map-sys.work.json"), self.load("map-sys.report.json")
        p = r["kinds"]["vfio_map_dma"]
        self.eq("--mode syscall: report vfio_map_dma.count", p["count"], w["maps"])
        self.eq("--mode syscall: report vfio_map_dma.pages", p["pages"],
                w["maps"] * w["bar_pages"])
        self.eq("--mode syscall: report vfio_pin.count",
                r["kinds"]["vfio_pin"]["count"], 0)

    def top(self):
        snaps = self.load("top.json", every=True)
        self.eq("top snapshots", len(snaps), 8)
        mode = snaps[-1]["mode"]
        for k in ("vfio_pin", "uffd_copy"):
            self.say(mode[k] in ("fentry", "kprobe"), f"top mode {k} = {mode[k]}")
        rows = [r for s in snaps for r in s["rows"]]
        copies = [r for r in rows if r["kind"] == "uffd_copy"]
        pins = [r for r in rows if r["kind"] == "vfio_pin"]
        self.say(bool(copies) and sum(r["retries"] or 0 for r in copies) > 0,
                 "top shows retries of the copies: "
                 f"{sum(r['retries'] or 0 for r in copies)}")
        self.say(bool(pins), f"top shows the pins ({sum(r['count'] for r in pins)})")
        zaps = sum(r.get("zap_races") or 0 for r in pins)
        einval = sum(r["errors"].get("EINVAL", 0) for r in pins)
        self.eq("top zap races = EINVAL of the pins", zaps, einval)
        text = open(os.path.join(self.d, "top.txt")).read()
        self.say("ZAPS" in text and "fentry" in text, "top -b text has the ZAPS column and fentry mode")


def main():
    c = Check(os.path.join(sys.argv[1], "views"), sys.argv[2])
    if not os.path.isdir(c.d):
        c.say(False, "guest_views.sh left nothing")
        return 1
    for part in (c.record, c.top):
        try:
            part()
        except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
            c.say(False, f"{part.__name__}: {e!r}")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
