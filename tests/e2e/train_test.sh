#!/usr/bin/env bash
# End-to-end: `dpkit train` (run by dpkit-train) on the raw UCI Adult files (no header, leading
# spaces, '?' missing, adult.test's first line and trailing dots): the release plan, the charge
# (a new ledger beside the model, or a named one), the JSON report, --test-data metrics marked
# not DP, the DP evaluation, per-unit bounding, and the clear errors (exit codes per DESIGN.md).
source "$(dirname "$0")/lib.sh"
DATA=${DPKIT_SHARED_DATA_DIR:?}/adult-uci
SCHEMA=${DPKIT_SOURCE_DIR:?}/bench/train_adult_schema.json
if [ ! -f "$DATA/adult.data" ]; then echo "adult-uci missing under $DPKIT_SHARED_DATA_DIR" >&2; exit 1; fi
COMMON=(--data "$DATA/adult.data" --no-header --schema "$SCHEMA" --target income --rows 32000
        --test-data "$DATA/adult.test" --test-skip-lines 1)

# 1. A private training run: calibrated noise, per-epoch lines, a new ledger beside the model
#    (announced), model + report written; test-data metrics marked as not DP.
expect_exit 0 "$DPKIT" --insecure-seed 7 train "${COMMON[@]}" --model mlp:32 --epsilon 3 \
  --epochs 2 --batch-size 512 --lr 0.5 --out "$WORK/adult.pt"
expect_contains "$OUT" "epoch 2/2: epsilon spent" "stdout"
expect_contains "$OUT" "test-data loss" "stdout"
expect_contains "$OUT" "(evaluated on --test-data, not DP)" "stdout"
expect_contains "$OUT" "(3, 1e-05)-DP for add/remove one row" "stdout"
expect_contains "$OUT" "charged ledger $WORK/adult.ledger.db" "stdout"
expect_contains "$ERR" "created a NEW ledger $WORK/adult.ledger.db" "stderr (new ledger)"
expect_contains "$ERR" "provides NO privacy" "stderr (insecure seed warning)"
[ -s "$WORK/adult.pt" ] || fail "model file missing"
[ -s "$WORK/adult.report.json" ] || fail "report missing"
python3 - "$WORK/adult.report.json" <<'PY' || fail "report content"
import json, sys
r = json.load(open(sys.argv[1]))
p = r["privacy"]
assert p["epsilon_spent"] <= 3.0 + 1e-9, p
assert p["effective_noise_multiplier"] >= p["noise_multiplier"], p
m = p["privacy_maps"][0]
assert m["kind"] == "subsampled_gaussian" and m["repetitions"] == r["training"]["steps"], p
assert p["unit"] == "(row)" and p["insecure_seed"] is True, p
assert "rows" not in r and "seconds" not in json.dumps(r), r.keys()
assert r["training"]["planned_rows"] == 32000, r["training"]
t = r["test_data"]
assert t["note"] == "evaluated on --test-data, not DP", t
acc = t["epochs"][-1]["accuracy"]
assert acc > 0.76, acc  # the majority class alone gives 0.76
print("report ok, test-data accuracy", acc)
PY
# The same run again to the same --out: the new ledger exists, so it must be named.
expect_exit 4 "$DPKIT" train "${COMMON[@]}" --epsilon 3 --out "$WORK/adult.pt"
expect_contains "$ERR" "already exists" "existing new-ledger file"

# 2. --dry-run prints the plan and charges, trains and writes nothing.
expect_exit 0 "$DPKIT" train "${COMMON[@]}" --epsilon 1 --epochs 1 --dry-run --out "$WORK/dry.pt"
expect_contains "$OUT" "Release plan: dpkit train" "dry run"
expect_contains "$OUT" "subsampled_gaussian" "dry run maps"
[ ! -e "$WORK/dry.pt" ] && [ ! -e "$WORK/dry.ledger.db" ] || fail "a dry run wrote files"

# 3. Bad input -> clear one-line errors and the documented exit codes, before any charge.
expect_exit 2 "$DPKIT" train "${COMMON[@]}" --epsilon 0.001 --epochs 50 --batch-size 4096 \
  --out "$WORK/x.pt"
expect_contains "$ERR" "smallest feasible epsilon" "epsilon too small"
expect_exit 2 "$DPKIT" train "${COMMON[@]/income/workclass}" --task regression --epsilon 1 \
  --out "$WORK/x.pt"
expect_contains "$ERR" "regression needs a numeric" "string target for regression"
expect_exit 2 "$DPKIT" train "${COMMON[@]}" --model cnn:3 --epsilon 1 --out "$WORK/x.pt"
expect_contains "$ERR" "mlp:64,64" "bad model spec"
expect_exit 4 "$DPKIT" train "${COMMON[@]/income/salary}" --epsilon 1 --out "$WORK/x.pt"
expect_contains "$ERR" "salary" "unknown target"
expect_exit 2 "$DPKIT" train "${COMMON[@]}" --epsilon -1 --out "$WORK/x.pt"
expect_contains "$ERR" "epsilon must be finite and > 0, got -1" "negative epsilon"
expect_exit 2 "$DPKIT" train "${COMMON[@]/32000/0}" --epsilon 1 --out "$WORK/x.pt"
expect_contains "$ERR" "rows must be" "no planning size"
expect_exit 4 "$DPKIT" train "${COMMON[@]}" --epsilon 1 --out "$WORK/no/such/dir/x.pt"
expect_contains "$ERR" "no/such/dir" "unwritable output"
sed 's/"lower": 0, "upper": 100, "nullable": false}/"nullable": false}/' "$SCHEMA" > "$WORK/nobounds.json"
expect_exit 2 "$DPKIT" train --data "$DATA/adult.data" --no-header --schema "$WORK/nobounds.json" \
  --target income --rows 32000 --epsilon 1 --out "$WORK/x.pt"
