"""Evaluation of synthetic data against the real table (C++: dpkit/report) — NOT DP.

:func:`evaluate` computes what ``dpkit report`` computes: fidelity (per-column distances,
association matrices, the k-marginal score), utility (train on synthetic, test on real) and
privacy-risk metrics (distance to closest record, membership and attribute inference, exact
matches, PII replay). It reads every cell of the real table, so the result is as sensitive as
the real data: ``Evaluation.dp`` is False and the HTML page says so. Only the privacy guarantee
it shows (from ``privacy=``) is a formal statement.
"""

from __future__ import annotations

import json
import os

from dpkit import _tables
from dpkit._dpkit import report as _r

NOT_DP = "NOT differentially private: computed from the real data; for the data owner only"


class Evaluation:
    """``metrics`` (dict: every metric, the JSON of ``dpkit report``), ``verdicts`` (list of
    dicts: id, area, level, headline, explanation), ``to_html(path=None)``, ``to_json(path=None)``."""

    dp = False
    note = NOT_DP

    def __init__(self, impl) -> None:
        self._impl = impl
        self.metrics: dict = json.loads(impl.to_json())

    @property
    def verdicts(self) -> list:
        return self._impl.verdicts()

    def to_html(self, path: str | os.PathLike | None = None) -> str:
        """The self-contained HTML page; written atomically to ``path`` if given."""
        html = self._impl.to_html()
        if path is not None:
            _write(path, html)
        return html

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        text = self._impl.to_json()
        if path is not None:
            _write(path, text + "\n")
        return text

    def __repr__(self) -> str:
        return f"Evaluation({len(self.verdicts)} verdicts, NOT DP)"


def _write(path, text: str) -> None:
    path = os.fspath(path)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _privacy_json(privacy) -> str | None:
    """The dpkit-privacy/1 document: a dict, JSON text, a path (e.g. a pipeline's
    privacy.json), or an object with ``guarantee()`` (a fitted Synthesizer's ``privacy``)."""
    if hasattr(privacy, "guarantee"):
        privacy = privacy.guarantee()
    return _tables.json_text(privacy, "privacy")


def evaluate(
    real,
    synthetic,
    holdout=None,
    *,
    target: str | None = None,
    sensitive: str | None = None,
    quasi_identifiers=(),
    identifiers=(),
    categorical=(),
    numeric=(),
    pii_detection: bool = True,
    kmarginal_k: int = 3,
    kmarginal_max: int = 300,
    privacy_sample: int = 500,
    privacy=None,
    generator=None,
) -> Evaluation:
    """Evaluates ``synthetic`` against ``real`` (DataFrames, pyarrow Tables or CSV paths; types
    inferred from the cells, as ``dpkit report`` reads its files). ``holdout``: real rows the
    synthesizer never saw (enables membership inference). ``target``: the column predicted in
    the utility section. ``privacy``: the dpkit-privacy/1 guarantee (dict, JSON or path) shown at
    the top. The options are ``dpkit report``'s. NOT DP."""
    def read(t, name):
        return None if t is None else _tables.read(t, mode="infer", name=name)

    impl = _r.evaluate(
        read(real, "real"), read(synthetic, "synthetic"), read(holdout, "holdout"),
        target or "", sensitive or "", list(quasi_identifiers), list(identifiers),
        list(categorical), list(numeric), pii_detection, kmarginal_k, kmarginal_max,
        privacy_sample, _privacy_json(privacy), generator=generator,
    )
    return Evaluation(impl)


__all__ = ["evaluate", "Evaluation", "NOT_DP"]
