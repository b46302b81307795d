#!/usr/bin/env bash
# End-to-end tests of `dpkit publish`: a small generated person file (three geography levels,
# two tables sharing a margin), the dry run, a new ledger, a named ledger, budget refusal, bad
# specs, and every published constraint checked on the CSVs; then the example spec on the NIST
# ACS excerpt when ../shared/data is present.
source "$(dirname "$0")/lib.sh"
SRC=${DPKIT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${DPKIT_SHARED_DATA_DIR:-$SRC/../shared/data}

# 600 persons in 6 tracts (regions N and S, districts N1, N2, S1); AGE is sometimes not a
# number, RACE sometimes unlisted.
python3 - "$WORK/persons.csv" <<'PY'
import random, sys
rng = random.Random(5)
tracts = ["N1-01", "N1-02", "N2-01", "S1-01", "S1-02", "S1-03"]
with open(sys.argv[1], "w") as f:
    f.write("tract,sex,age,race\n")
    for _ in range(600):
        age = "n/a" if rng.random() < 0.05 else str(rng.randrange(100))
        f.write(f"{rng.choice(tracts)},{rng.choice('FM')},{age},{rng.randrange(1, 6)}\n")
PY
cat > "$WORK/spec.json" <<'JSON'
{
  "title": "e2e <test> & co",
  "dataset": "persons",
  "privacy_unit": "person",
  "geography": {"column": "tract",
                "codes": ["N1-01", "N1-02", "N2-01", "S1-01", "S1-02", "S1-03", "S2-01"],
                "levels": [{"name": "region", "prefix": 1}, {"name": "district", "prefix": 2},
                           {"name": "tract", "prefix": 5}]},
  "variables": [
    {"name": "sex", "type": "string", "categories": ["F", "M"]},
    {"name": "age", "type": "int64", "bins": [0, 18, 65, 100]},
    {"name": "race", "type": "int64", "categories": ["1", "2", "3"], "other_category": "other"}
  ],
  "tables": [
    {"name": "sex_by_age", "variables": ["sex", "age"]},
    {"name": "sex_by_race", "variables": ["sex", "race"]}
  ],
  "budget": {"rho": 2},
  "error_bars": {"level": 0.9, "replicates": 50}
}
JSON

# check_tables <dir>: every cell a non-negative integer, every moe >= 0, children sum to their
# parent (codes nest by prefix), and the two tables agree on sex (and so on the total) in every
# unit.
check_tables() {
  python3 - "$1" <<'PY' || fail "published tables in $1 are not consistent"
import csv, sys
from collections import defaultdict
d = sys.argv[1]
prefix = {"region": 1, "district": 2, "tract": 5}
levels = ["region", "district", "tract"]
def load(name):
    rows = list(csv.DictReader(open(f"{d}/{name}.csv")))
    cells = [c for c in rows[0] if c not in ("level", "code") and not c.endswith(" moe")]
    out = {}
    for r in rows:
        for c in cells:
            v, m = r[c], r[c + " moe"]
            assert v.isdigit() and m.isdigit(), (name, r["code"], c, v, m)
        out[(r["level"], r["code"])] = {c: int(r[c]) for c in cells}
    return cells, out
problems = 0
tables = {n: load(n) for n in ("sex_by_age", "sex_by_race")}
for name, (cells, t) in tables.items():
    for (level, code), values in t.items():
        if level == "tract":
            continue
        child = levels[levels.index(level) + 1]
        kids = [v for (l, c), v in t.items() if l == child and c[:prefix[level]] == code]
        for cell in cells:
            if sum(k[cell] for k in kids) != values[cell]:
                print(f"{name} {level} {code} {cell}: children do not sum"); problems += 1
def sex_margin(values):
    m = defaultdict(int)
    for cell, v in values.items():
        m[cell.split(";")[0]] += v
    return dict(m)
a, b = tables["sex_by_age"][1], tables["sex_by_race"][1]
for unit in a:
    if sex_margin(a[unit]) != sex_margin(b[unit]):
        print(f"{unit}: tables disagree on sex"); problems += 1
sys.exit(1 if problems else 0)
PY
}

# Dry run: the plan, nothing charged, read or written.
expect_exit 0 "$DPKIT" publish --spec "$WORK/spec.json" --dry-run
expect_contains "$OUT" "Release plan: publish 'e2e <test> & co'" "dry run"
expect_contains "$OUT" "neighbouring: add/remove one row" "dry run"
expect_contains "$OUT" "tract sex_by_race 7x8 1" "dry run measurements"
expect_contains "$OUT" "dry run: nothing was charged" "dry run"

# A first release: a new ledger in the output folder, said loudly.
expect_exit 0 "$DPKIT" publish --spec "$WORK/spec.json" --data "$WORK/persons.csv" --out "$WORK/out1"
expect_contains "$ERR" "NOTICE: no --ledger given: created a NEW ledger $WORK/out1/ledger.db" "notice"
expect_contains "$OUT" "charge #1, dataset 'persons', unit (row)" "receipt"
for f in sex_by_age.csv sex_by_race.csv plan.json release.json summary.html ledger.db; do
  [ -f "$WORK/out1/$f" ] || fail "missing $f"
done
check_tables "$WORK/out1"
head -1 "$WORK/out1/sex_by_race.csv" | grep -q '^level,code,sex=F;race=1,sex=F;race=1 moe,' \
  || fail "sex_by_race.csv header: $(head -1 "$WORK/out1/sex_by_race.csv")"
[ "$(wc -l < "$WORK/out1/sex_by_age.csv")" -eq $((1 + 2 + 4 + 7)) ] || fail "one row per unit"
grep -q 'S2-01' "$WORK/out1/sex_by_age.csv" || fail "an empty public tract is published too"
grep -q '&lt;test&gt; &amp; co' "$WORK/out1/summary.html" || fail "summary.html escapes the title"
grep -q 'http' "$WORK/out1/summary.html" && fail "summary.html must not fetch anything"
expect_exit 0 "$DPKIT" budget history --ledger "$WORK/out1/ledger.db" --dataset persons
expect_contains "$OUT" "discrete_gaussian" "ledger history"

# The same output folder again: its ledger exists, nothing is overwritten.
expect_exit 4 "$DPKIT" publish --spec "$WORK/spec.json" --data "$WORK/persons.csv" --out "$WORK/out1"
expect_contains "$ERR" "already exists" "second run"

# A named ledger: never created, never extended; charged when its budget exists.
expect_exit 4 "$DPKIT" publish --spec "$WORK/spec.json" --data "$WORK/persons.csv" \
  --out "$WORK/out2" --ledger "$WORK/ledger.db"
expect_contains "$ERR" "budget init" "missing ledger"
[ -e "$WORK/ledger.db" ] && fail "a named ledger must not be created"
expect_exit 0 "$DPKIT" budget init --ledger "$WORK/ledger.db" --dataset persons --rho 3 --accountant zcdp
expect_exit 0 "$DPKIT" publish --spec "$WORK/spec.json" --data "$WORK/persons.csv" \
  --out "$WORK/out2" --ledger "$WORK/ledger.db"
case "$ERR" in *NOTICE*) fail "no notice with --ledger: $ERR" ;; esac
check_tables "$WORK/out2"
# rho 2 of 3 spent: a second release of rho 2 is refused (exit 3) and writes nothing.
expect_exit 3 "$DPKIT" publish --spec "$WORK/spec.json" --data "$WORK/persons.csv" \
  --out "$WORK/out3" --ledger "$WORK/ledger.db"
