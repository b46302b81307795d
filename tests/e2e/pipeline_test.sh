#!/usr/bin/env bash
# End-to-end test of `dpkit pipeline` (customer CSV -> PII replacement -> DP synthesizer ->
# report) on a generated customer table: every artifact is written and well-formed, raw PII
# never reaches the synthetic output, the whole budget is charged once to the ledger, a second
# run on an exhausted budget is refused (exit 3) before writing anything, and bad input gets a
# clear error.
source "$(dirname "$0")/lib.sh"
SEED=(--insecure-seed 11 -q)

expect_exit 0 "$DPKIT" sample customers --rows 3000 --seed 5 --out "$WORK/customers.csv"
# The public schema of the sample table (types and bounds from its data dictionary).
expect_exit 0 "$DPKIT" sample customers --schema-out "$WORK/customers.schema.json"
S=(--schema "$WORK/customers.schema.json")

# 1. The full flow.
for method in mst aim; do
  R="$WORK/run_$method"
  expect_exit 0 "$DPKIT" "${SEED[@]}" pipeline --data "$WORK/customers.csv" "${S[@]}" --out "$R" \
    --epsilon 2 --delta 1e-7 --method $method --target churned
  expect_contains "$OUT" "epsilon=2 delta=1e-07 per customer_id" "pipeline $method summary"
  for f in owner/clean.csv owner/pii.json owner/pii.key owner/report.html owner/report.json \
    owner/README.txt synthetic.csv privacy.json summary.json ledger.db; do
    [ -s "$R/$f" ] || fail "$method: $f missing or empty"
  done
  # Synthetic table: same header as the input, a DP-estimated number of rows near 3000 * 0.8
  # (the holdout takes 20% of the units).
  [ "$(head -1 "$R/synthetic.csv")" = "$(head -1 "$WORK/customers.csv")" ] ||
    fail "$method: synthetic header differs from the input's"
  rows=$(($(wc -l <"$R/synthetic.csv") - 1))
  { [ "$rows" -gt 2000 ] && [ "$rows" -lt 2800 ]; } || fail "$method: $rows synthetic rows"
  # No raw identifier reaches the synthetic table or the de-identified copy: credit cards and
  # e-mail addresses of the input are absent (fresh fakes / pseudonyms instead).
  python3 - "$WORK/customers.csv" "$R/synthetic.csv" "$R/owner/clean.csv" <<'PY' || fail "$method: raw PII leaked"
import csv, sys
real = list(csv.DictReader(open(sys.argv[1])))
cards = {r["credit_card"] for r in real}
emails = {r["email"] for r in real}
ids = {r["customer_id"] for r in real}
for path in sys.argv[2:]:
    for r in csv.DictReader(open(path)):
        assert r["credit_card"] not in cards, (path, "card", r["credit_card"])
        assert r["customer_id"] not in ids, (path, "id", r["customer_id"])
        if path.endswith("synthetic.csv"):
            assert r["email"] == "" or "@" in r["email"], (path, r["email"])
# ZIP codes are generalised to 3 digits + "XX" or similar: never a full real 5-digit ZIP.
syn = list(csv.DictReader(open(sys.argv[2])))
assert all(r["zip"] == "other" or len(r["zip"].strip("X*")) <= 3 for r in syn), syn[0]["zip"]
# Numeric columns parse and stay in a sane range.
for r in syn:
    assert 0 <= int(float(r["age"])) <= 130, r["age"]
    float(r["income"])
assert {r["churned"] for r in syn} <= {"true", "false"}, {r["churned"] for r in syn}
PY
  # The schema's public structure: every synthetic (zip, city, state) is a gazetteer combination
  # of the ZIP3 -> city -> state hierarchy (modelled as one column; before, half the rows put a
  # city in another state), and every age and tenure follows from the row's synthetic dates
  # (derived columns: whole years / months to 2025-06-30).
  python3 "$(dirname "$0")/../check_schema_structure.py" "$WORK/customers.schema.json" \
    "$R/synthetic.csv" || fail "$method: a synthetic row breaks the schema's hierarchy or derived columns"
  grep -q "'age' = whole years from 'date_of_birth' to 2025-06-30" "$R/summary.json" ||
    fail "$method: the summary's plan does not list the derived column"
  grep -q '"format": "dpkit-privacy/1"' "$R/privacy.json" || fail "$method: privacy.json format"
  grep -q '"epsilon": 2' "$R/privacy.json" || fail "$method: privacy.json epsilon"
  python3 -c "import json,sys; e=json.load(open(sys.argv[1]))['ledger_entries']; assert e and len({x['id'] for x in e}) == 1, e" \
    "$R/privacy.json" || fail "$method: privacy.json should list this run's one charge"
  grep -q '<html' "$R/owner/report.html" || fail "$method: report.html"
  grep -q 'churned' "$R/owner/report.json" || fail "$method: report.json lacks the target column"
  # One charge, the whole budget.
  expect_exit 0 "$DPKIT" budget show --ledger "$R/ledger.db"
  expect_contains "$OUT" "spent      epsilon=2" "budget show after $method"
  expect_contains "$OUT" "(1 charges, 0 refused)" "budget show after $method"
done

# 2. Exhausted budget: refused with exit 3 before anything is computed or written.
expect_exit 3 "$DPKIT" "${SEED[@]}" pipeline --data "$WORK/customers.csv" "${S[@]}" --out "$WORK/again" \
  --epsilon 0.5 --method mst --ledger "$WORK/run_mst/ledger.db" --dataset customers
