"""Neighbouring datasets through dpkit.spark (the idea of tests/privacy/ and
python/tests/test_neighbours.py): D, and D' = D plus one customer whose every field is extreme
or unique. The query runs RUNS times per side on Spark with secure noise; a feature of the
output (keys, values, attributes, what was printed) present in every run of one side and in no
run of the other is a deterministic difference — a leak (false-positive argument in
test_neighbours.py)."""

import dpkit.spark
from conftest import SMALL_SCHEMA, open_budget
from test_neighbours import RUNS, deterministic_differences, features_of, load, sides  # noqa: F401


def test_spark_query_has_no_deterministic_difference(spark, sides, tmp_path):  # noqa: F811
    """GROUP BY state selects keys privately: D''s unique state must not show; AVG(income) is
    clamped to the schema's bounds, so the huge income does not move it deterministically."""
    compare = load("compare_runs")
    sql = ("SELECT state, COUNT(*) AS n, AVG(income) AS avg_income FROM customers "
           "GROUP BY state WITH EPSILON 1, DELTA 1e-6")
    features = {}
    for side, data in sides.items():
        frame = spark.createDataFrame(data.astype(object).where(data.notna(), None))
        features[side] = []
        for i in range(RUNS):
            ledger = open_budget(tmp_path / f"{side}{i}.db")

            def run():
                out = dpkit.spark.query(sql, {"customers": frame}, schema=SMALL_SCHEMA,
                                        ledger=ledger, dataset="customers")
                fields = {"keys": sorted(out["state"]), "attrs": out.attrs,
                          "columns": list(out.columns)}
                return fields, out.drop(columns=["state"])

            features[side].append(features_of(compare, run, tmp_path))
            assert ledger.history("customers", unit="customer_id")["status"].tolist() == [
                "charged"]
    assert deterministic_differences(features) == []
