#!/usr/bin/env bash
# End-to-end tests of `dpkit privacy` (accounting): reference values, inverse problems, map
# composition from real JSON files, and clear errors with the documented exit codes.
source "$(dirname "$0")/lib.sh"

json_get() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# TF Privacy compute_dp_sgd_privacy reference: N=60000, B=150, sigma=1.3, 15 epochs, delta=1e-5
# -> eps = 0.7242234026 at RDP order 19 (TF's order grid, improved conversion).
expect_exit 0 "$DPKIT" privacy dpsgd --examples 60000 --batch 150 --noise-multiplier 1.3 \
  --epochs 15 --delta 1e-5 --orders tf
expect_contains "$OUT" "iterated over 6000 steps" "dpsgd"
expect_contains "$OUT" "eps = 0.7242234026" "dpsgd TF reference"
expect_contains "$OUT" "optimal RDP order 19" "dpsgd order"

# TF's MNIST tutorial with the classic conversion: eps ~ 3.01.
expect_exit 0 "$DPKIT" privacy dpsgd --examples 60000 --batch 256 --noise-multiplier 1.1 \
  --epochs 60 --delta 1e-5 --orders tf --conversion classic --json
eps=$(echo "$OUT" | json_get "['epsilon']")
python3 -c "import sys; e=float('$eps'); sys.exit(0 if abs(e-3.01) < 0.005 else 1)" \
  || fail "classic MNIST epsilon $eps not ~3.01"

# PLD: a rigorous upper bound, below the RDP value, with its error bars.
expect_exit 0 "$DPKIT" privacy dpsgd --sampling-rate 0.01 --steps 1000 --noise-multiplier 1 \
  --delta 1e-5 --accountant pld --json
pld_eps=$(echo "$OUT" | json_get "['epsilon']")
pld_lo=$(echo "$OUT" | json_get "['epsilon_lower']")
expect_exit 0 "$DPKIT" privacy dpsgd --sampling-rate 0.01 --steps 1000 --noise-multiplier 1 \
  --delta 1e-5 --json
rdp_eps=$(echo "$OUT" | json_get "['epsilon']")
python3 -c "import sys; sys.exit(0 if $pld_lo <= $pld_eps < $rdp_eps else 1)" \
  || fail "PLD bounds [$pld_lo, $pld_eps] not below RDP $rdp_eps"

# --accountant pld prints the accountant's answer (min of PLD, RDP, basic) and which bound gave
# it: a PLD that cannot certify delta=1e-10 printed eps = inf; a 1-step PLD printed 22.87.
expect_exit 0 "$DPKIT" privacy dpsgd --sampling-rate 0.0001 --steps 100000 --noise-multiplier 0.3 \
  --delta 1e-10 --accountant pld --json
python3 -c "import json,sys; d=json.loads(sys.argv[1])
sys.exit(0 if d['epsilon'] is not None and abs(d['epsilon'] - 45.44) < 0.01 and d['bound'] == 'RDP bound' else 1)" \
  "$OUT" || fail "pld dpsgd at delta 1e-10 is not the accountant's RDP answer: $OUT"
expect_exit 0 "$DPKIT" privacy dpsgd --sampling-rate 0.001 --steps 1 --noise-multiplier 10 \
  --delta 1e-5 --accountant pld
expect_contains "$OUT" "eps = 0.00350660908"
expect_contains "$OUT" "here the RDP bound"
expect_exit 0 "$DPKIT" privacy dpsgd --sampling-rate 0.001 --steps 1 --noise-multiplier 10 \
  --delta 1e-5 --accountant pld --json
python3 -c "import json,sys; d=json.loads(sys.argv[1])
sys.exit(0 if d['epsilon_error'] <= 0.0101 and d['pld_epsilon_upper'] < 0.011 else 1)" "$OUT" \
  || fail "1-step PLD misses the requested error 0.01: $OUT"

# Noise multiplier for the TF reference epsilon is 1.3.
expect_exit 0 "$DPKIT" privacy noise-multiplier --target-epsilon 0.7242234026 --delta 1e-5 \
  --examples 60000 --batch 150 --epochs 15 --orders tf --tolerance 1e-4 --json
nm=$(echo "$OUT" | json_get "['noise_multiplier']")
python3 -c "import sys; sys.exit(0 if abs($nm - 1.3) < 1e-3 else 1)" \
  || fail "noise multiplier $nm, want 1.3"

