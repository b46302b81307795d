#!/usr/bin/env bash
# End-to-end tests of `dpkit query`: a generated table with a ledger, the SmartNoise PUMS tables
# (row-level, per-person with repeated rows, with nulls) and raw UCI Adult. Every query is
# charged to the budget of each table it reads (tests/privacy/query_test.sh covers the
# neighbouring-dataset side).
source "$(dirname "$0")/lib.sh"
DATA=${DPKIT_SHARED_DATA_DIR:-$DPKIT_SOURCE_DIR/../shared/data}
SCHEMAS="$DPKIT_SOURCE_DIR/tests/e2e/data"
L="$WORK/ledger.db"

# --- a generated table with a privacy unit, charged to a ledger -------------------------------
python3 - "$WORK/orders.csv" <<'PY'
import sys, random
r = random.Random(4)
with open(sys.argv[1], "w") as f:
    f.write("customer,region,amount\n")
    for c in range(2000):
        region = ["north", "south", "east"][c % 3]
        for _ in range(1 + c % 4):
            f.write(f"{c},{region},{r.uniform(5, 300):.2f}\n")
PY
cat > "$WORK/orders.json" <<'JSON'
{"privacy_unit": "customer", "columns": [
  {"name": "customer", "type": "int64"},
  {"name": "region", "type": "string"},
  {"name": "amount", "type": "double", "lower": 0, "upper": 500}]}
JSON
expect_exit 0 "$DPKIT" budget init --ledger "$L" --dataset orders --unit customer --epsilon 3 --delta 1e-5
Q="SELECT region, COUNT(*) AS n, AVG(amount) FROM orders GROUP BY region WITH EPSILON 1, DELTA 1e-6, MAX_ROWS 2"
expect_exit 0 "$DPKIT" -q query --data "$WORK/orders.csv" --schema "$WORK/orders.json" --budget-ledger "$L" --explain "$Q"
expect_contains "$OUT" "select groups privately" "explain"
expect_contains "$OUT" "EXPLAIN spends no budget" "explain"
expect_contains "$OUT" "would spend epsilon=1" "explain preview"
expect_exit 0 "$DPKIT" budget show --ledger "$L" --dataset orders --json
expect_contains "$OUT" '"spent"' "budget show"
expect_exit 0 "$DPKIT" -q query --data "$WORK/orders.csv" --schema "$WORK/orders.json" --budget-ledger "$L" "$Q"
expect_contains "$OUT" "north" "table output"
expect_contains "$OUT" "remaining epsilon=2" "receipt"
expect_exit 0 "$DPKIT" -q query --data "$WORK/orders.csv" --schema "$WORK/orders.json" --budget-ledger "$L" --format json "$Q"
expect_contains "$OUT" '"ci_lower"' "json"
expect_contains "$OUT" '"privacy_unit": "customer"' "json"
expect_exit 0 "$DPKIT" -q query --data "$WORK/orders.csv" --schema "$WORK/orders.json" --budget-ledger "$L" --format csv "$Q"
expect_contains "$OUT" "n_noise_scale,n_ci_lower,n_ci_upper" "csv header"
# The budget (3) is now spent: a fourth query is refused with exit 3, nothing printed.
expect_exit 3 "$DPKIT" -q query --data "$WORK/orders.csv" --schema "$WORK/orders.json" --budget-ledger "$L" "$Q"
expect_contains "$ERR" "remaining" "exhausted message"
[ -z "$OUT" ] || fail "a refused query printed results: $OUT"
expect_exit 0 "$DPKIT" budget history --ledger "$L" --dataset orders --unit customer
expect_contains "$OUT" "refused" "history shows the refusal"

# --- every query is charged; EXPLAIN needs no ledger ----------------------------------------------
expect_exit 2 "$DPKIT" -q query --data "$WORK/orders.csv" --schema "$WORK/orders.json" "$Q"
expect_contains "$ERR" "no --ledger given" "a query without a ledger is refused"
[ -z "$OUT" ] || fail "a query without a ledger printed: $OUT"
expect_exit 0 "$DPKIT" -q query --data "$WORK/orders.csv" --schema "$WORK/orders.json" --explain "$Q"
expect_contains "$OUT" "not previewed (no budget ledger given)" "explain without a ledger"

