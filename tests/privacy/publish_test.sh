#!/usr/bin/env bash
# Neighbouring-dataset test of `dpkit publish` (tests/privacy/lib.sh): D and D' = D plus one
# person (or one household) with extreme, unique values — a public tract nobody else lives in, an
# unlisted race, a non-numeric income, an age at the edge of the last bin — released 8 times each
# with real noise. No output channel (stdout, stderr, exit code, every file written) may differ
# deterministically, and the ledger must record the release's neighbouring relation: one row
# (person spec) or all rows of one 'hh' (household spec), with the same privacy maps on both
# sides. 8 runs per side keep the harness's false alarm per noisy feature below 4^-8.
source "$(dirname "$0")/lib.sh"

python3 - "$WORK" <<'PY'
import os, random, sys
work = sys.argv[1]
rng = random.Random(3)
tracts = ["N1-01", "N1-02", "N2-01", "S1-01", "S1-02"]  # S2-01 is public but empty in D
rows, hh = [], 0
while len(rows) < 400:
    hh += 1
    tract = rng.choice(tracts)
    for _ in range(rng.randrange(1, 5)):
        rows.append([tract, f"h{hh}", rng.choice("FM"), str(rng.randrange(90)),
                     str(rng.randrange(1, 4)), str(rng.randrange(100000))])
extreme = ["S2-01", "h-extreme", "M", "119", "5", "abc"]
header = "tract,hh,sex,age,race,income\n"
for side, extra in (("D", []), ("D2_person", [extreme]), ("D2_household", [extreme] * 10)):
    os.makedirs(f"{work}/{side}")
    with open(f"{work}/{side}/persons.csv", "w") as f:
        f.write(header + "".join(",".join(r) + "\n" for r in rows + extra))
PY

write_spec() {  # write_spec <file> <privacy_unit JSON> <extra table JSON>
  cat > "$1" <<JSON
{
  "dataset": "persons",
  "privacy_unit": $2,
  "geography": {"column": "tract",
                "codes": ["N1-01", "N1-02", "N2-01", "S1-01", "S1-02", "S2-01"],
                "levels": [{"name": "region", "prefix": 1}, {"name": "district", "prefix": 2},
                           {"name": "tract", "prefix": 5}]},
  "variables": [
    {"name": "sex", "type": "string", "categories": ["F", "M"]},
    {"name": "age", "type": "int64", "bins": [0, 18, 65, 120]},
    {"name": "race", "type": "int64", "categories": ["1", "2", "3"], "other_category": "other"},
    {"name": "income", "type": "double", "bins": [0, 25000, 100000], "other_category": "unknown"}
  ],
  "tables": [
    {"name": "sex_by_age", "variables": ["sex", "age"]},
    {"name": "race_by_income", "variables": ["race", "income"]}$3
  ],
  "budget": {"rho": 1},
  "error_bars": {"level": 0.9, "replicates": 40}
}
JSON
}
write_spec "$WORK/person.json" '"person"' ''
write_spec "$WORK/household.json" '{"column": "hh", "max_rows_per_unit": 3}' \
  ', {"name": "households", "variables": [], "count": "units"}'

for config in person household; do
  for i in $(seq "$RUNS_PER_SIDE"); do
    for side in D D2_$config; do
      privacy_run "${config}_$side" "$i" "$DPKIT" publish --spec "$WORK/$config.json" \
        --data "$WORK/$side/persons.csv" --out out
    done
  done
  privacy_compare "${config}_D" "${config}_D2_$config"
done

# Every run released, and its ledger records the neighbouring relation of its spec: the budget
# of dataset 'persons' is per row (person spec) or per 'hh' (household spec), with the same maps.
python3 - "$WORK/runs" "$DPKIT" <<'PY' || fail "ledger records"
import glob, json, os, subprocess, sys
runs, dpkit = sys.argv[1], sys.argv[2]
want_unit = {"person": "(row)", "household": "hh"}
want_relation = {"person": "add/remove one row", "household": "add/remove all rows of one 'hh'"}
ledger_says = {"person": "one row", "household": "'hh'"}
maps, plans = {}, {}
for run in sorted(glob.glob(f"{runs}/*/*")):
    side = os.path.basename(os.path.dirname(run))
    config = side.split("_")[0]
    assert open(f"{run}/.channels/exit").read().strip() == "0", (run, open(f"{run}/.channels/stderr").read())
    export = f"{run}.ledger.json"  # outside the run's folder
    subprocess.run([dpkit, "budget", "export", "--ledger", f"{run}/out/ledger.db", "--out", export],
                   check=True, capture_output=True)
    [budget] = json.load(open(export))["budgets"]
    assert budget["unit"] == want_unit[config], (run, budget["unit"])
    assert ledger_says[config] in budget["neighbouring"], (run, budget["neighbouring"])
    [charge] = budget["charges"]
    maps.setdefault(config, set()).add(json.dumps(charge["privacy_maps"], sort_keys=True))
    plans.setdefault(config, set()).add(open(f"{run}/out/plan.json").read())  # public: identical
    release = json.load(open(f"{run}/out/release.json"))
    assert release["privacy_unit"] == want_unit[config], release
    assert release["neighbouring"] == want_relation[config], release
for config in maps:
    assert len(maps[config]) == 1, f"{config}: the charged maps depend on the data"
    assert len(plans[config]) == 1, f"{config}: plan.json depends on the data"
PY
finish
