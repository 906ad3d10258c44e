#!/usr/bin/env bash
# test_fleet_prometheus.sh - `pfnmap export` in a fleet of two: one real
# Prometheus (on 127.0.0.1, config in a temp dir) scrapes this host's
# exporter (whatever mode this kernel allows: the ioctl tracepoints on a
# host without fentry/kprobes; uffd workloads from pfnmap-stress) and the
# exporter of a Debian 7.3 guest (fentry; the VFIO zap-race reproducer),
# reached through a port QEMU forwards (run-guest.sh -P).  Both sets of
# workloads run at the same time; then, after a scrape of each exporter
# that started after the last operation, the query API must return
# exactly what each workload reported, per instance, and the guest's
# zap-race series must have been non-zero while the race ran.
#
# The guest half is tests/vm/fleet-guest.sh.  The guest kernel needs
# virtio_net: it is taken from the Debian package fetch-kernel.sh left in
# build/apt/cache, into a private copy of the kernel dir (the shared
# build/kernels/SERIES stays as the guest suite wants it).
#
# Environment: PFNMAP (host binary, build/pfnmap), PFNMAP_STATIC (guest
# binary, build/static/pfnmap), STRESS (build/pfnmap-stress), PROMETHEUS,
# FLEET_KERNEL (7.3), FLEET_RACE_SECONDS (12), FLEET_OUT (logs,
# build/test-results/fleet), PFNMAP_VM_LOCK (unset: a lock file to wait
# for), PFNMAP_BUILD (build: kernels, apt).
# Prints ok/not ok/skip lines; about 40 s (the
# guest in TCG on 2 cores); everything it starts is stopped by PID.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
P=${PFNMAP:-build/pfnmap}
PS=${PFNMAP_STATIC:-build/static/pfnmap}
STRESS=${STRESS:-build/pfnmap-stress}
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
K=${FLEET_KERNEL:-7.3}
RACE=${FLEET_RACE_SECONDS:-12}
OUT=${FLEET_OUT:-build/test-results/fleet}
B=${PFNMAP_BUILD:-build}	# as fetch-kernel.sh and run-guest.sh
HOST=host		# the instance labels Prometheus gives the two
GUEST=guest-$K
fails=0

ok() { echo "ok - fleet: $*"; }
notok() { echo "not ok - fleet: $*"; fails=$((fails + 1)); }
skip() { echo "skip - fleet: $*"; exit 0; }
check() {	# check NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1 ($2)"; else notok "$1: got '$2', want '$3'"; fi
}

for need in curl python3 flock qemu-system-x86_64 xz "$PROMETHEUS"; do
	command -v "$need" > /dev/null ||
		skip "NOT RUN: no $need (scripts/setup.sh installs it)"
done
[ "$(id -u)" -eq 0 ] || skip "NOT RUN: needs root to trace"
for f in "$P" "$PS" "$STRESS"; do
	[ -x "$f" ] || skip "NOT RUN: $f missing (make; make OUTPUT=build/static STATIC=1 build/static/pfnmap)"
done
if ! tests/vm/fetch-kernel.sh "$K" > /dev/null 2>&1; then
	skip "NOT RUN: KERNEL NOT AVAILABLE: fetching the Debian $K kernel failed"
fi

tmp=$(mktemp -d /tmp/pfnmap-fleet.XXXXXX)
trap cleanup EXIT
# so that an interrupted run still stops QEMU, Prometheus, the exporter
trap 'exit 130' INT TERM

