#!/usr/bin/env bash
# Neighbouring-dataset test of `dpkit pipeline` with a public hierarchy (issue 14): the schema of
# `dpkit sample customers --schema-out` declares ZIP3 -> city -> state from the generator's
# gazetteer; the pipeline models the three as one column of gazetteer combinations
# (synth/hierarchy.h). D' = D plus one customer whose ZIP/city/state are in no gazetteer entry
# (make_neighbours.py). Run with "unlisted": "coarser" (unlisted combinations kept at a coarser
# level, "other" below it) and "null" (the gazetteer is complete). The DP outputs must not differ
# deterministically, and the synthetic rows hold only combinations the schema lists.
source "$(dirname "$0")/lib.sh"

customer_neighbours 800
"$DPKIT" sample customers --rows 10 --out "$WORK/s.csv" --schema-out "$WORK/null.json" >/dev/null
python3 - "$WORK/null.json" "$WORK/coarser.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["hierarchies"][0]["columns"] == ["zip", "city", "state"], s["hierarchies"]
s["hierarchies"][0]["unlisted"] = "coarser"
json.dump(s, open(sys.argv[2], "w"))
PY

for mode in coarser null; do
  pipeline_runs "-$mode" "$WORK/$mode.json"
  privacy_compare "D-$mode" "D2-$mode" --owner 'run/owner/*' --owner 'run/ledger.db'
  for d in $(run_dirs "D2-$mode") $(run_dirs "D-$mode"); do
    [ "$(cat "$d/.channels/exit")" = 0 ] || { fail "pipeline failed in $d: $(cat "$d/.channels/stderr")"; continue; }
    # Every synthetic (zip, city, state) is a listed combination or, with "coarser", a coarser
    # level of one ("other" below it); never the extra customer's values.
    python3 "$PRIVACY_DIR/../check_schema_structure.py" "$WORK/$mode.json" "$d/run/synthetic.csv" ||
      fail "a synthetic ZIP3/city/state combination is not from the schema in $d"
  done
done
finish
