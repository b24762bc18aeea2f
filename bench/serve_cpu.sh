#!/usr/bin/env bash
# Server CPU per request/event for one bounded wrk phase (the CPU-seconds
# figure holds on a loaded machine, where req/s does not). Fresh temp store,
# `leadgate serve --threads 1 --quiet` on 127.0.0.1:0, stopped by its PID.
# Usage: bench/serve_cpu.sh track|batch SECONDS [perf]   (Env: BIN)
# batch = 8 connections of bench/wrk/batch.lua (500 events each);
# track = 64 connections of bench/wrk/track.lua. "perf" records the server
# with `perf record -g` into "${TMPDIR:-/tmp}/lg-serve-perf.data".
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/leadgate}
T=$(mktemp -d "${TMPDIR:-/tmp}/lg-cpu.XXXXXX")
$BIN --db "$T/db" init --playbook playbooks/default.yaml >/dev/null
$BIN --db "$T/db" user add hub --role marketing >/dev/null
IKEY=$($BIN --db "$T/db" key create hub --ingest-only 2>/dev/null)
$BIN --db "$T/db" serve --listen 127.0.0.1:0 --threads 1 --quiet >"$T/out" 2>"$T/log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q listening "$T/out" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/listening on //p' "$T/out")
cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$PID/stat"; }
if [ "$1" = batch ]; then ARGS="-t1 -c8 -s bench/wrk/batch.lua"; else ARGS="-t1 -c64 -s bench/wrk/track.lua"; fi
c0=$(cpu)
if [ "${3:-}" = perf ]; then perf record -F 499 -g -p $PID -o "${TMPDIR:-/tmp}/lg-serve-perf.data" -- sleep "$2" >/dev/null 2>&1 & PP=$!; fi
KEY=$IKEY wrk $ARGS -d"$2s" "http://$ADDR" > "$T/wrk"
[ "${3:-}" = perf ] && wait $PP || true
c1=$(cpu)
grep -E "Requests/sec|events/s|non-2xx" "$T/wrk"
REQS=$(awk '/requests in/ {print $1}' "$T/wrk")
PER_REQ=1; [ "$1" = batch ] && PER_REQ=${PER:-500}
awk -v a="$c0" -v b="$c1" -v r="$REQS" -v e="$PER_REQ" 'BEGIN{printf "requests %d, events %d, server CPU %.2f s: %.1f us per request, %.1f us per event\n", r, r*e, b-a, (b-a)*1e6/r, (b-a)*1e6/(r*e)}'
for t in /proc/$PID/task/*; do echo "  thread $(cat $t/comm) $(awk '{printf "%.2f", ($14+$15)/100}' $t/stat)"; done
kill -TERM $PID; wait $PID || true
