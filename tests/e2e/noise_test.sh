#!/usr/bin/env bash
# End-to-end tests of `dpkit noise` and `dpkit mechanisms`: good paths (text and JSON, every
# mechanism family) and bad arguments (exit 2 with a one-line message naming the parameter).
source "$(dirname "$0")/lib.sh"

# --- dpkit mechanisms -------------------------------------------------------------------------
expect_exit 0 "$DPKIT" mechanisms
for m in laplace gaussian discrete_laplace discrete_gaussian exponential permute_and_flip \
         report_noisy_max_gumbel report_noisy_max_exponential sparse_vector \
         randomized_response kary_randomized_response; do
  expect_contains "$OUT" "$m (" "dpkit mechanisms"
done
expect_contains "$OUT" "Balle & Wang 2018" "dpkit mechanisms"
expect_exit 0 "$DPKIT" mechanisms --json
n=$(printf '%s' "$OUT" | grep -c '"privacy_claim"')
[ "$n" = 11 ] || fail "mechanisms --json lists $n mechanisms, want 11"

# --- good paths -------------------------------------------------------------------------------
expect_exit 0 "$DPKIT" noise laplace --epsilon 1 --sensitivity 1 --value 100
expect_contains "$OUT" "laplace: noisy value"
expect_contains "$OUT" "95% interval"
expect_contains "$OUT" "(exact)"
expect_contains "$OUT" "epsilon=1 pure DP"
expect_contains "$OUT" "discrete_laplace(noise_multiplier=1"

# Huge values are released, not clamped (1e50 came back as 2^100 with an interval excluding
# it), for Laplace and Gaussian; the noise scale is Delta/epsilon even when that is huge.
for mech in "laplace --epsilon 1" "gaussian --epsilon 1 --delta 1e-6"; do
  expect_exit 0 "$DPKIT" --insecure-seed 3 noise $mech --sensitivity 1 --value 1e50 --json
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); i=d['interval']
sys.exit(0 if d['noisy_value'] == 1e50 and i['lower'] <= 1e50 <= i['upper'] else 1)" "$OUT" \
    || fail "$mech: 1e50 not released with an interval containing it: $OUT"
done
expect_exit 0 "$DPKIT" noise laplace --epsilon 1e-8 --sensitivity 1e8 --value 0 --json
python3 -c "import json,sys; b=json.loads(sys.argv[1])['noise_scale']
sys.exit(0 if 1e16 <= b < 1e16 * (1 + 1e-5) else 1)" "$OUT" || fail "noise scale not 1e16: $OUT"
expect_exit 2 "$DPKIT" noise laplace --epsilon 1e-15 --sensitivity 1 --value 0
expect_contains "$ERR" "the exact sampler cannot add Laplace noise"

# Reproducible only with the loudly named flag, which warns on stderr.
expect_exit 0 "$DPKIT" --insecure-seed 7 noise laplace --epsilon 1 --sensitivity 1 --value 100 --json
first=$OUT
expect_contains "$ERR" "NO privacy"
expect_contains "$OUT" '"insecure_seed": true'
expect_exit 0 "$DPKIT" --insecure-seed 7 noise laplace --epsilon 1 --sensitivity 1 --value 100 --json
[ "$OUT" = "$first" ] || fail "--insecure-seed runs differ"
# Without it, two runs differ (secure generator) and nothing is said about seeds.
expect_exit 0 "$DPKIT" noise laplace --epsilon 1 --sensitivity 1 --value 100 --json
a=$OUT
expect_exit 0 "$DPKIT" noise laplace --epsilon 1 --sensitivity 1 --value 100 --json
[ "$OUT" != "$a" ] || fail "two secure runs gave identical output"
expect_contains "$OUT" '"insecure_seed": false'
case "$ERR" in *seed*) fail "secure run mentions a seed: $ERR" ;; esac

