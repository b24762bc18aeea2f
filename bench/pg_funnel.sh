#!/usr/bin/env bash
# `report funnel` over a large store vs the same funnel query in SQL against
# PostgreSQL, on the same data in the same run (docs/benchmarks.md).
#
#   bench/pg_funnel.sh [LEADS] [EVENTS]      default 1000000 leads, 4000000 events
#
# leadgate: `leadgate demo` generates the leads (CRM CSV), their events
# (JSONL) and loads them into a store (import, ingest, refold); then
# `report funnel --json` and `report funnel --by source --json`, best of 3
# wall times each (process start included).
# PostgreSQL: a throwaway cluster (started as bench/pg_compare.sh does: temp
# dir, unix socket only, stopped by its PID on exit) gets the same leads
# (COPY of the same CRM CSV: id, created_at, Lead Source) and the stage
# history leadgate's fold produced (sqlite3 export of the `history` table),
# then one SQL query computing what the JSON's `leads`, `reached` and
# `conversion` hold (first entry per stage per lead, "later" = at or after),
# without and with GROUP BY source, serial and parallel, best of 3 (psql
# \timing, server time only). The script checks that both give the same
# counts. leadgate computes more (time in stage, reasons): the comparison
# favours PostgreSQL.
# Environment: BUILD_DIR (build), OUT (bench/out/pg_funnel), PGBIN
# (/usr/lib/postgresql/15/bin), STORE_DIR (reuse a `leadgate demo` dir).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
OUT=${OUT:-$ROOT/bench/out/pg_funnel}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
LEADS=${1:-1000000}
EVENTS=${2:-4000000}
LG=$BUILD_DIR/leadgate
die() { echo "pg_funnel: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
[ -x "$PGBIN/initdb" ] || die "no PostgreSQL 15 in $PGBIN: apt-get install postgresql"
command -v sqlite3 >/dev/null || die "sqlite3 is missing: apt-get install sqlite3"
[ -x "$LG" ] || die "build $LG first"
mkdir -p "$OUT"

DIR=${STORE_DIR:-$OUT/demo-$LEADS}
if [ ! -s "$DIR/leadgate.db" ]; then
  log "generating $LEADS leads, $EVENTS events into $DIR"
  rm -rf "$DIR"
  "$LG" demo --dir "$DIR" --leads "$LEADS" --events "$EVENTS" >"$OUT/demo.out" 2>&1
fi
DB=$DIR/leadgate.db
AT=2030-01-01T00:00:00Z

# best-of-3 wall seconds of a leadgate command; its last output in $OUT/NAME.json
best3() {
  local name=$1 best=""
  shift
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N)
    "$LG" --db "$DB" "$@" >"$OUT/$name.json"
    t1=$(date +%s.%N)
    best=$(awk -v a="$best" -v b="$(awk -v x="$t0" -v y="$t1" 'BEGIN {print y - x}')" \
      'BEGIN { if (a == "" || b < a) print b; else print a }')
  done
  printf '%.3f' "$best"
}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
LG_S=$(best3 lg_funnel report funnel --json --at "$AT")
log "leadgate report funnel: ${LG_S}s"
LG_BY_S=$(best3 lg_funnel_by report funnel --by source --json --at "$AT")
log "leadgate report funnel --by source: ${LG_BY_S}s"

# ---------------------------------------------------------------------------
# PostgreSQL: a throwaway cluster (as in bench/pg_compare.sh).
# ---------------------------------------------------------------------------
PGTMP=$(mktemp -d /tmp/lg-pgf.XXXXXX)
AS=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$PGTMP"
  AS=(runuser -u postgres --)
fi
PGDATA=$PGTMP/data
PGPORT=$((55320 + RANDOM % 1000))
cleanup() {
  if [ -f "$PGDATA/postmaster.pid" ]; then
    local pid
    pid=$(head -1 "$PGDATA/postmaster.pid")
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  fi
  rm -rf "$PGTMP"
}
trap cleanup EXIT
"${AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -A trust -U bench --no-sync -E UTF8 --locale=C.UTF-8 \
  >"$OUT/initdb.log" 2>&1 || { cat "$OUT/initdb.log" >&2; die "initdb failed"; }
