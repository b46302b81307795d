"""dpkit.pii: the CLI's scan and replacement on DataFrames (data-owner tools, NOT DP)."""

import json

import pandas as pd
import pytest

import dpkit
from dpkit import pii

from conftest import cli_json, run_cli


def test_generated_customers_equal_dpkit_sample(cli, tmp_path):
    frame = pii.generate_customers(200, seed=7)
    done = run_cli(cli, "sample", "customers", "--rows", "200", "--seed", "7", "--out",
                   str(tmp_path / "c.csv"), "--schema-out", str(tmp_path / "c.json"))
    assert done.returncode == 0, done.stderr
    from_cli = pd.read_csv(tmp_path / "c.csv", dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(from_cli.columns)
    as_text = pii.scan(frame)  # every column read as text, as the CLI writes it
    assert as_text.privacy_unit == "customer_id"
    assert frame["email"].tolist() == from_cli["email"].tolist()
    assert pii.customers_schema() == json.loads((tmp_path / "c.json").read_text())


def test_scan_matches_the_cli_and_is_marked_not_dp(cli, customers, tmp_path):
    path = tmp_path / "c.csv"
    customers.to_csv(path, index=False)
    report = pii.scan(customers)
    assert report.dp is False and "NOT differentially private" in report.note
    by_column = report.columns.set_index("name")
    assert by_column.loc["email", "class"] == "identifier"
    from_cli = cli_json(cli, "pii", "scan", str(path))
    assert [c["class"] for c in from_cli["columns"]] == list(report.columns["class"])
    assert report.privacy_unit == from_cli["privacy_unit"]["column"]


def test_replace_pseudonymises_consistently_with_one_key(customers):
    key = pii.keygen()
    a = pii.replace(customers, key=key)
    b = pii.replace(customers.iloc[:100], key=key)
    assert a.dp is False and a.privacy_unit == "customer_id"
    assert not set(a.data["email"]) & set(customers["email"])
    assert a.data["email"].iloc[:100].tolist() == b.data["email"].tolist()
    # Kept columns keep their values and dtypes.
    assert a.data["income"].dtype == customers["income"].dtype
    assert a.data["income"].tolist() == customers["income"].tolist()
    assert any(act["column"] == "email" and "pseudonym" in act["action"] for act in a.actions)


def test_replace_policy_and_key_errors(customers, tmp_path):
    out = pii.replace(customers, {"columns": {"email": "drop", "phone": "redact"}}, pii.keygen())
    assert "email" not in out.data.columns and out.data["phone"].str.startswith("[").all()
    with pytest.raises(dpkit.InvalidArgument, match="key"):
        pii.replace(customers, {"columns": {"email": "hash"}})
    with pytest.raises(dpkit.InvalidArgument, match="keygen"):
        pii.replace(customers, key="abcd")
    with pytest.raises(dpkit.errors.NotFound, match="unknown column 'nope'"):
        pii.replace(customers, {"columns": {"nope": "drop"}}, pii.keygen())
    key_file = tmp_path / "k.key"
    key_file.write_text(pii.keygen())
    assert len(pii.replace(customers.iloc[:5], key_file=key_file).data) == 5
