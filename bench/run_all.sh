#!/usr/bin/env bash
# Runs every benchmark: the Google Benchmark executables of a build tree, then the side-by-side
# peer scripts (bench/*_peer.sh). Usage: bench/run_all.sh [build_dir]
set -euo pipefail
build_dir=${1:-build/release}
here=$(cd "$(dirname "$0")" && pwd)
for exe in "$build_dir"/bench/*_bench; do
  [ -x "$exe" ] || continue
  echo "== $(basename "$exe")"
  "$exe" --benchmark_min_time=0.5
done
for script in "$here"/*_peer.sh; do
  [ -f "$script" ] || continue
  echo "== $(basename "$script")"
  bash "$script" "$build_dir"
done
