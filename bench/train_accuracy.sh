#!/usr/bin/env bash
# Accuracy of DP-SGD at epsilon = 1, 3, 8 (delta = 1e-5):
#   * UCI Adult (adult.data train / adult.test test), `dpkit train`, MLP 64-64;
#   * MNIST 10k train / 10k test, the examples/mnist CNN (GroupNorm, tanh).
# Usage: bench/train_accuracy.sh [build_dir]   (a release build)
set -euo pipefail
build_dir=${1:-build/release}
root=$(cd "$(dirname "$0")/.." && pwd)
data=${DPKIT_SHARED_DATA_DIR:-$root/../shared/data}
dpkit=$build_dir/src/cli/dpkit
mnist=$build_dir/examples/mnist/mnist_dp
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "dataset  epsilon  accuracy  epsilon_spent  seconds"
for eps in 1 3 8; do
  start=$(date +%s.%N)
  "$dpkit" -q train --data "$data/adult-uci/adult.data" --no-header \
    --schema "$root/bench/train_adult_schema.json" --target income --rows 32561 \
    --test-data "$data/adult-uci/adult.test" --test-skip-lines 1 \
    --model mlp:64,64 --epsilon "$eps" --delta 1e-5 --epochs 10 --batch-size 512 \
    --clip 1 --lr 0.5 --out "$tmp/adult$eps.pt"
  end=$(date +%s.%N)
  python3 - "$tmp/adult$eps.report.json" "$eps" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"adult    {sys.argv[2]:>7}  {r['test_data']['epochs'][-1]['accuracy']:.4f}    {r['privacy']['epsilon_spent']:.3f}          {float(sys.argv[4]) - float(sys.argv[3]):.1f}")
PY
done
for eps in 1 3 8; do
  start=$(date +%s.%N)
  line=$("$mnist" --data-dir "$data/mnist" --epsilon "$eps" --epochs 15 --batch-size 256 \
    --lr 1.0 | tail -n 1)
  end=$(date +%s.%N)
  # "final test accuracy A at epsilon E (P parameters)"
  set -- $line
  printf "mnist    %7s  %.4f    %.3f          %.1f\n" "$eps" "$4" "$7" "$(echo "$end - $start" | bc)"
done