expect_contains "$ERR" "has no bounds" "missing bounds"
[ ! -e "$WORK/x.pt" ] && [ ! -e "$WORK/x.ledger.db" ] || fail "a refused run wrote files"

# 4. Private data: a cell that does not parse under the schema is NULL (its row is dropped,
#    the column is non-nullable), never an error quoting it; a structural error after the
#    charge says what was spent and quotes no line.
head -n 100 "$DATA/adult.data" > "$WORK/bad.data"
echo "abc, Private, 1, Bachelors, 13, Never-married, Sales, Husband, White, Male, 0, 0, 40, United-States, <=50K" >> "$WORK/bad.data"
expect_exit 0 "$DPKIT" -q train --data "$WORK/bad.data" --no-header --schema "$SCHEMA" \
  --target income --rows 100 --epsilon 1 --batch-size 10 --delta 1e-3 --out "$WORK/bad.pt"
echo "1, Private" >> "$WORK/bad.data"
expect_exit 4 "$DPKIT" train --data "$WORK/bad.data" --no-header --schema "$SCHEMA" \
  --target income --rows 100 --epsilon 1 --batch-size 10 --delta 1e-3 --out "$WORK/ragged.pt"
expect_contains "$ERR" "the ledger was charged" "failure after the charge"
case "$ERR" in *":102"*|*"Private"*) fail "a private-data error quotes the data: $ERR" ;; esac

# 5. A named ledger: the run is charged before training; an over-budget run is refused (exit 3)
#    and writes nothing.
L="$WORK/ledger.db"
expect_exit 0 "$DPKIT" budget init --ledger "$L" --dataset adult --epsilon 2 --delta 1e-5 \
  --accountant rdp
expect_exit 3 "$DPKIT" train "${COMMON[@]}" --epsilon 3 --epochs 1 --batch-size 1024 \
  --ledger "$L" --dataset adult --out "$WORK/refused.pt"
[ ! -e "$WORK/refused.pt" ] && [ ! -e "$WORK/refused.report.json" ] || fail "a refused run wrote files"
expect_exit 0 "$DPKIT" --insecure-seed 3 train "${COMMON[@]}" --model linear --epsilon 1 \
  --epochs 1 --batch-size 1024 --ledger "$L" --dataset adult --dp-eval-fraction 0.1 \
  --dp-eval-epsilon 0.5 --out "$WORK/ok.pt"
expect_contains "$OUT" "charged ledger $L" "ledger charge"
expect_contains "$OUT" "DP evaluation (released, charged): accuracy" "DP evaluation"
python3 - "$WORK/ok.report.json" <<'PY' || fail "DP evaluation in the report"
import json, sys
d = json.load(open(sys.argv[1]))["dp_evaluation"]
assert 0 <= d["accuracy"] <= 1 and d["epsilon"] == 0.5 and d["note"].startswith("DP"), d
PY
expect_exit 0 "$DPKIT" budget show --ledger "$L" --dataset adult
expect_contains "$OUT" "adult" "budget show"

# 6. A privacy unit with several rows: one random row per unit is kept (how many were dropped
#    is never said), the unit is no feature, the budget is the unit's.
python3 - "$WORK/units.csv" <<'PY'
import random, sys
random.seed(1)
with open(sys.argv[1], "w") as f:
    f.write("uid,x,label\n")
    for u in range(400):
        for _ in range(3):
            x = random.uniform(0, 10)
            f.write(f"u{u},{x:.3f},{'hi' if x + random.gauss(0, 1) > 5 else 'lo'}\n")
PY
cat >"$WORK/units.json" <<'JSON'
{"columns": [{"name": "uid", "type": "string"}, {"name": "x", "type": "double", "lower": 0, "upper": 10},
 {"name": "label", "type": "string", "categories": ["lo", "hi"]}]}
JSON
expect_exit 0 "$DPKIT" --insecure-seed 5 train --data "$WORK/units.csv" --schema "$WORK/units.json" \
  --target label --unit uid --rows 400 --model linear --epsilon 2 --delta 1e-4 --epochs 2 \
  --batch-size 50 --out "$WORK/units.pt"
expect_contains "$OUT" "DP for add/remove all rows of one 'uid'" "unit-level guarantee"
expect_contains "$OUT" "from 2 features" "the unit column is not a feature (x and its missing flag)"
expect_contains "$OUT" "unit uid" "charged to the unit's budget"
case "$OUT$ERR" in *dropped*) fail "the number of rows dropped by unit bounding is shown" ;; esac
expect_exit 2 "$DPKIT" train --data "$WORK/units.csv" --schema "$WORK/units.json" --target label \
  --unit user --rows 400 --epsilon 2 --delta 1e-4 --out "$WORK/units2.pt"
expect_contains "$ERR" "privacy unit 'user' is not a column" "unknown unit"

# 7. dpkit without dpkit-train beside it says what is missing.
mkdir -p "$WORK/alone" && cp "$DPKIT" "$WORK/alone/dpkit"
expect_exit 4 "$WORK/alone/dpkit" train --help
expect_contains "$ERR" "needs dpkit-train" "missing dpkit-train"
finish
