#!/usr/bin/env bash
# End-to-end test of `dpkit budget` on real ledger files: init, charge until exhausted (exit 3
# with the remaining budget in the message), show, history, export, and the error paths
# (unknown dataset, bad numbers, corrupted / empty / tampered file, locked file, missing file),
# the hash chain head and --expect-head, insecure-seed charges.
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
# Absurd budgets are refused, with the documented limits.
expect_exit 2 "$DPKIT" budget init --ledger "$L" --dataset x --epsilon 1e300
expect_contains "$ERR" "budget epsilon must be in [1e-06, 1000], got 1e+300"
expect_exit 2 "$DPKIT" budget init --ledger "$L" --dataset x --epsilon 1e-300
expect_contains "$ERR" "budget epsilon must be in [1e-06, 1000], got 1e-300"
expect_exit 2 "$DPKIT" budget init --ledger "$L" --dataset x --epsilon 1 --delta 0.999999
expect_contains "$ERR" "budget delta must be in [1e-30, 0.01], got 0.999999"
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
expect_contains "$OUT" "is intact (3 budget(s)"
expect_contains "$OUT" "hash chain verified"

# --- insecure-seed releases are flagged, shown and still counted ---------------------------
S="$WORK/seeded.db"
expect_exit 0 "$DPKIT" budget init --ledger "$S" --dataset seeded --epsilon 1 --delta 1e-6
expect_exit 0 "$DPKIT" budget charge --ledger "$S" --dataset seeded --insecure-seed-release \
  --map '{"kind":"pure_dp","epsilon":0.5}' --operation "reproducible test run"
expect_contains "$OUT" "spent epsilon=0.5"
expect_exit 0 "$DPKIT" budget history --ledger "$S" --dataset seeded
expect_contains "$OUT" "[INSECURE SEED: NOT PRIVATE]"
expect_exit 0 "$DPKIT" budget show --ledger "$S" --dataset seeded
expect_contains "$OUT" "1 charge(s) released noise from --insecure-seed"
# Running out of delta says so (it was reported as "needs epsilon=inf").
APPROX='{"kind":"approx_dp","epsilon":0.1,"delta":1e-6}'
expect_exit 0 "$DPKIT" budget charge --ledger "$S" --dataset seeded --map "$APPROX" --operation a
expect_exit 3 "$DPKIT" budget charge --ledger "$S" --dataset seeded --map "$APPROX" --operation b
expect_contains "$ERR" "delta budget exhausted for dataset 'seeded'"

# --- the chain head: export it, check against it later -------------------------------------
expect_exit 0 "$DPKIT" budget export --ledger "$L" --out "$WORK/export2.json"
HEAD=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['chain_head']['text'])" \
  "$WORK/export2.json")
expect_exit 0 "$DPKIT" budget show --ledger "$L" --json
expect_contains "$OUT" "\"text\": \"$HEAD\""
expect_exit 0 "$DPKIT" budget check --ledger "$L" --expect-head "$HEAD"
expect_contains "$OUT" "expected head #${HEAD%%:*} found unchanged"
expect_exit 2 "$DPKIT" budget check --ledger "$L" --expect-head "12:nothex"
expect_contains "$ERR" "a chain head is ID:HASH"

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

# A ledger truncated to 0 bytes is corruption, never a fresh ledger to re-initialise.
: > "$WORK/empty.db"
for cmd in "check" "show"; do
  expect_exit 4 "$DPKIT" budget $cmd --ledger "$WORK/empty.db"
  expect_contains "$ERR" "is corrupted"
done
expect_exit 4 "$DPKIT" budget init --ledger "$WORK/empty.db" --dataset d --epsilon 1
expect_contains "$ERR" "holds no ledger"
[ -s "$WORK/empty.db" ] && fail "budget init wrote into an empty (truncated) ledger file"

if command -v sqlite3 >/dev/null 2>&1; then
  # Tampering: drop the delete trigger, delete the last 5 of 10 charges, recreate the trigger.
  T="$WORK/tamper.db"
  expect_exit 0 "$DPKIT" budget init --ledger "$T" --dataset d --epsilon 1
  for i in 1 2 3 4 5 6 7 8 9 10; do
    expect_exit 0 "$DPKIT" budget charge --ledger "$T" --dataset d \
      --map '{"kind":"pure_dp","epsilon":0.1}' --operation "q$i"
  done
  expect_exit 0 "$DPKIT" budget check --ledger "$T"
  T_HEAD=$(echo "$OUT" | sed -n 's/.*head \([0-9]*:[0-9a-f]*\)$/\1/p')
  sqlite3 "$T" "DROP TRIGGER charges_append_only_delete; DELETE FROM charges WHERE id > 5;
    CREATE TRIGGER charges_append_only_delete BEFORE DELETE ON charges
    BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
  expect_exit 4 "$DPKIT" budget check --ledger "$T"
  expect_contains "$ERR" "the last 5 charge row(s) were deleted"
  # With the id counter reset too, only the head kept elsewhere shows it.
  sqlite3 "$T" "UPDATE sqlite_sequence SET seq = 5 WHERE name = 'charges'"
  expect_exit 0 "$DPKIT" budget check --ledger "$T"
  expect_exit 4 "$DPKIT" budget check --ledger "$T" --expect-head "$T_HEAD"
  expect_contains "$ERR" "expected chain head #10 is missing"
  # Editing a charge in place breaks the chain.
  sqlite3 "$T" "DROP TRIGGER charges_append_only_update;
    UPDATE charges SET privacy_maps = '[{\"kind\":\"pure_dp\",\"epsilon\":0.01}]' WHERE id = 2;
    CREATE TRIGGER charges_append_only_update BEFORE UPDATE ON charges
    BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
  expect_exit 4 "$DPKIT" budget check --ledger "$T"
  expect_contains "$ERR" "charge #2 does not match its hash"

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