expect_contains "$ERR" "budget" "exhausted-budget error"
[ -e "$WORK/again/synthetic.csv" ] && fail "synthetic.csv written despite a refused charge"
expect_exit 0 "$DPKIT" budget show --ledger "$WORK/run_mst/ledger.db"
expect_contains "$OUT" "(1 charges, 1 refused)" "refused charge recorded"

# 3. Real missing values survive (only noise-level null rates are suppressed): blank 25% of
#    'segment' and expect a synthetic null rate well above zero.
python3 - "$WORK/customers.csv" "$WORK/holes.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
seg = rows[0].index("segment")
for i, r in enumerate(rows[1:]):
    if i % 4 == 0:
        r[seg] = ""
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n").writerows(rows)
PY
expect_exit 0 "$DPKIT" "${SEED[@]}" pipeline --data "$WORK/holes.csv" "${S[@]}" --out "$WORK/holes" \
  --epsilon 2 --method mst
python3 - "$WORK/holes/synthetic.csv" <<'PY' || fail "real missing values were not kept"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rate = sum(r["segment"] == "" for r in rows) / len(rows)
assert 0.12 < rate < 0.40, rate
PY

# 3b. Without the hierarchy, ZIP3 is found by partition selection and writes "other": the
#     report's zip "other" share is the synthetic table's (it once generalised "other" to "oth**"
#     and said 0 %).
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); s.pop('hierarchies'); json.dump(s, open(sys.argv[2], 'w'))" \
  "$WORK/customers.schema.json" "$WORK/flat.schema.json"
expect_exit 0 "$DPKIT" "${SEED[@]}" pipeline --data "$WORK/customers.csv" --schema "$WORK/flat.schema.json" \
  --out "$WORK/flat" --epsilon 1 --method mst
python3 - "$WORK/flat/synthetic.csv" "$WORK/flat/owner/report.json" <<'PY' || fail "the report's zip 'other' share is not the synthetic table's"
import csv, json, sys
zips = [r["zip"] for r in csv.DictReader(open(sys.argv[1]))]
share = sum(z == "other" for z in zips) / len(zips)
cols = {c["name"]: c for c in json.load(open(sys.argv[2]))["fidelity"]["columns"]}
reported = cols["zip"]["other_synthetic"]
print("zip other: synthetic", share, "reported", reported, file=sys.stderr)
sys.exit(0 if share > 0 and reported is not None and abs(reported - share) < 1e-9 else 1)
PY

# 4. A JSON config, flags override it; unknown keys are an error.
cat >"$WORK/config.json" <<JSON
{"data": "$WORK/customers.csv", "schema": "$WORK/customers.schema.json", "out_dir": "$WORK/cfg", "epsilon": 3, "method": "mst",
 "rows": 500, "holdout_fraction": 0}
JSON
expect_exit 0 "$DPKIT" "${SEED[@]}" pipeline --config "$WORK/config.json" --epsilon 1.5
expect_contains "$OUT" "epsilon=1.5" "config + flag override"
[ "$(($(wc -l <"$WORK/cfg/synthetic.csv") - 1))" = 500 ] || fail "config rows=500 not honoured"
echo '{"epsilon": 1, "epsilom": 2}' >"$WORK/bad_config.json"
expect_exit 2 "$DPKIT" pipeline --config "$WORK/bad_config.json" --data "$WORK/customers.csv" \
  --out "$WORK/x"
expect_contains "$ERR" "epsilom" "unknown config key"

# 5. Bad input: clear errors, nothing charged.
expect_exit 2 "$DPKIT" pipeline --out "$WORK/x"
expect_contains "$ERR" "data" "missing --data"
expect_exit 2 "$DPKIT" pipeline --data "$WORK/customers.csv" --out "$WORK/x" --epsilon -1
expect_contains "$ERR" "epsilon" "negative epsilon"
expect_exit 2 "$DPKIT" pipeline --data "$WORK/customers.csv" --out "$WORK/x" --epsilon nan
expect_exit 2 "$DPKIT" pipeline --data "$WORK/customers.csv" --out "$WORK/x" --method gan
expect_contains "$ERR" "method" "unknown method"
expect_exit 2 "$DPKIT" "${SEED[@]}" pipeline --data "$WORK/customers.csv" "${S[@]}" --out "$WORK/x" \
  --target no_such_column
expect_contains "$ERR" "no_such_column" "unknown target column"
[ -e "$WORK/x/ledger.db" ] && fail "a ledger was created for a run with an unknown target"
expect_exit 4 "$DPKIT" pipeline --data "$WORK/missing.csv" --out "$WORK/x"
printf 'a,b\n1,2\n3\n' >"$WORK/ragged.csv"
expect_exit 4 "$DPKIT" "${SEED[@]}" pipeline --data "$WORK/ragged.csv" --out "$WORK/x"
expect_contains "$ERR" "ragged.csv: expected 2 fields" "ragged CSV error names the problem"
expect_contains "$ERR" "withheld" "ragged CSV error withholds the line (private data)"
# --dry-run prints the plan and spends nothing.
expect_exit 0 "$DPKIT" pipeline --data "$WORK/customers.csv" "${S[@]}" --out "$WORK/dry" --dry-run
expect_contains "$OUT" "Release plan" "dry run plan"
expect_contains "$OUT" "pipeline/row_count" "dry run maps"
[ -e "$WORK/dry/ledger.db" ] && fail "--dry-run created a ledger"

finish
