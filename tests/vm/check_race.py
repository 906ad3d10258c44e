#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check_race.py OUTDIR LABEL - the zap race, recorded in a guest by
tests/vm/guest_race.sh: every MAP_DMA EINVAL must be a zap race (a
follow_pfnmap_start() failure right after a successful fault-in), and
every zap race must be attributed to a zap by the workload's toggling
thread.  The race is timing-dependent, so the counts are compared with
what the workload itself saw, never with constants."""
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def main():
    outdir, label = sys.argv[1], sys.argv[2]
    d = os.path.join(outdir, "race")
    failed = 0

    def say(ok, what):
        nonlocal failed
        print(f"{'ok' if ok else 'not ok'} - [{label}] race: {what}")
        failed += not ok

    if not os.path.exists(os.path.join(d, "report.json")):
        say(False, "guest_race.sh left no report")
        return 1
    work, rep = load(os.path.join(d, "work.json")), load(os.path.join(d, "report.json"))
    zap = load(os.path.join(d, "zappers.json"))
    pin = rep["kinds"]["vfio_pin"]
    einval = work["errors"].get("EINVAL", 0)
    say(open(os.path.join(d, "rc")).read().strip() == "0", "record + workload exit 0")
    say(pin["count"] == work["maps"], f"vfio_pin.count {pin['count']} = maps {work['maps']}")
    say(pin["errors"] == work["errors"], f"vfio_pin.errors {pin['errors']} = {work['errors']}")
    tries = open(os.path.join(d, "tries")).read().strip()
    if einval == 0:
        print(f"skip - [{label}] race: NOT REPRODUCED: no MAP_DMA EINVAL in "
              f"{tries} runs of the reproducer (timing under TCG); zap "
              "race attribution not checked on this kernel")
        return 1 if failed else 0
    say(pin["zap_races"] == einval, f"zap races {pin['zap_races']} = EINVAL {einval}")
    say(rep["kinds"]["vfio_zap"]["count"] >= work["toggles"],
        f"zaps {rep['kinds']['vfio_zap']['count']} >= toggles {work['toggles']}")
    za = pin.get("zap_attribution")
    if za is None:
        print(f"skip - [{label}] race: zap attribution unknown on this kernel")
        return 1 if failed else 0
    say(za["attributed"] == einval, f"zap races attributed {za['attributed']} = {einval}")
    groups = zap.get("groups", [])
    tids = {g["zapper"].split()[0] for g in groups}
    say(tids == {str(work["toggler_tid"])},
        f"zapper of every race is the toggler (tid {work['toggler_tid']}): {sorted(tids)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
