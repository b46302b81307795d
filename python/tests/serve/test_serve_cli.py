"""`dpkit serve` (src/cli/cmd_serve.cc): the CLI verb runs ``$DPKIT_PYTHON -m dpkit.serve`` with
every argument after 'serve', and says what to do when that Python cannot be run."""

import os
import subprocess
import sys


def dpkit_serve(cli: str, *args: str, python: str = sys.executable):
    env = dict(os.environ, DPKIT_PYTHON=python)
    return subprocess.run([cli, "serve", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_arguments_reach_the_service(cli, tmp_path):
    shown = dpkit_serve(cli, "--help")
    assert shown.returncode == 0 and "--data-dir" in shown.stdout and "--sample" in shown.stdout
    created = dpkit_serve(cli, "token", "create", "eve", "--data-dir", str(tmp_path))
    assert created.returncode == 0 and len(created.stdout.strip()) >= 40, created.stderr
    listed = dpkit_serve(cli, "token", "list", "--data-dir", str(tmp_path))
    assert listed.stdout.split() == ["eve"]


def test_missing_python_is_a_clear_error(cli, tmp_path):
    failed = dpkit_serve(cli, "--data-dir", str(tmp_path), python=str(tmp_path / "no-python"))
    assert failed.returncode != 0
    assert "DPKIT_PYTHON" in failed.stderr and "make python" in failed.stderr
