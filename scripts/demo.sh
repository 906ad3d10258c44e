#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - the main job on an embedded default: build pfnmap, boot the
# default guest (Debian 7.3 cloud kernel under QEMU, edu on vfio-pci),
# start the VFIO zap-race and userfaultfd reproducers there and show
# pfnmap-top on them.  In a terminal the view is interactive (the guest's
# serial console is this terminal: q or Ctrl-C quits, then the guest
# powers off); otherwise it prints DEMO_COUNT (default 5) batch snapshots.
#
#   scripts/demo.sh            # or: PFNMAP_KERNEL=6.12 scripts/demo.sh
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernel=${PFNMAP_KERNEL:-7.3}
work=build/demo

scripts/setup.sh >&2
make -s all OUTPUT=build
make -s OUTPUT=build/static STATIC=1 build/static/pfnmap
tests/vm/fetch-kernel.sh "$kernel" >&2

rm -rf "$work"
mkdir -p "$work/terminfo"
args=()
if [ -t 0 ] && [ -t 1 ]; then
	# ncurses in the guest needs this terminal's description and size
	term=${TERM:-vt100}
	ti=$(find /lib/terminfo /usr/share/terminfo -name "$term" 2> /dev/null | head -n 1)
	[ -n "$ti" ] || { term=vt100; ti=$(find /lib/terminfo /usr/share/terminfo -name vt100 | head -n 1); }
	mkdir -p "$work/terminfo/${term:0:1}"
	cp "$ti" "$work/terminfo/${term:0:1}/"
	read -r rows cols < <(stty size)
	printf 'export TERM=%s LINES=%s COLUMNS=%s DEMO_INTERACTIVE=1\n' \
		"$term" "$rows" "$cols" > "$work/demo.env"
	args=(-i)
else
	printf 'export DEMO_COUNT=%s\n' "${DEMO_COUNT:-5}" > "$work/demo.env"
fi
exec tests/vm/run-guest.sh "${args[@]}" -k "$kernel" -t 86400 \
	-o "$work/run" -e demo-guest.sh -- \
	build/static/pfnmap build/static/pfnmap=pfnmap-top build/pfnmap-stress \
	tests/vm/demo-guest.sh "$work/demo.env" "$work/terminfo"
