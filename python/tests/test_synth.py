"""dpkit.synth: plan -> charge -> fit through the C++ release protocol."""

import pandas as pd
import pytest

import dpkit
from dpkit.synth import Synthesizer
from dpkit.testing import ZERO_NOISE_WARNING, ZeroNoise

from conftest import SMALL_COLUMNS, SMALL_SCHEMA, open_budget


def mst(epsilon=1.0, schema=SMALL_SCHEMA, **kw):
    return Synthesizer("mst", epsilon=epsilon, delta=1e-6, schema=schema, **kw)


def test_plan_is_a_dry_run_from_the_header_only(small, ledger_path):
    ledger = open_budget(ledger_path)
    plan = mst().plan(small, dataset="customers")
    assert plan.dataset == "customers" and plan.unit == "customer_id"
    assert "customer_id" in plan.neighbouring and plan.maps
    assert "mst" in plan.to_text()
    assert plan.to_text() == mst().plan(SMALL_COLUMNS, dataset="customers").to_text()
    assert ledger.status("customers", unit="customer_id").num_charges == 0


def test_fit_charges_the_planned_maps_then_samples(small, ledger_path):
    ledger = open_budget(ledger_path)
    s = mst().fit(small, ledger=ledger, dataset="customers")
    history = ledger.history("customers", unit="customer_id")
    assert list(history["status"]) == ["charged"] and not history["insecure_seed"][0]
    privacy = s.privacy
    assert privacy.charge_id == history["charge_id"][0] and privacy.unit == "customer_id"
    assert privacy.epsilon == 1.0 and privacy.delta == 1e-6 and privacy.secure
    assert [m.to_json() for m in privacy.maps] == [
        m.to_json() for m in mst().plan(SMALL_COLUMNS, dataset="customers").maps]
    out = s.sample(50)
    assert list(out.columns) == SMALL_COLUMNS[1:]  # the unit column is not synthesised
    assert len(out) == 50 and str(out["age"].dtype) in ("int64", "Int64")
    # Declared categories are the complete domain: no "other" (dpkit/synth/plan.h).
    assert set(out["segment"].dropna()) <= {"Budget", "Standard", "Premium"}
    assert s.report["method"] == "mst" and "input_rows" not in s.report


def test_refused_charge_fits_nothing_and_prints_nothing(small, ledger_path, capfd):
    ledger = open_budget(ledger_path, epsilon=0.5)
    s = mst(epsilon=1.0)
    with pytest.raises(dpkit.BudgetExhausted) as e:
        s.fit(small, ledger=ledger, dataset="customers")
    assert e.value.exit_code == 3
    assert capfd.readouterr() == ("", "")
    assert ledger.status("customers", unit="customer_id").spent.epsilon == 0
    with pytest.raises(dpkit.errors.FailedPrecondition, match="not fitted"):
        s.sample(5)


def test_named_ledger_is_never_extended(small, ledger_path):
    ledger = open_budget(ledger_path, dataset="other")
    with pytest.raises(dpkit.errors.NotFound, match="budget init"):
        mst().fit(small, ledger=ledger, dataset="customers")
    with pytest.raises(dpkit.errors.NotFound):
        mst().fit(small, ledger=ledger_path.parent / "missing.db", dataset="customers")
    assert not (ledger_path.parent / "missing.db").exists()


def test_errors_name_the_column_before_any_charge(small, ledger_path):
    ledger = open_budget(ledger_path)
    schema = {"privacy_unit": "customer_id",
              "columns": [{"name": "customer_id", "type": "int64"},
                          {"name": "income", "type": "double"}]}
    with pytest.raises(dpkit.InvalidArgument, match="income"):
        mst(schema=schema).fit(small, ledger=ledger, dataset="customers")
    with pytest.raises(dpkit.InvalidArgument, match="epsilon"):
        Synthesizer("mst", epsilon=-1, schema=SMALL_SCHEMA)
    with pytest.raises(dpkit.InvalidArgument, match="method"):
        Synthesizer("gan", epsilon=1)
    assert ledger.status("customers", unit="customer_id").num_charges == 0


def test_zero_noise_warns_and_is_recorded_as_not_private(small, ledger_path, capsys):
    ledger = open_budget(ledger_path)
    noise = ZeroNoise()
    assert capsys.readouterr().err == ZERO_NOISE_WARNING
    s = mst().fit(small, ledger=ledger, dataset="customers", noise=noise)
    assert not s.privacy.secure
    history = ledger.history("customers", unit="customer_id")
    assert history["insecure_seed"].tolist() == [True]
    assert history["operation"][0].startswith("[--insecure-seed: NOT PRIVATE]")
    # Without noise, the shares of the common segments in a large sample match the data's (MST
    # merges rare values, so Premium's share is not kept exactly).
    out = s.sample(20000, generator=dpkit.testing.SeededGenerator(3))
    real = small["segment"].value_counts(normalize=True)
    synth = out["segment"].value_counts(normalize=True)
    assert (real - synth)[["Budget", "Standard"]].abs().max() < 0.03


def test_progress_lines_come_after_the_charge(small, ledger_path):
    ledger = open_budget(ledger_path)
    seen = []

    def progress(line):
        seen.append((line, ledger.status("customers", unit="customer_id").num_charges))

    mst().fit(small, ledger=ledger, dataset="customers", progress=progress)
    assert seen and all(charges == 1 for _, charges in seen)


def test_sample_to_csv_and_outputs(small, ledger_path, tmp_path):
    s = mst().fit(small, ledger=open_budget(ledger_path), dataset="customers")
    assert s.sample_to_csv(tmp_path / "s.csv", 30) == 30
    assert len(pd.read_csv(tmp_path / "s.csv")) == 30
    assert s.sample(5, output="arrow").num_rows == 5
