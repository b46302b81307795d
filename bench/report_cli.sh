#!/usr/bin/env bash
# Times `dpkit report` end to end (CSV reading, every metric, HTML + JSON writing) on
# ROWS x 20 columns with a holdout of the same size. Usage: bench/report_cli.sh /path/to/dpkit [ROWS]
set -euo pipefail
DPKIT=${1:?usage: $0 /path/to/dpkit [rows]}
ROWS=${2:-50000}
DIR=$(mktemp -d /tmp/dpkit_report_bench_XXXXXX)
trap 'rm -rf "$DIR"' EXIT
python3 "$(dirname "$0")/report_make_wide.py" "$DIR" "$ROWS"
for run in 1 2 3 4 5; do
  /usr/bin/time -f "run $run: %e s wall, %U s user, %M KB peak" "$DPKIT" -q report \
    --real "$DIR/real.csv" --synthetic "$DIR/synthetic.csv" --holdout "$DIR/holdout.csv" \
    --target cat1 --out "$DIR/report.html"
done
python3 -c "import json,sys; print('evaluation seconds (in-process):', json.load(open(sys.argv[1]))['seconds'])" "$DIR/report.json"
ls -l "$DIR/report.html" | awk '{print "report.html bytes:", $5}'