# JSON is machine-readable and the interval contains the released value.
expect_exit 0 "$DPKIT" noise gaussian --epsilon 0.5 --delta 1e-6 --sensitivity 2 --value -3.5 --json
python3 - "$OUT" <<'PY' || fail "gaussian JSON check"
import json, sys
j = json.loads(sys.argv[1])
assert j["mechanism"] == "gaussian"
assert j["privacy_map"]["kind"] == "discrete_gaussian", j
assert j["interval"]["lower"] <= j["noisy_value"] <= j["interval"]["upper"]
assert j["interval"]["exact"] is True
assert j["noise_scale"] > 2 * 8.05, j   # analytic sigma for (0.5, 1e-6) is 8.0576 per unit
assert "analytic" in j["privacy_claim"]
PY
expect_exit 0 "$DPKIT" noise gaussian --epsilon 0.5 --delta 1e-6 --sensitivity 1 --value 0 --calibration classic
expect_contains "$OUT" "classic calibration"
expect_exit 0 "$DPKIT" noise gaussian --rho 0.5 --sensitivity 1 --value 0
expect_contains "$OUT" "zCDP"
expect_exit 0 "$DPKIT" noise discrete_laplace --epsilon 0.5 --sensitivity 1 --value 42 --confidence 0.9
expect_contains "$OUT" "90% interval"
expect_exit 0 "$DPKIT" noise discrete_gaussian --epsilon 1 --delta 1e-5 --sensitivity 1 --value=-7
expect_contains "$OUT" "discrete_gaussian: noisy value"
expect_exit 0 "$DPKIT" noise geometric --epsilon 1 --sensitivity 1 --value 3
expect_contains "$OUT" "discrete_laplace: noisy value"
expect_exit 0 "$DPKIT" noise exponential --epsilon 1 --sensitivity 1 --scores 1,2,1000
expect_contains "$OUT" "selected index 2"
expect_exit 0 "$DPKIT" noise report_noisy_max_exponential --epsilon 1 --sensitivity 1 --scores=-5,1e6,3 --json
expect_contains "$OUT" '"selected_index": 1'
expect_contains "$OUT" "implemented as permute_and_flip"
expect_exit 0 "$DPKIT" noise sparse_vector --epsilon 1 --sensitivity 1 --threshold 50 --queries 0,1000,3
expect_contains "$OUT" "answers below,above"
expect_contains "$OUT" "stopped after 2 of 3 queries"
expect_exit 0 "$DPKIT" noise randomized_response --epsilon 2 --value 1
expect_contains "$OUT" "noisy category"
expect_exit 0 "$DPKIT" noise kary_randomized_response --epsilon 2 --value 3 --categories 5 --json
expect_contains "$OUT" '"output_kind": "category"'

# --- bad arguments: exit 2, one line on stderr naming the parameter and value ---------------
bad() {  # bad <expected stderr substring> <args...>
  local want=$1; shift
  expect_exit 2 "$DPKIT" noise "$@"
  expect_contains "$ERR" "$want" "stderr of 'noise $*'"
  [ "$(printf '%s\n' "$ERR" | wc -l)" -le 1 ] || fail "multi-line error for 'noise $*': $ERR"
}
bad "epsilon must be finite and > 0, got -1" laplace --epsilon -1 --sensitivity 1 --value 1
bad "epsilon must be finite and > 0, got 0" laplace --epsilon 0 --sensitivity 1 --value 1
bad "epsilon must be finite and > 0, got nan" laplace --epsilon nan --sensitivity 1 --value 1
bad "epsilon must be finite and > 0, got inf" laplace --epsilon inf --sensitivity 1 --value 1
bad "l1_sensitivity must be finite and > 0, got 0" laplace --epsilon 1 --sensitivity 0 --value 1
bad "l1_sensitivity must be finite and > 0, got -2" laplace --epsilon 1 --sensitivity -2 --value 1
bad "value must be finite, got nan" laplace --epsilon 1 --sensitivity 1 --value nan
bad "laplace needs --value" laplace --epsilon 1 --sensitivity 1
bad "laplace needs --sensitivity" laplace --epsilon 1 --value 3
bad "--delta does not apply to laplace" laplace --epsilon 1 --sensitivity 1 --value 1 --delta 1e-5
bad "delta must be in (0, 1), got 1.5" gaussian --epsilon 1 --delta 1.5 --sensitivity 1 --value 1
bad "delta must be in (0, 1), got 0" gaussian --epsilon 1 --delta 0 --sensitivity 1 --value 1
bad "gaussian needs --delta" gaussian --epsilon 1 --sensitivity 1 --value 1
bad "only valid for epsilon < 1" gaussian --epsilon 2 --delta 1e-5 --sensitivity 1 --value 1 --calibration classic
bad "calibration must be 'analytic' or 'classic', got 'magic'" gaussian --epsilon 1 --delta 1e-5 --sensitivity 1 --value 1 --calibration magic
bad "confidence must be in (0, 1), got 1.5" laplace --epsilon 1 --sensitivity 1 --value 1 --confidence 1.5
bad "--value must be an integer for discrete_laplace, got 2.5" discrete_laplace --epsilon 1 --sensitivity 1 --value 2.5
bad "--sensitivity must be an integer for discrete_gaussian, got 0.5" discrete_gaussian --epsilon 1 --delta 1e-5 --sensitivity 0.5 --value 2
bad "unknown mechanism 'lapalce'" lapalce --epsilon 1 --sensitivity 1 --value 1
bad "--scores: item 2 'x' is not a number" exponential --epsilon 1 --sensitivity 1 --scores 1,x,3
bad "exponential needs --scores" exponential --epsilon 1 --sensitivity 1
bad "sparse_vector needs --threshold" sparse_vector --epsilon 1 --sensitivity 1 --queries 1,2
bad "value must be a category in [0, 2), got 2" randomized_response --epsilon 1 --value 2
bad "--sensitivity does not apply to randomized_response" randomized_response --epsilon 1 --value 1 --sensitivity 1
bad "kary_randomized_response needs --categories" kary_randomized_response --epsilon 1 --value 1
# CLI11 parse errors (non-numbers, missing mechanism) are usage errors too.
expect_exit 2 "$DPKIT" noise laplace --epsilon abc --sensitivity 1 --value 1
expect_contains "$ERR" "--epsilon"
expect_exit 2 "$DPKIT" noise
expect_contains "$ERR" "mechanism"

finish
