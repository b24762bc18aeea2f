#!/usr/bin/env bash
# End-to-end benchmark of the real leadgate binary on generated data
# (docs/benchmarks.md). Prints a summary table and writes it to
# $OUT/summary.md.
#
#   bench/cli_bench.sh [INGEST_EVENTS] [QUEUE_LEADS] [REBUILD_LEADS] [REBUILD_EVENTS]
#
#   INGEST_EVENTS   lines of the JSONL for (a) ingest        default 1000000 (quick 200000)
#   QUEUE_LEADS     leads in the store for (b) queue; 0 skips default 1000000 (quick 50000)
#   REBUILD_LEADS   leads for (c) rebuild                     default 100000  (quick 20000)
#   REBUILD_EVENTS  activities for (c) rebuild                default 2000000 (quick 400000)
#
# Environment: BENCH_QUICK=1 (small sizes, a few minutes on 2 cores),
# BUILD_DIR (default build), OUT (default bench/out/cli), SHOW_EVENTS (10000),
# RUNS (hyperfine runs, 20), STEP_TIMEOUT (seconds per step, default 1800),
# SKIP_BUILD=1, KEEP=1 (keep the stores; they are deleted at the end otherwise),
# SOURCE_REV (what to print as the source revision, e.g. when BUILD_DIR holds
# a build of another checkout).
#
# Every timed step runs under /usr/bin/time -v: "wall" is elapsed time and
# "cpu" is user+sys, so a busy machine shows as wall > cpu.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
OUT=${OUT:-$ROOT/bench/out/cli}
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  d_ingest=200000 d_queue=50000 d_rleads=20000 d_revents=400000
else
  d_ingest=1000000 d_queue=1000000 d_rleads=100000 d_revents=2000000
fi
INGEST_EVENTS=${1:-$d_ingest}
QUEUE_LEADS=${2:-$d_queue}
REBUILD_LEADS=${3:-$d_rleads}
REBUILD_EVENTS=${4:-$d_revents}
SHOW_EVENTS=${SHOW_EVENTS:-10000}
RUNS=${RUNS:-20}
STEP_TIMEOUT=${STEP_TIMEOUT:-1800}
LG=$BUILD_DIR/leadgate
GEN=$BUILD_DIR/leadgate-gen
PLAYBOOK=$ROOT/playbooks/default.yaml

die() { echo "cli_bench: $*" >&2; exit 1; }
[ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake "$BUILD_DIR" >/dev/null
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target leadgate leadgate-gen >/dev/null
fi
[ -x "$LG" ] && [ -x "$GEN" ] || die "build $LG and $GEN first (cmake --build build)"
mkdir -p "$OUT"
SUMMARY=$OUT/summary.md
RESULTS=$OUT/results.tsv
: >"$RESULTS"

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
record() { printf '%s\t%s\n' "$1" "$2" >>"$RESULTS"; }  # key value

# timed NAME CMD...: runs CMD under timeout and /usr/bin/time -v; sets
# T_WALL, T_CPU (seconds) and T_RSS_MB; the command's stderr goes to
# $OUT/NAME.err, stdout to $OUT/NAME.out.
timed() {
  local name=$1
  shift
  local tf=$OUT/$name.time
  if ! timeout "$STEP_TIMEOUT" /usr/bin/time -v -o "$tf" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"; then
    cat "$OUT/$name.err" >&2
    die "$name failed or timed out after ${STEP_TIMEOUT}s"
  fi
  T_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
      n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tf")
  T_CPU=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u + s}' "$tf")
  T_RSS_MB=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$tf")
  record "$name.wall_s" "$T_WALL"
  record "$name.cpu_s" "$T_CPU"
  record "$name.rss_mb" "$T_RSS_MB"
  log "$name: wall ${T_WALL}s, cpu ${T_CPU}s, max RSS ${T_RSS_MB} MB"
}

