#!/bin/sh
# demo-guest.sh - the README's "run the main job": in the 7.3 guest, start
# the VFIO zap-race and the userfaultfd reproducers, then show pfnmap-top
# on them (interactive on the serial console when the host ran the demo
# in a terminal, batch snapshots otherwise).  Ends the reproducers after.
here=$(dirname "$0")
[ -f "$here/demo.env" ] && . "$here/demo.env"
export TERMINFO="$here/terminfo"

pfnmap-stress vfio-race -d 86400 > /dev/null 2>&1 &
race=$!
( while :; do
	pfnmap-stress uffd-copy --src untouched -n 2000 --delay-us 300
  done ) > /dev/null 2>&1 &
uffd=$!
sleep 1
if [ -n "${DEMO_INTERACTIVE:-}" ]; then
	pfnmap-top -d 1
else
	pfnmap-top -b -n "${DEMO_COUNT:-5}" -d 1
fi
rc=$?
kill "$race" "$uffd" 2> /dev/null
wait 2> /dev/null
exit $rc
