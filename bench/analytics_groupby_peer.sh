#!/usr/bin/env bash
# dpkit's DP GROUP BY (10M rows, ~1M privacy units, 100 groups, COUNT/SUM/AVG, L0 = 3, Linf = 5)
# vs DuckDB's and polars' non-private GROUP BY on the same in-memory data, 1 and 2 threads,
# interleaved in one run (see bench/analytics_groupby_peer.py for what is timed).
#
# Usage: bench/analytics_groupby_peer.sh [build_dir] [driver options, e.g. --rounds 9]
# build_dir holds bench/analytics_bench (default build/release). DuckDB, polars, pandas and numpy
# come from PyPI into a venv (default build/venv; ANALYTICS_GROUPBY_VENV to use another).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build_dir=${1:-build/release}
shift || true
bench="$build_dir/bench/analytics_bench"
venv=${ANALYTICS_GROUPBY_VENV:-$here/../build/venv}
[ -x "$bench" ] || { echo "analytics_groupby_peer: $bench not found; build the analytics_bench target" >&2; exit 2; }
if ! "$venv/bin/python" -c 'import duckdb, polars, pandas, numpy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q duckdb polars pandas numpy
fi
exec "$venv/bin/python" "$here/analytics_groupby_peer.py" --bench "$bench" "$@"
