#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check.py OUTDIR LABEL - compare what pfnmap counted with what each
workload of tests/scenarios.txt reports of itself (files left by
tests/collect.sh in OUTDIR).

Prints one TAP-style line per assertion: "ok - ...", "not ok - ...", or
"skip - ..." when this kernel cannot show a field (the reason comes from
`pfnmap probe --json`, never from this file).  Exits 1 if any failed.
"""
import json
import os
import sys

OP_KINDS = ["vfio_pin", "uffd_copy", "uffd_zeropage", "uffd_continue",
            "uffd_poison", "vfio_map_dma", "uffd_move", "uffd_wp"]
# scenarios of stress_uffd_ctl.c: their JSON names the kind they exercise
CTL_SCENARIOS = ("uffd-move", "uffd-wp")


class Checker:
    def __init__(self, outdir, label):
        self.outdir = outdir
        self.label = label
        self.failed = 0
        self.probe = self.load("probe.json") or {}

    def load(self, name):
        try:
            with open(os.path.join(self.outdir, name)) as f:
                return json.loads(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            return None

    def say(self, status, scen, what):
        print(f"{status} - [{self.label}] {scen}: {what}")
        if status == "not ok":
            self.failed += 1

    def eq(self, scen, what, got, want):
        if got == want:
            self.say("ok", scen, f"{what} = {want}")
        else:
            self.say("not ok", scen, f"{what} = {got}, expected {want}")

    def field_why(self, kind, field):
        """Why probe says a field of a kind is unknown, or None."""
        k = self.probe.get("kinds", {}).get(kind, {})
        if k.get("fields", {}).get(field) is not None:
            return None
        field_why = k.get("unknown_why", {}).get(field, "")
        why = [w for w in [field_why] + (k.get("why") or "").split("; ") if w]
        return f"{k.get('mode', '?')} mode: " + why[0]

    def known_eq(self, scen, kind, field, got, want, what=None):
        """Equality for a field the kernel may not be able to show."""
        what = what or f"{kind}.{field}"
        why = self.field_why(kind, field)
        if why is None:
            self.eq(scen, what, got, want)
        elif got is None:
            self.say("skip", scen, f"{what} unknown on this kernel ({why})")
        else:
            self.say("not ok", scen,
                     f"{what} = {got} but probe says unknown ({why})")

    def common(self, scen, work, stat, kind, ops):
        rc = open(os.path.join(self.outdir, scen + ".rc")).read().strip()
        self.eq(scen, "exit status of stat + workload", rc, "0")
        self.eq(scen, "records lost", stat.get("lost"), 0)
        for other in OP_KINDS:
            if other != kind:
                self.eq(scen, f"{other}.count", stat[other]["count"], 0)
        s = stat[kind]
        self.eq(scen, f"{kind}.count", s["count"], ops)
        self.eq(scen, f"{kind}.errors", s["errors"], work["errors"])
        return s

    def uffd(self, scen, work, stat):
        kind = ("uffd_zeropage" if work["scenario"] == "uffd-zeropage"
                else "uffd_copy")
        s = self.common(scen, work, stat, kind, work["ops"])
        self.eq(scen, f"{kind}.pages", s.get("pages"), work["copied_pages"])
        want = work.get("expected_retries", 0)
        self.known_eq(scen, kind, "retries", s.get("retries"), want)
        if want == 0:
            maxr = 0
        elif not work["errors"]:
            maxr = work["pages_per_op"]
        else:
            maxr = 1
        self.known_eq(scen, kind, "retries", s.get("max_retries"), maxr,
                      f"{kind}.max_retries")
        # EAGAIN not from mmap_changing is a retry the VMA check aborted
        aborts = (work["errors"].get("EAGAIN", 0) -
                  work.get("expected_eagain_mmap_changing", 0))
        self.known_eq(scen, kind, "retry_aborts", s.get("retry_aborts"),
                      aborts)
        if "expected_eagain_mmap_changing" in work:
            src = s.get("eagain_sources") or {}
            self.known_eq(scen, kind, "eagain_sources",
                          src.get("mmap_changing"),
                          work["expected_eagain_mmap_changing"],
                          f"{kind}.eagain_sources.mmap_changing")
            self.known_eq(scen, kind, "eagain_sources",
                          src.get("pte_offset_map_lock"), 0,
                          f"{kind}.eagain_sources.pte_offset_map_lock")
        if work["scenario"] == "uffd-whatif":
            self.whatif(scen, work, s.get("seq_what_if"))

    def uffd_ctl(self, scen, work, stat):
        """UFFDIO_MOVE / _WRITEPROTECT: calls, errors and pages exactly;
        -EAGAIN from mmap_changing where the kernel shows its source."""
        kind = work["kind"]
        s = self.common(scen, work, stat, kind, work["ops"])
        self.eq(scen, f"{kind}.pages", s.get("pages"), work["done_pages"])
        src = s.get("eagain_sources") or {}
        self.known_eq(scen, kind, "eagain_sources", src.get("mmap_changing"),
                      work.get("expected_eagain_mmap_changing", 0),
                      f"{kind}.eagain_sources.mmap_changing")
        self.known_eq(scen, kind, "eagain_sources",
                      src.get("pte_offset_map_lock"), 0,
                      f"{kind}.eagain_sources.pte_offset_map_lock")

    def unsupported(self, scen, err):
        """Exit 3: the workload cannot run here.  A kernel without
        UFFDIO_MOVE must be one whose probe reports uffd_move absent."""
        why = (err.strip().splitlines() or ["no reason given"])[-1]
        if "no UFFDIO_MOVE" in why:
            k = self.probe.get("kinds", {}).get("uffd_move", {})
            absent = k.get("mode") == "none" and "UFFDIO_MOVE" in (k.get("why") or "")
            self.say("ok" if absent else "not ok", scen,
                     f"uffd_move reported absent by probe: {k.get('mode')}, "
                     f"because {k.get('why')}")
        self.say("skip", scen, f"NOT RUN on this kernel: {why}")

    def no_syscall_view(self):
        """Where the userfaultfd ioctl handler takes fentry/fexit, no kind
        needs the ioctl tracepoints, which would run on every ioctl of
        the machine (a UFFDIO_* kind with an inlined function is seen
        whole at the handler instead).  Where it does not (this host),
        every kind without a traced function is in the syscall view."""
        hooks = {h.get("hook"): h for h in self.probe.get("hooks", [])}
        if hooks.get("uffd_ioctl", {}).get("mode") != "fentry":
            self.say("skip", "probe", "the ioctl handler is not traced "
                     "here (no fentry): the syscall view is the fallback")
            return
        sys_kinds = sorted(k for k, v in self.probe.get("kinds", {}).items()
                           if v.get("mode") == "syscall")
        self.eq("probe", "kinds in the syscall view (system-wide ioctl "
                "tracepoints) while fentry works", sys_kinds, [])

    def whatif(self, scen, work, seq):
        """A mm_lock_seq check aborts retries only when something took
        the mmap write lock meanwhile: never in the control, some with
        the churn, and then always spuriously (the VMA never changed)."""
        why = self.field_why("uffd_copy", "seq_what_if")
        if why is not None:
            self.say("skip", scen, f"seq what-if unknown on this kernel ({why})")
            return
        if seq is None:
            self.say("not ok", scen, "seq_what_if is null but probe says known")
        elif not work["churns"]:
            self.eq(scen, "seq_what_if.would_abort (no churn)",
                    seq["would_abort"], 0)
        else:
            ok = seq["would_abort"] > 0
            self.say("ok" if ok else "not ok", scen,
                     f"seq_what_if.would_abort = {seq['would_abort']} > 0 "
                     f"with {work['churns']} churns")
            aborted = work["errors"].get("EAGAIN", 0)
            self.eq(scen, "seq_what_if.spurious (would_abort - aborted by "
                    "the snapshot check)", seq["spurious"],
                    seq["would_abort"] - aborted)

    def zeropage(self, scen, work, stat):
        """A read-only pin of never-written memory: how many pins are the
        shared zero page (the workload reads its PFNs in pagemap), and
        what locked_vm they were charged (zero pages are reserved)."""
        s = stat["vfio_pin"]
        rc = open(os.path.join(self.outdir, scen + ".rc")).read().strip()
        self.eq(scen, "exit status of stat + workload", rc, "0")
        self.eq(scen, "vfio_pin.errors", s["errors"], {})
        self.eq(scen, "vfio_pin.pages", s.get("pages"), work["pages"])
        zero = work["zero_pfn_pages"]
        self.known_eq(scen, "vfio_pin", "zero_pages", s.get("zero_pages"),
                      zero)
        lk = s.get("locked_vm") or {}
        self.known_eq(scen, "vfio_pin", "locked_vm", lk.get("delta_pages"),
                      work["pages"] - zero,
                      "vfio_pin.locked_vm.delta_pages (pages - zero pages)")

    def vfio(self, scen, work, stat):
        if work["scenario"] == "vfio-zeropage":
            return self.zeropage(scen, work, stat)
        maps, bar = work["maps"], work["bar_pages"]
        s = self.common(scen, work, stat, "vfio_pin", maps)
        # one contiguous PFNMAP range: one pin of every BAR page per map
        self.eq(scen, "vfio_pin.pages", s.get("pages"), maps * bar)
        fo, fx = s.get("follow_pfnmap"), s.get("fixup_user_fault")
        if fo is None or fx is None:
            self.say("skip", scen, "nested follow/fixup counters unknown ("
                     + str(self.field_why("vfio_pin", "follow_pfnmap")) + ")")
            return
        fails = fo["failures"]
        self.eq(scen, "follow_pfnmap.calls",
                fo["calls"], maps * bar + fails)
        self.eq(scen, "fixup_user_fault.calls (one per failed lookup)",
                fx["calls"], fails)
        self.eq(scen, "fixup_user_fault.failures", fx["failures"], 0)
        self.eq(scen, "fixup_user_fault.unlocked", fx["unlocked"], 0)
        if work.get("touched"):
            self.eq(scen, "follow_pfnmap.failures (BAR touched first)",
                    fails, 0)
        elif "first_touch_faults" in work:
            self.eq(scen, "follow_pfnmap.failures (first touch)",
                    fails, work["first_touch_faults"])
        self.known_eq(scen, "vfio_pin", "retries", s.get("retries"), 0)
        self.known_eq(scen, "vfio_pin", "zap_races", s.get("zap_races"), 0)

    def scenario(self, scen):
        rc_file = os.path.join(self.outdir, scen + ".rc")
        if open(rc_file).read().strip() == "3":
            err = os.path.join(self.outdir, scen + ".err")
            return self.unsupported(
                scen, open(err).read() if os.path.exists(err) else "")
        work, stat = self.load(scen + ".work.json"), self.load(scen + ".stat.json")
        if work is None or stat is None:
            err = os.path.join(self.outdir, scen + ".err")
            msg = open(err).read().strip() if os.path.exists(err) else ""
            self.say("not ok", scen, "no output: " + (msg or "missing files"))
            return
        try:
            if work["scenario"] in CTL_SCENARIOS:
                self.uffd_ctl(scen, work, stat)
            elif work["scenario"].startswith("uffd-"):
                self.uffd(scen, work, stat)
            else:
                self.vfio(scen, work, stat)
        except (KeyError, TypeError) as e:
            self.say("not ok", scen, f"output lacks {e!r}")


def scenario_names(outdir):
    here = os.path.dirname(os.path.abspath(__file__))
    names = []
    with open(os.path.join(here, "scenarios.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                names.append(line.split("|")[0])
    return [n for n in names if os.path.exists(os.path.join(outdir, n + ".rc"))]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check.py OUTDIR LABEL")
    c = Checker(sys.argv[1], sys.argv[2])
    names = scenario_names(sys.argv[1])
    if not names:
        c.say("not ok", "collect", "no scenario ran")
    for n in names:
        c.scenario(n)
    if c.probe:
        c.no_syscall_view()
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
