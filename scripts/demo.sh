#!/usr/bin/env bash
# The end-to-end demo (`make demo`): on a customer table dpkit generates itself,
#   1. scan it for PII,
#   2. open one privacy budget for the dataset (epsilon 2, per customer) in a SQLite ledger,
#   3. run the pipeline with half of it: PII replacement -> DP synthetic data (AIM) -> report,
#   4. answer a few SQL questions with DP,
#   5. train a DP model (DP-SGD) on the de-identified table (when dpkit is built with LibTorch),
#   6. show the ledger: every release charged to the one budget.
# Usage: scripts/demo.sh /path/to/dpkit [output dir, default demo-output]
set -euo pipefail
DPKIT=${1:?usage: $0 /path/to/dpkit [out dir]}
OUT=${2:-demo-output}
rm -rf "$OUT"
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. A customer table with realistic (generated) PII"
run "$DPKIT" sample customers --rows 80000 --out "$OUT/customers.csv" \
  --schema-out "$OUT/customers.schema.json"
head -3 "$OUT/customers.csv"
echo "Its public schema (types, bounds, categories, PII roles, privacy unit): $OUT/customers.schema.json"

step "2. Which columns hold PII?"
run "$DPKIT" pii scan "$OUT/customers.csv"

step "3. One budget for this dataset, per customer: epsilon=3, delta=1e-6"
run "$DPKIT" budget init --ledger "$OUT/ledger.db" --dataset customers --unit customer_id \
  --epsilon 3 --delta 1e-6

step "4. PII replacement -> DP synthetic data -> evaluation report (epsilon=1 of the budget)"
run "$DPKIT" pipeline --data "$OUT/customers.csv" --schema "$OUT/customers.schema.json" \
  --out "$OUT/run" --ledger "$OUT/ledger.db" --dataset customers --epsilon 1 --delta 1e-7 \
  --method aim --target churned
echo
echo "First synthetic rows:"
head -4 "$OUT/run/synthetic.csv"

step "5. DP statistics with error bars (epsilon=0.7 of the budget)"
Q=(query --data "customers=$OUT/customers.csv" --schema "$OUT/customers.schema.json"
  --ledger "$OUT/ledger.db" --dataset customers)
run "$DPKIT" "${Q[@]}" "SELECT segment, COUNT(*) AS customers, AVG(income) AS avg_income,
  AVG(spend_12m) AS avg_spend FROM customers GROUP BY segment WITH EPSILON 0.4, DELTA 1e-7"
run "$DPKIT" "${Q[@]}" "SELECT churned, COUNT(*) AS n, MEDIAN(age) AS median_age
  FROM customers GROUP BY churned WITH EPSILON 0.3, DELTA 1e-7"

if "$DPKIT" train --help >/dev/null 2>&1; then
  step "6. A DP model (DP-SGD, epsilon=1) predicting churn, trained on the de-identified table"
  cat >"$OUT/train.schema.json" <<'JSON'
{"privacy_unit": "customer_id",
 "columns": [
  {"name": "customer_id", "type": "string"},
  {"name": "gender", "type": "string", "categories": ["F", "M", "X"]},
  {"name": "age", "type": "int64", "lower": 18, "upper": 100},
  {"name": "education", "type": "string",
   "categories": ["High School", "Some College", "Bachelor", "Master", "Doctorate"]},
  {"name": "income", "type": "int64", "lower": 0, "upper": 250000},
  {"name": "segment", "type": "string", "categories": ["Budget", "Standard", "Premium"]},
  {"name": "tenure_months", "type": "int64", "lower": 0, "upper": 240},
  {"name": "purchases_12m", "type": "int64", "lower": 0, "upper": 60},
  {"name": "spend_12m", "type": "double", "lower": 0, "upper": 5000},
  {"name": "churned", "type": "string", "categories": ["false", "true"]}
 ]}
JSON
  run "$DPKIT" train --data "$OUT/run/owner/clean.csv" --schema "$OUT/train.schema.json" \
    --target churned --rows 80000 --model mlp:32 --epsilon 1 --delta 1e-7 --epochs 5 --batch-size 256 \
    --lr 0.5 --clip 1 --ledger "$OUT/ledger.db" --dataset customers --unit customer_id \
    --out "$OUT/churn_model.pt"
else
  step "6. (skipped: this dpkit was built without LibTorch, so 'dpkit train' is not available)"
fi

step "7. The ledger: every release charged to one budget"
run "$DPKIT" budget show --ledger "$OUT/ledger.db"

step "Done"
cat <<EOF
  synthetic data     : $OUT/run/synthetic.csv  (DP)
  privacy statement  : $OUT/run/privacy.json  (DP)
  evaluation report  : $OUT/run/owner/report.html  (data owner, not DP; self-contained, open it in a browser)
  DP churn model     : $OUT/churn_model.pt  (if trained; report in $OUT/churn_model.report.json)
  budget ledger      : $OUT/ledger.db  (dpkit budget history --ledger $OUT/ledger.db --dataset customers --unit customer_id)
  de-identified copy : $OUT/run/owner/clean.csv  (PII replaced but NOT differentially private: keep it inside)
EOF