# --- bad input: clear errors and exit codes, never a cell's text or line ---------------------------
expect_exit 2 "$DPKIT" -q query --data "$WORK/orders.csv" --schema "$WORK/orders.json" --ledger "$L" "SELECT COUNT(*) FROM orders WITH EPSILON -1"
expect_contains "$ERR" "epsilon must be finite and > 0, got -1"
expect_exit 2 "$DPKIT" -q query --data "$WORK/orders.csv" --schema "$WORK/orders.json" --ledger "$L" "SELECT SUM(nope) FROM orders WITH EPSILON 1"
expect_contains "$ERR" "unknown column 'nope'"
expect_exit 2 "$DPKIT" -q query --data "$WORK/orders.csv" --schema "$WORK/orders.json" --ledger "$L" "SELEC COUNT(*) FROM orders"
expect_contains "$ERR" "SQL error at 1:1"
expect_exit 4 "$DPKIT" -q query --data "$WORK/missing.csv" --ledger "$L" "SELECT COUNT(*) FROM missing WITH EPSILON 1"
expect_contains "$ERR" "missing.csv"
expect_exit 4 "$DPKIT" -q query --data "$WORK/orders.csv" --schema "$WORK/orders.json" --budget-ledger "$WORK/none.db" "$Q"
expect_contains "$ERR" "dpkit budget init"
# Cells that do not parse under the declared type (or are not finite) are NULL: no error that
# quotes them, no line number.
L2="$WORK/ledger2.db"
expect_exit 0 "$DPKIT" budget init --ledger "$L2" --dataset bad --unit customer --epsilon 5 --delta 1e-5
printf 'customer,region,amount\n1,north,5\n2,south,abc\n3,east,nan\n' > "$WORK/bad.csv"
expect_exit 0 "$DPKIT" query --data "$WORK/bad.csv" --schema "$WORK/orders.json" --ledger "$L2" "SELECT COUNT(amount) AS n FROM bad WITH EPSILON 1"
case "$OUT$ERR" in *abc*|*nan*|*bad.csv:*) fail "a cell or line leaked: $OUT $ERR" ;; esac
# Without a schema: the table's rows are its units, and a column the query uses as a number is
# read as a double (said on stderr); the budget must be per row.
expect_exit 0 "$DPKIT" budget init --ledger "$L2" --dataset plain --epsilon 5 --delta 1e-5
cp "$WORK/bad.csv" "$WORK/plain.csv"
expect_exit 0 "$DPKIT" query --data "$WORK/plain.csv" --ledger "$L2" "SELECT SUM(amount BETWEEN 0 AND 10) AS s FROM plain WITH EPSILON 1"
expect_contains "$ERR" "column 'amount' of table 'plain' is not in a schema: read as a number" "default typing note"
expect_contains "$OUT" "budget 'plain' (unit (row))" "charged per row"
# A per-row release is never charged to a per-customer budget of the same dataset.
expect_exit 4 "$DPKIT" -q query --data "$WORK/bad.csv" --ledger "$L2" "SELECT COUNT(*) FROM bad WITH EPSILON 1"
expect_contains "$ERR" 'Declare "privacy_unit": "customer"'

# --- two tables: only the table read is charged; a join charges both ----------------------------
python3 - "$WORK/customers.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("customer,tier\n")
    for c in range(2000):
        f.write(f"{c},{['gold', 'silver'][c % 2]}\n")
PY
echo '{"privacy_unit": "customer", "columns": [{"name": "customer", "type": "int64"}, {"name": "tier", "type": "string", "categories": ["gold", "silver"]}]}' > "$WORK/customers.json"
L3="$WORK/ledger3.db"
expect_exit 0 "$DPKIT" budget init --ledger "$L3" --dataset orders --unit customer --epsilon 5 --delta 1e-5
expect_exit 0 "$DPKIT" budget init --ledger "$L3" --dataset customers --unit customer --epsilon 5 --delta 1e-5
TWO=(--data "$WORK/customers.csv" --schema "$WORK/customers.json" --data "$WORK/orders.csv" --schema "$WORK/orders.json" --ledger "$L3")
expect_exit 0 "$DPKIT" -q query "${TWO[@]}" "SELECT COUNT(*) FROM orders WITH EPSILON 1"
expect_contains "$OUT" "budget 'orders' (unit customer): spent epsilon=1"
case "$OUT" in *"budget 'customers'"*) fail "a table the query does not read was charged: $OUT" ;; esac
expect_exit 0 "$DPKIT" -q query "${TWO[@]}" "SELECT tier, AVG(amount) AS a FROM customers c JOIN orders o ON c.customer = o.customer GROUP BY tier WITH EPSILON 1, MAX_ROWS 4"
expect_contains "$OUT" "budget 'customers' (unit customer): spent epsilon=1"
expect_contains "$OUT" "budget 'orders' (unit customer): spent epsilon=2"