# latency NAME CMD...: median wall time in ms over $RUNS runs (hyperfine when
# installed, else a loop); sets L_MEDIAN_MS.
latency() {
  local name=$1
  shift
  if command -v hyperfine >/dev/null; then
    local cmd
    cmd=$(printf '%q ' "$@")
    hyperfine --shell=none --warmup 3 --runs "$RUNS" --style none \
      --export-json "$OUT/$name.json" "$cmd" >/dev/null 2>"$OUT/$name.err" ||
      { cat "$OUT/$name.err" >&2; die "$name failed"; }
    L_MEDIAN_MS=$(python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.2f %.2f %.2f" % (r["median"] * 1e3, r["min"] * 1e3, r["max"] * 1e3))' "$OUT/$name.json")
  else
    local times=() i t0 t1
    for i in 1 2 3; do "$@" >/dev/null; done
    for ((i = 0; i < RUNS; i++)); do
      t0=$(date +%s%N)
      "$@" >/dev/null
      t1=$(date +%s%N)
      times+=($(((t1 - t0) / 1000)))
    done
    L_MEDIAN_MS=$(printf '%s\n' "${times[@]}" | sort -n |
      awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2;
        printf "%.2f %.2f %.2f", m / 1000, a[1] / 1000, a[NR] / 1000}')
  fi
  read -r L_MEDIAN_MS L_MIN_MS L_MAX_MS <<<"$L_MEDIAN_MS"
  record "$name.median_ms" "$L_MEDIAN_MS"
  log "$name: median ${L_MEDIAN_MS} ms (min ${L_MIN_MS}, max ${L_MAX_MS}; $RUNS runs)"
}

# gen FILE ARGS...: generates JSONL once (kept in $OUT, reused by later runs).
gen() {
  local file=$1
  shift
  if [ ! -s "$file" ]; then
    log "generating $(basename "$file")"
    "$GEN" "$@" --jsonl "$file.tmp" 2>/dev/null
    mv "$file.tmp" "$file"
  fi
}

fresh_store() {
  rm -f "$1" "$1-wal" "$1-shm"
  "$LG" --db "$1" init --playbook "$PLAYBOOK" >/dev/null
}

stored() { sed -n 's/.*: \([0-9]*\) stored.*/\1/p' "$1" | tail -1; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "inf" }'; }

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------
# (a) ingest of INGEST_EVENTS lines into a fresh store.
# ---------------------------------------------------------------------------
INGEST_LEADS=$((INGEST_EVENTS / 20 > 0 ? INGEST_EVENTS / 20 : 1))
IJ=$OUT/ingest-$INGEST_EVENTS.jsonl
gen "$IJ" --leads "$INGEST_LEADS" --events "$INGEST_EVENTS" --max-lines "$INGEST_EVENTS" --seed 42
IDB=$OUT/ingest.db
fresh_store "$IDB"
timed ingest "$LG" --db "$IDB" ingest "$IJ"
ING_N=$(stored "$OUT/ingest.err")
ING_WALL=$T_WALL ING_CPU=$T_CPU ING_RSS=$T_RSS_MB
ING_RATE=$(rate "$ING_N" "$ING_WALL")
ING_RATE_CPU=$(rate "$ING_N" "$ING_CPU")
record ingest.events "$ING_N"
record ingest.events_per_s "$ING_RATE"

# ---------------------------------------------------------------------------
# (b) show of a lead with SHOW_EVENTS events, in the ingest store (one more
# lead, H-000001, among INGEST_LEADS others).
# ---------------------------------------------------------------------------
HJ=$OUT/heavy-$SHOW_EVENTS.jsonl
gen "$HJ" --leads 1 --events "$SHOW_EVENTS" --seed 7 --id-prefix H
timed ingest_heavy "$LG" --db "$IDB" ingest "$HJ"
SHOW_N=$(stored "$OUT/ingest_heavy.err")
latency show "$LG" --db "$IDB" show H-000001
SHOW_MS=$L_MEDIAN_MS
latency show_json "$LG" --db "$IDB" show H-000001 --json
SHOW_JSON_MS=$L_MEDIAN_MS
# The floor of every command: start the process, open the store, load and
# compile the playbook versions.
latency floor "$LG" --db "$IDB" playbook list
FLOOR_MS=$L_MEDIAN_MS
SHOW_REFOLD_MS=""
if "$LG" show --help 2>/dev/null | grep -q -- --refold; then
  # The slow path (load the whole log and fold), as `show --at <past>` takes.
  latency show_refold "$LG" --db "$IDB" show H-000001 --refold
  SHOW_REFOLD_MS=$L_MEDIAN_MS
fi

# ---------------------------------------------------------------------------
# (c) rebuild of REBUILD_LEADS leads / REBUILD_EVENTS activities, and queue
# over that store.
# ---------------------------------------------------------------------------
RJ=$OUT/rebuild-$REBUILD_LEADS-$REBUILD_EVENTS.jsonl
gen "$RJ" --leads "$REBUILD_LEADS" --events "$REBUILD_EVENTS" --seed 43
RDB=$OUT/rebuild.db
fresh_store "$RDB"
timed ingest_rebuild_store "$LG" --db "$RDB" ingest "$RJ"
REB_N=$(stored "$OUT/ingest_rebuild_store.err")
REB_ING_RATE=$(rate "$REB_N" "$T_WALL")
timed rebuild "$LG" --db "$RDB" rebuild
REB_LEADS=$(sed -n 's/rebuilt \([0-9]*\) leads/\1/p' "$OUT/rebuild.out")
REB_WALL=$T_WALL REB_CPU=$T_CPU REB_RSS=$T_RSS_MB
REB_RATE=$(rate "$REB_N" "$REB_WALL")
# Extrapolation to 1M leads / 20M events: linear in events and in leads, the
# larger of the two (an estimate, not a measurement).
REB_EST=$(awk -v t="$REB_WALL" -v n="$REB_N" -v l="$REB_LEADS" 'BEGIN {
  a = t * 20000000 / n; b = t * 1000000 / l; printf "%.0f", (a > b ? a : b) }')
record rebuild.events "$REB_N"
record rebuild.leads "$REB_LEADS"
record rebuild.events_per_s "$REB_RATE"
record rebuild.extrapolated_1m_20m_s "$REB_EST"
latency queue_rebuild_store "$LG" --db "$RDB" queue --limit 50
QR_MS=$L_MEDIAN_MS

# ---------------------------------------------------------------------------
# (b) queue --limit 50 (no --at: now) over QUEUE_LEADS leads.
# ---------------------------------------------------------------------------
Q_MS="" Q_LEADS=0
if [ "$QUEUE_LEADS" -gt 0 ]; then
  QJ=$OUT/queue-$QUEUE_LEADS.jsonl
  gen "$QJ" --leads "$QUEUE_LEADS" --events "$QUEUE_LEADS" --seed 44
  QDB=$OUT/queue.db
  fresh_store "$QDB"
  timed ingest_queue_store "$LG" --db "$QDB" ingest "$QJ"
  Q_N=$(stored "$OUT/ingest_queue_store.err")
  Q_ING_RATE=$(rate "$Q_N" "$T_WALL")
  Q_LEADS=$QUEUE_LEADS
  latency queue "$LG" --db "$QDB" queue --limit 50
  Q_MS=$L_MEDIAN_MS
fi

# ---------------------------------------------------------------------------
pass() { awk -v m="$1" -v g="$2" -v dir="$3" 'BEGIN {
  if (m == "") { print "-"; exit } ok = (dir == "ge") ? (m >= g) : (m <= g); print ok ? "yes" : "NO" }'; }
{
  echo "## leadgate CLI benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ)$([ "$QUICK" = 1 ] && echo ', BENCH_QUICK=1'))"
  echo
  if [ -n "${SOURCE_REV:-}" ]; then
    echo "source: $SOURCE_REV, binary $LG"
  elif git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1; then
    echo "source: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes in src/'), binary $LG"
  else
    echo "source: $ROOT (not a git checkout), binary $LG"
  fi
  echo
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| measurement | goal | measured | pass? |"
  echo "| --- | --- | --- | --- |"
  echo "| (a) ingest $ING_N events, fresh store: events/s (wall) | >= 250000 | $ING_RATE ($ING_WALL s wall; $ING_RATE_CPU/s by cpu time $ING_CPU s) | $(pass "$ING_RATE" 250000 ge) |"
  echo "| (a) ingest peak RSS | <= 500 MB | $ING_RSS MB | $(pass "$ING_RSS" 500 le) |"
  echo "| (b) show of a lead with $SHOW_N events (text), median of $RUNS | <= 10 ms | $SHOW_MS ms | $(pass "$SHOW_MS" 10 le) |"
  echo "| (b) show --json of the same lead | (<= 10 ms) | $SHOW_JSON_MS ms | $(pass "$SHOW_JSON_MS" 10 le) |"
  echo "| floor: \`playbook list\` (process start, open store, load playbook) | - | $FLOOR_MS ms | - |"
  if [ -n "$SHOW_REFOLD_MS" ]; then
    echo "| (b) show --refold of the same lead (full load + fold) | - | $SHOW_REFOLD_MS ms | - |"
  fi
  if [ -n "$Q_MS" ]; then
    echo "| (b) queue --limit 50 over $Q_LEADS leads, median of $RUNS | <= 10 ms | $Q_MS ms | $(pass "$Q_MS" 10 le) |"
  fi
  echo "| (b) queue --limit 50 over $REB_LEADS leads ($REB_N events) | <= 10 ms | $QR_MS ms | $(pass "$QR_MS" 10 le) |"
  echo "| (c) rebuild $REB_LEADS leads / $REB_N events | - | $REB_WALL s wall, $REB_CPU s cpu, $REB_RATE events/s, RSS $REB_RSS MB | - |"
  echo "| (c) rebuild 1M leads / 20M events, EXTRAPOLATED linearly | <= 20 s | ~$REB_EST s (extrapolated) | $(pass "$REB_EST" 20 le) |"
  echo "| ingest of the rebuild store ($REB_N events) | - | $REB_ING_RATE events/s | - |"
  if [ -n "$Q_MS" ]; then
    echo "| ingest of the queue store ($Q_N events, $Q_LEADS leads) | - | $Q_ING_RATE events/s | - |"
  fi
} >"$SUMMARY"
cat "$SUMMARY"
if [ "${KEEP:-0}" != 1 ]; then
  rm -f "$OUT"/*.db "$OUT"/*.db-wal "$OUT"/*.db-shm
fi
