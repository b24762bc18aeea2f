#!/usr/bin/env bash
# SQLite-only experiment behind the recommendations in docs/benchmarks.md:
# how fast can SQLite itself store and re-read the event log, with today's
# schema (rowid table + UNIQUE(message_id) + INDEX(lead_id, ts)) and with a
# clustered one (WITHOUT ROWID, PRIMARY KEY(lead_id, ts, message_id), plus
# UNIQUE(message_id)), and two cheaper ones (append-only; a 64-bit integer
# hash of the messageId instead of the TEXT unique index). No leadgate code runs: this bounds what the store can
# do. Same pragmas as src/store/store.cc (WAL, synchronous=FULL, 64 MB cache).
#
#   bench/sqlite_schema.sh EVENTS_CSV        (from leadgate-gen --events-csv)
#
# BATCH (default 250000): transaction size of the "sorted" variants.
#
# Needs the sqlite3 shell (apt-get install sqlite3).
set -euo pipefail
CSV=${1:?usage: bench/sqlite_schema.sh EVENTS_CSV}
command -v sqlite3 >/dev/null || { echo "sqlite3 shell missing: apt-get install sqlite3" >&2; exit 1; }
TMP=$(mktemp -d /tmp/lg-sqlite.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

PRAGMAS="PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
# Staging: the CSV rows (ts converted to micros as leadgate stores it).
sqlite3 "$TMP/stage.db" <<EOF >/dev/null
CREATE TABLE s(message_id TEXT, lead_id TEXT, type TEXT, name TEXT, ts TEXT, props TEXT);
.import --csv --skip 1 $CSV s
EOF
N=$(sqlite3 "$TMP/stage.db" "SELECT count(*) FROM s")
echo "events: $N"

BATCH=${BATCH:-250000}
run() {  # name, DDL [, "hash": an integer messageId hash column] [, "sorted"]
  local db=$TMP/$1.db
  local hcol="" hval=""
  # A 64-bit hash of the messageId stands in as random(): same key order.
  if [ "${3:-}" = hash ]; then hcol=", mid_hash" hval=", random()"; fi
  sqlite3 "$db" "$PRAGMAS $2" >/dev/null
  # /usr/bin/time: wall and cpu (user+sys) of each step; cpu is what a busy
  # machine does not inflate.
  # Insert in arrival (file) order in one transaction, or with "sorted": in
  # transactions of $BATCH events, each sorted by (lead, ts, messageId).
  local lo=1 hi order="" step=$N
  if [ "${4:-}" = sorted ]; then step=$BATCH order="ORDER BY lead_id, ts, message_id"; fi
  {
    echo "$PRAGMAS"
    echo "ATTACH '$TMP/stage.db' AS st;"
    while [ "$lo" -le "$N" ]; do
      hi=$((lo + step - 1))
      echo "BEGIN;"
      echo "INSERT INTO events(message_id, lead_id, type, name, ts, body$hcol)"
      echo "  SELECT message_id, lead_id, 1, name, CAST(strftime('%s', ts) AS INTEGER) * 1000000,"
      echo "  props$hval FROM st.s WHERE rowid BETWEEN $lo AND $hi $order;"
      echo "COMMIT;"
      lo=$((hi + 1))
    done
  } >"$TMP/insert.sql"
  /usr/bin/time -f '%e %U %S' -o "$TMP/t1" sqlite3 "$db" <"$TMP/insert.sql" >/dev/null
  /usr/bin/time -f '%e %U %S' -o "$TMP/t2" sqlite3 "$db" "$PRAGMAS SELECT count(*), sum(length(body)) FROM (SELECT message_id, lead_id, type, name, ts, body FROM events ORDER BY lead_id, ts, message_id)" >/dev/null
  local mb
  mb=$(stat -c %s "$db" | awk '{printf "%.0f", $1 / 1048576}')
  awk -v name="$1" -v n="$N" -v mb="$mb" -v t1="$(cat "$TMP/t1")" -v t2="$(cat "$TMP/t2")" 'BEGIN {
    split(t1, a, " "); split(t2, b, " "); ic = a[2] + a[3]; sc = b[2] + b[3]
    printf "| %s | %.1f s wall, %.1f s cpu (%.0f events/cpu-s) | %.1f s wall, %.1f s cpu (%.0f events/cpu-s) | %s MB |\n",
      name, a[1], ic, n / ic, b[1], sc, n / sc, mb }'
}

echo "| schema | insert all (one transaction) | full scan ORDER BY lead, ts, messageId | file size |"
echo "| --- | --- | --- | --- |"
run rowid "CREATE TABLE events(seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE,
  lead_id TEXT NOT NULL, type INTEGER NOT NULL, name TEXT NOT NULL, ts INTEGER NOT NULL,
  body TEXT NOT NULL);
CREATE INDEX events_by_lead ON events(lead_id, ts);"
run clustered "CREATE TABLE events(lead_id TEXT NOT NULL, ts INTEGER NOT NULL,
  message_id TEXT NOT NULL, type INTEGER NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY(lead_id, ts, message_id)) WITHOUT ROWID;
CREATE UNIQUE INDEX events_mid ON events(message_id);"
run clustered_no_mid_index "CREATE TABLE events(lead_id TEXT NOT NULL, ts INTEGER NOT NULL,
  message_id TEXT NOT NULL, type INTEGER NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY(lead_id, ts, message_id)) WITHOUT ROWID;"
run rowid_append_only "CREATE TABLE events(seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL,
  lead_id TEXT NOT NULL, type INTEGER NOT NULL, name TEXT NOT NULL, ts INTEGER NOT NULL,
  body TEXT NOT NULL);"
run rowid_int_hash_unique "CREATE TABLE events(seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL,
  lead_id TEXT NOT NULL, type INTEGER NOT NULL, name TEXT NOT NULL, ts INTEGER NOT NULL,
  body TEXT NOT NULL, mid_hash INTEGER NOT NULL);
CREATE UNIQUE INDEX events_mid ON events(mid_hash);
CREATE INDEX events_by_lead ON events(lead_id, ts);" hash
run clustered_sorted_batches "CREATE TABLE events(lead_id TEXT NOT NULL, ts INTEGER NOT NULL,
  message_id TEXT NOT NULL, type INTEGER NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY(lead_id, ts, message_id)) WITHOUT ROWID;
CREATE UNIQUE INDEX events_mid ON events(message_id);" "" sorted
run clustered_sorted_batches_int_hash "CREATE TABLE events(lead_id TEXT NOT NULL, ts INTEGER NOT NULL,
  message_id TEXT NOT NULL, type INTEGER NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
  mid_hash INTEGER NOT NULL, PRIMARY KEY(lead_id, ts, message_id)) WITHOUT ROWID;
CREATE UNIQUE INDEX events_mid ON events(mid_hash);" hash sorted
