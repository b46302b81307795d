#!/usr/bin/env bash
# Neighbouring-dataset test of `dpkit synth` (issue 10, leaks 2, 5, 6, 7, 8): with a schema and
# with a Private-PGM domain file. D' = D + one customer with extreme, unique values.
source "$(dirname "$0")/lib.sh"

customer_neighbours 600
cat >"$WORK/schema.json" <<'JSON'
{"privacy_unit": "customer_id", "columns": [
 {"name": "customer_id", "type": "int64"},
 {"name": "age", "type": "int64", "lower": 18, "upper": 100},
 {"name": "purchases_12m", "type": "int64", "lower": 0, "upper": 60},
 {"name": "income", "type": "double", "lower": 0, "upper": 300000},
 {"name": "segment", "type": "string", "categories": ["Budget", "Standard", "Premium"]},
 {"name": "state", "type": "string"},
 {"name": "churned", "type": "bool"}]}
JSON
# Only the schema's columns are released here (the rest of the customer table is PII).
python3 - "$WORK" <<'PY'
import csv, sys
keep = ["customer_id", "age", "purchases_12m", "income", "segment", "state", "churned"]
for side in ("D", "D2"):
    rows = list(csv.DictReader(open(f"{sys.argv[1]}/{side}/customers.csv")))
    with open(f"{sys.argv[1]}/{side}/cust.csv", "w", newline="") as f:
        w = csv.DictWriter(f, keep); w.writeheader()
        for r in rows: w.writerow({k: r[k] for k in keep})
PY

synth_runs "" cust.csv --schema "$WORK/schema.json" --dataset customers
privacy_compare D D2

# The ledger records the release's true neighbouring relation: per customer_id.
for d in $(run_dirs D2); do
  unit=$("$DPKIT" budget history --ledger "$d/s.csv.ledger.db" --dataset customers --unit customer_id 2>&1 | grep -c "synth")
  [ "$unit" -ge 1 ] || fail "no per-customer_id charge recorded in $d"
done
# Leak 2: the non-numeric purchases_12m cell neither fails the run nor turns the column into text.
for d in $(run_dirs D2); do
  grep -q "exit=0" <(echo "exit=$(cat "$d/.channels/exit")") || fail "run on D' failed: $(cat "$d/.channels/stderr")"
  python3 - "$d/s.csv" <<'PY' || fail "purchases_12m is not numeric in $d/s.csv"
import csv, sys
vals = [r["purchases_12m"] for r in csv.DictReader(open(sys.argv[1])) if r["purchases_12m"]]
sys.exit(0 if all(v.lstrip("-").isdigit() for v in vals) else 1)
PY
done
# Leaks 6 and 7: no exact row count (600 or 601 units) anywhere, before or after the charge.
# The synthetic table's size is the model's DP estimate of the row count (estimated_rows, and
# "N rows" of the output), which may land on the true count by chance: those lines are DP.
for d in $(run_dirs D) $(run_dirs D2); do
  exact=$(grep -hE '\b60[01]\b' "$d/.channels/stdout" "$d/.channels/stderr" "$d/s.csv.report.json" |
          grep -vE '"estimated_rows": [0-9.e+-]+,?$|synthetic data: s\.csv \([0-9]+ rows, ' || true)
  [ -z "$exact" ] || fail "an exact count appears in $d: $(echo "$exact" | head -3)"
  grep -q "input_rows" "$d/s.csv.report.json" && fail "report.json holds input_rows in $d"
done
# Leak 6: a refused charge releases nothing derived from the data.
"$DPKIT" budget init --ledger "$WORK/tiny.db" --dataset customers --unit customer_id --epsilon 0.1 --delta 1e-6 >/dev/null
for side in D D2; do
  use_input "$side"
  privacy_run "R$side" 1 "$DPKIT" synth --data "$INPUT/cust.csv" --schema "$WORK/schema.json" \
    --ledger "$WORK/tiny.db" --dataset customers --epsilon 1 --delta 1e-6 --out s.csv
done
for side in D D2; do
  d="$WORK/runs/R$side/1"
  [ "$(cat "$d/.channels/exit")" = 3 ] || fail "refused run exit $(cat "$d/.channels/exit")"
  [ -e "$d/s.csv" ] && fail "refused run wrote s.csv"
done
cmp -s "$WORK/runs/RD/1/.channels/stderr" "$WORK/runs/RD2/1/.channels/stderr" || fail "refused runs print different stderr on D and D'"
# Leak 8: a cell that does not parse never appears in an error (a ragged row fails, unquoted).
cp "$WORK/D2/cust.csv" "$WORK/ragged.csv"; echo '999998,u0@x.com,1,2' >>"$WORK/ragged.csv"
privacy_run E 1 "$DPKIT" synth --data "$WORK/ragged.csv" --schema "$WORK/schema.json" --dataset c --epsilon 1 --out s.csv
grep -q "u0@x.com\|999998" "$WORK/runs/E/1/.channels/stderr" && fail "error quotes a cell: $(cat "$WORK/runs/E/1/.channels/stderr")"
[ -e "$WORK/runs/E/1/s.csv.ledger.db" ] && [ "$("$DPKIT" budget history --ledger "$WORK/runs/E/1/s.csv.ledger.db" --dataset c 2>/dev/null | grep -c synth)" != 0 ] && fail "a malformed file was charged"

# --- Domain file (pre-encoded data, rows are units) ---------------------------------------------
python3 - "$WORK" <<'PY'
import json, random, sys
random.seed(7)
w = sys.argv[1]
json.dump({"a": 3, "b": 4, "c": 5}, open(f"{w}/dom.json", "w"))
rows = [(random.randrange(3), random.randrange(3), random.randrange(4)) for _ in range(500)]
for side, extra in (("D", []), ("D2", [(2, 3, 4)])):  # D2: one row with the rarest codes
    with open(f"{w}/{side}/enc.csv", "w") as f:
        f.write("a,b,c\n")
        for r in rows + extra: f.write(",".join(map(str, r)) + "\n")
PY
synth_runs P enc.csv --domain "$WORK/dom.json" --dataset enc
privacy_compare PD PD2
# Leak 5: a per-unit charge needs a per-unit fit.
expect_unit=$("$DPKIT" synth --data "$WORK/D/enc.csv" --domain "$WORK/dom.json" --unit a --epsilon 1 --out "$WORK/x.csv" 2>&1; echo "exit=$?")
case "$expect_unit" in *"exit=2"*) ;; *) fail "--unit with --domain must be refused: $expect_unit" ;; esac
finish
