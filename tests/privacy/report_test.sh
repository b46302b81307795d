#!/usr/bin/env bash
# `dpkit report` is a data-owner tool: it compares synthetic rows with the REAL rows, so its
# outputs are exact statistics of the private data and cannot be DP. The neighbouring-dataset
# test therefore checks the opposite of the release tests: on D and D' the report's outputs DO
# differ (it is not a release), and every channel says so — stdout, the HTML and the JSON are
# marked "not differentially private", so a report never passes for a DP release.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/D" "$WORK/D2"
"$DPKIT" sample customers --rows 300 --out "$WORK/base.csv" 2>/dev/null
python3 "$PRIVACY_DIR/make_neighbours.py" "$WORK/base.csv" "$WORK/D/customers.csv" "$WORK/D2/customers.csv"
"$DPKIT" sample customers --rows 300 --seed 9 --out "$WORK/synthetic.csv" 2>/dev/null
for side in D D2; do
  use_input "$side"
  privacy_run "$side" 1 "$DPKIT" report --real "$INPUT/customers.csv" --synthetic "$WORK/synthetic.csv" \
    --identifier customer_id --target churned --out report.html
done
for d in $(run_dirs D) $(run_dirs D2); do
  [ "$(cat "$d/.channels/exit")" = 0 ] || { fail "report failed: $(cat "$d/.channels/stderr")"; continue; }
  grep -q "NOT DIFFERENTIALLY PRIVATE" "$d/.channels/stdout" || fail "stdout is not marked as a data-owner output"
  grep -q "NOT DIFFERENTIALLY PRIVATE" "$d/report.html" || fail "report.html is not marked"
  grep -q '"differentially_private": false' "$d/report.json" || fail "report.json is not marked"
done
# It is not a release: the exact row counts of D and D' show (300 vs 301 real rows).
python3 "$PRIVACY_DIR/compare_runs.py" "$WORK/runs" D D2 >/dev/null && fail "report outputs do not depend on the real rows?"
finish
