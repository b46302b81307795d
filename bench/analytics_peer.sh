#!/usr/bin/env bash
# DP quantile accuracy side by side at epsilon = 1 on UCI Adult (age, hours-per-week; median and
# p90; add/remove-one-row neighbours, bounds [0, 100]): dpkit's analytics engine vs OpenDP and
# diffprivlib, same data, same epsilon, same number of runs (200), in one run.
#
# Usage: bench/analytics_peer.sh [build_dir]   (build_dir with bench/analytics_bench; default
# build/release). The peers are installed from PyPI into a throwaway venv under /tmp
# (ANALYTICS_PEER_VENV to reuse one; diffprivlib 0.6 needs scikit-learn < 1.6); nothing is
# written into the repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build_dir=${1:-build/release}
bench="$build_dir/bench/analytics_bench"
data="$here/../../shared/data/adult-uci/adult.data"
venv=${ANALYTICS_PEER_VENV:-/tmp/dpkit-analytics-peer-venv}
[ -x "$bench" ] || { echo "analytics_peer: $bench not found; build the analytics_bench target" >&2; exit 2; }
[ -f "$data" ] || { echo "analytics_peer: $data not found (shared data missing)" >&2; exit 2; }
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q opendp diffprivlib "scikit-learn<1.6" numpy || echo "analytics_peer: some peers failed to install; they are reported as not installed" >&2
fi
out=$(mktemp /tmp/dpkit_analytics_peer.XXXXXX.json)
trap 'rm -f "$out"' EXIT
"$bench" --benchmark_filter=QuantileAccuracy --benchmark_format=json >"$out"
"$venv/bin/python" -c 'import opendp, diffprivlib; print("peers: opendp", opendp.__version__, "diffprivlib", diffprivlib.__version__)' 2>/dev/null || true
"$venv/bin/python" "$here/analytics_peer.py" --dpkit-json "$out" --data "$data" --epsilon 1
