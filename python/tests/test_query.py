"""dpkit.query: DP SQL through the release protocol; the same answers as `dpkit query`."""

import json

import numpy as np
import pandas as pd
import pytest

import dpkit
from dpkit import analytics
from dpkit.testing import SeededGenerator, ZeroNoise

from conftest import SMALL_COLUMNS, SMALL_SCHEMA, open_budget, run_cli

SQL = ("SELECT segment, COUNT(*) AS n, AVG(income) AS avg_income FROM customers "
       "GROUP BY segment WITH EPSILON 0.5, DELTA 1e-7")


def ask(small, ledger, sql=SQL, **kw):
    return dpkit.query(sql, tables={"customers": small}, schema=SMALL_SCHEMA, ledger=ledger,
                       dataset="customers", **kw)


def test_result_columns_and_one_charge(small, ledger_path):
    ledger = open_budget(ledger_path)
    out = ask(small, ledger)
    assert list(out.columns) == [
        "segment", "n", "n_noise_scale", "n_ci_lower", "n_ci_upper", "avg_income",
        "avg_income_noise_scale", "avg_income_ci_lower", "avg_income_ci_upper"]
    assert set(out["segment"]) == {"Budget", "Standard", "Premium"}  # declared: public keys
    assert (out["n_ci_lower"] <= out["n"]).all() and (out["n"] <= out["n_ci_upper"]).all()
    assert out.attrs["privacy_unit"] == "customer_id" and out.attrs["epsilon"] == 0.5
    history = ledger.history("customers", unit="customer_id")
    assert history["charge_id"].tolist() == out.attrs["charge_ids"]
    assert history["spent_epsilon"][0] == pytest.approx(0.5)


def test_explain_spends_nothing(small, ledger_path):
    ledger = open_budget(ledger_path)
    text = analytics.explain(SQL, {"customers": small}, schema=SMALL_SCHEMA, ledger=ledger,
                             dataset="customers")
    assert "customer_id" in text and isinstance(text, str)
    assert isinstance(ask(small, None, "EXPLAIN " + SQL), str)
    assert ledger.status("customers", unit="customer_id").num_charges == 0


def test_refusals_release_nothing_and_print_nothing(small, ledger_path, capfd):
    with pytest.raises(dpkit.InvalidArgument, match="ledger"):
        ask(small, None)
    ledger = open_budget(ledger_path, epsilon=0.1)
    with pytest.raises(dpkit.BudgetExhausted):
        ask(small, ledger)
    with pytest.raises(dpkit.errors.NotFound, match="budget init"):
        dpkit.query(SQL, {"customers": small}, schema=SMALL_SCHEMA, ledger=ledger,
                    dataset="other")
    assert capfd.readouterr() == ("", "")
    with pytest.raises(dpkit.InvalidArgument, match="nope"):
        ask(small, ledger, "SELECT COUNT(*) FROM customers WHERE nope > 1 WITH EPSILON 0.01")
    assert ledger.status("customers", unit="customer_id").spent.epsilon == 0


def cli_answer(cli, path, schema, ledger, *extra):
    done = run_cli(cli, *extra, "query", "--data", f"customers={path}", "--schema", str(schema),
                   "--ledger", str(ledger), "--dataset", "customers", "--format", "json", SQL)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    return {r["segment"]: (r["n"]["value"], r["avg_income"]["value"]) for r in rows}


def py_answer(frame, ledger, **kw):
    out = dpkit.query(SQL, {"customers": frame}, schema=SMALL_SCHEMA, ledger=ledger,
                      dataset="customers", **kw)
    return {r.segment: (r.n, r.avg_income) for r in out.itertuples()}


def ks_statistic(a, b):
    grid = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return np.abs(fa - fb).max()


