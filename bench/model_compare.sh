#!/usr/bin/env bash
# Leadgate vs scikit-learn on the same files and the same folds, in one run:
# out-of-fold ROC AUC and training time (all folds) side by side.
#   bash bench/model_compare.sh            the real datasets in ../shared/data
#   bash bench/model_compare.sh --big      also the generated 1,000,000 x 50 table
#   MODELS=logistic bash bench/model_compare.sh   one model on the real sets (BIG_MODELS for --big)
# Needs build/leadgate (release) and /usr/bin/python3 with python3-sklearn.
# Derived files (the labelled Olist MQLs, the big table) go to $TMPDIR only.
set -euo pipefail
cd "$(dirname "$0")/.."
LG=build/leadgate
DATA=${LEADGATE_SHARED_DIR:-../shared}/data
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[ -d "$DATA" ] || { echo "no $DATA: nothing to compare" >&2; exit 0; }

# name csv label positive negative drop [models]
run() {
  local name=$1 csv=$2 label=$3 pos=$4 neg=$5 drop=$6 models=${7:-${MODELS:-logistic,trees}}
  local args=(model evaluate --csv "$csv" --label "$label" --positive "$pos" --folds 5 --seed 1)
  [ -n "$neg" ] && args+=(--negative "$neg")
  [ -n "$drop" ] && args+=(--drop "$drop")
  local ours="" IFS_=","
  for m in ${models//,/ }; do
    "$LG" "${args[@]}" --model "$m" --json --timings --folds-out "$TMP/folds.csv" \
      >"$TMP/$m.json" 2>"$TMP/$m.err"
  done
  /usr/bin/python3 bench/sklearn_eval.py "$csv" "$TMP/folds.csv" "$label" "$pos" "$drop" "$models" >"$TMP/sk.json"
  /usr/bin/python3 - "$name" "$TMP" "$models" <<'PY'
import json, sys, re
name, tmp, models = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
sk = json.load(open(f"{tmp}/sk.json"))
for m in models:
    j = json.load(open(f"{tmp}/{m}.json"))
    err = open(f"{tmp}/{m}.err").read()
    secs = float(re.search(rf"seconds {m} ([0-9.e+-]+)", err).group(1))
    base = j["baseline"]["auc"]
    s = sk[m]
    print(f"{name:<22} {m:<9} rows {j['rows']:>8}  AUC leadgate {j['auc']:.4f}  sklearn {s['auc']:.4f}"
          f"  naive-Bayes {base:.4f}   train leadgate {secs:7.2f} s  sklearn {s['fit_seconds']:7.2f} s"
          f"  ({s['fit_seconds'] / max(secs, 1e-9):.1f}x)")
PY
}

XE="Prospect ID,Lead Number,Tags,Lead Quality,Lead Profile,Last Activity,Last Notable Activity,Asymmetrique Activity Index,Asymmetrique Profile Index,Asymmetrique Activity Score,Asymmetrique Profile Score"
run "x-education" "$DATA/x-education-leads/Leads.csv" Converted 1 "" "$XE"
run "maven won/lost" "$DATA/maven-crm-sales-opportunities/sales_pipeline.csv" deal_stage Won Lost \
  "opportunity_id,close_date,close_value"
# Olist: the label is "this MQL has a closed deal" (a join of the two files).
/usr/bin/python3 - "$DATA/olist-marketing-funnel" "$TMP/olist.csv" <<'PY'
import csv, sys
d, out = sys.argv[1], sys.argv[2]
won = {r["mql_id"] for r in csv.DictReader(open(f"{d}/olist_closed_deals_dataset.csv", newline=""))}
with open(f"{d}/olist_marketing_qualified_leads_dataset.csv", newline="") as f, open(out, "w", newline="") as o:
    r = csv.reader(f); w = csv.writer(o)
    h = next(r); w.writerow(h + ["converted"])
    for row in r: w.writerow(row + [1 if row[0] in won else 0])
PY
run "olist mql->deal" "$TMP/olist.csv" converted 1 "" "mql_id"
if [ "${1:-}" = "--big" ]; then
  build/model_bench --write "$TMP/big.csv" --rows 1000000 >/dev/null
  run "generated 1M x 50" "$TMP/big.csv" won 1 "" "" "${BIG_MODELS:-logistic}"
fi
