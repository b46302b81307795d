"""dpkit.pipeline.run: `dpkit pipeline` from Python, one charge, DP and owner outputs apart."""

import json
import os

import pytest

import dpkit
from dpkit import pii, pipeline

from conftest import open_budget


def test_run_charges_once_and_writes_dp_and_owner_outputs(customers, ledger_path, tmp_path):
    # The budget's delta is the request's: the ledger charges epsilon at the budget's delta, so
    # at a larger budget delta the same release costs less than the requested epsilon.
    ledger = open_budget(ledger_path, epsilon=3, delta=1e-7)
    lines = []
    result = pipeline.run(customers, tmp_path / "run", schema=pii.customers_schema(),
                          ledger=ledger, dataset="customers", epsilon=1, delta=1e-7,
                          method="mst", rows=100, progress=lines.append)
    assert os.path.exists(result.synthetic_csv) and os.path.exists(result.report_html)
    assert result.owner_dir.endswith("owner") and os.path.exists(result.clean_csv)
    assert result.synthetic_rows == 100 and result.privacy_unit == "customer_id"
    assert result.plan.dataset == "customers" and result.plan.maps
    assert result.epsilon_charged == pytest.approx(1)
    history = ledger.history("customers", unit="customer_id")
    assert len(history) == 1 and history["spent_epsilon"][0] == pytest.approx(1)
    assert json.load(open(result.privacy_json))["epsilon"] == pytest.approx(1)
    assert lines and not (tmp_path / "run" / "input.csv").exists()


def test_dry_run_plans_without_charging(customers, ledger_path, tmp_path):
    ledger = open_budget(ledger_path, epsilon=3)
    csv = tmp_path / "customers.csv"
    customers.to_csv(csv, index=False)
    result = pipeline.run(csv, tmp_path / "run", ledger=ledger, epsilon=1, dry_run=True,
                          schema=pii.customers_schema())
    assert result.plan.dataset == "customers" and "epsilon" in result.plan.to_text()
    assert ledger.status("customers", unit="customer_id").num_charges == 0


def test_bad_options(customers, tmp_path):
    with pytest.raises(dpkit.InvalidArgument, match="unknown pipeline option 'epsilonn'"):
        pipeline.run(tmp_path / "x.csv", tmp_path / "run", epsilonn=1)
    with pytest.raises(dpkit.InvalidArgument, match="dataset"):
        pipeline.run(customers, tmp_path / "run")
    with pytest.raises(dpkit.InvalidArgument, match="'epsilon' has the wrong type"):
        pipeline.run(tmp_path / "x.csv", tmp_path / "run", epsilon="one")
