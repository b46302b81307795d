"""The quick start in docs/python.md runs as written."""

import os
import re

import pytest

from conftest import REPO

DOC = REPO / "docs" / "python.md"


def test_quick_start_runs(tmp_path, capsys):
    if not DOC.exists():
        pytest.skip(f"{DOC} not found (running outside the repository)")
    text = DOC.read_text()
    quick_start = text[text.index("## Quick start"):]
    code = re.search(r"```python\n(.*?)```", quick_start, re.S).group(1)
    assert len(code.splitlines()) <= 22
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, str(DOC), "exec"), {})
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert "pure DP" in out and "charge_id" in out and (tmp_path / "ledger.db").exists()
