#!/bin/sh
# check_qemu_vfio.sh OUTDIR LABEL - run by scripts/test-all.sh after each guest.
exec python3 "$(dirname "$0")/check_qemu_vfio.py" "$@"
