#!/usr/bin/env bash
# DP-SGD step vs the non-private step of the same model, side by side in one run:
# bench/train_bench with interleaved repetitions (min and median of each), wall time and
# process CPU (every thread of the process, the drawing threads included), load noted.
# With PEER_PYTHON set to a Python that has torch and opacus (build/venv/bin/python after
# `make test-python`), Opacus' step on the same MLP runs next in the same script
# (bench/train_opacus_peer.py; PEER_ARGS passes options such as --mnist-dir).
# On a loaded machine, OMP_NUM_THREADS=1 (one compute thread for LibTorch and PyTorch alike)
# keeps OpenMP barriers from stalling on descheduled threads; the drawing threads are dpkit's own.
# Usage: [PEER_PYTHON=...] bench/train_step_ratio.sh [build_dir] [repetitions, default 5] [filter regex]
set -euo pipefail
build_dir=${1:-build/release}
reps=${2:-5}
filter=${3:-_(NonPrivate|DpSgd)/}
json=$(mktemp)
trap 'rm -f "$json"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc --all) cores), OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}"
"$build_dir/bench/train_bench" --benchmark_filter="$filter" --benchmark_repetitions="$reps" \
  --benchmark_enable_random_interleaving=true --benchmark_min_time=0.5 \
  --benchmark_format=json --benchmark_out="$json" >/dev/null
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$json" <<'PY'
import json, re, sys
runs = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    m = re.match(r"BM_(\w+?)_(NonPrivate|DpSgd)/(\d+)/.*_(min|median)$", b["name"])
    if m and b.get("run_type") == "aggregate":
        model, kind, batch, stat = m.groups()
        runs[(model, int(batch), kind, stat)] = (b["real_time"], b["cpu_time"])
print(f"{'model':<9} {'B':>5} | {'non-private ms (min/med)':>24} {'cpu':>6} | "
      f"{'DP-SGD ms (min/med)':>20} {'cpu':>6} | ratio wall min/med | ratio cpu (min)")
for model, batch in sorted({(k[0], k[1]) for k in runs}):
    try:
        npm, npd = runs[(model, batch, "NonPrivate", "min")], runs[(model, batch, "NonPrivate", "median")]
        dpm, dpd = runs[(model, batch, "DpSgd", "min")], runs[(model, batch, "DpSgd", "median")]
    except KeyError:
        continue
    print(f"{model:<9} {batch:>5} | {npm[0]:>11.3f} / {npd[0]:<10.3f} {npm[1]:>6.3f} | "
          f"{dpm[0]:>8.3f} / {dpd[0]:<9.3f} {dpm[1]:>6.3f} | {dpm[0] / npm[0]:>7.2f}x / "
          f"{dpd[0] / npd[0]:.2f}x    | {dpm[1] / npm[1]:.2f}x")
PY
if [ -n "${PEER_PYTHON:-}" ]; then
  echo
  echo "Opacus (same MLP, noise multiplier 1, C = 1), $reps repetitions:"
  # shellcheck disable=SC2086
  "$PEER_PYTHON" "$(dirname "$0")/train_opacus_peer.py" --reps "$reps" ${PEER_ARGS:-}
fi
