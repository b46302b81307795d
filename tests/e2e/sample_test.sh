#!/usr/bin/env bash
# End-to-end test of `dpkit sample customers`: shape, determinism, correlations, speed, errors.
source "$(dirname "$0")/lib.sh"

start=$(date +%s%N)
expect_exit 0 "$DPKIT" sample customers --rows 10000 --out "$WORK/c.csv"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "sample customers --rows 10000: ${ms} ms (whole process; goal < 1000 ms on an idle machine)"
[ "$ms" -lt 10000 ] || fail "10k rows took ${ms} ms"
expect_exit 0 "$DPKIT" -q sample customers --rows 10000 --out "$WORK/c2.csv"
cmp -s "$WORK/c.csv" "$WORK/c2.csv" || fail "default seed is not reproducible"
expect_exit 0 "$DPKIT" -q sample customers --rows 200 --out "$WORK/c3.csv" --seed 7
cmp -s <(head -5 "$WORK/c.csv") <(head -5 "$WORK/c3.csv") && fail "--seed has no effect"

python3 - "$WORK/c.csv" <<'PY' || fail "customer table content"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 10000, len(rows)
cols = ["customer_id", "first_name", "last_name", "gender", "email", "phone", "street_address",
        "city", "state", "zip", "credit_card", "date_of_birth", "age", "education", "income",
        "segment", "signup_date", "tenure_months", "purchases_12m", "spend_12m", "churned"]
assert list(rows[0].keys()) == cols, list(rows[0].keys())
assert len({r["customer_id"] for r in rows}) == 10000
def luhn(s):
    d = [int(c) for c in s][::-1]
    return sum(x if i % 2 == 0 else (2 * x - 9 if 2 * x > 9 else 2 * x) for i, x in enumerate(d)) % 10 == 0
assert all(luhn(r["credit_card"]) for r in rows)
inc = lambda e: statistics.mean(float(r["income"]) for r in rows if r["education"] == e)
assert inc("Master") > 1.5 * inc("High School")
buys = lambda ch: statistics.mean(int(r["purchases_12m"]) for r in rows if r["churned"] == ch)
assert buys("true") < buys("false"), (buys("true"), buys("false"))
for r in rows:
    if r["city"] == "Boston":
        assert r["state"] == "MA" and r["zip"].startswith("021") and r["phone"].startswith("617-"), r
# Names appear in the e-mail.
hits = sum(r["last_name"].lower() in r["email"] for r in rows)
assert hits > 0.75 * len(rows), hits
PY

# The generated table goes through the PII scan with the expected privacy unit.
expect_exit 0 "$DPKIT" pii scan "$WORK/c.csv"
expect_contains "$OUT" "proposed privacy unit: customer_id" "scan of the sample"

expect_exit 2 "$DPKIT" sample customers --rows 0 --out "$WORK/x.csv"
expect_exit 2 "$DPKIT" sample customers --rows 10
expect_exit 2 "$DPKIT" sample people --out "$WORK/x.csv"
expect_exit 4 "$DPKIT" sample customers --rows 10 --out /nonexistent-dir/x.csv
finish
