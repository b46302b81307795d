"""Shared fixtures: the dpkit CLI (for Python-vs-CLI agreement tests) and a fresh ledger path."""

import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli() -> str:
    """Path of the dpkit CLI: $DPKIT_CLI (set by `make test-python`), else build/release's."""
    path = os.environ.get("DPKIT_CLI") or str(REPO / "build/release/src/cli/dpkit")
    if not os.access(path, os.X_OK):
        pytest.skip(f"dpkit CLI not found at {path}: build it (make build) or set DPKIT_CLI")
    return path


def run_cli(cli: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=120)


def cli_json(cli: str, *args: str) -> dict:
    done = run_cli(cli, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def ledger_path(tmp_path) -> pathlib.Path:
    return tmp_path / "ledger.db"


# The released columns of the generated customer table, with a public schema (as
# tests/privacy/synth_test.sh uses): the rest of that table is PII.
SMALL_COLUMNS = ["customer_id", "age", "purchases_12m", "income", "segment", "state", "churned"]
SMALL_SCHEMA = {
    "privacy_unit": "customer_id",
    "columns": [
        {"name": "customer_id", "type": "int64"},
        {"name": "age", "type": "int64", "lower": 18, "upper": 100},
        {"name": "purchases_12m", "type": "int64", "lower": 0, "upper": 60},
        {"name": "income", "type": "double", "lower": 0, "upper": 300000},
        {"name": "segment", "type": "string", "categories": ["Budget", "Standard", "Premium"]},
        {"name": "state", "type": "string"},
        {"name": "churned", "type": "bool"},
    ],
}


@pytest.fixture(scope="session")
def customers():
    """600 generated customers (dpkit sample customers' table and default seed)."""
    from dpkit.pii import generate_customers

    return generate_customers(600)


@pytest.fixture
def small(customers):
    return customers[SMALL_COLUMNS].copy()


def open_budget(path, epsilon=5.0, delta=1e-6, dataset="customers", unit="customer_id"):
    import dpkit

    ledger = dpkit.Ledger(path)
    ledger.init(dataset, unit=unit, epsilon=epsilon, delta=delta)
    return ledger