def test_same_answers_as_the_cli(cli, small, tmp_path, capsys):
    """Same seed: identical answers (one code path). Disjoint fixed seeds: the two samples of
    noisy answers pass a two-sample Kolmogorov-Smirnov test at level 0.001 (critical value
    1.95 sqrt(2/K)), per statistic: a false positive would need the two front ends to draw
    different distributions, and with fixed seeds the outcome is reproducible."""
    path, schema = tmp_path / "c.csv", tmp_path / "schema.json"
    small.to_csv(path, index=False)
    schema.write_text(json.dumps(SMALL_SCHEMA))
    ledger = open_budget(tmp_path / "l.db", epsilon=1000, delta=1e-3)
    for frame in (small, str(path)):
        assert py_answer(frame, ledger, generator=SeededGenerator(11)) == cli_answer(
            cli, path, schema, ledger.path, "--insecure-seed", "11")
    k = 40
    cli_runs = [cli_answer(cli, path, schema, ledger.path, "--insecure-seed", str(s))
                for s in range(100, 100 + k)]
    py_runs = [py_answer(small, ledger, generator=SeededGenerator(s)) for s in range(500, 500 + k)]
    capsys.readouterr()
    critical = 1.95 * np.sqrt(2 / k)
    for segment in ("Budget", "Premium"):
        for i in (0, 1):
            a = np.array([r[segment][i] for r in cli_runs])
            b = np.array([r[segment][i] for r in py_runs])
            assert ks_statistic(a, b) < critical, (segment, i)
    assert ledger.history("customers", unit="customer_id")["insecure_seed"].all()


def test_polars_arrow_and_path_inputs_agree(small, tmp_path):
    pl = pytest.importorskip("polars")
    import pyarrow as pa

    path = tmp_path / "c.csv"
    small.to_csv(path, index=False)
    ledger = open_budget(tmp_path / "l.db", epsilon=100)
    answers = [py_answer(t, ledger, generator=SeededGenerator(3))
               for t in (small, pl.from_pandas(small), pa.Table.from_pandas(small), str(path))]
    assert all(a == answers[0] for a in answers)


def test_several_tables_and_datasets(small, tmp_path):
    ledger = open_budget(tmp_path / "l.db")
    ledger.init("orders", epsilon=5, delta=1e-6)
    orders = pd.DataFrame({"cid": small["customer_id"], "amount": small["income"] / 1000})
    out = dpkit.query(
        "SELECT COUNT(*) AS n FROM customers c JOIN orders o ON c.customer_id = o.cid "
        "WITH EPSILON 0.5, DELTA 1e-7",
        {"customers": small, "orders": orders}, schema={"customers": SMALL_SCHEMA},
        ledger=ledger, dataset={"customers": "customers", "orders": "orders"})
    assert len(out.attrs["charge_ids"]) == 2
    assert ledger.status("orders").num_charges == 1


def test_partial_aggregates_merge_to_one_pass(small, tmp_path):
    import pickle

    ledger = open_budget(tmp_path / "l.db", epsilon=100)
    spec = analytics.QuerySpec(
        "customers", group_by=["segment"], epsilon=1, delta=1e-6,
        aggregates=[{"function": "count", "name": "n"},
                    {"function": "sum", "column": "income", "lower": 0, "upper": 300000}],
        public_keys={"segment": ["Budget", "Standard", "Premium"]})
    salt = analytics.new_salt()
    slices = [small[small["customer_id"] % 3 == r] for r in range(3)]  # by privacy unit
    parts = [analytics.partial(s, spec, schema=SMALL_SCHEMA, salt=salt) for s in slices]
    merged = pickle.loads(pickle.dumps(parts[0]))
    for p in parts[1:]:
        merged.merge(analytics.PartialAggregates.deserialize(p.serialize()))
    out = analytics.release_partials(merged, spec, schema=SMALL_SCHEMA, columns=SMALL_COLUMNS,
                                     ledger=ledger, dataset="customers", noise=ZeroNoise())
    clamped = small.assign(income=small["income"].clip(0, 300000))  # the spec's bounds
    exact = clamped.groupby("segment").agg(n=("income", "size"), s=("income", "sum"))
    got = out.set_index("segment")
    for segment in exact.index:
        assert got.loc[segment, "n"] == exact.loc[segment, "n"]
        assert got.loc[segment, "sum_income"] == pytest.approx(exact.loc[segment, "s"], rel=1e-9)
    assert out.attrs["secure"] is False and len(out.attrs["charge_ids"]) == 1
