#!/usr/bin/env bash
# HTTP ingest and read load with wrk (Debian's `wrk`: `scripts/install-deps.sh --bench`)
# against `leadgate serve` on 127.0.0.1 over a temp store on disk, every
# commit durable (synchronous=FULL). Prints its own results: requests/s and
# events/s from wrk, events stored from the server's /metrics, and the
# server's CPU seconds (user+system) per phase, so a run on a shared machine
# can be judged. Usage:
#   bench/serve_wrk.sh [SECONDS] [CONNECTIONS]     (defaults 10 and 64)
# Env: THREADS (server network threads, default 1), PER (default 500),
#      RATE (lead reads/s, default 10000), LOG=1 (request logs to a file),
#      PHASES (default "track batch read"), PAGE (the store's page size,
#      `init --page-size`; default the store's default, 16384).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/leadgate
DUR=${1:-10}
CONN=${2:-64}
THREADS=${THREADS:-1}
PER=${PER:-500}
RATE=${RATE:-10000}
PHASES=${PHASES:-track batch read}
command -v wrk >/dev/null || { echo "needs wrk: bash scripts/install-deps.sh --bench (or apt-get install -y wrk)" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/lg-wrk.XXXXXX")
PID=
cleanup() {
  if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
$BIN --db "$T/db" init --playbook playbooks/default.yaml ${PAGE:+--page-size "$PAGE"} >/dev/null
$BIN --db "$T/db" user add hub --role marketing >/dev/null
$BIN --db "$T/db" user add mia --role manager >/dev/null
IKEY=$($BIN --db "$T/db" key create hub --ingest-only 2>/dev/null)
MKEY=$($BIN --db "$T/db" key create mia 2>/dev/null)
QUIET=--quiet
[ "${LOG:-0}" = 1 ] && QUIET=
$BIN --db "$T/db" serve --listen 127.0.0.1:0 --threads "$THREADS" $QUIET >"$T/out" 2>"$T/log" &
PID=$!
for _ in $(seq 100); do grep -q listening "$T/out" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/listening on //p' "$T/out")
[ -n "$ADDR" ] || { echo "server did not start:" >&2; cat "$T/log" >&2; exit 1; }
cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$PID/stat"; }
stored() {
  curl -sf -H "Authorization: Bearer $MKEY" "http://$ADDR/metrics" |
    awk '/^leadgate_events_ingested_total / {print $2}'
}
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); server threads: $THREADS network + 1 engine"
phase() {  # NAME, then wrk arguments
  local name=$1; shift
  local c0 s0; c0=$(cpu); s0=$(stored)
  echo "== $name"
  KEY=$IKEY PER=$PER wrk "$@" "http://$ADDR" | sed 's/^/   /'
  local c1 s1; c1=$(cpu); s1=$(stored)
  echo "   events stored (server /metrics): $((s1 - s0)) = $(( (s1 - s0) / DUR ))/s over ${DUR}s;" \
    "server CPU $(awk -v a="$c0" -v b="$c1" 'BEGIN{printf "%.1f", b - a}') s;" \
    "load average $(cut -d' ' -f1 /proc/loadavg)"
}
[[ $PHASES == *track* ]] && phase "single-event POST /v1/track, $CONN connections" -t1 -c"$CONN" -d"${DUR}s" --latency -s bench/wrk/track.lua
[[ $PHASES == *batch* ]] && phase "POST /v1/batch of $PER events, 8 connections" -t1 -c8 -d"${DUR}s" --latency -s bench/wrk/batch.lua
if [[ $PHASES == *read* ]] && [ -x build/lead_read_load ]; then
  # The leads read: R-0 .. R-1999, 10 events each, posted first.
  for b in $(seq 0 39); do
    python3 -c "
import json, sys, datetime
b = int(sys.argv[1]); ts = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
print(json.dumps({'batch': [{'type': 'track', 'userId': 'R-%d' % ((b * 500 + i) % 2000), 'event': 'page_view',
  'timestamp': ts, 'messageId': 'r%d-%d' % (b, i), 'properties': {'url': '/pricing'}} for i in range(500)]}))" "$b" |
      curl -sf -o /dev/null -H "Authorization: Bearer $IKEY" --data-binary @- "http://$ADDR/v1/batch"
  done
  echo "== GET /v1/leads/{id} at a fixed $RATE requests/s over 2000 leads (build/lead_read_load)"
  c0=$(cpu)
  build/lead_read_load --addr "$ADDR" --key "$MKEY" --rate "$RATE" --seconds "$DUR" \
    --connections 32 --leads 2000 --prefix R- | sed 's/^/   /' || true
  echo "   server CPU $(awk -v a="$c0" -v b="$(cpu)" 'BEGIN{printf "%.1f", b - a}') s"
fi
kill -TERM "$PID"
wait "$PID"
echo "server exit status after SIGTERM: $?"
PID=
