#!/usr/bin/env bash
# End-to-end tests of `dpkit synth` on real files: Private-PGM domain data (titanic), a typed CSV
# with a schema (DP preprocessing), ledger charging (before output; exhausted budget -> exit 3 and
# no output), and clear errors for bad input.
source "$(dirname "$0")/lib.sh"
DATA=${DPKIT_SHARED_DATA_DIR:?}/aim-benchmark
SEED=(--insecure-seed 7 -q)

# 1. Pre-discretised data with its domain file, both methods.
for method in mst aim; do
  expect_exit 0 "$DPKIT" "${SEED[@]}" synth --data "$DATA/titanic.csv" \
    --domain "$DATA/titanic-domain.json" --method $method --epsilon 3 --delta 1e-9 \
    --rows 500 --out "$WORK/t_$method.csv"
  expect_contains "$OUT" "500 rows, 9 columns" "synth $method stdout"
  expect_contains "$OUT" "(3, 1e-09)-DP" "synth $method privacy line"
  [ "$(wc -l <"$WORK/t_$method.csv")" = 501 ] || fail "$method: expected 500 rows + header"
  # The input's column order (not the domain file's).
  head -1 "$WORK/t_$method.csv" | grep -q '^Pclass,Sex,Age,SibSp,Parch,Fare,Cabin,Embarked,Survived$' ||
    fail "$method: header"
  # Every code inside the domain (Age < 91, Fare < 100).
  awk -F, 'NR>1 && ($3 >= 91 || $6 >= 100 || $9 >= 3) {bad=1} END {exit bad}' \
    "$WORK/t_$method.csv" || fail "$method: code outside the domain"
  grep -q '"rho_spent"' "$WORK/t_$method.csv.report.json" || fail "$method: report missing"
done

# 2. A typed CSV with a schema: DP quantile bins, partition selection, declared categories.
python3 - "$WORK/people.csv" <<'PY'
import random, sys
random.seed(3)
with open(sys.argv[1], "w") as f:
    f.write("id,age,income,city,sex,joined\n")
    for i in range(3000):
        age = random.randint(18, 80)
        city = random.choice(["Paris", "Lyon", "Nice"]) if i else "Atlantis"
        f.write(f"{i},{age},{age * 1000 + random.randint(0, 9999)},{city},"
                f"{random.choice('FM')},2020-0{random.randint(1, 9)}-1{random.randint(0, 9)}\n")
PY
cat >"$WORK/people.json" <<'JSON'
{"privacy_unit": "id",
 "columns": [
  {"name": "id", "type": "int64"},
  {"name": "age", "type": "int64", "lower": 18, "upper": 80},
  {"name": "income", "type": "double", "lower": 0, "upper": 100000},
  {"name": "city", "type": "string"},
  {"name": "sex", "type": "string", "categories": ["F", "M"], "nullable": false},
  {"name": "joined", "type": "date", "lower": "2020-01-01", "upper": "2020-12-31"}]}
JSON
"$DPKIT" budget init --ledger "$WORK/l.db" --dataset people --unit id --epsilon 3 --delta 1e-5 \
  >/dev/null || fail "budget init"
expect_exit 0 "$DPKIT" --insecure-seed 7 synth --data "$WORK/people.csv" \
  --schema "$WORK/people.json" --method aim --epsilon 2 --delta 1e-6 --rows 1000 \
  --out "$WORK/people_synth.csv" --ledger "$WORK/l.db" --dataset people
expect_contains "$ERR" "preprocess: column 'city': private partition selection" "progress"
expect_contains "$ERR" "aim: round" "AIM progress"
expect_contains "$ERR" "budget left" "AIM progress"
expect_contains "$OUT" "charge #" "ledger receipt"
expect_contains "$OUT" "neighbouring: add/remove all rows of one 'id'" "privacy unit"
head -1 "$WORK/people_synth.csv" | grep -q '^age,income,city,sex,joined$' || fail "typed header"
grep -q Atlantis "$WORK/people_synth.csv" && fail "rare category leaked into the output"
grep -Eq ',2020-[0-9]{2}-[0-9]{2}$' "$WORK/people_synth.csv" || fail "dates not decoded"
# Declared categories are complete (no "other"), and no value leaves the declared bounds (age and
# income are nullable: an empty cell is a null).
awk -F, 'NR>1 && (($4 != "F" && $4 != "M") || ($1 != "" && ($1 < 18 || $1 > 80)) ||
  ($2 != "" && ($2 < 0 || $2 > 100000))) {bad=1} END {exit bad}' "$WORK/people_synth.csv" ||
  fail "value outside the declared domain"
# Charged to the ledger: epsilon 2 of 3 spent.
SHOW=$("$DPKIT" budget history --ledger "$WORK/l.db" --dataset people --unit id 2>&1)
expect_contains "$SHOW" "synth/aim" "ledger history names the mechanism"
# 3. The remaining budget (1) cannot pay for epsilon 2: exit 3, nothing written.
expect_exit 3 "$DPKIT" --insecure-seed 7 synth --data "$WORK/people.csv" \
  --schema "$WORK/people.json" --method mst --epsilon 2 --delta 1e-6 \
  --out "$WORK/refused.csv" --ledger "$WORK/l.db" --dataset people
[ -e "$WORK/refused.csv" ] && fail "output written although the charge was refused"

# 3b. The schema's public structure: the sample customers' ZIP3 -> city -> state hierarchy is
#     modelled as one column and split after sampling, age and tenure_months are derived from the
#     synthetic dates; the output keeps the input's column order.
"$DPKIT" sample customers --rows 3000 --seed 4 --out "$WORK/cust_raw.csv" \
  --schema-out "$WORK/cust_full.json" >/dev/null || fail "sample customers"
