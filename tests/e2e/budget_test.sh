#!/usr/bin/env bash
# End-to-end test of `dpkit budget` on real ledger files: init, charge until exhausted (exit 3
# with the remaining budget in the message), show, history, export, and the error paths
# (unknown dataset, bad numbers, corrupted file, locked file, missing file).
source "$(dirname "$0")/lib.sh"
L="$WORK/ledger.db"

# --- init ----------------------------------------------------------------------------------
expect_exit 0 "$DPKIT" budget init --ledger "$L" --dataset adult --unit user_id --epsilon 1
expect_contains "$OUT" "created budget for dataset 'adult' unit 'user_id': epsilon=1  delta=0 (accountant basic)"
expect_exit 0 "$DPKIT" budget init --ledger "$L" --dataset census --epsilon 2 --delta 1e-6 \
  --accountant zcdp
expect_contains "$OUT" "unit '(row)'"
expect_exit 0 "$DPKIT" budget init --ledger "$L" --dataset tiny --rho 0.5 --accountant zcdp
expect_exit 4 "$DPKIT" budget init --ledger "$L" --dataset adult --unit user_id --epsilon 9
expect_contains "$ERR" "already has a budget"

# Invalid numbers and usage: exit 2, message names the parameter and the value.
expect_exit 2 "$DPKIT" budget init --ledger "$L" --dataset x --epsilon -1
expect_contains "$ERR" "epsilon must be finite and > 0, got -1"
expect_exit 2 "$DPKIT" budget init --ledger "$L" --dataset x --epsilon nan
expect_contains "$ERR" "got nan"
expect_exit 2 "$DPKIT" budget init --ledger "$L" --dataset x --epsilon 1 --delta 1.5
expect_contains "$ERR" "delta"
expect_exit 2 "$DPKIT" budget init --ledger "$L" --dataset x --epsilon 1 --accountant rdp
expect_contains "$ERR" "cannot certify pure DP"
expect_exit 2 "$DPKIT" budget init --ledger "$L" --dataset x --epsilon 1 --accountant magic
expect_contains "$ERR" "unknown accountant 'magic'"
expect_exit 2 "$DPKIT" budget init --ledger "$L" --dataset x
expect_contains "$ERR" "--epsilon is required"
expect_exit 2 "$DPKIT" budget init --dataset x --epsilon 1
expect_contains "$ERR" "--ledger"

# --- charge until exhausted ----------------------------------------------------------------
MAP='{"kind":"laplace","noise_multiplier":4,"mechanism":"laplace-count"}'   # epsilon 0.25
for i in 1 2 3; do
  expect_exit 0 "$DPKIT" budget charge --ledger "$L" --dataset adult --unit user_id \
    --map "$MAP" --operation "SELECT COUNT(*) FROM adult -- $i" --caller "e2e@test"
  expect_contains "$OUT" "cost epsilon=0.25"
done
expect_contains "$OUT" "remaining epsilon=0.25"
# A dry run shows the cost, charges nothing, and exits 3 if it would not fit.
expect_exit 0 "$DPKIT" budget charge --ledger "$L" --dataset adult --unit user_id \
  --map "$MAP" --operation "preview" --dry-run
expect_contains "$OUT" "dry run (nothing charged)"
expect_contains "$OUT" "fits"
expect_exit 3 "$DPKIT" budget charge --ledger "$L" --dataset adult --unit user_id \
  --map '{"kind":"pure_dp","epsilon":0.5}' --operation "preview" --dry-run
expect_contains "$ERR" "remaining epsilon=0.25"
# The last quarter fits exactly; then the budget is exhausted: exit 3, remaining in the message.
expect_exit 0 "$DPKIT" budget charge --ledger "$L" --dataset adult --unit user_id \
  --map "$MAP" --operation "SELECT COUNT(*) FROM adult -- 4"
expect_contains "$OUT" "remaining epsilon=0"
expect_exit 3 "$DPKIT" budget charge --ledger "$L" --dataset adult --unit user_id \
  --map "$MAP" --operation "SELECT COUNT(*) FROM adult -- 5"
expect_contains "$ERR" "privacy budget exhausted for dataset 'adult' unit 'user_id'"
expect_contains "$ERR" "remaining epsilon=0 (at delta=0) of epsilon=1, delta=0"
# Bad map JSON is a usage error.
expect_exit 2 "$DPKIT" budget charge --ledger "$L" --dataset adult --unit user_id \
  --map '{"kind":"laplace"' --operation "x"
expect_contains "$ERR" "--map #1"

# zCDP (epsilon, delta) budget charged with Gaussian noise.
expect_exit 0 "$DPKIT" budget charge --ledger "$L" --dataset census \
  --map '{"kind":"gaussian","noise_multiplier":10}' --operation "SELECT SUM(hours) FROM census"
expect_exit 0 "$DPKIT" budget charge --ledger "$L" --dataset tiny \
  --map '{"kind":"zcdp","rho":0.5}' --operation "all of it"
