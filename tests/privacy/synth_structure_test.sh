#!/usr/bin/env bash
# Neighbouring-dataset test of `dpkit synth` with the schema's public structure (issue 14): the
# sample customers' ZIP3 -> city -> state hierarchy (modelled as one column of the gazetteer's
# combinations) and derived columns (age, tenure_months: computed from the synthetic dates,
# never read). D' = D plus one customer whose ZIP3/city/state are in no gazetteer entry and whose
# age (125) and tenure (9999) contradict the dates (make_neighbours.py). The DP outputs must not
# differ deterministically, every synthetic combination is listed, and every synthetic age and
# tenure follows from the row's synthetic dates.
source "$(dirname "$0")/lib.sh"

customer_neighbours 800
"$DPKIT" sample customers --rows 10 --out "$WORK/s.csv" --schema-out "$WORK/full.json" >/dev/null
KEEP="customer_id city state zip date_of_birth age signup_date tenure_months churned"
python3 - "$WORK" "$KEEP" <<'PY'
import csv, json, sys
work, keep = sys.argv[1], sys.argv[2].split()
s = json.load(open(f"{work}/full.json"))
s["columns"] = [c for c in s["columns"] if c["name"] in keep]
for c in s["columns"]:
    c.pop("pii", None)
json.dump(s, open(f"{work}/schema.json", "w"))
for side in ("D", "D2"):
    rows = list(csv.DictReader(open(f"{work}/{side}/customers.csv")))
    with open(f"{work}/{side}/cust.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(keep)
        for r in rows:
            r["zip"] = r["zip"][:3] + "**"
            w.writerow([r[k] for k in keep])
PY

synth_runs "" cust.csv --schema "$WORK/schema.json" --dataset customers
privacy_compare D D2

for d in $(run_dirs D2) $(run_dirs D); do
  [ "$(cat "$d/.channels/exit")" = 0 ] || { fail "synth failed in $d: $(cat "$d/.channels/stderr")"; continue; }
  python3 "$PRIVACY_DIR/../check_schema_structure.py" "$WORK/schema.json" "$d/s.csv" ||
    fail "a synthetic row breaks the hierarchy or a derived column in $d"
done
finish
