#!/usr/bin/env bash
# Side-by-side peer: the same generated events loaded into leadgate and into a
# throwaway PostgreSQL 15 cluster, and scored (docs/benchmarks.md).
#
#   bench/pg_compare.sh [EVENTS] [LEADS]
#
#   EVENTS  events (JSONL lines / CSV rows)   default 1000000 (BENCH_QUICK=1: 200000)
#   LEADS   leads                             default EVENTS / 20
#
# leadgate: `ingest` of the JSONL into a fresh store (events/s), then
# `rebuild` (every lead refolded from the stored log: events/s).
# PostgreSQL: COPY of the same events as CSV into a plain table (events/s),
# then the two indexes leadgate's log has (unique messageId; lead, time), then
# one SQL query computing a simplified engagement score for every lead: the
# sum of decayed points (half-life 30 days) for pricing-page views (10),
# webinar_attended (15) and email_replied (20), serial
# (max_parallel_workers_per_gather=0) and parallel (= nproc), best of 3.
#
# The cluster lives in a temporary directory, listens on a unix socket there
# only (listen_addresses=''), runs as the postgres user when started as root,
# and is stopped (by the PID in its postmaster.pid) on exit.
# Environment: BUILD_DIR (build), OUT (bench/out/pg), PGBIN
# (/usr/lib/postgresql/15/bin), SKIP_BUILD=1, STEP_TIMEOUT (1800 s).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
OUT=${OUT:-$ROOT/bench/out/pg}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
STEP_TIMEOUT=${STEP_TIMEOUT:-1800}
if [ "${BENCH_QUICK:-0}" = 1 ]; then d_events=200000; else d_events=1000000; fi
EVENTS=${1:-$d_events}
LEADS=${2:-$((EVENTS / 20 > 0 ? EVENTS / 20 : 1))}
LG=$BUILD_DIR/leadgate
GEN=$BUILD_DIR/leadgate-gen

die() { echo "pg_compare: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
[ -x "$PGBIN/initdb" ] || die "no PostgreSQL 15 in $PGBIN: apt-get install postgresql"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake "$BUILD_DIR" >/dev/null
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target leadgate leadgate-gen >/dev/null
fi
[ -x "$LG" ] && [ -x "$GEN" ] || die "build $LG and $GEN first"
mkdir -p "$OUT"

# ---------------------------------------------------------------------------
# Data: the same events as JSONL (leadgate) and CSV (COPY).
# ---------------------------------------------------------------------------
J=$OUT/events-$EVENTS.jsonl
C=$OUT/events-$EVENTS.csv
if [ ! -s "$J" ] || [ ! -s "$C" ]; then
  log "generating $EVENTS events for $LEADS leads"
  "$GEN" --leads "$LEADS" --events "$EVENTS" --max-lines "$EVENTS" --seed 42 \
    --jsonl "$J.tmp" --events-csv "$C.tmp" 2>/dev/null
  mv "$J.tmp" "$J"
  mv "$C.tmp" "$C"
fi
N=$(wc -l <"$J")

# wall SECONDS of a command (under timeout); its output goes to $OUT/NAME.*
wall() {
  local name=$1
  shift
  timeout "$STEP_TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$OUT/$name.time" "$@" \
    >"$OUT/$name.out" 2>"$OUT/$name.err" || { cat "$OUT/$name.err" >&2; die "$name failed"; }
  read -r W_WALL W_USER W_SYS W_RSS <"$OUT/$name.time"
  log "$name: ${W_WALL}s wall (user ${W_USER}s, sys ${W_SYS}s, RSS $((W_RSS / 1024)) MB)"
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "inf" }'; }

# ---------------------------------------------------------------------------
# leadgate
# ---------------------------------------------------------------------------
DB=$OUT/leadgate.db
rm -f "$DB" "$DB-wal" "$DB-shm"
"$LG" --db "$DB" init --playbook "$ROOT/playbooks/default.yaml" >/dev/null
wall lg_ingest "$LG" --db "$DB" ingest "$J"
LG_INGEST_S=$W_WALL
wall lg_rebuild "$LG" --db "$DB" rebuild
LG_REBUILD_S=$W_WALL
rm -f "$DB" "$DB-wal" "$DB-shm"

# ---------------------------------------------------------------------------
# PostgreSQL: a throwaway cluster.
# ---------------------------------------------------------------------------
PGTMP=$(mktemp -d /tmp/lg-pg.XXXXXX)
AS=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$PGTMP"
  AS=(runuser -u postgres --)
fi
PGDATA=$PGTMP/data
PGPORT=$((54320 + RANDOM % 1000))
PGPID=""
cleanup() {
  if [ -f "$PGDATA/postmaster.pid" ]; then
    PGPID=$(head -1 "$PGDATA/postmaster.pid")
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    if [ -n "$PGPID" ] && kill -0 "$PGPID" 2>/dev/null; then kill "$PGPID" 2>/dev/null || true; fi
  fi
  rm -rf "$PGTMP"
}
trap cleanup EXIT

log "starting PostgreSQL in $PGTMP"
"${AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -A trust -U bench --no-sync -E UTF8 --locale=C.UTF-8 \
  >"$OUT/initdb.log" 2>&1 || { cat "$OUT/initdb.log" >&2; die "initdb failed"; }
cat >>"$PGDATA/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$PGTMP'
port = $PGPORT
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 8GB
max_worker_processes = $(nproc)
max_parallel_workers = $(nproc)
max_parallel_maintenance_workers = $(nproc)
jit = off
EOF
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGTMP/server.log" -w -t 60 start >/dev/null ||
  { cat "$PGTMP/server.log" >&2; die "pg_ctl start failed"; }
PGPID=$(head -1 "$PGDATA/postmaster.pid")
log "postgres pid $PGPID, socket $PGTMP/.s.PGSQL.$PGPORT"
PSQL=("${AS[@]}" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGTMP" -p "$PGPORT" -U bench -d postgres)
VERSION=$("${PSQL[@]}" -At -c "SHOW server_version")

"${PSQL[@]}" -c "CREATE TABLE events(message_id text NOT NULL, lead_id text NOT NULL,
  type text NOT NULL, name text NOT NULL, ts timestamptz NOT NULL, props jsonb NOT NULL)"
# COPY through psql (client side, the file read by this script), as leadgate
# reads its file; one transaction, fsync at commit (defaults).
wall pg_copy "${PSQL[@]}" -c "\\copy events FROM STDIN WITH (FORMAT csv, HEADER true)" <"$C"
PG_COPY_S=$W_WALL
wall pg_index "${PSQL[@]}" -c "CREATE UNIQUE INDEX ON events(message_id)" \
  -c "CREATE INDEX ON events(lead_id, ts)" -c "VACUUM ANALYZE events"
PG_INDEX_S=$W_WALL
PG_ROWS=$("${PSQL[@]}" -At -c "SELECT count(*) FROM events")

# The as-of time (the last event) is computed once and passed as a constant,
# so the planner can run the scan and the per-lead aggregation in parallel.
ASOF=$("${PSQL[@]}" -At -c "SELECT max(ts) FROM events")
SCORE_SQL="SELECT count(*) AS leads, round(sum(score)::numeric, 2) AS total FROM (
  SELECT lead_id, sum(points * power(0.5,
           extract(epoch FROM ('$ASOF'::timestamptz - ts)) / (30 * 86400))) AS score
  FROM (SELECT lead_id, ts, CASE
          WHEN name = 'page_view' AND props->>'url' ~* '/pricing' THEN 10
          WHEN name = 'webinar_attended' THEN 15
          WHEN name = 'email_replied' THEN 20 END AS points
        FROM events WHERE type <> 'identify') e
  WHERE points IS NOT NULL GROUP BY lead_id) s"

