"""Neighbouring-dataset tests of the Python workload APIs (the idea of tests/privacy/).

D is the generated customer table; D' is D plus one customer whose every field is extreme or
unique (tests/privacy/make_neighbours.py's EXTREME row: a non-numeric cell in a numeric column,
a huge income, a unique state and segment). Each API runs RUNS times on each side with secure
noise; every returned field, the sampled table and what was printed are reduced to features
(tests/privacy/compare_runs.py) and a feature present in every run of one side and in no run of
the other is a deterministic difference — a leak. With 4 runs per side a feature that a DP
release shows with the same probability p on both sides is flagged with probability
p^4 (1-p)^4 <= 4^-4 per feature (compare_runs.py's argument).
"""

import importlib.util
import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest

from conftest import REPO, SMALL_COLUMNS, SMALL_SCHEMA, open_budget

RUNS = 4
PRIVACY_DIR = REPO / "tests" / "privacy"


def load(name):
    path = PRIVACY_DIR / f"{name}.py"
    if not path.exists():
        pytest.skip(f"{path} not found (running outside the repository)")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sides(customers):
    extreme = load("make_neighbours").EXTREME
    d = customers[SMALL_COLUMNS].astype("string")
    d2 = pd.concat([d, pd.DataFrame([{c: extreme[c] for c in SMALL_COLUMNS}])],
                   ignore_index=True).astype("string")
    return {"D": d, "D2": d2}


def deterministic_differences(features):
    always = {s: set.intersection(*f) for s, f in features.items()}
    ever = {s: set.union(*f) for s, f in features.items()}
    (a, b) = features
    return sorted(always[a] - ever[b]) + sorted(always[b] - ever[a])


def features_of(compare, run, tmp_path):
    """Features of one run: what it printed and every field it returned."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        fields, frame = run()
    feats = compare.text_features("stdout", out.getvalue(), []) | compare.text_features(
        "stderr", err.getvalue(), [])
    feats |= compare.json_features("fields", json.loads(json.dumps(fields, default=str)))
    if frame is not None:
        path = tmp_path / "frame.csv"
        frame.to_csv(path, index=False)
        feats |= compare.csv_features("sample", path)
    return feats


def test_synthesizer_fit_has_no_deterministic_difference(sides, tmp_path):
    from dpkit.synth import Synthesizer

    compare = load("compare_runs")
    features = {}
    for side, data in sides.items():
        features[side] = []
        for i in range(RUNS):
            ledger = open_budget(tmp_path / f"{side}{i}.db")

            def run():
                s = Synthesizer("mst", epsilon=1, delta=1e-6, schema=SMALL_SCHEMA)
                s.fit(data, ledger=ledger, dataset="customers")
                p = s.privacy
                fields = {"privacy": {"epsilon": p.epsilon, "delta": p.delta, "unit": p.unit,
                                      "neighbouring": p.neighbouring, "charge_id": p.charge_id,
                                      "maps": [m.to_json() for m in p.maps]},
                          "report": s.report}
                return fields, s.sample()

            features[side].append(features_of(compare, run, tmp_path))
            history = ledger.history("customers", unit="customer_id")
            assert history["status"].tolist() == ["charged"]  # per customer, as planned
    assert deterministic_differences(features) == []


def test_query_has_no_deterministic_difference(sides, tmp_path):
    """GROUP BY state selects keys privately: D''s unique state must not show; AVG(income) is
    clamped to the schema's bounds, so the huge income does not move it deterministically."""
    import dpkit

    compare = load("compare_runs")
    sql = ("SELECT state, COUNT(*) AS n, AVG(income) AS avg_income FROM customers "
           "GROUP BY state WITH EPSILON 1, DELTA 1e-6")
    features = {}
    for side, data in sides.items():
        features[side] = []
        for i in range(RUNS):
            ledger = open_budget(tmp_path / f"q{side}{i}.db")

            def run():
                out = dpkit.query(sql, {"customers": data}, schema=SMALL_SCHEMA, ledger=ledger,
                                  dataset="customers")
                fields = {"keys": sorted(out["state"]), "attrs": out.attrs,
                          "columns": list(out.columns)}
                return fields, out.drop(columns=["state"])

            features[side].append(features_of(compare, run, tmp_path))
    assert deterministic_differences(features) == []
