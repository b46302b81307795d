"""The end-to-end flow (C++: dpkit/pipeline): CSV -> PII replacement -> DP synthesizer ->
evaluation report, charged to the ledger once — ``dpkit pipeline`` from Python.

The pipeline owns no privacy logic: ``pipeline::RunPipeline`` plans from public inputs, charges
the named ledger (never created or extended; without ``ledger`` a NEW ``<out>/ledger.db`` holds
exactly this run) and only then reads the data. Privacy claim: everything in ``out`` outside
``owner/`` is (epsilon, delta)-DP for the privacy unit (or one row); ``owner/`` (clean.csv,
pii.json, the report) is NOT DP. See docs/pipeline.md.
"""

from __future__ import annotations

import json
import os
import tempfile

from dpkit import _tables
from dpkit._dpkit import pipeline as _p

OPTION_NAMES = tuple(_p.OPTION_NAMES)


def _as_file(value, directory: str, name: str, write) -> str:
    """A path for ``value``: a path as given, else ``write(value, file)`` into ``directory``."""
    if isinstance(value, (str, os.PathLike)) and not str(value).lstrip().startswith("{"):
        return os.fspath(value)
    path = os.path.join(directory, name)
    write(value, path)
    return path


def _write_json(value, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(value if isinstance(value, str) else json.dumps(value))


def _write_csv(value, path: str) -> None:
    with open(path, "wb") as f:
        f.write(_tables.csv_buffer(value).to_pybytes())


def run(
    data,
    out: str | os.PathLike,
    *,
    config: str | os.PathLike | None = None,
    schema=None,
    policy=None,
    ledger=None,
    noise=None,
    generator=None,
    progress=None,
    **options,
):
    """Runs the pipeline on ``data`` (a CSV path, or a DataFrame/pyarrow Table written to a
    private temporary file for the run and removed after) into the folder ``out``.

    Options are ``dpkit pipeline``'s, named as in its ``--config`` JSON: epsilon, delta,
    method, rows, key_file, dataset, privacy_unit, target, holdout_fraction, count_fraction,
    bounds_fraction, min_null_fraction, decimals, threads, dry_run; ``schema`` and ``policy`` may
    be dicts. ``ledger``: a dpkit.Ledger or path holding the dataset's budget. Returns the
    PipelineResult: the DP outputs (synthetic_csv, privacy_json, summary_json, ledger), the
    data-owner outputs (owner_dir, clean_csv, pii_json, report_html, report_json; NOT DP), the
    release ``plan``, privacy_unit, epsilon_charged/delta_charged/epsilon_remaining and notes.
    """
    if "dataset" not in options and not isinstance(data, (str, os.PathLike)):
        from dpkit.errors import InvalidArgument

        raise InvalidArgument("dataset= is required for in-memory data (the ledger's dataset name)")
    with tempfile.TemporaryDirectory(prefix="dpkit-pipeline-") as tmp:
        os.chmod(tmp, 0o700)
        options["data"] = _as_file(data, tmp, "input.csv", _write_csv)
        options["out_dir"] = os.fspath(out)
        if schema is not None:
            options["schema"] = _as_file(schema, tmp, "schema.json", _write_json)
        if policy is not None:
            options["policy"] = _as_file(policy, tmp, "policy.json", _write_json)
        if ledger is not None:
            options["ledger"] = os.fspath(getattr(ledger, "path", ledger))
        return _p.run(
            options, None if config is None else os.fspath(config),
            noise=noise, generator=generator, progress=progress,
        )


PipelineResult = _p.PipelineResult

__all__ = ["run", "OPTION_NAMES", "PipelineResult"]
