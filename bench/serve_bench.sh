#!/usr/bin/env bash
# HTTP API load: ingest batches and queue reads against a local server over a
# temp store. Usage: bench/serve_bench.sh [BATCHES] [EVENTS_PER_BATCH] [QUEUE_READS]
# Prints wall times; not part of the test suite (tests never assert timing).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/leadgate
BATCHES=${1:-50}
PER=${2:-500}
READS=${3:-200}
T=$(mktemp -d)
trap 'kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$T"' EXIT
$BIN --db "$T/db" init --playbook playbooks/default.yaml >/dev/null
$BIN --db "$T/db" user add hub --role marketing >/dev/null
$BIN --db "$T/db" user add mia --role manager >/dev/null
IKEY=$($BIN --db "$T/db" key create hub --ingest-only 2>/dev/null)
MKEY=$($BIN --db "$T/db" key create mia 2>/dev/null)
$BIN --db "$T/db" serve --listen 127.0.0.1:0 --quiet >"$T/out" 2>"$T/err" &
PID=$!
for _ in $(seq 50); do grep -q listening "$T/out" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/listening on //p' "$T/out")
python3 - "$T" "$BATCHES" "$PER" <<'PY'
import json, sys, datetime
t, batches, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
for b in range(batches):
    ev = [{"type": "track", "userId": f"L-{(b * per + i) % 5000}", "event": "page_view",
           "timestamp": now, "messageId": f"b{b}-{i}", "properties": {"url": "/pricing"}}
          for i in range(per)]
    open(f"{t}/batch{b}.json", "w").write(json.dumps({"batch": ev}))
PY
start=$(date +%s%N)
for b in $(seq 0 $((BATCHES - 1))); do
  curl -sf -o /dev/null -u "$IKEY:" -H 'Content-Type: application/json' --data-binary "@$T/batch$b.json" "http://$ADDR/v1/batch"
done
mid=$(date +%s%N)
for _ in $(seq "$READS"); do
  curl -sf -o /dev/null -H "Authorization: Bearer $MKEY" "http://$ADDR/v1/queue?limit=20"
done
end=$(date +%s%N)
echo "ingest: $BATCHES batches x $PER events in $(( (mid - start) / 1000000 )) ms ($(( BATCHES * PER * 1000000000 / (mid - start) )) events/s, curl per batch)"
echo "queue?limit=20: $READS reads in $(( (end - mid) / 1000000 )) ms ($(( (end - mid) / READS / 1000 )) us each, incl. curl start)"
curl -s -H "Authorization: Bearer $MKEY" "http://$ADDR/metrics" | grep -E '^leadgate_(events_ingested_total|scoring_seconds_(sum|count))'