[ -n "$(ls -A "$WORK/out3" 2>/dev/null)" ] && fail "a refused release wrote $(ls "$WORK/out3")"
expect_exit 0 "$DPKIT" publish --spec "$WORK/spec.json" --dry-run --ledger "$WORK/ledger.db"
expect_contains "$OUT" "does NOT fit" "dry run preview"
# Another privacy unit of the same dataset has no budget.
sed 's/"privacy_unit": "person"/"privacy_unit": {"column": "sex", "max_rows_per_unit": 2}/' \
  "$WORK/spec.json" > "$WORK/unit_spec.json"
expect_exit 4 "$DPKIT" publish --spec "$WORK/unit_spec.json" --data "$WORK/persons.csv" \
  --out "$WORK/out4" --ledger "$WORK/ledger.db"

# --insecure-seed: reproducible, said everywhere, recorded in the ledger.
for i in 1 2; do
  expect_exit 0 "$DPKIT" --insecure-seed 7 publish --spec "$WORK/spec.json" \
    --data "$WORK/persons.csv" --out "$WORK/seeded$i"
  expect_contains "$ERR" "NO privacy" "insecure seed warning"
done
cmp -s "$WORK/seeded1/sex_by_age.csv" "$WORK/seeded2/sex_by_age.csv" || fail "seeded runs differ"
grep -q '"insecure_seed": true' "$WORK/seeded1/release.json" || fail "release.json: insecure seed"
grep -q 'NO privacy' "$WORK/seeded1/summary.html" || fail "summary.html: insecure seed banner"

