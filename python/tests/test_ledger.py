"""dpkit.Ledger: the real SQLite ledger, shared with the CLI."""

import json

import pandas as pd
import pytest

import dpkit
from dpkit.mechanisms import Laplace

from conftest import run_cli


def test_charge_then_release_then_history(ledger_path):
    ledger = dpkit.Ledger(ledger_path)
    status = ledger.init("sales", unit="customer_id", epsilon=1.0, delta=1e-6)
    assert status.budget.epsilon == 1.0 and status.num_charges == 0
    m = Laplace(epsilon=0.25, sensitivity=1)
    receipt = ledger.charge("sales", m.privacy_map_for(2), unit="customer_id",
                            operation="two sums")
    r = m.release([10.0, 20.0])  # released only after the charge succeeded
    assert r.privacy_map == m.privacy_map_for(2)
    assert receipt.spent.epsilon == pytest.approx(0.5, rel=1e-9)
    assert receipt.remaining.epsilon == pytest.approx(0.5, rel=1e-9)
    with pytest.raises(dpkit.BudgetExhausted):
        ledger.charge("sales", m.privacy_map_for(3), unit="customer_id", operation="too much")
    h = ledger.history("sales", unit="customer_id")
    assert isinstance(h, pd.DataFrame)
    assert list(h["status"]) == ["charged", "refused"]
    assert list(h["operation"]) == ["two sums", "too much"]
    assert h["spent_epsilon"].iloc[-1] == pytest.approx(0.5, rel=1e-9)
    assert str(h["time"].dt.tz) == "UTC"
    assert h["maps"].iloc[0] == [m.privacy_map_for(2)]
    assert list(ledger.history("sales", unit="customer_id", include_refused=False)["status"]) == [
        "charged"]
    report = ledger.check()
    assert report.num_charges == 2 and report.head == ledger.head() == f"2:{h['hash'].iloc[-1]}"


def test_a_rewritten_chain_head_is_detected(ledger_path):
    ledger = dpkit.Ledger(ledger_path)
    ledger.init("d", epsilon=1.0)
    ledger.charge("d", dpkit.PrivacyMap.pure_dp(0.1))
    head = ledger.head()
    ledger.charge("d", dpkit.PrivacyMap.pure_dp(0.1))
    assert ledger.check(expect_head=head).num_charges == 2
    forged = head.split(":")[0] + ":" + "0" * 64
    with pytest.raises(dpkit.DataError):
        ledger.check(expect_head=forged)


def test_charges_of_seeded_releases_are_marked_insecure(ledger_path, capsys):
    from dpkit.testing import SeededGenerator

    ledger = dpkit.Ledger(ledger_path)
    ledger.init("d", epsilon=1.0)
    seeded = Laplace(epsilon=0.1, sensitivity=1).release(1.0, generator=SeededGenerator(3))
    assert ledger.charge("d", seeded).insecure_seed
    assert not ledger.charge("d", Laplace(epsilon=0.1, sensitivity=1).release(1.0)).insecure_seed
    assert ledger.charge("d", dpkit.PrivacyMap.pure_dp(0.1), insecure_seed=True).insecure_seed
    assert list(ledger.history("d")["insecure_seed"]) == [True, False, True]
    assert ledger.status("d").num_insecure_seed == 2


def test_releases_can_be_charged_directly(ledger_path):
    ledger = dpkit.Ledger(ledger_path)
    ledger.init("d", epsilon=2.0)
    r = Laplace(epsilon=0.5, sensitivity=1).release([1.0, 2.0])
    receipt = ledger.charge("d", r)
    assert receipt.unit == dpkit.ledger.ROW_LEVEL_UNIT
    assert receipt.spent.epsilon == pytest.approx(1.0, rel=1e-9)
    with pytest.raises(TypeError):
        ledger.charge("d", [1.0])
    with pytest.raises(TypeError):  # a mechanism is not a release: charge privacy_map_for(n)
        ledger.charge("d", Laplace(epsilon=0.5, sensitivity=1))


def test_show_preview_and_rho_budgets(ledger_path):
    ledger = dpkit.Ledger(ledger_path)
    ledger.init("a", epsilon=1.0)
    ledger.init("b", rho=0.5)
    assert ledger.status("b").accountant == "zcdp"
    preview = ledger.preview("b", dpkit.PrivacyMap.zcdp(0.6))
    assert not preview.fits and preview.message
    shown = ledger.show()
    assert list(shown["dataset"]) == ["a", "b"]
    assert shown.loc[1, "budget_rho"] == 0.5
    with pytest.raises(dpkit.InvalidArgument):
        ledger.init("c", epsilon=1.0, rho=0.5)


def test_the_cli_reads_what_python_wrote_and_vice_versa(cli, ledger_path):
    done = run_cli(cli, "budget", "init", "--ledger", str(ledger_path), "--dataset", "shared",
                   "--epsilon", "3", "--delta", "1e-6")
    assert done.returncode == 0, done.stderr
    ledger = dpkit.Ledger(ledger_path)
    assert ledger.status("shared").budget.epsilon == 3.0
    ledger.charge("shared", dpkit.PrivacyMap.pure_dp(1.0), operation="from python")
    done = run_cli(cli, "budget", "history", "--ledger", str(ledger_path), "--dataset", "shared")
    assert done.returncode == 0, done.stderr
    assert "from python" in done.stdout
    assert "shared" in json.loads(ledger.export_json())["budgets"][0].values()


def test_reopening_keeps_everything(ledger_path):
    dpkit.Ledger(ledger_path).init("d", epsilon=1.0)
    dpkit.Ledger(ledger_path).charge("d", dpkit.PrivacyMap.pure_dp(0.25))
    assert dpkit.Ledger(ledger_path, create=False).status("d").spent.epsilon == pytest.approx(0.25)
    with pytest.raises(dpkit.errors.NotFound):
        dpkit.Ledger(ledger_path.with_name("absent.db"), create=False)
