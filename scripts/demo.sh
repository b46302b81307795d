#!/usr/bin/env bash
# The end-to-end demo (`make demo`): on a customer table dpkit generates itself,
#   1. scan it for PII,
#   2. open one privacy budget for the dataset (epsilon 2, per customer) in a SQLite ledger,
#   3. run the pipeline with half of it: PII replacement -> DP synthetic data (AIM) -> report,
#   4. answer a few SQL questions with DP from the other half,
#   5. show the ledger: every release charged to the one budget.
# Usage: scripts/demo.sh /path/to/dpkit [output dir, default demo-output]
set -euo pipefail
DPKIT=${1:?usage: $0 /path/to/dpkit [out dir]}
OUT=${2:-demo-output}
rm -rf "$OUT"
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. A customer table with realistic (generated) PII"
run "$DPKIT" sample customers --rows 20000 --out "$OUT/customers.csv"
head -3 "$OUT/customers.csv"

step "2. Which columns hold PII?"
run "$DPKIT" pii scan "$OUT/customers.csv"

step "3. One budget for this dataset, per customer: epsilon=2, delta=1e-6"
run "$DPKIT" budget init --ledger "$OUT/ledger.db" --dataset customers --unit customer_id \
  --epsilon 2 --delta 1e-6

step "4. PII replacement -> DP synthetic data -> evaluation report (epsilon=1 of the budget)"
run "$DPKIT" pipeline --data "$OUT/customers.csv" --out "$OUT/run" --ledger "$OUT/ledger.db" \
  --dataset customers --epsilon 1 --delta 1e-7 --method aim --target churned
echo
echo "First synthetic rows:"
head -4 "$OUT/run/synthetic.csv"

step "5. DP statistics with error bars from the remaining budget"
cat >"$OUT/customers.schema.json" <<'JSON'
{"privacy_unit": "customer_id",
 "columns": [
  {"name": "customer_id", "type": "int64"},
  {"name": "income", "type": "int64", "lower": 0, "upper": 250000},
  {"name": "spend_12m", "type": "double", "lower": 0, "upper": 5000},
  {"name": "age", "type": "int64", "lower": 18, "upper": 100}
 ]}
JSON
Q=(query --data "customers=$OUT/customers.csv" --schema "$OUT/customers.schema.json"
  --ledger "$OUT/ledger.db" --dataset customers)
run "$DPKIT" "${Q[@]}" "SELECT segment, COUNT(*) AS customers, AVG(income) AS avg_income,
  AVG(spend_12m) AS avg_spend FROM customers GROUP BY segment WITH EPSILON 0.4, DELTA 1e-7"
run "$DPKIT" "${Q[@]}" "SELECT churned, COUNT(*) AS n, MEDIAN(age) AS median_age
  FROM customers GROUP BY churned WITH EPSILON 0.3, DELTA 1e-7"

step "6. The ledger: every release charged to one budget"
run "$DPKIT" budget show --ledger "$OUT/ledger.db"

step "Done"
cat <<EOF
  synthetic data     : $OUT/run/synthetic.csv
  evaluation report  : $OUT/run/report.html  (self-contained; open it in a browser)
  privacy statement  : $OUT/run/privacy.json
  budget ledger      : $OUT/ledger.db  (dpkit budget history --ledger $OUT/ledger.db --dataset customers --unit customer_id)
  de-identified copy : $OUT/run/clean.csv  (PII replaced but NOT differentially private: keep it inside)
EOF