# --- SmartNoise PUMS: row-level, per-person (duplicated rows), nulls ------------------------------
if [ -d "$DATA/smartnoise-pums" ]; then
  P="$DATA/smartnoise-pums"
  LP="$WORK/pums.db"
  expect_exit 0 "$DPKIT" budget init --ledger "$LP" --dataset PUMS --epsilon 10 --delta 1e-5
  expect_exit 0 "$DPKIT" budget init --ledger "$LP" --dataset PUMS_dup --unit pid --epsilon 10 --delta 1e-5
  expect_exit 0 "$DPKIT" budget init --ledger "$LP" --dataset PUMS_null --unit pid --epsilon 10 --delta 1e-5
  expect_exit 0 "$DPKIT" -q query --data "$P/PUMS.csv" --schema "$SCHEMAS/pums.json" --ledger "$LP" --format json \
    "SELECT sex, COUNT(*) AS n, AVG(age), AVG(income), MEDIAN(age) FROM PUMS GROUP BY sex WITH EPSILON 4"
  expect_contains "$OUT" '"privacy_unit": "(row)"' "PUMS row privacy"
  python3 - "$OUT" <<'PY' || fail "PUMS results out of range"
import json, sys
r = json.loads(sys.argv[1])
assert len(r["rows"]) == 2, r
total = sum(row["n"]["value"] for row in r["rows"])
assert 900 < total < 1100, total            # 1000 rows
for row in r["rows"]:
    a = row["avg_age"]
    assert a["ci_lower"] <= a["value"] <= a["ci_upper"], a
    assert 35 < a["value"] < 50, a            # true mean age ~ 44.9
PY
  # PUMS_dup: 1000 people, 1948 rows; with pid as the unit and MAX_ROWS 1 each person counts once.
  expect_exit 0 "$DPKIT" -q query --data "$P/PUMS_dup.csv" --schema "$SCHEMAS/pums_pid.json" --ledger "$LP" --format json \
    "SELECT COUNT(*) AS n, COUNT(DISTINCT pid) AS people FROM PUMS_dup WITH EPSILON 4, MAX_ROWS 1"
  python3 - "$OUT" <<'PY' || fail "PUMS_dup bounding"
import json, sys
r = json.loads(sys.argv[1])["rows"][0]
assert 950 < r["n"]["value"] < 1050, r      # one row per person, not 1948
assert 950 < r["people"]["value"] < 1050, r
PY
  # PUMS_null: nulls are skipped by AVG and dropped with the privacy unit when pid is null.
  expect_exit 0 "$DPKIT" -q query --data "$P/PUMS_null.csv" --schema "$SCHEMAS/pums_pid.json" --ledger "$LP" --format json \
    "SELECT married, COUNT(*) AS n, AVG(income) FROM PUMS_null GROUP BY married WITH EPSILON 2, MAX_ROWS 2"
  expect_contains "$OUT" '"married": "1"' "PUMS_null groups"
  expect_contains "$OUT" "privacy unit is null are dropped" "PUMS_null note"
fi

# --- raw UCI Adult (no header, leading spaces, '?' = null) --------------------------------------
if [ -f "$DATA/adult-uci/adult.data" ]; then
  LA="$WORK/adult.db"
  expect_exit 0 "$DPKIT" budget init --ledger "$LA" --dataset adult --epsilon 10 --delta 1e-5
  expect_exit 0 "$DPKIT" -q query --data adult="$DATA/adult-uci/adult.data" --schema "$SCHEMAS/adult.json" --ledger "$LA" \
    --no-header --names age,workclass,fnlwgt,education,education_num,marital_status,occupation,relationship,race,sex,capital_gain,capital_loss,hours_per_week,native_country,income \
    --format json \
    "SELECT sex, income, COUNT(*) AS n, AVG(hours_per_week) AS hours, PERCENTILE(age, 90) AS p90 FROM adult WHERE age >= 18 GROUP BY sex, income WITH EPSILON 2"
  python3 - "$OUT" <<'PY' || fail "Adult results"
import json, sys
r = json.loads(sys.argv[1])
assert len(r["rows"]) == 4, r
n = {(row["sex"], row["income"]): row["n"]["value"] for row in r["rows"]}
assert 14000 < n[("Male", "<=50K")] < 16000, n   # true 15128 (adults)
h = [row["hours"] for row in r["rows"]]
assert all(x["ci_lower"] <= x["value"] <= x["ci_upper"] for x in h)
PY
fi
finish
