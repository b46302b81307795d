#!/usr/bin/env bash
# Neighbouring-dataset test of `dpkit pipeline` (issue 10, leaks 1, 2, 3, 6, 7): D' = D plus one
# customer with a +44 phone, a JCB card, a unique city/ZIP/segment, a non-numeric purchases_12m
# and a huge income. The DP outputs (stdout, stderr, exit code, synthetic.csv, privacy.json,
# summary.json) must not differ deterministically; owner/ holds the data-owner outputs.
source "$(dirname "$0")/lib.sh"

customer_neighbours 800
pipeline_runs "" "$PRIVACY_DIR/customers_schema.json"
privacy_compare D D2 --owner 'run/owner/*' --owner 'run/ledger.db'

for d in $(run_dirs D2); do
  [ "$(cat "$d/.channels/exit")" = 0 ] || { fail "pipeline on D' failed: $(cat "$d/.channels/stderr")"; continue; }
  # Leak 1: fakes come from public templates, never from a real row.
  python3 - "$d/run/synthetic.csv" <<'PY' || fail "a fake copies the extra customer's format in $d"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
bad = [r for r in rows if r["phone"].startswith("+44") or r["credit_card"].startswith("35")
       or r["city"] == "Zzyzx" or "Zzyzx" in r["street_address"] or r["segment"] == "Platinum-Unique"]
sys.exit(1 if bad else 0)
PY
  # Leak 2: purchases_12m stays numeric despite the 'abc' cell.
  python3 - "$d/run/synthetic.csv" <<'PY' || fail "purchases_12m became text in $d"
import csv, sys
v = [r["purchases_12m"] for r in csv.DictReader(open(sys.argv[1])) if r["purchases_12m"]]
sys.exit(0 if v and all(x.isdigit() for x in v) else 1)
PY
  # Leak 7: released files hold no exact input count (801 units; 800 in D).
  grep -qE '\b80[01]\b|input_rows' "$d/run/summary.json" "$d/run/privacy.json" && fail "an exact count in $d's DP files"
  # The data-owner folder is marked.
  grep -q "NOT DIFFERENTIALLY PRIVATE" "$d/run/owner/README.txt" || fail "owner/README.txt does not mark the folder"
done

# Leak 3: a named ledger is never extended: no budget for this dataset/unit -> refused, nothing written.
"$DPKIT" budget init --ledger "$WORK/l.db" --dataset customers --unit customer_id --epsilon 1 --delta 1e-6 >/dev/null
privacy_run X 1 "$DPKIT" pipeline --data "$WORK/D/customers.csv" --schema "$PRIVACY_DIR/customers_schema.json" \
  --ledger "$WORK/l.db" --dataset customers --privacy-unit email --out run --epsilon 0.5
privacy_run X 2 "$DPKIT" pipeline --data "$WORK/D/customers.csv" --schema "$PRIVACY_DIR/customers_schema.json" \
  --ledger "$WORK/l.db" --dataset customers_copy --out run --epsilon 0.5
for i in 1 2; do
  d="$WORK/runs/X/$i"
  [ "$(cat "$d/.channels/exit")" = 0 ] && fail "run $i with an unbudgeted unit/dataset was not refused"
  [ -e "$d/run/synthetic.csv" ] && fail "refused run $i wrote synthetic.csv"
done
[ "$("$DPKIT" budget show --ledger "$WORK/l.db" 2>/dev/null | grep -c customers)" = 1 ] || fail "the named ledger grew a budget: $("$DPKIT" budget show --ledger "$WORK/l.db")"
# The ledger's unit is used when none is given; the charge is per customer_id.
privacy_run Y 1 "$DPKIT" pipeline --data "$WORK/D/customers.csv" --ledger "$WORK/l.db" --dataset customers \
  --out run --epsilon 0.5 --method mst
[ "$(cat "$WORK/runs/Y/1/.channels/exit")" = 0 ] || fail "pipeline on the ledger's unit failed: $(cat "$WORK/runs/Y/1/.channels/stderr")"
"$DPKIT" budget history --ledger "$WORK/l.db" --dataset customers --unit customer_id 2>&1 | grep -q pipeline \
  || fail "the charge is not on the customer_id budget"
finish
