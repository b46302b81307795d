# dpkit report end to end: real CSV files in, HTML + JSON out; the metrics separate a
# population-level stand-in synthesizer from one that leaks training rows; bad input fails with
# the documented exit codes and messages.
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")

python3 "$HERE/report_make_data.py" "$WORK/gen" --rows 4000 || fail "could not generate data"
D=$WORK/gen

json_get() {  # json_get <file> <python expression on j>
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

# 1. Marginals stand-in with holdout, target and privacy file.
expect_exit 0 "$DPKIT" report --real "$D/train.csv" --synthetic "$D/marginals.csv" \
  --holdout "$D/holdout.csv" --target churned --privacy "$D/privacy.json" \
  --out "$WORK/m.html"
expect_contains "$OUT" "wrote $WORK/m.html and $WORK/m.json"
expect_contains "$OUT" "[good] Privacy guarantee"
[ -s "$WORK/m.html" ] || fail "m.html missing"
J=$WORK/m.json
[ "$(json_get "$J" 'j["format"]')" = "dpkit-report/1" ] || fail "bad format in m.json"
# customer_id is unique per row and email is detected by the pii detectors: both excluded.
EXCL=$(json_get "$J" '",".join(j["excluded_columns"])')
expect_contains "$EXCL" "customer_id" "excluded columns"
expect_contains "$EXCL" "email (EMAIL)" "excluded columns"
[ "$(json_get "$J" 'j["utility"]["computed"]')" = "True" ] || fail "utility not computed"
[ "$(json_get "$J" 'j["privacy"]["exact_matches"]["synthetic_rows_matching_real"]')" = "0" ] ||
  fail "marginals: exact matches"
[ "$(json_get "$J" 'int(j["privacy"]["membership_inference"]["advantage"] < 0.15)')" = "1" ] ||
  fail "marginals: membership advantage too high: $(json_get "$J" 'j["privacy"]["membership_inference"]')"
[ "$(json_get "$J" 'int(abs(j["privacy"]["dcr"]["closer_to_train_share"] - 0.5) < 0.1)')" = "1" ] ||
  fail "marginals: closer-to-train share not near 0.5"
[ "$(json_get "$J" 'int(j["privacy"]["pii_replay"]["replayed_values"] == 0)')" = "1" ] ||
  fail "marginals: emails replayed?"
M_SCORE=$(json_get "$J" 'j["fidelity"]["kmarginal"]["score"]')
M_ASSOC=$(json_get "$J" 'j["fidelity"]["associations"]["mean_abs_difference"]')
# The HTML is one self-contained file.
grep -q '<script src' "$WORK/m.html" && fail "external script in HTML"
grep -q 'https\?://' "$WORK/m.html" && fail "URL in HTML"
grep -q 'data-chart="heatmap-difference"' "$WORK/m.html" || fail "no difference heatmap"

# 2. Perturbed copies of training rows: better fidelity, but the attacks must notice.
expect_exit 0 "$DPKIT" -q report --real "$D/train.csv" --synthetic "$D/perturbed.csv" \
  --holdout "$D/holdout.csv" --target churned --json "$WORK/p_metrics.json" \
  --out "$WORK/p.html"
[ -z "$OUT" ] || fail "-q printed: $OUT"
J=$WORK/p_metrics.json
P_SCORE=$(json_get "$J" 'j["fidelity"]["kmarginal"]["score"]')
python3 -c "import sys; sys.exit(0 if float('$P_SCORE') > float('$M_SCORE') else 1)" ||
  fail "perturbed k-marginal $P_SCORE should beat marginals $M_SCORE"
# Chance level here is about 0.06; the leaky stand-in measures about 0.26.
[ "$(json_get "$J" 'int(j["privacy"]["membership_inference"]["advantage"] > 0.15)')" = "1" ] ||
  fail "perturbed: membership attack missed: $(json_get "$J" 'j["privacy"]["membership_inference"]')"
[ "$(json_get "$J" 'int(j["privacy"]["dcr"]["closer_to_train_share"] > 0.6)')" = "1" ] ||
  fail "perturbed: DCR share should be high"
[ "$(json_get "$J" 'int(j["privacy"]["pii_replay"]["replayed_values"] > 100)')" = "1" ] ||
  fail "perturbed: identifier replay not counted"
[ "$(json_get "$J" '[v["level"] for v in j["verdicts"] if v["id"]=="guarantee"][0]')" = "bad" ] ||
  fail "no privacy file should be a red verdict"

# 3. No holdout: the report still renders; membership inference says why it is missing.
expect_exit 0 "$DPKIT" report --real "$D/train.csv" --synthetic "$D/marginals.csv" \
  --out "$WORK/n.html"
[ "$(json_get "$WORK/n.json" 'j["privacy"]["membership_inference"]["advantage"]')" = "None" ] ||
  fail "membership inference without holdout"
expect_contains "$(cat "$WORK/n.html")" "pass --holdout"

# 4. A real data set with nulls ("N") if the shared data is present.
ACS=${DPKIT_SHARED_DATA_DIR:-}/nist-acs-excerpts/ma2019.csv
if [ -f "$ACS" ]; then
  python3 "$HERE/report_make_data.py" "$WORK/acs" --source "$ACS" --rows 0 ||
    fail "could not split ACS"
  expect_exit 0 "$DPKIT" report --real "$WORK/acs/train.csv" --synthetic "$WORK/acs/marginals.csv" \
    --holdout "$WORK/acs/holdout.csv" --target PINCP_DECILE --null-token N --out "$WORK/acs.html"
  [ "$(json_get "$WORK/acs.json" 'len(j["fidelity"]["columns"])')" -ge 20 ] || fail "ACS columns"
else
  echo "note: $ACS absent; ACS case skipped"
fi

# 5. Errors: exit codes and messages that say what to do.
expect_exit 4 "$DPKIT" report --real "$WORK/nope.csv" --synthetic "$D/marginals.csv" --out "$WORK/x.html"
expect_contains "$ERR" "nope.csv"
expect_exit 2 "$DPKIT" report --real "$D/train.csv" --synthetic "$D/marginals.csv" \
  --target salary --out "$WORK/x.html"
expect_contains "$ERR" "unknown target column 'salary'"
printf '{"format": "dpkit-privacy/1", "epsilon": -1, "delta": 0}' > "$WORK/bad_privacy.json"
expect_exit 2 "$DPKIT" report --real "$D/train.csv" --synthetic "$D/marginals.csv" \
  --privacy "$WORK/bad_privacy.json" --out "$WORK/x.html"
expect_contains "$ERR" "bad_privacy.json"
printf 'a,b\n1,2\n3,"4\n' > "$WORK/broken.csv"
expect_exit 4 "$DPKIT" report --real "$D/train.csv" --synthetic "$WORK/broken.csv" --out "$WORK/x.html"
expect_contains "$ERR" "broken.csv"
head -1 "$D/train.csv" | cut -d, -f1-5 > "$WORK/fewer.csv"
sed -n 2,50p "$D/train.csv" | cut -d, -f1-5 >> "$WORK/fewer.csv"
expect_exit 4 "$DPKIT" report --real "$D/train.csv" --synthetic "$WORK/fewer.csv" --out "$WORK/x.html"
expect_contains "$ERR" "lacks column"
expect_exit 2 "$DPKIT" report --real "$D/train.csv" --out "$WORK/x.html"
[ -e "$WORK/x.html" ] && fail "a failed run left x.html behind"
# An unwritable output leaves nothing half-written and names the path.
expect_exit 4 "$DPKIT" report --real "$D/train.csv" --synthetic "$D/marginals.csv" \
  --out "$WORK/no/such/dir/r.html"
expect_contains "$ERR" "no/such/dir"
finish
