#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""postcopy.py - QEMU postcopy live migration on 127.0.0.1, watched by
`pfnmap stat` and by strace, which must agree exactly.

Two QEMUs (Debian's qemu-system-x86, TCG, 64 MiB, no devices but one
disk) run a 512-byte boot sector that keeps rewriting 512 KiB of guest
memory.  The source migrates to the destination with the postcopy-ram
capability, switching to postcopy as soon as the migration is active: the
destination then resolves its guest's page faults and the background
transfer with UFFDIO_COPY (and UFFDIO_ZEROPAGE).  The destination runs as

    pfnmap stat --json -o dst.stat.json -- strace -ff -e trace=ioctl -- qemu ...

and the check compares, per kind, pfnmap's calls, errors by errno and
pages with the strace lines whose request is that ioctl (a UFFDIO_REGISTER
line mentions _UFFDIO_COPY in its mask: only the request counts).

Prints ok / not ok / skip lines.  Everything it starts runs in process
groups of its own, ended by their ids; bounded by TIMEOUT seconds.
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PFNMAP = os.environ.get("PFNMAP", "build/pfnmap")
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
TIMEOUT = float(os.environ.get("POSTCOPY_TIMEOUT", "120"))
PAGE = 4096
failed = 0


def say(status, what):
    global failed
    print(f"{status} - postcopy: {what}", flush=True)
    if status == "not ok":
        failed += 1


# cli; 1: mov bx,0x1000; 4: mov es,bx; xor di,di; mov cx,0x8000;
# rep stosw; add bx,0x1000; cmp bx,0x9000; jb 4; inc ax; jmp 1:
# rewrites 0x10000-0x8ffff (512 KiB, below SeaBIOS's data) forever.
BOOT = bytes([0xFA, 0xBB, 0x00, 0x10, 0x8E, 0xC3, 0x31, 0xFF,
              0xB9, 0x00, 0x80, 0xF3, 0xAB, 0x81, 0xC3, 0x00, 0x10,
              0x81, 0xFB, 0x00, 0x90, 0x72, 0xED, 0x40, 0xEB, 0xE7])


