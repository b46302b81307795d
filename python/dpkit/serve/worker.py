"""Runs one job in a process of its own: ``python -m dpkit.serve.worker SPEC.json``.

The job goes through the library exactly as the CLI's does: a synthesis job is
``dpkit.pipeline.run`` (``dpkit pipeline``: plan, one ledger charge, PII replacement, DP
synthesizer, report), a training job is ``dpkit train`` (DP-SGD; LibTorch lives only in the
``dpkit-train`` executable, not in the Python package). The ledger refuses an over-budget job
itself, atomically, whatever else runs at the same time.

Talks to the server on stdout, one JSON object per line: ``{"progress": line}`` (the library's
progress lines: public inputs before the charge, DP values after it), then one of
``{"done": result}`` or ``{"failed": {"state", "error", "owner_error"}}``. ``error`` is what every
reader of the dataset may see: the library's message (it names columns and parameters, never a
cell) or a fixed text; ``owner_error`` adds details for the data owner.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from dpkit import errors
from dpkit.serve.datasets import hide_paths, write_private

# Output files of each kind of job: name -> (path in the job folder, audience). "dp": a release,
# for every reader of the dataset; "owner": NOT DP, for the dataset's owner only.
OUTPUTS = {
    "synthesize": {
        "synthetic.csv": ("synthetic.csv", "dp"),
        "privacy.json": ("privacy.json", "dp"),
        "summary.json": ("summary.json", "dp"),
        "report.html": ("owner/report.html", "owner"),
        "report.json": ("owner/report.json", "owner"),
        "clean.csv": ("owner/clean.csv", "owner"),
        "pii.json": ("owner/pii.json", "owner"),
    },
    "train": {
        "model.pt": ("model.pt", "dp"),
        "model.report.json": ("model.report.json", "dp"),
    },
}


_DATA_DIR = ""  # the server's data folder, left out of every message (set by main)


def emit(**message) -> None:
    sys.stdout.write(hide_paths(json.dumps(message), _DATA_DIR) + "\n")
    sys.stdout.flush()


def synthesize(spec: dict) -> dict:
    from dpkit import pipeline

    p = spec["params"]
    options = {k: p[k] for k in ("epsilon", "delta", "method", "target", "rows") if p.get(k)}
    result = pipeline.run(
        spec["data"], spec["out"], schema=spec.get("schema"), policy=spec.get("policy"),
        ledger=spec["ledger"], dataset=spec["dataset"], key_file=spec["key"],
        progress=lambda line: emit(progress=line), **options)
    return {
        "epsilon_charged": result.epsilon_charged,
        "delta_charged": result.delta_charged,
        "epsilon_remaining": result.epsilon_remaining,
        "synthetic_rows": result.synthetic_rows,
        "privacy_unit": result.privacy_unit,
        "synthesized_columns": list(result.synthesized_columns),
        "faked_columns": list(result.faked_columns),
        "dropped_columns": list(result.dropped_columns),
        "notes": list(result.notes),
    }


def train_command(spec: dict) -> list[str]:
    p = spec["params"]
    cmd = [spec["dpkit"], "train", "--data", spec["data"], "--schema", spec["schema"],
           "--ledger", spec["ledger"], "--dataset", spec["dataset"],
           "--out", os.path.join(spec["out"], "model.pt"), "--target", p["target"],
           "--rows", str(p["rows"]), "--epsilon", str(p["epsilon"]), "--delta", str(p["delta"]),
           "--model", p.get("model", "mlp:32"), "--epochs", str(p.get("epochs", 3)),
           "--batch-size", str(p.get("batch_size", 256)), "--clip", str(p.get("clip", 1.0)),
           "--lr", str(p.get("lr", 0.5))]
    if p.get("features"):
        cmd += ["--features", ",".join(p["features"])]
    return cmd


def train(spec: dict) -> dict:
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        proc = subprocess.Popen(train_command(spec), stdout=subprocess.PIPE, stderr=err,
                                text=True)
        for line in proc.stdout:
            emit(progress=line.rstrip("\n"))
        code = proc.wait()
        err.seek(0)
        stderr = err.read().strip()
    if code != 0:
        # dpkit's stderr is a release by design (one line naming the argument or column).
        message = stderr.splitlines()[-1] if stderr else f"dpkit train exited with code {code}"
        raise errors.BudgetExhausted(message) if code == 3 else errors.DpkitError(message)
    with open(os.path.join(spec["out"], "model.report.json"), encoding="utf-8") as f:
        report = json.load(f)
    # The report holds DP values and public inputs only (docs/train.md).
    return {k: report[k] for k in ("task", "target", "privacy", "ledger", "epochs", "training",
                                   "dp_evaluation", "model") if k in report}


def hide_folder(spec: dict) -> None:
    """The job's JSON and HTML outputs name files by path (the data, clean.csv, the job folder):
    the server's folder is left out of them, as of every message (readers need not learn the
    layout; "<data-dir>/jobs/ID/x" -> "jobs/ID/x")."""
    for path, _ in OUTPUTS[spec["kind"]].values():
        full = os.path.join(spec["out"], path)
        if path.endswith((".json", ".html")) and os.path.isfile(full):
            with open(full, encoding="utf-8") as f:
                text = f.read()
            write_private(full, hide_paths(text, spec["data_dir"]))


def main(spec_path: str) -> int:
    global _DATA_DIR
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    _DATA_DIR = spec["data_dir"]
    try:
        result = {"synthesize": synthesize, "train": train}[spec["kind"]](spec)
        hide_folder(spec)
    except errors.BudgetExhausted as e:
        emit(failed={"state": "refused", "error": str(e.message), "owner_error": None})
        return 0
    except errors.DpkitError as e:
        emit(failed={"state": "failed", "error": str(e.message), "owner_error": None})
        return 0
    except Exception as e:  # not a library error: its text may quote data, owner only
        emit(failed={"state": "failed", "error": "internal error while running the job",
                     "owner_error": f"{type(e).__name__}: {e}"})
        return 0
    emit(done=result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
