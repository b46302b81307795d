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