def boot_image(path):
    img = bytearray(64 * 1024)
    img[:len(BOOT)] = BOOT
    img[510:512] = b"\x55\xaa"
    with open(path, "wb") as f:
        f.write(img)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QMP:
    def __init__(self, path, deadline):
        # QEMU binds the socket before it listens: retry until it does
        while True:
            self.s = socket.socket(socket.AF_UNIX)
            try:
                self.s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.s.close()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no QMP socket {path}")
                time.sleep(0.1)
        self.f = self.s.makefile("rw")
        self.read()                     # greeting
        self.cmd("qmp_capabilities")

    def read(self):
        while True:
            line = self.f.readline()
            if not line:
                raise RuntimeError("QMP connection closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        r = self.read()
        if "error" in r:
            raise RuntimeError(f"{name}: {r['error'].get('desc')}")
        return r.get("return")


def qemu_args(img, qmp):
    return [QEMU, "-M", "pc", "-accel", "tcg", "-m", "64M", "-nodefaults",
            "-display", "none", "-serial", "none", "-monitor", "none",
            "-drive", f"file={img},format=raw,if=ide",
            "-qmp", f"unix:{qmp},server=on,wait=off"]


def start(argv, log):
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def end(p):
    """Ends a process group this script started, by its id."""
    if p and p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def migrate(src, dst, port, deadline):
    """Postcopy migration; returns the source's last query-migrate."""
    caps = [{"capability": "postcopy-ram", "state": True}]
    for q in (src, dst):
        q.cmd("migrate-set-capabilities", capabilities=caps)
    # slow precopy: the switch to postcopy comes before it could converge
    src.cmd("migrate-set-parameters", **{"max-bandwidth": 1 << 20,
                                         "downtime-limit": 1})
    time.sleep(1)                       # the guest is dirtying memory
    src.cmd("migrate", uri=f"tcp:127.0.0.1:{port}")
    while src.cmd("query-migrate").get("status") in ("setup", None):
        if time.monotonic() > deadline:
            raise RuntimeError("migration never became active")
        time.sleep(0.05)
    src.cmd("migrate-start-postcopy")
    while True:
        info = src.cmd("query-migrate")
        if info.get("status") in ("completed", "failed", "cancelled"):
            return info
        if time.monotonic() > deadline:
            raise RuntimeError(f"migration still {info.get('status')}")
        time.sleep(0.1)


LINE = re.compile(r"^ioctl\(\d+, (UFFDIO_[A-Z]+), (.*)\) += (-?\d+)(?: (E[A-Z0-9]+))?")


def strace_counts(prefix):
    """Per request: calls, errors by errno, pages done (copy=/zeropage=)."""
    out = {}
    for path in glob.glob(prefix + ".*"):
        for line in open(path, errors="replace"):
            m = LINE.match(line)
            if not m or m.group(1) not in ("UFFDIO_COPY", "UFFDIO_ZEROPAGE"):
                continue
            c = out.setdefault(m.group(1), {"count": 0, "errors": {},
                                            "pages": 0})
            c["count"] += 1
            if m.group(3) != "0":
                err = m.group(4) or "E?"
                c["errors"][err] = c["errors"].get(err, 0) + 1
            done = re.search(r"(?:copy|zeropage)=(0x[0-9a-f]+|\d+)",
                             m.group(2))
            if done:
                c["pages"] += int(done.group(1), 0) // PAGE
    return out


def compare(stat, st):
    total = 0
    for req, kind in (("UFFDIO_COPY", "uffd_copy"),
                      ("UFFDIO_ZEROPAGE", "uffd_zeropage")):
        want = st.get(req, {"count": 0, "errors": {}, "pages": 0})
        got = stat.get(kind) or {}
        total += want["count"]
        for key in ("count", "errors", "pages"):
            g, w = got.get(key), want[key]
            say("ok" if g == w else "not ok",
                f"{kind}.{key} = {g}" + ("" if g == w else
                                         f", strace counted {w}") +
                f" (strace: {req} calls)")
    say("ok" if total > 0 else "not ok",
        f"the destination placed pages with {total} UFFDIO_COPY/ZEROPAGE "
        "calls (postcopy ran)")
    say("ok" if stat.get("lost") == 0 else "not ok",
        f"records lost = {stat.get('lost')}")


def run(work):
    deadline = time.monotonic() + TIMEOUT
    img = os.path.join(work, "boot.img")
    boot_image(img)
    port = free_port()
    dst_qmp, src_qmp = os.path.join(work, "dst.qmp"), os.path.join(work, "src.qmp")
    stat_json = os.path.join(work, "dst.stat.json")
    trace = os.path.join(work, "dst.strace")
    log = open(os.path.join(work, "qemu.log"), "w")
    dst = src = None
    try:
        dst = start([PFNMAP, "stat", "--json", "-o", stat_json, "--",
                     "strace", "-ff", "-qq", "-e", "trace=ioctl", "-o", trace,
                     "--"] + qemu_args(img, dst_qmp) +
                    ["-incoming", f"tcp:127.0.0.1:{port}"], log)
        src = start(qemu_args(img, src_qmp), log)
        dq, sq = QMP(dst_qmp, deadline), QMP(src_qmp, deadline)
        info = migrate(sq, dq, port, deadline)
        ok = info.get("status") == "completed"
        say("ok" if ok else "not ok",
            f"migration {info.get('status')} with postcopy-ram "
            f"({info.get('ram', {}).get('postcopy-requests', 0)} page requests "
            f"from the destination)")
        time.sleep(0.5)                 # the guest runs on the destination
        for q in (sq, dq):
            q.cmd("quit")
        dst.wait(timeout=max(1, deadline - time.monotonic()))
        src.wait(timeout=10)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        say("not ok", f"migration did not run: {e} (see {work}/qemu.log)")
        return
    finally:
        end(src)
        end(dst)
        log.close()
    if dst.returncode != 0:
        say("not ok", f"pfnmap stat + strace + qemu exited {dst.returncode}")
    try:
        stat = json.loads(open(stat_json).read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as e:
        say("not ok", f"no pfnmap stat output: {e}")
        return
    compare(stat, strace_counts(trace))


def main():
    for tool in (QEMU, "strace"):
        if not shutil.which(tool):
            say("skip", f"NOT RUN: {tool} is not installed (scripts/setup.sh)")
            return 0
    work = tempfile.mkdtemp(prefix="pfnmap-postcopy.")
    run(work)
    if failed:
        print(f"# postcopy: files kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