# Bad inputs: one line naming the problem, documented exit codes, nothing charged.
sed 's/"bins": \[0, 18, 65, 100\]/"bins": [0, 65, 18]/' "$WORK/spec.json" > "$WORK/bad.json"
expect_exit 2 "$DPKIT" publish --spec "$WORK/bad.json" --data "$WORK/persons.csv" --out "$WORK/bad"
expect_contains "$ERR" "variable 'age'" "bad bins"
sed 's/"tables"/"tabels"/' "$WORK/spec.json" > "$WORK/typo.json"
expect_exit 2 "$DPKIT" publish --spec "$WORK/typo.json" --dry-run
expect_contains "$ERR" "unknown key 'tabels'" "typo"
cut -d, -f1-3 "$WORK/persons.csv" > "$WORK/no_race.csv"
expect_exit 4 "$DPKIT" publish --spec "$WORK/spec.json" --data "$WORK/no_race.csv" --out "$WORK/nr"
expect_contains "$ERR" "column 'race'" "missing column"
[ -e "$WORK/nr/ledger.db" ] && fail "a missing column must be found before any ledger exists"

# The example spec on the NIST ACS excerpt.
if [ -f "$DATA/nist-acs-excerpts/national2019.csv" ]; then
  expect_exit 0 "$DPKIT" publish --spec "$SRC/examples/publish/acs_national2019.json" \
    --data "$DATA/nist-acs-excerpts/national2019.csv" --out "$WORK/acs"
  [ "$(wc -l < "$WORK/acs/sex_by_age.csv")" -eq $((1 + 16 + 20 + 1)) ] || fail "ACS rows"
  python3 - "$WORK/acs" <<'PY' || fail "ACS tables inconsistent"
import csv, sys
tables = {}
for name in ("total", "sex_by_age", "race_by_hispanic", "sex_by_education", "tenure"):
    rows = list(csv.DictReader(open(f"{sys.argv[1]}/{name}.csv")))
    cells = [c for c in rows[0] if c not in ("level", "code") and not c.endswith(" moe")]
    tables[name] = {(r["level"], r["code"]): sum(int(r[c]) for c in cells) for r in rows}
units = tables["total"]
assert all(t == units for t in tables.values()), "table totals differ"
nation = units[("nation", "US")]
assert nation == sum(v for (l, _), v in units.items() if l == "state")
assert nation == sum(v for (l, _), v in units.items() if l == "puma")
PY
else
  echo "skipping the ACS example: $DATA/nist-acs-excerpts is absent"
fi
finish
