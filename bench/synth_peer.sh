#!/usr/bin/env bash
# Side-by-side synthetic-data benchmark: dpkit synth (MST, AIM) vs Private-PGM (PyPI `mbi`),
# same data, same epsilon, same evaluator (mean L1 of normalised 3-way marginals, all of them).
# The peer is installed into a throwaway venv under /tmp (never committed). Usage:
#   bench/synth_peer.sh [build_dir]     (env: SYNTH_DATASETS, SYNTH_EPS, SYNTH_RUNS, SYNTH_METHODS)
# Prints one line per (dataset, method, epsilon): mean error and mean wall time of each side over
# SYNTH_RUNS runs, and the time ratio. Wall times are whole fit+sample runs of each tool.
set -euo pipefail
build=${1:-build/release}
here=$(cd "$(dirname "$0")" && pwd)
dpkit=$build/src/cli/dpkit
[ -x "$dpkit" ] || dpkit=$build/dpkit
data=${DPKIT_SHARED_DATA_DIR:-$here/../../shared/data}/aim-benchmark
datasets=${SYNTH_DATASETS:-"titanic nltcs adult"}
epsilons=${SYNTH_EPS:-"0.3 1 3 10"}
runs=${SYNTH_RUNS:-5}
methods=${SYNTH_METHODS:-"mst aim"}
venv=/tmp/dpkit-synth-peer-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q mbi numpy ||
    { echo "could not install the peer (pip install mbi) into $venv"; venv=""; }
fi
py=${venv:+$venv/bin/python}
work=$(mktemp -d /tmp/dpkit_synth_bench_XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
printf '%-8s %-4s %5s | %-10s %-9s | %-10s %-9s | %s\n' data meth eps dpkit_err dpkit_s \
  peer_err peer_s "peer_s/dpkit_s"
for ds in $datasets; do
  for m in $methods; do
    for eps in $epsilons; do
      de=0; dt=0; pe=0; pt=0; np=0
      for ((r = 1; r <= runs; r++)); do
        t0=$(now)
        "$dpkit" -q synth --data "$data/$ds.csv" --domain "$data/$ds-domain.json" --method "$m" \
          --epsilon "$eps" --delta 1e-9 --out "$work/d.csv" >/dev/null
        t1=$(now)
        dt=$(echo "$dt + $t1 - $t0" | bc -l)
        de=$(echo "$de + $("$py" "$here/synth_peer_driver.py" error "$data/$ds.csv" \
          "$data/$ds-domain.json" "$work/d.csv")" | bc -l)
        if [ -n "$py" ] && [ "$m" = mst ]; then
          t0=$(now)
          "$py" "$here/synth_peer_driver.py" mst "$data/$ds.csv" "$data/$ds-domain.json" "$eps" \
            1e-9 "$r" "$work/p.csv" 2000 >/dev/null 2>&1
          t1=$(now)
          pt=$(echo "$pt + $t1 - $t0" | bc -l)
          pe=$(echo "$pe + $("$py" "$here/synth_peer_driver.py" error "$data/$ds.csv" \
            "$data/$ds-domain.json" "$work/p.csv")" | bc -l)
          np=$((np + 1))
        fi
      done
      if [ "$np" -gt 0 ]; then
        printf '%-8s %-4s %5s | %-10.4f %-9.2f | %-10.4f %-9.2f | %.1fx\n' "$ds" "$m" "$eps" \
          "$(echo "$de / $runs" | bc -l)" "$(echo "$dt / $runs" | bc -l)" \
          "$(echo "$pe / $np" | bc -l)" "$(echo "$pt / $np" | bc -l)" "$(echo "$pt / $dt" | bc -l)"
      else
        printf '%-8s %-4s %5s | %-10.4f %-9.2f | %-10s %-9s | %s\n' "$ds" "$m" "$eps" \
          "$(echo "$de / $runs" | bc -l)" "$(echo "$dt / $runs" | bc -l)" n/a n/a \
          "(no peer AIM: not in PyPI mbi)"
      fi
    done
  done
done