# Compose a real maps file: Gaussian sigma=sqrt(3) three times -> delta(eps=1) = 0.126936.
cat > "$WORK/maps.json" <<'JSON'
[{"kind": "gaussian", "noise_multiplier": 1.7320508075688772, "mechanism": "count"},
 {"kind": "gaussian", "noise_multiplier": 1.7320508075688772, "mechanism": "sum"},
 {"kind": "gaussian", "noise_multiplier": 1.7320508075688772, "mechanism": "mean"}]
JSON
expect_exit 0 "$DPKIT" privacy compose --maps "$WORK/maps.json" --epsilon 1 --accountant rdp
expect_contains "$OUT" "3 privacy map(s), sequential composition, rdp accountant: delta =" "compose"
expect_exit 0 "$DPKIT" privacy compose --maps "$WORK/maps.json" --epsilon 1 --json
d=$(echo "$OUT" | json_get "['delta']")
python3 -c "import sys; sys.exit(0 if 0.126936 <= $d < 0.131 else 1)" \
  || fail "PLD delta $d does not bound 0.126936 tightly"
# From stdin, parallel composition (disjoint partitions): the max.
echo '[{"kind":"pure_dp","epsilon":0.5},{"kind":"pure_dp","epsilon":0.25}]' > "$WORK/pure.json"
expect_exit 0 "$DPKIT" privacy compose --maps - --delta 0 --parallel --accountant basic < "$WORK/pure.json"
expect_contains "$OUT" "epsilon = 0.5 at delta = 0" "parallel"
expect_exit 0 "$DPKIT" privacy compose --maps "$WORK/pure.json" --delta 0 --accountant basic
expect_contains "$OUT" "epsilon = 0.75" "sequential"

# Errors: one line on stderr, documented exit codes.
expect_exit 2 "$DPKIT" privacy dpsgd --examples 60000 --batch 150 --noise-multiplier 1.3 --epochs 15
expect_contains "$ERR" "--delta is required" "missing delta"
expect_exit 2 "$DPKIT" privacy dpsgd --examples 100 --batch 200 --noise-multiplier 1 --epochs 1 --delta 1e-5
expect_contains "$ERR" "batch_size must be <= examples (100), got 200" "batch > N"
expect_exit 2 "$DPKIT" privacy dpsgd --sampling-rate 0.01 --steps 10 --noise-multiplier -1 --delta 1e-5
expect_contains "$ERR" "--noise-multiplier must be finite and > 0, got -1" "negative sigma"
expect_exit 2 "$DPKIT" privacy compose --maps "$WORK/maps.json" --delta 1e-5 --accountant moments
expect_contains "$ERR" "unknown accountant 'moments'" "unknown accountant"
echo '[{"kind": "approx_dp", "epsilon": 1, "delta": 1e-6}]' > "$WORK/approx.json"
expect_exit 2 "$DPKIT" privacy compose --maps "$WORK/approx.json" --delta 1e-5 --accountant zcdp
expect_contains "$ERR" "use the basic or pld accountant" "approx into zcdp"
echo '[{"kind": "gaussian", "noise_multiplier": 1}' > "$WORK/bad.json"
expect_exit 4 "$DPKIT" privacy compose --maps "$WORK/bad.json" --delta 1e-5
expect_contains "$ERR" "is not valid JSON" "malformed JSON"
echo '[{"kind": "pure_dp", "epsilon": -3}]' > "$WORK/neg.json"
expect_exit 4 "$DPKIT" privacy compose --maps "$WORK/neg.json" --delta 1e-5
expect_contains "$ERR" "item 1: epsilon must be finite and > 0, got -3" "negative epsilon in file"
expect_exit 4 "$DPKIT" privacy compose --maps "$WORK/missing.json" --delta 1e-5
expect_contains "$ERR" "cannot read maps file"
# A directory where a file is expected is a data error (exit 4), not an internal one (exit 1).
expect_exit 4 "$DPKIT" privacy compose --maps "$WORK" --delta 1e-5
expect_contains "$ERR" "is a directory; give the path of a file"
# A fractional repetition count is refused, never truncated (1.99 was charged as 1).
echo '[{"kind": "gaussian", "noise_multiplier": 2, "repetitions": 1.99}]' > "$WORK/frac.json"
expect_exit 4 "$DPKIT" privacy compose --maps "$WORK/frac.json" --delta 1e-5
expect_contains "$ERR" "'repetitions' must be an integer" "missing file"
expect_exit 2 "$DPKIT" privacy noise-multiplier --target-epsilon 1e-9 --delta 1e-12 \
  --sampling-rate 1 --steps 1000000000
expect_contains "$ERR" "no noise multiplier up to 1e6" "unreachable target"

finish