# best-of-3 milliseconds of the scoring query with N parallel workers
score() {
  local workers=$1 name=$2
  {
    echo "SET max_parallel_workers_per_gather = $workers;"
    echo "\\timing on"
    for _ in 1 2 3; do echo "$SCORE_SQL;"; done
    echo "\\timing off"
    echo "EXPLAIN (COSTS OFF) $SCORE_SQL;"
  } | timeout "$STEP_TIMEOUT" "${PSQL[@]}" >"$OUT/$name.out" 2>&1 ||
    { cat "$OUT/$name.out" >&2; die "$name failed"; }
  SCORE_MS=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$OUT/$name.out" | sort -n | head -1)
  log "$name: best of 3 ${SCORE_MS} ms ($(grep -c 'Workers Planned' "$OUT/$name.out" || true) Gather nodes)"
}
score 0 pg_score_serial
PG_SERIAL_MS=$SCORE_MS
score "$(nproc)" pg_score_parallel
PG_PARALLEL_MS=$SCORE_MS
RESULT=$(grep -A2 -- '-----' "$OUT/pg_score_serial.out" | sed -n 2p | tr -s ' ')

LG_INGEST_RATE=$(rate "$N" "$LG_INGEST_S")
LG_REBUILD_RATE=$(rate "$N" "$LG_REBUILD_S")
PG_COPY_RATE=$(rate "$PG_ROWS" "$PG_COPY_S")
PG_LOAD_RATE=$(rate "$PG_ROWS" "$(awk -v a="$PG_COPY_S" -v b="$PG_INDEX_S" 'BEGIN {print a + b}')")
PG_SERIAL_RATE=$(rate "$PG_ROWS" "$(awk -v m="$PG_SERIAL_MS" 'BEGIN {print m / 1000}')")
PG_PARALLEL_RATE=$(rate "$PG_ROWS" "$(awk -v m="$PG_PARALLEL_MS" 'BEGIN {print m / 1000}')")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

{
  echo "## leadgate vs PostgreSQL $VERSION ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo
  echo "$N events, $LEADS leads; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM; load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| step | leadgate | PostgreSQL | leadgate / PostgreSQL |"
  echo "| --- | --- | --- | --- |"
  echo "| load: leadgate ingest (parse, log chunks + messageId hash index, projections) vs COPY into a bare table | $LG_INGEST_RATE events/s ($LG_INGEST_S s) | $PG_COPY_RATE events/s ($PG_COPY_S s) | $(ratio "$LG_INGEST_RATE" "$PG_COPY_RATE") |"
  echo "| load incl. the same two indexes (COPY + CREATE INDEX x2 + VACUUM ANALYZE) | $LG_INGEST_RATE events/s | $PG_LOAD_RATE events/s ($PG_INDEX_S s for indexes) | $(ratio "$LG_INGEST_RATE" "$PG_LOAD_RATE") |"
  echo "| score every lead: leadgate rebuild (full playbook) vs simplified SQL, serial | $LG_REBUILD_RATE events/s ($LG_REBUILD_S s) | $PG_SERIAL_RATE events/s ($PG_SERIAL_MS ms) | $(ratio "$LG_REBUILD_RATE" "$PG_SERIAL_RATE") |"
  echo "| same, PostgreSQL parallel ($(nproc) workers per gather) | $LG_REBUILD_RATE events/s | $PG_PARALLEL_RATE events/s ($PG_PARALLEL_MS ms) | $(ratio "$LG_REBUILD_RATE" "$PG_PARALLEL_RATE") |"
  echo
  echo "PostgreSQL result (leads scored, sum of scores): $RESULT"
} >"$OUT/summary.md"
cat "$OUT/summary.md"
