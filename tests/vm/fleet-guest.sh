#!/bin/sh
# fleet-guest.sh - the guest half of tests/vm/test_fleet_prometheus.sh:
# one "host" of a two-host fleet.  Brings up the NIC run-guest.sh -P gave
# (QEMU user networking: we are 10.0.2.15), serves `pfnmap export` on
# 0.0.0.0:9435 for the host's Prometheus, and runs the VFIO workloads when
# the host says so.
#
# The host cannot reach us but through the forwarded ports, so the two
# handshakes ("go": Prometheus scrapes us, start; "stop": the host has
# queried, the exporter may go) are a listener on port 9436 that answers
# the host's connection with a word: the host knows we heard it.
#
# Not a guest_*.sh: the guest suite runs those without a NIC.
# Lines for the host, on stdout: "fleet-guest: ready|race-start|
# race-done|work JSON|done ..."; FLEET_RACE_SECONDS sets the race length.
set -u
race=${FLEET_RACE_SECONDS:-12}
out=${PFNMAP_OUT:-/tmp}
say() { echo "fleet-guest: $*"; }
xp=
fail() {
	say "FAILED: $*"
	[ -z "$xp" ] || kill "$xp" 2> /dev/null
	exit 1
}

# answer WORD SECS: wait up to SECS for the host's connection on 9436 and
# send it WORD.  nc half-closes after WORD and returns when the host
# closes its end.
answer() {
	echo "$1" | timeout "$2" nc -l -p 9436 > /dev/null
}

# The first non-loopback interface: virtio_net was loaded by init from
# the kernel dir's modules.order.
dev=
for d in /sys/class/net/*; do
	[ "${d##*/}" = lo ] || { dev=${d##*/}; break; }
done
[ -n "$dev" ] || fail "no network interface (is virtio_net in modules.order?): $(ls /sys/class/net)"
ip link set lo up
ip link set "$dev" up || fail "ip link set $dev up"
ip addr add 10.0.2.15/24 dev "$dev" || fail "ip addr add 10.0.2.15/24 dev $dev"

# No comm filter: in this guest only the workloads do VFIO, as on a
# fleet host where the exporter counts everything.
pfnmap export --listen 0.0.0.0:9435 > "$out/export.log" 2>&1 &
xp=$!
i=0
until wget -q -O /dev/null http://127.0.0.1:9435/metrics 2> /dev/null; do
	kill -0 "$xp" 2> /dev/null || fail "pfnmap export exited: $(head -n 3 "$out/export.log")"
	i=$((i + 1))
	[ "$i" -le 120 ] || fail "pfnmap export not serving after 60 s"
	sleep 0.5
done
say "ready: pfnmap export on 0.0.0.0:9435 ($dev 10.0.2.15/24), $(uname -r)"

answer go 180 || fail "no go from the host within 180 s"
say "race-start ${race}s"
pfnmap-stress vfio-race -d "$race" > "$out/race.json" 2> "$out/race.err"
rc=$?
say "race-done rc=$rc"
say "work $(tail -n 1 "$out/race.json")"
# Deterministic on top of the race: 50 maps, none racing.
pfnmap-stress vfio-map -n 50 > "$out/map.json" 2> "$out/map.err"
rc2=$?
say "work $(tail -n 1 "$out/map.json")"
say "done rc=$rc,$rc2"

# Keep serving until the host has queried Prometheus.
answer stop 180 || say "no stop from the host within 180 s"
kill "$xp"
wait "$xp"
say "exporter exit $?"
[ "$rc" -eq 0 ] && [ "$rc2" -eq 0 ]