expect_exit 3 "$DPKIT" budget charge --ledger "$L" --dataset tiny \
  --map '{"kind":"zcdp","rho":0.01}' --operation "one more"
expect_contains "$ERR" "remaining rho=0"

# --- show / history / export ---------------------------------------------------------------
expect_exit 0 "$DPKIT" budget show --ledger "$L"
expect_contains "$OUT" "adult / user_id  (accountant basic"
expect_contains "$OUT" "spent      epsilon=1 (at delta=0)  (4 charges, 1 refused)"
expect_contains "$OUT" "remaining  epsilon=0 (at delta=0)"
expect_contains "$OUT" "census / (row)"
expect_contains "$OUT" "tiny / (row)"
expect_exit 0 "$DPKIT" budget show --ledger "$L" --dataset adult --unit user_id --json
expect_contains "$OUT" '"num_charges": 4'
expect_exit 0 "$DPKIT" budget history --ledger "$L" --dataset adult --unit user_id
expect_contains "$OUT" "5 row(s)"
expect_contains "$OUT" "charged  laplace(noise_multiplier=4) [laplace-count]"
expect_contains "$OUT" "by e2e@test  op: SELECT COUNT(*) FROM adult -- 1"
expect_contains "$OUT" "refused"
expect_exit 0 "$DPKIT" budget history --ledger "$L" --dataset adult --unit user_id --limit 1 --json
expect_contains "$OUT" '"status": "refused"'
expect_exit 0 "$DPKIT" budget export --ledger "$L" --out "$WORK/export.json"
if command -v python3 >/dev/null 2>&1; then
  python3 - "$WORK/export.json" <<'EOF' || fail "export JSON check"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "dpkit-ledger-export", d["format"]
b = {(x["dataset"], x["unit"]): x for x in d["budgets"]}
adult = b[("adult", "user_id")]
assert adult["spent"]["epsilon"] == 1.0 and adult["remaining"]["epsilon"] == 0.0
assert [c["status"] for c in adult["charges"]] == ["charged"] * 4 + ["refused"]
assert adult["charges"][0]["privacy_maps"][0]["noise_multiplier"] == 4
assert adult["charges"][0]["caller"] == "e2e@test"
assert b[("tiny", "(row)")]["spent"]["rho"] == 0.5
EOF
else
  expect_contains "$(cat "$WORK/export.json")" '"dpkit-ledger-export"'
fi
expect_exit 0 "$DPKIT" budget check --ledger "$L"
expect_contains "$OUT" "is intact (3 budget(s))"

# --- errors: unknown dataset, missing / corrupted / locked files -----------------------------
expect_exit 4 "$DPKIT" budget show --ledger "$L" --dataset nope
expect_contains "$ERR" "unknown dataset 'nope'"
expect_contains "$ERR" "'adult', 'census', 'tiny'"
expect_exit 4 "$DPKIT" budget charge --ledger "$L" --dataset nope --map "$MAP" --operation q
expect_contains "$ERR" "known datasets"
expect_exit 4 "$DPKIT" budget show --ledger "$WORK/missing.db"
expect_contains "$ERR" "does not exist"
[ -e "$WORK/missing.db" ] && fail "show created a missing ledger"

head -c 65536 /dev/urandom > "$WORK/garbage.db"
SUM=$(cksum < "$WORK/garbage.db")
expect_exit 4 "$DPKIT" budget show --ledger "$WORK/garbage.db"
expect_contains "$ERR" "is corrupted"
expect_contains "$ERR" "restore it from a backup"
[ "$(cksum < "$WORK/garbage.db")" = "$SUM" ] || fail "corrupted ledger was modified"
expect_exit 4 "$DPKIT" budget init --ledger "$WORK/garbage.db" --dataset d --epsilon 1
expect_contains "$ERR" "is corrupted"

if command -v sqlite3 >/dev/null 2>&1; then
  # Another process holds the write lock for 3 s: a charge with a short timeout fails (exit 4)
  # and charges nothing; reading still works.
  ( printf 'BEGIN IMMEDIATE;\nSELECT 1;\n'; sleep 3; printf 'ROLLBACK;\n' ) | sqlite3 "$L" >/dev/null &
  LOCKER=$!
  sleep 1
  expect_exit 4 "$DPKIT" budget charge --ledger "$L" --dataset census --lock-timeout-ms 200 \
    --map '{"kind":"gaussian","noise_multiplier":10}' --operation "while locked"
  expect_contains "$ERR" "is locked by another process"
  expect_exit 0 "$DPKIT" budget show --ledger "$L" --dataset census
  expect_contains "$OUT" "(1 charges, 0 refused)"
  wait "$LOCKER"
  expect_exit 0 "$DPKIT" budget charge --ledger "$L" --dataset census \
    --map '{"kind":"gaussian","noise_multiplier":10}' --operation "after the lock"
fi

finish