python3 - "$WORK/cust_raw.csv" "$WORK/cust_full.json" "$WORK/cust.csv" "$WORK/cust.json" <<'PY'
import csv, json, sys
keep = ["customer_id", "city", "state", "zip", "date_of_birth", "age", "signup_date",
        "tenure_months", "churned"]
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[3], "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(keep)
    for r in rows:
        r["zip"] = r["zip"][:3] + "**"
        w.writerow([r[c] for c in keep])
s = json.load(open(sys.argv[2]))
s["columns"] = [c for c in s["columns"] if c["name"] in keep]
for c in s["columns"]:
    c.pop("pii", None)
json.dump(s, open(sys.argv[4], "w"))
PY
expect_exit 0 "$DPKIT" "${SEED[@]}" synth --data "$WORK/cust.csv" --schema "$WORK/cust.json" \
  --method mst --epsilon 2 --delta 1e-6 --rows 2000 --out "$WORK/cust_synth.csv"
head -1 "$WORK/cust_synth.csv" |
  grep -q '^city,state,zip,date_of_birth,age,signup_date,tenure_months,churned$' ||
  fail "structure: header is not the input's order"
python3 "$(dirname "$0")/../check_schema_structure.py" "$WORK/cust.json" "$WORK/cust_synth.csv" ||
  fail "structure: a synthetic row breaks the schema's hierarchy or derived columns"
expect_exit 0 "$DPKIT" synth --data "$WORK/cust.csv" --schema "$WORK/cust.json" --epsilon 1 \
  --out "$WORK/x.csv" --dry-run
expect_contains "$OUT" "hierarchy zip -> city -> state: modelled as 'zip+city+state'" "plan: hierarchy"
expect_contains "$OUT" "'age' = whole years from 'date_of_birth' to 2025-06-30" "plan: derived column"

# 4. Bad input: clear one-line errors with the right exit codes.
expect_exit 2 "$DPKIT" synth --data "$DATA/titanic.csv" --domain "$DATA/titanic-domain.json" \
  --epsilon -1 --out "$WORK/x.csv"
expect_contains "$ERR" "epsilon must be finite and > 0, got -1" "negative epsilon"
expect_exit 2 "$DPKIT" synth --data "$DATA/titanic.csv" --domain "$DATA/titanic-domain.json" \
  --epsilon 1 --method gan --out "$WORK/x.csv"
expect_contains "$ERR" "method must be 'aim' or 'mst'" "bad method"
expect_exit 4 "$DPKIT" synth --data "$WORK/missing.csv" --domain "$DATA/titanic-domain.json" \
  --epsilon 1 --out "$WORK/x.csv"
# A numeric column declared without bounds or bins: refused before anything is read or charged.
python3 -c "import json; s=json.load(open('$WORK/people.json')); del s['columns'][2]['upper']; json.dump(s, open('$WORK/nobounds.json', 'w'))"
expect_exit 2 "$DPKIT" synth --data "$WORK/people.csv" --schema "$WORK/nobounds.json" --epsilon 1 \
  --out "$WORK/x.csv"
expect_contains "$ERR" "needs public \"lower\"/\"upper\" bounds" "numeric without bounds"
[ -e "$WORK/x.csv.ledger.db" ] && fail "a ledger was created for a refused plan"
# Without a schema every column is text (public default, said in the plan): --dry-run shows it
# and spends nothing.
expect_exit 0 "$DPKIT" synth --data "$WORK/people.csv" --epsilon 1 --out "$WORK/x.csv" --dry-run
expect_contains "$OUT" "not declared in a schema: modelled as text" "public default for types"
expect_contains "$OUT" "nothing was charged" "dry run"
[ -e "$WORK/x.csv.ledger.db" ] && fail "--dry-run created a ledger"
# A missing output folder, a named ledger without the budget: refused before any charge.
expect_exit 2 "$DPKIT" synth --data "$WORK/people.csv" --schema "$WORK/people.json" --epsilon 1 \
  --out "$WORK/no/such/dir/x.csv"
expect_contains "$ERR" "does not exist" "missing output folder"
expect_exit 4 "$DPKIT" synth --data "$WORK/people.csv" --schema "$WORK/people.json" --epsilon 0.1 \
  --out "$WORK/x.csv" --ledger "$WORK/l.db" --dataset people_copy
expect_contains "$ERR" "people_copy" "unbudgeted dataset"
# Without --ledger a NEW ledger next to the output holds exactly this release, said loudly.
expect_exit 0 "$DPKIT" "${SEED[@]}" synth --data "$WORK/people.csv" --schema "$WORK/people.json" \
  --epsilon 1 --method mst --out "$WORK/own.csv"
[ -e "$WORK/own.csv.ledger.db" ] || fail "no new ledger next to the output"
expect_exit 4 "$DPKIT" "${SEED[@]}" synth --data "$WORK/people.csv" --schema "$WORK/people.json" \
  --epsilon 1 --method mst --out "$WORK/own.csv"
expect_contains "$ERR" "already exists" "an existing ledger is never reused implicitly"
printf 'a,b\n1,0\n5,1\n' >"$WORK/bad.csv"
printf '{"a": 2, "b": 2}' >"$WORK/bad-domain.json"
expect_exit 4 "$DPKIT" synth --data "$WORK/bad.csv" --domain "$WORK/bad-domain.json" \
  --epsilon 1 --out "$WORK/x.csv"
expect_contains "$ERR" "'a'" "out-of-domain code names the column"
[ -e "$WORK/x.csv" ] && fail "output written on error"
finish
