#!/usr/bin/env bash
# Neighbouring-dataset test of the web service's release workflow (issue 17, dpkit serve): the
# owner uploads D or D' (D plus one extreme customer, make_neighbours.py) through the REST API,
# sets the public schema and PII actions and opens a budget; a reader runs an MST synthesis job,
# downloads its DP files, asks a DP SQL query and an over-budget job, and reads the dataset, its
# jobs and its ledger (serve_client.py). Every reader channel (HTTP statuses, JSON answers, DP
# files) and the server's log must not differ deterministically; owner/ (NOT DP: the upload's
# size, the report, clean.csv) and state/ (the server's private data folder) are excluded.
# Needs a Python with the dpkit package: $DPKIT_PYTHON, else build/venv (make python).
source "$(dirname "$0")/lib.sh"

PY=${DPKIT_PYTHON:-${DPKIT_SOURCE_DIR:-$PRIVACY_DIR/../..}/build/venv/bin/python}
if ! "$PY" -c 'import dpkit.serve' 2>/dev/null; then
  echo "FAIL: $PY cannot import dpkit.serve: run 'make python' or set DPKIT_PYTHON" >&2
  exit 1
fi
export DPKIT_CLI="$DPKIT"

customer_neighbours 600
for i in $(seq "$RUNS_PER_SIDE"); do
  for side in D D2; do
    use_input "$side"
    privacy_run "$side" "$i" "$PY" "$PRIVACY_DIR/serve_client.py" "$INPUT/customers.csv" "$PRIVACY_DIR/customers_schema.json"
  done
done
privacy_compare D D2 --owner 'owner/*' --owner 'state/*'

for side in D D2; do
  for d in $(run_dirs $side); do
    [ "$(cat "$d/.channels/exit")" = 0 ] || { fail "the API workflow on $side failed: $(tail -5 "$d/.channels/stderr")"; continue; }
    grep -q '"state": "done"' "$d/reader/job.json" || fail "synthesis job not done in $d"
    grep -q '^GET /api/jobs/JOB/files/report.html -> 403$' "$d/.channels/stdout" || fail "a reader got the report in $d"
    grep -q '^over-budget job: refused' "$d/.channels/stdout" || fail "over-budget job not refused in $d"
    # A reader sees no size of the upload and no exact count (601 customers in D', 600 in D).
    grep -qE '"bytes"|"filename"' "$d/reader/dataset.json" && fail "a reader sees the upload's size in $d"
    # The number of synthetic rows is the DP row count, which lands on the true count now and
    # then (the test failed on it in 3 of 13 runs): that line is DP, not a leak.
    grep -hE '\b60[01]\b' "$d/reader/summary.json" "$d/reader/privacy.json" |
      grep -qvE '"synthetic_rows": [0-9]+,?$' && fail "an exact count in $d's DP files"
    grep -rl "$d/state" "$d/reader" && fail "the server's data folder is named in a reader's file in $d"
    # The extra customer's identifiers appear nowhere a reader or the log can see.
    grep -rlE 'Zzyzx|Quixotexyz|\+44 20|3530111333300000|Platinum-Unique' "$d/reader" "$d/.channels" "$d/state.log" \
      && fail "the extra customer's values reach a reader or the log in $d"
  done
done
finish
