#!/usr/bin/env bash
# Server CPU per request/event for one bounded wrk phase (the CPU-seconds
# figure holds on a loaded machine, where req/s does not). Fresh temp store,
# `leadgate serve --threads 1 --quiet` on 127.0.0.1:0, stopped by its PID.
# Usage: bench/serve_cpu.sh track|batch|read SECONDS [perf]
# Env: BIN (default build/leadgate), LOAD (default build/lead_read_load), RATE
# (read: requests/s, default 5000), PAGE (the store's page size: `init --page-size`).
# batch = 8 connections of bench/wrk/batch.lua (500 events each);
# track = 64 connections of bench/wrk/track.lua;
# read = GET /v1/leads/{id} at a fixed RATE with a manager's key over 2,000
# leads of 10 events each (posted first), 32 connections (lead_read_load). "perf" records the server
# with `perf record -g` into "${TMPDIR:-/tmp}/lg-serve-perf.data".
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/leadgate}
T=$(mktemp -d "${TMPDIR:-/tmp}/lg-cpu.XXXXXX")
$BIN --db "$T/db" init --playbook playbooks/default.yaml ${PAGE:+--page-size "$PAGE"} >/dev/null
$BIN --db "$T/db" user add hub --role marketing >/dev/null
IKEY=$($BIN --db "$T/db" key create hub --ingest-only 2>/dev/null)
$BIN --db "$T/db" user add mia --role manager >/dev/null
MKEY=$($BIN --db "$T/db" key create mia 2>/dev/null)
LOAD=${LOAD:-build/lead_read_load}
$BIN --db "$T/db" serve --listen 127.0.0.1:0 --threads 1 --quiet >"$T/out" 2>"$T/log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q listening "$T/out" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/listening on //p' "$T/out")
cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$PID/stat"; }
if [ "$1" = read ]; then
  for b in $(seq 0 39); do  # R-0 .. R-1999, 10 events each
    python3 -c "
import json, sys, datetime
b = int(sys.argv[1]); ts = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
print(json.dumps({'batch': [{'type': 'track', 'userId': 'R-%d' % ((b * 500 + i) % 2000), 'event': 'page_view',
  'timestamp': ts, 'messageId': 'r%d-%d' % (b, i), 'properties': {'url': '/pricing'}} for i in range(500)]}))" "$b" |
      curl -sf -o /dev/null -H "Authorization: Bearer $IKEY" --data-binary @- "http://$ADDR/v1/batch"
  done
fi
if [ "$1" = batch ]; then ARGS="-t1 -c8 -s bench/wrk/batch.lua"; else ARGS="-t1 -c64 -s bench/wrk/track.lua"; fi
c0=$(cpu)
if [ "${3:-}" = perf ]; then perf record -F 499 -g -p $PID -o "${TMPDIR:-/tmp}/lg-serve-perf.data" -- sleep "$2" >/dev/null 2>&1 & PP=$!; fi
if [ "$1" = read ]; then
  $LOAD --addr "$ADDR" --key "$MKEY" --rate "${RATE:-5000}" --seconds "$2" --connections 32 \
    --leads 2000 --prefix R- > "$T/wrk" || true
else
  KEY=$IKEY wrk $ARGS -d"$2s" "http://$ADDR" > "$T/wrk"
fi
[ "${3:-}" = perf ] && wait $PP || true
c1=$(cpu)
if [ "$1" = read ]; then
  cat "$T/wrk"
  REQS=$(awk '/answered/ {for (i = 1; i <= NF; i++) if ($i ~ /^answered/) {print $(i+1) + 0; exit}}' "$T/wrk")
else
  grep -E "Requests/sec|events/s|non-2xx" "$T/wrk"
  REQS=$(awk '/requests in/ {print $1}' "$T/wrk")
fi
PER_REQ=1; [ "$1" = batch ] && PER_REQ=${PER:-500}
awk -v a="$c0" -v b="$c1" -v r="$REQS" -v e="$PER_REQ" 'BEGIN{printf "requests %d, events %d, server CPU %.2f s: %.1f us per request, %.1f us per event\n", r, r*e, b-a, (b-a)*1e6/r, (b-a)*1e6/(r*e)}'
for t in /proc/$PID/task/*; do echo "  thread $(cat $t/comm) $(awk '{printf "%.2f", ($14+$15)/100}' $t/stat)"; done
kill -TERM $PID; wait $PID || true
