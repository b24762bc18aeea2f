#!/usr/bin/env bash
# The reports on real data: Olist's marketing funnel (8,000 MQLs, 842 won;
# ../shared/data/olist-marketing-funnel/, read its README) loaded into a
# temporary store with `import leads` and `import history`, then
#   report funnel --by source   (source = Olist's `origin`)
#   report feedback
# and the time to close (first contact -> won) from the funnel's MQL stays.
# Results: docs/reports.md ("Real data: Olist").
#
#   scripts/olist_funnel.sh [DATA_DIR]     (BUILD_DIR: build; KEEP=1 keeps the store)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${1:-$ROOT/../shared/data/olist-marketing-funnel}
LG=${BUILD_DIR:-$ROOT/build}/leadgate
MQL=$DATA/olist_marketing_qualified_leads_dataset.csv
WON=$DATA/olist_closed_deals_dataset.csv
[ -f "$MQL" ] && [ -f "$WON" ] || { echo "olist_funnel: no Olist files in $DATA" >&2; exit 1; }
[ -x "$LG" ] || { echo "olist_funnel: build $LG first" >&2; exit 1; }

TMP=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "store kept in $TMP" >&2; else trap 'rm -rf "$TMP"' EXIT; fi
DB=$TMP/olist.db
lg() { "$LG" --db "$DB" "$@"; }

# Leads: the MQL file with leadgate's column names (the file has no quoted
# fields): mql_id -> id, first_contact_date -> created_at, origin -> source.
awk -F, 'NR == 1 { print "id,created_at,source,landing_page_id"; next }
         { print $1 "," $2 "," $4 "," $3 }' "$MQL" >"$TMP/leads.csv"

set -x
lg init --playbook "$ROOT/playbooks/default.yaml" >/dev/null
lg import leads "$TMP/leads.csv"
# Every row of the MQL file became an MQL at its first contact ...
lg import history "$MQL" --id-column mql_id --stage mql --at-column first_contact_date
# ... and every closed deal was won at won_date by its SR.
lg import history "$WON" --id-column mql_id --stage won --at-column won_date --by-column sr_id
lg report funnel --by source --at 2019-01-01T00:00:00Z
lg report funnel --by source --at 2019-01-01T00:00:00Z --json >"$TMP/funnel.json"
lg report feedback --at 2019-01-01T00:00:00Z --html "$TMP/feedback.html" >/dev/null
{ set +x; } 2>/dev/null

python3 - "$TMP/funnel.json" <<'EOF' 2>/dev/null || jq '.time_in_stage.mql' "$TMP/funnel.json"
import json, sys
j = json.load(open(sys.argv[1]))
t = j["time_in_stage"]["mql"]
print(f"time to close (MQL -> won, {t['stays']} won leads): median {t['median_hours'] / 24:.1f} days, "
      f"p90 {t['p90_hours'] / 24:.1f} days")
print("mql->won by source:")
for k, g in sorted(j["by"].items(), key=lambda kv: -(kv[1]["conversion"]["mql->won"] or 0)):
    print(f"  {k:<20} {g['reached']['mql']:>5} MQLs {g['reached']['won']:>4} won "
          f"{100 * (g['conversion']['mql->won'] or 0):5.1f} %")
EOF
