#!/usr/bin/env bash
# End-to-end: `dpkit train` on the raw UCI Adult files (no header, leading spaces, '?' missing,
# adult.test's first line and trailing dots), the JSON report, the ledger charge, and the
# clear errors (exit codes per DESIGN.md).
source "$(dirname "$0")/lib.sh"
DATA=${DPKIT_SHARED_DATA_DIR:?}/adult-uci
SCHEMA=${DPKIT_SOURCE_DIR:?}/bench/train_adult_schema.json
if [ ! -f "$DATA/adult.data" ]; then echo "adult-uci missing under $DPKIT_SHARED_DATA_DIR" >&2; exit 1; fi
COMMON=(--data "$DATA/adult.data" --no-header --schema "$SCHEMA" --target income
        --test-data "$DATA/adult.test" --test-skip-lines 1)

# 1. A private training run: calibrated noise, per-epoch lines, model + report written.
expect_exit 0 "$DPKIT" --insecure-seed 7 train "${COMMON[@]}" --model mlp:32 --epsilon 3 \
  --epochs 2 --batch-size 512 --lr 0.5 --out "$WORK/adult.pt"
expect_contains "$OUT" "epoch 2/2: eval loss" "stdout"
expect_contains "$OUT" "epsilon spent" "stdout"
expect_contains "$OUT" "(3, 1e-05)-DP for adding/removing one training row" "stdout"
expect_contains "$ERR" "provides NO privacy" "stderr (insecure seed warning)"
[ -s "$WORK/adult.pt" ] || fail "model file missing"
[ -s "$WORK/adult.report.json" ] || fail "report missing"
python3 - "$WORK/adult.report.json" <<'PY' || fail "report content"
import json, sys
r = json.load(open(sys.argv[1]))
p = r["privacy"]
assert p["epsilon_spent"] <= 3.0 + 1e-9, p
assert p["effective_noise_multiplier"] >= p["noise_multiplier"], p
assert p["privacy_map"]["kind"] == "subsampled_gaussian", p
assert p["privacy_map"]["repetitions"] == r["training"]["steps"], p
assert r["rows"]["train"] == 32561, r["rows"]
assert r["rows"]["eval"] == 16281, r["rows"]
acc = r["epochs"][-1]["eval_accuracy"]
assert acc > 0.76, acc  # the majority class alone gives 0.76
print("report ok, accuracy", acc)
PY

# 2. Bad input -> clear one-line errors and the documented exit codes.
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
# A numeric feature without public bounds.
sed 's/"lower": 0, "upper": 100, "nullable": false}/"nullable": false}/' "$SCHEMA" > "$WORK/nobounds.json"
expect_exit 2 "$DPKIT" train --data "$DATA/adult.data" --no-header --schema "$WORK/nobounds.json" \
  --target income --epsilon 1 --out "$WORK/x.pt"
expect_contains "$ERR" "has no bounds" "missing bounds"
# Malformed CSV: a text value in a numeric column names the file and line.
head -n 100 "$DATA/adult.data" > "$WORK/bad.data"
echo "abc, Private, 1, Bachelors, 13, Never-married, Sales, Husband, White, Male, 0, 0, 40, United-States, <=50K" >> "$WORK/bad.data"
expect_exit 4 "$DPKIT" train --data "$WORK/bad.data" --no-header --schema "$SCHEMA" --target income \
  --epsilon 1 --batch-size 10 --delta 1e-3 --out "$WORK/x.pt"
expect_contains "$ERR" "bad.data:101" "malformed CSV"
[ ! -e "$WORK/x.pt" ] || fail "a failed run wrote a model"

# 3. Ledger: the run is charged before training; an over-budget run is refused (exit 3) and
#    writes nothing.
L="$WORK/ledger.db"
expect_exit 0 "$DPKIT" budget init --ledger "$L" --dataset adult --epsilon 2 --delta 1e-5 \
  --accountant rdp
expect_exit 3 "$DPKIT" train "${COMMON[@]}" --epsilon 3 --epochs 1 --batch-size 1024 \
  --ledger "$L" --dataset adult --out "$WORK/refused.pt"
[ ! -e "$WORK/refused.pt" ] || fail "a refused run wrote a model"
expect_exit 0 "$DPKIT" --insecure-seed 3 train "${COMMON[@]}" --model linear --epsilon 1 \
  --epochs 1 --batch-size 1024 --ledger "$L" --dataset adult --out "$WORK/ok.pt"
expect_contains "$OUT" "charged ledger" "ledger charge"
expect_exit 0 "$DPKIT" budget show --ledger "$L" --dataset adult
expect_contains "$OUT" "adult" "budget show"
# 4. A privacy unit with several rows: one random row per unit is kept, the unit is no feature.
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
  --target label --unit uid --model linear --epsilon 2 --delta 1e-4 --epochs 2 --batch-size 50 \
  --out "$WORK/units.pt"
expect_contains "$OUT" "one uid (one row kept per uid; 800 other rows dropped)" "unit bounding"
expect_contains "$OUT" "2 features" "the unit column is not a feature (x and its missing flag)"
expect_exit 2 "$DPKIT" train --data "$WORK/units.csv" --schema "$WORK/units.json" --target label \
  --unit user --epsilon 2 --delta 1e-4 --out "$WORK/units2.pt"
expect_contains "$ERR" "--unit 'user' is not a column" "unknown unit"
finish
