#!/usr/bin/env bash
# End-to-end tests of `dpkit pii` (scan, replace with a policy, keygen, eval) on real CSV files,
# including bad inputs and their exit codes (2 usage, 4 data error).
source "$(dirname "$0")/lib.sh"
DATA=${DPKIT_SHARED_DATA_DIR:-}

# A small table: ids, names, e-mails, phones, cards, ZIPs with leading zeros, a free-text column.
cat > "$WORK/t.csv" <<'CSV'
customer_id,name,email,phone,card,zip,notes,amount
1001,James Smith,james.smith@corp.com,212-555-0147,4111 1111 1111 1111,02127,"Call me at 212-555-0147 after 5pm please, thanks",10.5
1002,Mary Johnson,mary.j@corp.com,(617) 555-0199,5555555555554444,02139,"Nothing personal in this note, only about shipping",20.25
1003,Robert Brown,rbrown@corp.com,+44 20 7946 0958,378282246310005,94105,"My SSN is 460-89-9847, please update the record",30
1001,James Smith,james.smith@corp.com,212-555-0147,4111 1111 1111 1111,02127,"Second order, same customer as before, no changes",40
CSV

# --- scan ---
expect_exit 0 "$DPKIT" pii scan "$WORK/t.csv"
expect_contains "$OUT" "proposed privacy unit: customer_id" "scan text"
expect_contains "$OUT" "EMAIL" "scan text"
expect_exit 0 "$DPKIT" pii scan "$WORK/t.csv" --json
echo "$OUT" > "$WORK/scan.json"
python3 - "$WORK/scan.json" <<'PY' || fail "scan --json content"
import json, sys
j = json.load(open(sys.argv[1]))
cols = {c["name"]: c for c in j["columns"]}
assert j["privacy_unit"]["column"] == "customer_id", j["privacy_unit"]
assert cols["email"]["class"] == "identifier" and cols["email"]["entity"] == "EMAIL", cols["email"]
assert cols["card"]["entity"] == "CREDIT_CARD", cols["card"]
assert cols["zip"]["class"] == "quasi_identifier", cols["zip"]
assert cols["notes"]["free_text"] is True, cols["notes"]
assert cols["amount"]["class"] == "safe", cols["amount"]
PY

# --- keygen ---
expect_exit 0 "$DPKIT" pii keygen --out "$WORK/k.key"
[ "$(stat -c %a "$WORK/k.key")" = "600" ] || fail "key file mode is not 600"
[ "$(tr -d '\n' < "$WORK/k.key" | wc -c)" = "64" ] || fail "key file is not 64 hex digits"
expect_exit 2 "$DPKIT" pii keygen --out "$WORK/k.key"
expect_contains "$ERR" "already exists" "keygen overwrite"

# --- replace with the default policy and a key ---
expect_exit 0 "$DPKIT" pii replace "$WORK/t.csv" --out "$WORK/clean.csv" --key-file "$WORK/k.key" --report "$WORK/rep.json"
expect_contains "$ERR" "privacy unit: customer_id" "replace summary"
python3 - "$WORK/t.csv" "$WORK/clean.csv" "$WORK/rep.json" <<'PY' || fail "replace content"
import csv, json, re, sys
a = list(csv.DictReader(open(sys.argv[1])))
b = list(csv.DictReader(open(sys.argv[2])))
assert len(a) == len(b) == 4
for x, y in zip(a, b):
    for c in ("name", "email", "phone", "card"):
        assert x[c] != y[c], (c, x[c], y[c])
    assert x["zip"] == y["zip"] and x["amount"] == y["amount"], (x, y)  # kept, leading zero too
    assert re.fullmatch(r"[^@\s]+@example\.(com|net|org)", y["email"]), y["email"]
# Consistent: the repeated customer has the same pseudonyms.
for c in ("customer_id", "name", "email", "phone", "card"):
    assert b[0][c] == b[3][c], c
assert "212-555-0147" not in b[0]["notes"] and b[0]["notes"].startswith("Call me at "), b[0]["notes"]
assert b[1]["notes"] == a[1]["notes"]
assert "460-89-9847" not in b[2]["notes"] and b[2]["notes"].endswith(", please update the record")
assert json.load(open(sys.argv[3]))["privacy_unit"] == "customer_id"
PY
# Same key, second run: identical output (pseudonyms are keyed and deterministic).
expect_exit 0 "$DPKIT" -q pii replace "$WORK/t.csv" --out "$WORK/clean2.csv" --key-file "$WORK/k.key"
cmp -s "$WORK/clean.csv" "$WORK/clean2.csv" || fail "same key gave different output"

