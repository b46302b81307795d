#!/usr/bin/env bash
# End-to-end tests of scripts/nist_schema.py (NIST data dictionary -> dpkit schema): a tiny
# inline dictionary (always), then NIST's real dictionary with national2019 (skipped without
# ../shared/data): the generated schema reads the raw CSV, and `dpkit synth --dry-run` plans no
# DP preprocessing for the demographic-focused set (every domain is public). Also the k-marginal
# scorer of the SDNist bench on the real data: target vs itself = 1000, shuffled columns lower.
source "$(dirname "$0")/lib.sh"
SRC=${DPKIT_SOURCE_DIR:?}
CONV="$SRC/scripts/nist_schema.py"
NIST=${DPKIT_SHARED_DATA_DIR:?}/nist-acs-excerpts

# 1. Inline dictionary: categories, N -> nullable, min/max -> bounds, codes widen the range.
cat >"$WORK/dict.json" <<'JSON'
{"AGE": {"description": "age", "values": {"min": 0, "max": 99}},
 "SEX": {"description": "sex", "values": {"1": "Male", "2": "Female"}},
 "MSP": {"description": "marital", "values": {"N": "N/A", "1": "married", "6": "never"}},
 "NOC": {"description": "children", "values": {"N": "N/A", "0": "none", "min": 1, "max": 19}},
 "POV": {"description": "poverty", "values": {"N": "N/A", "min": 0, "max": 500, "501": "above"}},
 "DEN": {"description": "density", "values": {"min": 16.3, "max": 52864.7}},
 "IND": {"description": "industry", "link": "https://example.org"}}
JSON
expect_exit 0 python3 "$CONV" "$WORK/dict.json" --out "$WORK/s.json"
expect_contains "$ERR" "IND: the dictionary lists no values" "warning for a link-only entry"
python3 - "$WORK/s.json" <<'PY' || fail "inline dictionary: wrong schema"
import json, sys
s = json.load(open(sys.argv[1]))
c = {x["name"]: x for x in s["columns"]}
assert s["null_tokens"] == ["N"], s
assert list(c) == ["AGE", "SEX", "MSP", "NOC", "POV", "DEN", "IND"], list(c)
assert c["AGE"] == {"name": "AGE", "type": "int64", "lower": 0, "upper": 99, "nullable": False}
assert c["SEX"] == {"name": "SEX", "type": "string", "categories": ["1", "2"], "nullable": False}
assert c["MSP"] == {"name": "MSP", "type": "string", "categories": ["1", "6"]}, c["MSP"]
assert c["NOC"] == {"name": "NOC", "type": "int64", "lower": 0, "upper": 19}, c["NOC"]
assert c["POV"] == {"name": "POV", "type": "int64", "lower": 0, "upper": 501}, c["POV"]
assert c["DEN"] == {"name": "DEN", "type": "double", "lower": 16.3, "upper": 52864.7,
                    "nullable": False}, c["DEN"]
assert c["IND"] == {"name": "IND", "type": "string"}, c["IND"]
PY
expect_exit 0 python3 "$CONV" "$WORK/dict.json" --features SEX,AGE --double AGE
[ "$(python3 -c 'import json,sys; print([(c["name"], c["type"]) for c in json.load(sys.stdin)["columns"]])' <<<"$OUT")" = \
  "[('SEX', 'string'), ('AGE', 'double')]" ] || fail "--features order / --double: $OUT"
# Unusable input: exit 2 with the reason.
expect_exit 2 python3 "$CONV" "$WORK/dict.json" --features SEX,NOPE
expect_contains "$ERR" "not in the dictionary: NOPE" "unknown feature"
echo '{"X": {"values": {"min": 0, "max": 9, "Z": "letter"}}}' >"$WORK/bad.json"
expect_exit 2 python3 "$CONV" "$WORK/bad.json"
expect_contains "$ERR" "code 'Z' next to a min/max range is not an integer" "non-numeric code"

# 2. NIST's dictionary with the real national2019 excerpt.
if [ ! -f "$NIST/national2019.csv" ]; then
  echo "skip: $NIST not present (real-data part)"
  finish
  exit
fi
FEAT=AGEP,SEX,MSP,RAC1P,HOUSING_TYPE,OWN_RENT,EDU,PINCP_DECILE,DVET,DEYE
expect_exit 0 python3 "$CONV" "$NIST/data_dictionary.json" --feature-set demographic-focused \
  --out "$WORK/demo.json"
cut -d, -f2,3,4,6,9,10,14,16,18,21 "$NIST/national2019.csv" | tr -d '\r' >"$WORK/demo.csv"
[ "$(head -1 "$WORK/demo.csv")" = "$FEAT" ] || fail "cut columns: $(head -1 "$WORK/demo.csv")"
expect_exit 0 "$DPKIT" synth --data "$WORK/demo.csv" --schema "$WORK/demo.json" --method mst \
  --epsilon 1 --delta 1e-9 --numeric-bins 100 --out "$WORK/x.csv" --dry-run
expect_contains "$OUT" "column 'PINCP_DECILE' (string): declared categories" "dry-run plan"
expect_contains "$OUT" "column 'AGEP' (int64): one bin per integer" "dry-run plan"
case "$OUT" in *"partition selection"* | *"DP bins"*) fail "DP preprocessing planned: $OUT" ;; esac
# The whole dictionary (PINCP is written as 0.0 in the excerpts: --double PINCP): only INDP,
# whose codes the dictionary does not list, needs private partition selection.
expect_exit 0 python3 "$CONV" "$NIST/data_dictionary.json" --double PINCP --out "$WORK/all.json"
expect_exit 0 "$DPKIT" synth --data "$NIST/national2019.csv" --schema "$WORK/all.json" \
  --method mst --epsilon 1 --delta 1e-9 --out "$WORK/y.csv" --dry-run
expect_contains "$OUT" "column 'INDP' (string): private partition selection" "INDP plan"
expect_contains "$OUT" "column 'PINCP' (double): DP bins" "PINCP plan"
[ "$(grep -c 'partition selection' <<<"$OUT")" = 1 ] || fail "partition selection beyond INDP: $OUT"
# The scorer: target vs itself is 1000, independently shuffled columns score lower.
KM="$SRC/bench/sdnist_kmarginal.py"
expect_exit 0 python3 "$KM" "$NIST/national2019.csv" "$NIST/national2019.csv" \
  --dictionary "$NIST/data_dictionary.json" --features "$FEAT"
[ "$OUT" = "1000.00" ] || fail "target vs itself: $OUT"
python3 - "$WORK/demo.csv" "$WORK/shuffled.csv" <<'PY'
import csv, random, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
cols = [list(c) for c in zip(*rows[1:])]
random.seed(5)
for c in cols:
    random.shuffle(c)
csv.writer(open(sys.argv[2], "w", newline="")).writerows([rows[0]] + list(zip(*cols)))
PY
expect_exit 0 python3 "$KM" "$WORK/demo.csv" "$WORK/shuffled.csv" \
  --dictionary "$NIST/data_dictionary.json"
python3 -c "import sys; sys.exit(not 850 < float('$OUT') < 950)" || fail "shuffled: $OUT"
finish