# A copy of build/kernels/$K whose modules.order ends with virtio_net and
# its dependencies (init.sh loads them in that order), decompressed from
# the package in the apt cache.
mod_field() {	# mod_field KO FIELD
	tr '\0' '\n' < "$1" | sed -n "s/^$2=//p"
}
add_module() {	# add_module NAME: its dependencies first
	local n=${1//-/_} f d
	grep -qx "$n.ko" "$kdir/modules.order" && return 0
	f=$(find "$tmp/deb" -name "$n.ko*" -type f | head -n 1)
	[ -n "$f" ] || return 1
	case $f in
	*.xz) xz -dc "$f" > "$kdir/modules/$n.ko" ;;
	*.zst) zstd -qdc "$f" > "$kdir/modules/$n.ko" ;;
	*) cp "$f" "$kdir/modules/$n.ko" ;;
	esac || return 1
	for d in $(mod_field "$kdir/modules/$n.ko" depends | tr ',' ' '); do
		add_module "$d" || return 1
	done
	echo "$n.ko" >> "$kdir/modules.order"
}
make_kernel_dir() {
	local src=$B/kernels/$K release deb
	release=$(cat "$src/RELEASE") || return 1
	kdir=$tmp/kernel/$K	# run-guest.sh takes the series from the name
	mkdir -p "$kdir/modules" "$tmp/deb"
	ln -s "$(cd "$src" && pwd)/vmlinuz" "$kdir/vmlinuz"
	cp "$src/VERSION" "$src/modules.order" "$kdir/"
	cp "$src"/modules/*.ko "$kdir/modules/"
	# 7.3 has a modules package, 6.x the modules in the image package
	for deb in "$B"/apt/cache/archives/*"$release"*.deb; do
		[ -f "$deb" ] && dpkg-deb -x "$deb" "$tmp/deb"
	done
	add_module virtio_net
}
if ! make_kernel_dir; then
	skip "NOT RUN: no virtio_net for $K in $B/apt/cache/archives (tests/vm/fetch-kernel.sh --update $K fetches the packages)"
fi



now() { date +%s.%N; }

# PFNMAP_VM_LOCK=FILE: wait for FILE's lock first and hold it to the end
# (QEMU inherits it), for developers who run several suites on one
# machine; the suite itself runs its guests one after the other.
if [ -n "${PFNMAP_VM_LOCK:-}" ]; then
	exec 9>> "$PFNMAP_VM_LOCK"
	flock -w 1800 9 || skip "NOT RUN: $PFNMAP_VM_LOCK still held after 30 minutes"
fi
t0=$SECONDS
rm -rf "$OUT"
mkdir -p "$OUT"

hport=$(free_port)
gport=$(free_port)
sport=$(free_port)
pport=$(free_port)

# The host's exporter: other tests and people trace on this host too, so
# the workloads run under a comm of their own and it counts only that.
comm=pfl$$
cp "$STRESS" "$tmp/$comm"
"$P" export --listen "127.0.0.1:$hport" -c "$comm" > "$OUT/host-export.log" 2>&1 9>&- &
pids+=($!)

# The guest: its exporter on 9435, its handshake listener on 9436.
tests/vm/run-guest.sh -k "$kdir" -t 300 -b 150 -r 1 -o "$OUT/guest" \
	-P "$gport:9435" -P "$sport:9436" \
	-c "FLEET_RACE_SECONDS=$RACE exec fleet-guest.sh" -- \
	"$PS=pfnmap" "$STRESS=pfnmap-stress" tests/vm/fleet-guest.sh \
	> "$OUT/guest.out" 2> "$OUT/guest.err" &
gpid=$!
pids+=("$gpid")

# One job, two instances named as a fleet's would be.  Every second, so
# the race of a few seconds is seen by several scrapes.
cat > "$tmp/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: pfnmap
    static_configs:
      - targets: ['127.0.0.1:$hport']
        labels: {instance: '$HOST'}
      - targets: ['127.0.0.1:$gport']
        labels: {instance: '$GUEST'}
EOC
"$PROMETHEUS" --config.file="$tmp/prometheus.yml" \
	--storage.tsdb.path="$tmp/data" \
	--web.listen-address="127.0.0.1:$pport" > "$OUT/prometheus.log" 2>&1 9>&- &
pids+=($!)

# promq LABEL QUERY [TIME]: "VALUE-OF-LABEL VALUE" per series, sorted;
# TIME (unix seconds) evaluates at that instant instead of now.
promq() {
	local -a t=()
	[ -n "${3:-}" ] && t=(--data-urlencode "time=$3")
	curl -sf "http://127.0.0.1:$pport/api/v1/query" \
		--data-urlencode "query=$2" "${t[@]}" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["data"]["result"]:
    print(s["metric"].get(sys.argv[1], "-"), s["value"][1])' "$1" | LC_ALL=C sort
}
# nonzero: drops "label 0" lines (series of kinds no one used)
nonzero() { awk '$2 != "0"' | paste -sd ' ' -; }
guest_says() { grep -q "^fleet-guest: $1" "$OUT/guest.out"; }
guest_alive() { kill -0 "$gpid" 2> /dev/null; }
guest_failed() {
	notok "guest: $1 ($(grep -h 'fleet-guest: FAILED\|run-guest:' "$OUT/guest.out" "$OUT/guest.err" | tail -n 3 | tr '\n' ' '))"
	exit 1
}
# wait_guest WORD SECS: until the guest printed "fleet-guest: WORD"
wait_guest() {
	local end=$((SECONDS + $2))
	until guest_says "$1"; do
		guest_alive || return 1
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.2
	done
}
# signal_guest WORD SECS: connect to the guest's listener through the
# forwarded port until it answers WORD.  QEMU accepts the connection even
# when nothing listens in the guest (it then closes it): only the answer
# says the guest heard us.
signal_guest() {
	local end=$((SECONDS + $2)) line
	while [ "$SECONDS" -lt "$end" ]; do
		# a subshell: a refused connection must not end this script
		line=$( { exec 7<> "/dev/tcp/127.0.0.1/$sport" &&
			read -r -t 10 l <&7 && echo "$l"; } 2> /dev/null)
		[ "$line" = "$1" ] && return 0
		sleep 0.5
	done
	return 1
}
up() { [ "$(promq instance 'up{job="pfnmap"} == 1' | nonzero | wc -w)" -eq 4 ]; }
# scraped_after T: a sample of each instance scraped after unix time T
scraped_after() {
	[ "$(promq instance "timestamp(pfnmap_lost_records_total) > $1" | wc -l)" -eq 2 ]
}

wait_for 20 curl -sf "http://127.0.0.1:$hport/metrics" ||
	{ notok "host exporter not serving: $(head -n 3 "$OUT/host-export.log")"; exit 1; }
wait_guest ready 400 || guest_failed "exporter not ready after boot"
ok "guest $(sed -n 's/^fleet-guest: ready: //p' "$OUT/guest.out") after $((SECONDS - t0)) s"
if wait_for 30 up; then
	ok "Prometheus scrapes both: $(promq instance 'up{job="pfnmap"}' | paste -sd ' ' -)"
else
	notok "not both targets up: $(promq instance 'up{job="pfnmap"}' | paste -sd ' ' -)"
	exit 1
fi
check "guest traces vfio_pin in mode" \
	"$(promq mode "pfnmap_info{instance=\"$GUEST\",kind=\"vfio_pin\"}" | cut -d' ' -f1)" fentry
ok "host traces uffd_copy in mode $(promq mode "pfnmap_info{instance=\"$HOST\",kind=\"uffd_copy\"}" | cut -d' ' -f1)"

# Both workloads at once: the host loops its uffd workloads for as long
# as the guest races.
signal_guest go 30 || guest_failed "the guest did not take the go"
t_go=$(now)
: > "$tmp/host.jsonl"
end=$((SECONDS + RACE + 120))
rounds=0
until guest_says race-done; do
	{ guest_alive && [ "$SECONDS" -lt "$end" ]; } || guest_failed "race did not finish"
	"$tmp/$comm" uffd-copy -n 100 2> /dev/null | tail -n 1 >> "$tmp/host.jsonl"
	"$tmp/$comm" uffd-zeropage -n 20 2> /dev/null | tail -n 1 >> "$tmp/host.jsonl"
	"$tmp/$comm" uffd-mixed --populated 3 --untouched 2 --filled 4 2> /dev/null |
		tail -n 1 >> "$tmp/host.jsonl"
	rounds=$((rounds + 1))
	sleep 0.5
done
wait_guest "done" 120 || guest_failed "vfio-map did not finish"
t_done=$(now)
ok "workloads done: host $rounds rounds, guest race ${RACE}s + vfio-map, $(python3 -c "print(round($t_done - $t_go, 1))") s"

# Exact counts need a scrape that began after the last operation: the
# exporter polls its ring buffer every 50 ms, so a second's margin.
if ! wait_for 30 scraped_after "$(python3 -c "print($t_done + 1)")"; then
	notok "no scrape of both instances after the workloads: $(promq instance 'timestamp(pfnmap_lost_records_total)' | paste -sd ' ' -)"
fi
# How the 1 s scrapes of a TCG guest under VFIO stress fared (timeouts).
win=$(python3 -c "import math; print(math.ceil($(now) - $t_go))")
echo "# fleet: scrapes since the go (ok, tried): $(join <(promq instance "sum_over_time(up{job=\"pfnmap\"}[${win}s])") \
	<(promq instance "count_over_time(up{job=\"pfnmap\"}[${win}s])") | paste -sd ' ' -)"

# What the workloads said: "KIND N" per kind, "ERRNO N" per errno.
sums() {	# sums FILE ops|errors|maps|EINVAL
	python3 - "$@" <<'EOP'
import collections, json, sys
path, what = sys.argv[1], sys.argv[2]
kind = {"uffd-copy": "uffd_copy", "uffd-mixed": "uffd_copy",
        "uffd-zeropage": "uffd_zeropage", "vfio-race": "vfio_pin",
        "vfio-map": "vfio_pin"}
n = collections.Counter()
for line in open(path):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line)
    if what == "ops":
        n[kind[r["scenario"]]] += r.get("ops", r.get("maps", 0))
    elif what == "errors":
        n.update(r.get("errors", {}))
    else:
        n[what] += r.get(what, r.get("errors", {}).get(what, 0))
print(" ".join(f"{k} {v}" for k, v in sorted(n.items()) if v))
EOP
}
sed -n 's/^fleet-guest: work //p' "$OUT/guest.out" > "$tmp/guest.jsonl"
cp "$tmp/host.jsonl" "$tmp/guest.jsonl" "$OUT/"
check "lost records, both instances" \
	"$(promq instance 'pfnmap_lost_records_total' | paste -sd ' ' -)" "$GUEST 0 $HOST 0"
check "host: sum by (kind) (pfnmap_operations_total{instance=\"$HOST\"})" \
	"$(promq kind "sum by (kind) (pfnmap_operations_total{instance=\"$HOST\"})" | nonzero)" \
	"$(sums "$tmp/host.jsonl" ops)"
check "host: sum by (errno) (pfnmap_errors_total{instance=\"$HOST\"})" \
	"$(promq errno "sum by (errno) (pfnmap_errors_total{instance=\"$HOST\"})" | nonzero)" \
	"$(sums "$tmp/host.jsonl" errors)"
# The guest counts every kind it sees; the workloads report MAP_DMAs
# (vfio_pin) and their errors exactly, zaps only as toggles.
gops=$(promq kind "sum by (kind) (pfnmap_operations_total{instance=\"$GUEST\"})" | nonzero)
echo "# fleet: guest operations by kind: $gops"
check "guest: sum by (kind) (pfnmap_operations_total{instance=\"$GUEST\"}), vfio_pin" \
	"vfio_pin $(awk '{ for (i = 1; i < NF; i += 2) if ($i == "vfio_pin") print $(i + 1) }' <<< "$gops")" \
	"$(sums "$tmp/guest.jsonl" ops)"
check "guest: sum by (errno) (pfnmap_errors_total{instance=\"$GUEST\",kind=\"vfio_pin\"})" \
	"$(promq errno "sum by (errno) (pfnmap_errors_total{instance=\"$GUEST\",kind=\"vfio_pin\"})" | nonzero)" \
	"$(sums "$tmp/guest.jsonl" errors)"
# Every memory-enable toggle zaps the BAR; a zap may have other causes.
zaps=$(awk '{ for (i = 1; i < NF; i += 2) if ($i == "vfio_zap") print $(i + 1) }' <<< "$gops")
toggles=$(sums "$tmp/guest.jsonl" toggles | awk '{ print $2 + 0 }')
if [ "${zaps:-0}" -ge "$toggles" ]; then
	ok "guest: vfio_zap operations $zaps >= toggles $toggles"
else
	notok "guest: vfio_zap operations '$zaps' < toggles $toggles"
fi
einval=$(sums "$tmp/guest.jsonl" EINVAL | awk '{ print $2 + 0 }')
check "guest: zap races = MAP_DMA EINVAL" \
	"$(promq kind "sum by (kind) (pfnmap_zap_races_total{instance=\"$GUEST\",kind=\"vfio_pin\"})" | cut -d' ' -f2)" \
	"$einval"

# During the race: evaluated a second before it can have ended (it began
# after t_go, when the guest had answered, and lasts RACE seconds), the
# guest's zap-race counter, and the fleet query of docs/export.md.
t_mid=$(python3 -c "print($t_go + $RACE - 1)")
if [ "$einval" -eq 0 ]; then
	echo "skip - fleet: zap race NOT REPRODUCED in ${RACE}s under TCG (no MAP_DMA EINVAL): the during-race series not checked"
else
	during=$(promq instance "pfnmap_zap_races_total{kind=\"vfio_pin\"} and timestamp(pfnmap_zap_races_total) > $t_go" "$t_mid" | nonzero)
	if [[ $during == "$GUEST "* ]]; then
		ok "zap-race series of the guest non-zero during the race, $((RACE - 1)) s in: $during (of $einval)"
	else
		notok "zap-race series not non-zero during the race (at $t_mid): '$during'"
	fi
	rate=$(promq instance 'sum by (instance) (rate(pfnmap_zap_races_total[30s]))' "$t_mid" | nonzero)
	if [[ $rate == "$GUEST "* && $rate != *"$HOST "* ]]; then
		ok "sum by (instance) (rate(pfnmap_zap_races_total[30s])) during the race: $rate"
	else
		notok "fleet zap-race rate during the race: '$rate'"
	fi
fi

# Let the guest go; it stops its exporter and powers off.
signal_guest stop 30 || notok "the guest did not take the stop"
t_stop=$SECONDS
while guest_alive && [ $((SECONDS - t_stop)) -lt 90 ]; do sleep 0.5; done
if guest_alive; then
	notok "guest still running 90 s after the stop"
else
	wait "$gpid"
	rc=$?
	check "guest workloads and exporter, run-guest exit" "$rc" 0
fi
ok "whole test $((SECONDS - t0)) s (logs in $OUT)"
[ "$fails" -eq 0 ]
