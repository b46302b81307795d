"""examples/spark/customers.py (README, "Spark") runs on the tests' local Spark and prints what
it says: the plan, two charged answers with intervals, the ledger's two charges."""

import importlib.util

import pytest

from conftest import REPO

EXAMPLE = REPO / "examples" / "spark" / "customers.py"


def test_example_runs(spark, tmp_path, capsys):
    if not EXAMPLE.exists():
        pytest.skip(f"{EXAMPLE} not found (running outside the repository)")
    spec = importlib.util.spec_from_file_location("spark_example", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main(str(tmp_path / "out"), spark=spark, rows=3000)
    out = capsys.readouterr().out
    assert "EXPLAIN spends no budget" in out
    assert "avg_income_ci_lower" in out and "avg_spend" in out
    assert out.count("dpkit query:") == 2  # the ledger: two charges, each its statement