# --- replace with a policy file ---
cat > "$WORK/policy.json" <<'JSON'
{"columns": {"card": {"operator": "mask", "keep_last": 4}, "amount": "drop", "name": "redact"},
 "entities": {"PHONE": {"operator": "redact", "token": "<PHONE>"}, "US_SSN": "redact"},
 "unmatched_identifiers": "keep"}
JSON
expect_exit 0 "$DPKIT" pii replace "$WORK/t.csv" --out "$WORK/p.csv" --policy "$WORK/policy.json" --key-file "$WORK/k.key"
python3 - "$WORK/p.csv" <<'PY' || fail "policy replace content"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert "amount" not in rows[0], rows[0].keys()
assert rows[0]["card"] == "**** **** **** 1111", rows[0]["card"]
assert rows[0]["name"] == "[PERSON]"
assert rows[0]["phone"] == "<PHONE>"
assert rows[0]["notes"] == "Call me at <PHONE> after 5pm please, thanks", rows[0]["notes"]
assert rows[2]["notes"] == "My SSN is [US_SSN], please update the record", rows[2]["notes"]
assert rows[0]["customer_id"] == "1001"
PY

# --- bad inputs: clear errors, right exit codes, no output file left behind ---
expect_exit 4 "$DPKIT" pii scan "$WORK/missing.csv"
expect_contains "$ERR" "missing.csv" "missing input"
printf 'a,b\n1,"unterminated\n' > "$WORK/bad.csv"
expect_exit 4 "$DPKIT" pii scan "$WORK/bad.csv"
expect_contains "$ERR" "bad.csv" "malformed csv"
expect_exit 2 "$DPKIT" pii replace "$WORK/t.csv"
expect_exit 2 "$DPKIT" pii replace "$WORK/t.csv" --out "$WORK/t.csv"
expect_exit 4 "$DPKIT" pii replace "$WORK/t.csv" --out "$WORK/x.csv" --key-file "$WORK/nokey"
expect_contains "$ERR" "dpkit pii keygen" "missing key"
printf 'short' > "$WORK/weak.key"
expect_exit 2 "$DPKIT" pii replace "$WORK/t.csv" --out "$WORK/x.csv" --key-file "$WORK/weak.key"
expect_contains "$ERR" "too short" "weak key"
printf '{"columns": {"emial": "drop"}}' > "$WORK/p2.json"
expect_exit 4 "$DPKIT" pii replace "$WORK/t.csv" --out "$WORK/x.csv" --policy "$WORK/p2.json" --key-file "$WORK/k.key"
expect_contains "$ERR" "unknown column 'emial'" "policy column"
printf '{"columns": {"email": "shred"}}' > "$WORK/p3.json"
expect_exit 2 "$DPKIT" pii replace "$WORK/t.csv" --out "$WORK/x.csv" --policy "$WORK/p3.json" --key-file "$WORK/k.key"
expect_contains "$ERR" "unknown operator 'shred'" "policy operator"
printf '{"columns": {"email": "hash"}}' > "$WORK/p4.json"
expect_exit 2 "$DPKIT" pii replace "$WORK/t.csv" --out "$WORK/x.csv" --policy "$WORK/p4.json"
expect_contains "$ERR" "--key-file" "policy without key"
[ ! -e "$WORK/x.csv" ] || fail "a failed replace left $WORK/x.csv behind"
expect_exit 2 "$DPKIT" pii scan "$WORK/t.csv" --sample 0
expect_exit 2 "$DPKIT" pii frobnicate

# --- the shared data sets (skipped when absent) ---
if [ -n "$DATA" ] && [ -f "$DATA/pii-fakenamegenerator/FakeNameGenerator.com_3000.csv" ]; then
  expect_exit 0 "$DPKIT" pii scan "$DATA/pii-fakenamegenerator/FakeNameGenerator.com_3000.csv" --json
  echo "$OUT" | python3 -c '
import json, sys
j = json.load(sys.stdin); c = {x["name"]: x for x in j["columns"]}
assert c["EmailAddress"]["entity"] == "EMAIL" and c["CCNumber"]["entity"] == "CREDIT_CARD"
assert c["Birthday"]["class"] == "quasi_identifier"
' || fail "FakeNameGenerator scan"
  expect_exit 0 "$DPKIT" pii replace "$DATA/pii-presidio/fabric_sample_data.csv" --out "$WORK/fabric.csv"
  grep -q "4111-1111-1111-1111\|212-555-1111\|john.doe@example.com" "$WORK/fabric.csv" && fail "fabric sample still has PII"
  expect_exit 0 "$DPKIT" pii eval "$DATA/pii-fakenamegenerator/synth_dataset_v2.json"
  expect_contains "$OUT" "CREDIT_CARD" "eval table"
fi
finish
