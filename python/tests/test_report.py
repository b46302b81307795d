"""dpkit.report: the evaluation of `dpkit report` on DataFrames (NOT DP)."""

import json

import pytest

import dpkit
from dpkit.report import evaluate

from conftest import SMALL_COLUMNS, run_cli


@pytest.fixture(scope="module")
def halves(customers):
    data = customers[SMALL_COLUMNS]
    return data.iloc[:300].reset_index(drop=True), data.iloc[300:].reset_index(drop=True)


def test_metrics_and_html(halves, tmp_path):
    real, other = halves
    ev = evaluate(real, other, target="churned")
    assert ev.dp is False and "NOT differentially private" in ev.note
    assert ev.metrics["utility"]["computed"] is True
    fidelity = {c["name"]: c for c in ev.metrics["fidelity"]["columns"]}
    assert 0 <= fidelity["segment"]["tvd"] <= 1
    html = ev.to_html(tmp_path / "r.html")
    assert (tmp_path / "r.html").read_text() == html and "<html" in html.lower()
    assert {v["area"] for v in ev.verdicts} >= {"Fidelity", "Utility"}


def test_same_fidelity_as_the_cli(cli, halves, tmp_path):
    real, other = halves
    real.to_csv(tmp_path / "real.csv", index=False)
    other.to_csv(tmp_path / "syn.csv", index=False)
    done = run_cli(cli, "report", "--real", str(tmp_path / "real.csv"), "--synthetic",
                   str(tmp_path / "syn.csv"), "--out", str(tmp_path / "cli.html"))
    assert done.returncode == 0, done.stderr
    from_cli = json.loads((tmp_path / "cli.json").read_text())["fidelity"]["columns"]
    from_py = evaluate(tmp_path / "real.csv", other).metrics["fidelity"]["columns"]
    assert from_py == from_cli


def test_errors(halves):
    real, other = halves
    with pytest.raises(dpkit.InvalidArgument, match="nope"):
        evaluate(real, other, target="nope")
    with pytest.raises(dpkit.DpkitError, match="format"):
        evaluate(real, other, privacy={"epsilon": 1})
