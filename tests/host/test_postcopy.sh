#!/bin/sh
# test_postcopy.sh - QEMU postcopy migration on this host: pfnmap stat of
# the destination against strace of it (tests/host/postcopy.py).
here=$(dirname "$0")
PFNMAP=${PFNMAP:-build/pfnmap} exec python3 "$here/postcopy.py"
