#!/usr/bin/env bash
# test_export.sh - `pfnmap export` end to end on this host: the HTTP
# exposition has the exact counts of a deterministic workload and passes
# promtool; a real Prometheus (Debian's) scrapes it and its query API
# returns the same count; the textfile mode writes a 0644, promtool-clean
# file.  Other tests and people trace on this host too: the workload runs
# under a comm of its own and the exporter filters on it (-c).
# Everything it starts is stopped by PID; bounded to about 60 s.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
P=${PFNMAP:-build/pfnmap}		# PFNMAP overrides
STRESS=${STRESS:-build/pfnmap-stress}	# STRESS overrides
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
fails=0

ok() { echo "ok - export: $*"; }
notok() { echo "not ok - export: $*"; fails=$((fails + 1)); }
check() {	# check NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1 ($2)"; else notok "$1: got '$2', want '$3'"; fi
}

for need in curl promtool python3 "$PROMETHEUS"; do
	if ! command -v "$need" > /dev/null; then
		echo "skip - export: no $need (scripts/setup.sh installs it)"
		exit 0
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "skip - export: needs root to trace"
	exit 0
fi

tmp=$(mktemp -d /tmp/pfnmap-export.XXXXXX)
trap cleanup EXIT



# A comm no one else has: the counts are the workload's only.
comm=pfx$$
cp "$STRESS" "$tmp/$comm"
# run_workload ARGS...: prints "ops EEXIST" as the workload reports them
run_workload() {
	"$tmp/$comm" "$@" 2> /dev/null | tail -n 1 | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print(r["ops"], r.get("errors", {}).get("EEXIST", 0))'
}

# metric TEXT SERIES: the value of one series, "" if absent
metric() {
	awk -v s="$2" '$1 == s { print $2 }' <<< "$1"
}

# HTTP
port=$(free_port)
url=http://127.0.0.1:$port/metrics
"$P" export --listen "127.0.0.1:$port" -c "$comm" > "$tmp/export.log" 2>&1 &
pids+=($!)
if ! wait_for 20 curl -sf "$url"; then
	notok "no /metrics on 127.0.0.1:$port within 20 s: $(head -n 3 "$tmp/export.log")"
	exit 1
fi
ok "serving on 127.0.0.1:$port"

read -r ops1 eexist1 <<< "$(run_workload uffd-copy -n 50)"
read -r ops2 eexist2 <<< "$(run_workload uffd-mixed --populated 3 --untouched 2 --filled 4)"
want_ops=$((ops1 + ops2))
want_eexist=$((eexist1 + eexist2))
sleep 0.5	# the ring buffer is polled every 50 ms
text=$(curl -sf "$url")
check "operations_total of uffd_copy" \
	"$(metric "$text" 'pfnmap_operations_total{kind="uffd_copy"}')" "$want_ops"
check "errors_total of uffd_copy, EEXIST" \
	"$(metric "$text" 'pfnmap_errors_total{kind="uffd_copy",errno="EEXIST"}')" "$want_eexist"
check "histogram count = operations" \
	"$(metric "$text" 'pfnmap_operation_duration_seconds_count{kind="uffd_copy"}')" "$want_ops"
check "+Inf bucket = operations" \
	"$(metric "$text" 'pfnmap_operation_duration_seconds_bucket{kind="uffd_copy",le="+Inf"}')" "$want_ops"
if grep -q '^pfnmap_lost_records_total [0-9]' <<< "$text"; then
	ok "lost records exported"
else
	notok "no pfnmap_lost_records_total"
fi
if grep -q '^pfnmap_info{kernel="'"$(uname -r)"'",kind="uffd_copy",mode="[a-z]*"} 1$' <<< "$text"; then
	ok "pfnmap_info has the kernel and the mode"
else
	notok "pfnmap_info: $(grep '^pfnmap_info' <<< "$text" | head -n 2)"
fi
if err=$(promtool check metrics <<< "$text" 2>&1); then
	ok "promtool check metrics accepts /metrics"
else
	notok "promtool check metrics: $err"
fi
# A client that connects and sends nothing is dropped within 2 s: the
# next scrape is served.
exec 3<> "/dev/tcp/127.0.0.1/$port"
if curl -sf --max-time 5 "$url" > /dev/null; then
	ok "a silent client does not block the next scrape"
else
	notok "a silent client blocks /metrics"
fi
exec 3>&-
check "GET / is 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" 404
check "POST /metrics is 405" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url")" 405

# A real Prometheus scrapes it every second.
pport=$(free_port)
cat > "$tmp/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: pfnmap
    static_configs:
      - targets: ['127.0.0.1:$port']
EOC
"$PROMETHEUS" --config.file="$tmp/prometheus.yml" \
	--storage.tsdb.path="$tmp/data" \
	--web.listen-address="127.0.0.1:$pport" > "$tmp/prometheus.log" 2>&1 &
pids+=($!)
query() {
	curl -sf "http://127.0.0.1:$pport/api/v1/query" \
		--data-urlencode 'query=sum by (kind) (pfnmap_operations_total{kind="uffd_copy"})' |
		python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}
scraped() { [ -n "$(query)" ]; }
if wait_for 30 scraped; then
	check "Prometheus query API: sum by (kind) (pfnmap_operations_total)" \
		"$(query)" "$want_ops"
else
	notok "Prometheus did not scrape within 30 s: $(tail -n 3 "$tmp/prometheus.log")"
fi
stop_pids

# The textfile mode: no port, a file rewritten every second; with the
# comm label this time.
mkdir "$tmp/tf"
tf=$tmp/tf/pfnmap.prom
"$P" export --textfile "$tf" -d 1 -c "$comm" --by comm --max-series 5 \
	> "$tmp/textfile.log" 2>&1 &
pids+=($!)
if wait_for 20 test -s "$tf"; then
	ok "textfile written"
	check "textfile mode" "$(stat -c %a "$tf")" 644
	if err=$(promtool check metrics < "$tf" 2>&1); then
		ok "promtool check metrics accepts the textfile"
	else
		notok "promtool check metrics on the textfile: $err"
	fi
	read -r ops3 _ <<< "$(run_workload uffd-copy -n 7)"
	has_ops() {
		grep -q "^pfnmap_operations_total{kind=\"uffd_copy\",comm=\"$comm\"} $ops3\$" "$tf"
	}
	if wait_for 5 has_ops; then
		ok "textfile rewritten with the new count ($ops3)"
	else
		notok "textfile: $(grep '^pfnmap_operations_total{kind="uffd_copy"}' "$tf")"
	fi
	check "nothing folded into comm=other" \
		"$(awk '$1 == "pfnmap_folded_series_total" { print $2 }' "$tf")" 0
	# Read while it is rewritten: every read is a whole file (its last
	# line is the histogram's _count), never a half-written one.
	torn=0
	end=$((SECONDS + 3))
	while [ "$SECONDS" -lt "$end" ]; do
		last=$(tail -n 1 "$tf")
		[[ $last == pfnmap_operation_duration_seconds_count* ]] || torn=$((torn + 1))
	done
	check "textfile reads while it is rewritten, torn" "$torn" 0
	check "no temporary file left" "$(find "$tmp/tf" -name '*.tmp.*' | wc -l)" 0
else
	notok "no textfile within 20 s: $(head -n 3 "$tmp/textfile.log")"
fi
[ "$fails" -eq 0 ]