cat >>"$PGDATA/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$PGTMP'
port = $PGPORT
shared_buffers = 512MB
work_mem = 256MB
maintenance_work_mem = 512MB
max_worker_processes = $(nproc)
max_parallel_workers = $(nproc)
jit = off
EOF
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGTMP/server.log" -w -t 60 start >/dev/null ||
  { cat "$PGTMP/server.log" >&2; die "pg_ctl start failed"; }
log "postgres pid $(head -1 "$PGDATA/postmaster.pid")"
PSQL=("${AS[@]}" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGTMP" -p "$PGPORT" -U bench -d postgres)
VERSION=$("${PSQL[@]}" -At -c "SHOW server_version")

# The same data: the CRM CSV (all columns, staged) and the fold's history.
HEADER=$(head -1 "$DIR/leads.csv")
COLS=$(echo "$HEADER" | tr ',' '\n' | awk '{ gsub(/[^A-Za-z0-9]/, "_"); printf "%s\"%s\" text", (NR > 1 ? ", " : ""), tolower($0) }')
"${PSQL[@]}" -c "CREATE UNLOGGED TABLE crm($COLS)" \
  -c "CREATE UNLOGGED TABLE history(lead_id text, at bigint, to_stage text)"
"${PSQL[@]}" -c "\\copy crm FROM STDIN WITH (FORMAT csv, HEADER true)" <"$DIR/leads.csv"
sqlite3 -csv "$DB" "SELECT lead_id, at, to_stage FROM history" |
  "${PSQL[@]}" -c "\\copy history FROM STDIN WITH (FORMAT csv)"
# leads: id, creation (the lead's first point, as leadgate's cohort), source.
sqlite3 -csv "$DB" "SELECT id, first_at FROM leads" >"$OUT/first_at.csv"
"${PSQL[@]}" -c "CREATE UNLOGGED TABLE first_at(id text, first_at bigint)"
"${PSQL[@]}" -c "\\copy first_at FROM STDIN WITH (FORMAT csv)" <"$OUT/first_at.csv"
"${PSQL[@]}" -c "CREATE UNLOGGED TABLE leads AS SELECT f.id, f.first_at AS created_at,
    coalesce(nullif(c.lead_source, ''), '(none)') AS source
  FROM first_at f LEFT JOIN crm c ON c.id = f.id" -c "VACUUM ANALYZE leads" \
  -c "VACUUM ANALYZE history"
PG_LEADS=$("${PSQL[@]}" -At -c "SELECT count(*) FROM leads")
PG_HIST=$("${PSQL[@]}" -At -c "SELECT count(*) FROM history")
log "PostgreSQL: $PG_LEADS leads, $PG_HIST history rows"

funnel_sql() { # $1: extra select column, $2: GROUP BY clause
  cat <<EOF
SELECT $1 count(*) AS leads, count(mql) AS mql, count(sal) AS sal, count(sqls) AS sql,
  count(opp) AS opportunity, count(won) AS won, count(lost) AS lost, count(nurture) AS nurture,
  count(disq) AS disqualified,
  round(count(mql)::numeric / count(*), 4) AS "lead->mql",
  round(count(*) FILTER (WHERE sal >= mql)::numeric / nullif(count(mql), 0), 4) AS "mql->sal",
  round(count(*) FILTER (WHERE sqls >= sal)::numeric / nullif(count(sal), 0), 4) AS "sal->sql",
  round(count(*) FILTER (WHERE opp >= sqls)::numeric / nullif(count(sqls), 0), 4) AS "sql->opportunity",
  round(count(*) FILTER (WHERE won >= opp)::numeric / nullif(count(opp), 0), 4) AS "opportunity->won",
  round(count(*) FILTER (WHERE won >= mql)::numeric / nullif(count(mql), 0), 4) AS "mql->won"
FROM leads l LEFT JOIN (
  SELECT lead_id,
    min(at) FILTER (WHERE to_stage = 'mql') AS mql,
    min(at) FILTER (WHERE to_stage = 'sal') AS sal,
    min(at) FILTER (WHERE to_stage = 'sql') AS sqls,
    min(at) FILTER (WHERE to_stage = 'opportunity') AS opp,
    min(at) FILTER (WHERE to_stage = 'won') AS won,
    min(at) FILTER (WHERE to_stage = 'lost') AS lost,
    min(at) FILTER (WHERE to_stage = 'nurture') AS nurture,
    min(at) FILTER (WHERE to_stage = 'disqualified') AS disq
  FROM history GROUP BY lead_id) f ON f.lead_id = l.id
$2
EOF
}
Q_ALL=$(funnel_sql "" "")
Q_BY=$(funnel_sql "source," "GROUP BY source ORDER BY source")

pg_best() { # workers name query
  local workers=$1 name=$2 q=$3
  {
    echo "SET max_parallel_workers_per_gather = $workers;"
    echo "\\timing on"
    for _ in 1 2 3; do echo "$q;"; done
  } | "${PSQL[@]}" -A -F, >"$OUT/$name.out" 2>&1 || { cat "$OUT/$name.out" >&2; die "$name failed"; }
  sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$OUT/$name.out" | sort -n | head -1 |
    awk '{ printf "%.3f", $1 / 1000 }'
}
PG_S=$(pg_best 0 pg_funnel_serial "$Q_ALL")
PG_PAR_S=$(pg_best "$(nproc)" pg_funnel_parallel "$Q_ALL")
PG_BY_S=$(pg_best 0 pg_funnel_by_serial "$Q_BY")
PG_BY_PAR_S=$(pg_best "$(nproc)" pg_funnel_by_parallel "$Q_BY")
log "PostgreSQL funnel: serial ${PG_S}s, parallel ${PG_PAR_S}s; by source: ${PG_BY_S}s, ${PG_BY_PAR_S}s"

# Same answers? leadgate's reached counts vs PostgreSQL's first result row.
python3 - "$OUT/lg_funnel.json" "$OUT/pg_funnel_serial.out" "$OUT/lg_funnel_by.json" \
  "$OUT/pg_funnel_by_serial.out" >"$OUT/check.txt" <<'EOF' || die "results differ: $(cat "$OUT/check.txt")"
import json, sys
stages = ["mql", "sal", "sql", "opportunity", "won", "lost", "nurture", "disqualified"]
def pg_rows(path):
    lines = [l for l in open(path) if l.strip() and not l.startswith(("Time:", "SET"))]
    header = lines[0].strip().split(",")
    rows = []
    for l in lines[1:]:
        cells = l.strip().split(",")
        if cells == header or l.startswith("("):
            continue
        rows.append(dict(zip(header, cells)))
    return rows
def same(lg, pg, what):
    for s in ["leads"] + stages:
        a = lg["leads"] if s == "leads" else lg["reached"][s]
        if int(pg[s]) != a:
            print(f"{what}: {s}: leadgate {a}, PostgreSQL {pg[s]}"); sys.exit(1)
    for k in ["mql->sal", "sql->opportunity", "mql->won"]:
        a, b = lg["conversion"][k], pg[k]
        if (a is None) != (b == "") or (a is not None and abs(a - float(b)) > 1e-4):
            print(f"{what}: {k}: leadgate {a}, PostgreSQL {b}"); sys.exit(1)
lg = json.load(open(sys.argv[1])); same(lg, pg_rows(sys.argv[2])[0], "all")
by = json.load(open(sys.argv[3]))["by"]
rows = {r["source"]: r for r in pg_rows(sys.argv[4])}
if set(rows) != set(by): print(f"groups differ: {sorted(by)} vs {sorted(rows)}"); sys.exit(1)
for k, g in by.items(): same(g, rows[k], k)
print(f"same counts and conversions ({len(by)} sources)")
EOF
log "$(cat "$OUT/check.txt")"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
{
  echo "## report funnel vs PostgreSQL $VERSION ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo
  echo "$PG_LEADS leads, $PG_HIST stage changes; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg); $(cat "$OUT/check.txt")"
  echo
  echo "| query | leadgate (wall, process included) | PostgreSQL serial | PostgreSQL parallel ($(nproc)) | PostgreSQL serial / leadgate |"
  echo "| --- | --- | --- | --- | --- |"
  echo "| funnel | ${LG_S} s | ${PG_S} s | ${PG_PAR_S} s | $(ratio "$PG_S" "$LG_S") |"
  echo "| funnel --by source | ${LG_BY_S} s | ${PG_BY_S} s | ${PG_BY_PAR_S} s | $(ratio "$PG_BY_S" "$LG_BY_S") |"
} >"$OUT/summary.md"
cat "$OUT/summary.md"
