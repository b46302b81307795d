# Neighbouring-dataset tests of whole CLI workflows. Usage, in tests/privacy/<name>_test.sh:
#   source "$(dirname "$0")/lib.sh"          # $1 = path to dpkit
#   ... write D and D' (D plus one unit with extreme, unique values) under $WORK ...
#   for i in $(seq "$RUNS_PER_SIDE"); do   # D in $WORK/D/, D' in $WORK/D2/
#     for side in D D2; do
#       use_input $side                     # $INPUT -> $WORK/$side (same path on both sides)
#       privacy_run $side $i "$DPKIT" synth --data "$INPUT/d.csv" ... --out out/s.csv
#     done
#   done
#   privacy_compare D D2 [--owner 'out/owner/*'] ...   # no channel may differ deterministically
#   ... targeted checks (e.g. no '+44' phone in any D2 output) ...
#   finish
#
# privacy_run runs the command in its own folder $WORK/runs/<side>/<i> (use relative output
# paths so both sides print the same paths) and records every output channel: stdout, stderr,
# the exit code and every file written there. privacy_compare (compare_runs.py) reports the
# features of those channels that are present in EVERY run of one side and in NO run of the
# other: an output that differs deterministically between neighbouring datasets. Data-owner
# outputs (not DP by design, e.g. clean.csv or the evaluation report) are excluded with --owner
# globs; DP outputs never are.
set -uo pipefail
DPKIT=${1:?usage: $0 /path/to/dpkit}
WORK=$(mktemp -d /tmp/dpkit_privacy_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PRIVACY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FAILURES=0

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }

# Runs per side. A feature that a DP release shows with the same probability p on both sides is
# flagged by chance with probability p^k (1-p)^k <= 4^-k, and an output has dozens of noisy
# features: at 4-5 runs the query, serve and pipeline tests each failed now and then (about
# once in 8 to 32 runs).
RUNS_PER_SIDE=8

# privacy_run <side> <index> <command...>
privacy_run() {
  local side=$1 index=$2; shift 2
  local dir="$WORK/runs/$side/$index"
  mkdir -p "$dir/.channels"
  (cd "$dir" && "$@" >.channels/stdout 2>.channels/stderr; echo $? >.channels/exit)
}

# use_input <side>: points $INPUT (the same path for every run, so commands print the same input
# paths on both sides) at the folder $WORK/<side>.
INPUT="$WORK/input"
use_input() { ln -sfn "$WORK/$1" "$INPUT"; }

# privacy_compare <sideA> <sideB> [--owner GLOB]... [--ignore-line REGEX]...
privacy_compare() {
  python3 "$PRIVACY_DIR/compare_runs.py" "$WORK/runs" "$@" || fail "deterministic difference between $1 and $2 (see above)"
}

# customer_neighbours <rows>: the sample customer table as D ($WORK/D/customers.csv) and D' (D plus
# one customer with extreme, unique values: make_neighbours.py in $WORK/D2/customers.csv).
# customers_schema.json is their public schema.
customer_neighbours() {
  mkdir -p "$WORK/D" "$WORK/D2"
  "$DPKIT" sample customers --rows "$1" --out "$WORK/base.csv" 2>/dev/null
  python3 "$PRIVACY_DIR/make_neighbours.py" "$WORK/base.csv" "$WORK/D/customers.csv" "$WORK/D2/customers.csv"
}

# pipeline_runs <suffix> <schema>: RUNS_PER_SIDE runs per side of `dpkit pipeline` (MST,
# epsilon 1, a 20% holdout) on D and D' (customer_neighbours), as run sides D<suffix> and
# D2<suffix>.
pipeline_runs() {
  local i side
  for i in $(seq "$RUNS_PER_SIDE"); do
    for side in D D2; do
      use_input "$side"
      privacy_run "$side$1" "$i" "$DPKIT" pipeline --data "$INPUT/customers.csv" \
        --schema "$2" --out run --epsilon 1 --delta 1e-6 --method mst --holdout 0.2
    done
  done
}

# synth_runs <prefix> <data file> <options...>: RUNS_PER_SIDE runs per side of `dpkit synth`
# (MST, epsilon 1, the options given) on D and D' ($WORK/<side>/<data file>), as run sides
# <prefix>D and <prefix>D2.
synth_runs() {
  local prefix=$1 data=$2 i side
  shift 2
  for i in $(seq "$RUNS_PER_SIDE"); do
    for side in D D2; do
      use_input "$side"
      privacy_run "$prefix$side" "$i" "$DPKIT" synth --data "$INPUT/$data" "$@" \
        --method mst --epsilon 1 --delta 1e-6 --out s.csv
    done
  done
}

# run_dirs <side>: the run folders of a side.
run_dirs() { ls -d "$WORK/runs/$1"/*; }

finish() {
  if [ "$FAILURES" -ne 0 ]; then echo "$FAILURES failure(s)" >&2; exit 1; fi
  echo "ok"
}
