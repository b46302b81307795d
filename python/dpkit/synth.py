"""DP synthetic data: MST and AIM on a graphical model (C++: dpkit/synth).

Every fit is a release (docs/privacy-model.md): :meth:`Synthesizer.plan` decides everything
from public inputs (the schema, the column names, the options) and touches no data;
:meth:`Synthesizer.fit` charges the plan's PrivacyMaps to a dpkit ledger (a named ledger is
never created or extended: open budgets with :meth:`dpkit.Ledger.init` or ``dpkit budget
init``) and only then reads the data's values and fits. Sampling is post-processing.

Privacy claim (dpkit/synth/synthesizer.h): a fit planned for (epsilon, delta) is (epsilon,
delta)-DP with respect to adding or removing all rows of one privacy unit (the schema's
``privacy_unit``; each unit is reduced to one random row and the unit column is not
synthesised), or one row when the schema names no unit. Composition is in zCDP; numeric columns
need public bounds or bins in the schema, text columns without declared categories get theirs by
private partition selection.
"""

from __future__ import annotations

import json
import os

from dpkit import _tables
from dpkit._workload import ledger_path
from dpkit.ledger import ROW_LEVEL_UNIT
from dpkit._dpkit import release as _release
from dpkit._dpkit import synth as _s

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional, Sequence

    import pandas

    from dpkit.ledger import Ledger


class Privacy:
    """What a fit released under: the planned (epsilon, delta), the privacy unit and
    neighbouring relation, the PrivacyMaps charged, and the ledger charge."""

    def __init__(self, method: str, epsilon: float, delta: float, plan, fitted) -> None:
        receipt = fitted.receipt
        self.method: str = method
        self.epsilon: float = epsilon
        self.delta: float = delta
        self.unit: str = receipt.unit
        self.neighbouring: str = plan.neighbouring
        self.maps: list = list(plan.maps)
        self.charge_id: int = receipt.charge_id
        self.dataset: str = receipt.dataset
        self.receipt = receipt
        self.secure: bool = not fitted.not_private

    def guarantee(self) -> dict:
        """The dpkit-privacy/1 document (docs/report.md) for :func:`dpkit.report.evaluate`'s
        ``privacy=``: the guarantee and the ledger charge behind it."""
        return {
            "format": "dpkit-privacy/1",
            "epsilon": self.epsilon,
            "delta": self.delta,
            "privacy_unit": "row" if self.unit == ROW_LEVEL_UNIT else self.unit,
            "mechanism": self.method,
            "accountant": "zcdp",
            "dataset": self.dataset,
            "ledger_entries": [{"id": self.charge_id, "mechanism": f"synth/{self.method}",
                                "epsilon": self.epsilon, "delta": self.delta}],
            "notes": [f"neighbouring: {self.neighbouring}"]
            + ([] if self.secure else ["NOT PRIVATE: testing noise or a seeded generator"]),
        }

    def __repr__(self) -> str:
        mark = "" if self.secure else " NOT PRIVATE (testing noise)"
        return (
            f"Privacy(epsilon={self.epsilon}, delta={self.delta}, unit={self.unit!r}, "
            f"charge #{self.charge_id} on {self.dataset!r}{mark})"
        )


class Synthesizer:
    """A DP synthesizer: ``Synthesizer("aim" | "mst", epsilon=..., delta=..., schema=...)``.

    ``schema``: a dict, JSON text or path (dpkit/io/schema.h): column types, public bounds /
    bins / categories, ``privacy_unit``. Options as ``dpkit synth``: ``workload`` (AIM marginals
    as lists of column names; default all 3-way), ``rounds``, ``numeric_bins``,
    ``max_model_mb``, ``iters``, ``threads``, ``preprocessing_fraction``,
    ``partition_delta_fraction``, ``quantile_grid``.
    """

    def __init__(
        self,
        method: str = "aim",
        *,
        epsilon: float,
        delta: float = 1e-9,
        schema=None,
        workload: Sequence[Sequence[str]] | None = None,
        rounds: int = 0,
        numeric_bins: int = 32,
        quantile_grid: int = 1024,
        max_model_mb: float = 8,
        iters: int = 2000,
        threads: int = 2,
        preprocessing_fraction: float = 0.1,
        partition_delta_fraction: float = 0.5,
    ) -> None:
        self.method = method
        self.epsilon = float(epsilon)
        self.delta = float(delta)
        self.schema = _tables.schema(schema)
        # Validated now, by the C++ options check (no data involved).
        self._options = _s.SynthOptions(
            method=method, epsilon=self.epsilon, delta=self.delta,
            preprocessing_fraction=preprocessing_fraction,
            partition_delta_fraction=partition_delta_fraction, numeric_bins=numeric_bins,
            quantile_grid=quantile_grid, workload=[list(w) for w in workload or []],
            rounds=rounds, max_model_mb=max_model_mb, iters=iters, threads=threads,
        )
        self._fitted = None
        self._release_plan = None

    def _operation(self) -> str:
        return f"dpkit.synth {self.method} epsilon={self.epsilon:g} delta={self.delta:g} (python)"

    def plan(self, columns, *, dataset: str = "data"):
        """The release plan (a dry run) for data with these columns: a list of names, or a
        DataFrame / CSV path whose header is read (never its values). Spends nothing."""
        plan = _s.plan(_tables.column_names(columns), self.schema, self._options)
        return plan.release_plan(dataset, self._operation())

    def fit(
        self,
        data,
        *,
        ledger: Ledger | str | os.PathLike,
        dataset: str,
        progress: Callable[[str], None] | None = None,
        noise=None,
        generator=None,
    ) -> "Synthesizer":
        """Charges the plan to ``dataset``'s budget in ``ledger``, then fits on ``data`` (a
        pandas/polars DataFrame, pyarrow Table or CSV path, read under the schema with the
        CLI's private-data rules). BudgetExhausted (nothing charged, nothing fitted) when the
        budget cannot cover it; NotFound when the ledger or budget does not exist.
        ``progress`` receives one line per step, after the charge (DP values only).
        ``noise``/``generator``: dpkit.testing only (NOT private; recorded in the ledger)."""
        plan = _s.plan(_tables.column_names(data), self.schema, self._options)
        release_plan = plan.release_plan(dataset, self._operation())
        table = _tables.read(data, self.schema, "private")
        self._fitted = _s.release(
            plan, table, dataset, self._operation(), ledger_path(ledger),
            noise=noise, generator=generator, progress=progress,
        )
        self._release_plan = release_plan
        return self

    def _model(self):
        if self._fitted is None:
            from dpkit.errors import FailedPrecondition

            raise FailedPrecondition("the synthesizer is not fitted: call fit() first")
        return self._fitted

    def sample(self, n: int | None = None, *, output: str = "pandas", generator=None):
        """``n`` synthetic rows (default: the model's DP estimate of the number of units) as a
        pandas DataFrame (or ``output="arrow"`` / ``"polars"``), with the input's column types."""
        table = self._model().sample(n, generator=generator)
        return _tables.to_frame(table, output)

    def sample_to_csv(self, path: str | os.PathLike, n: int | None = None, *, generator=None) -> int:
        """Streams ``n`` rows to a CSV file (written atomically); returns the row count."""
        return self._model().sample_to_csv(os.fspath(path), n, generator=generator)

    @property
    def privacy(self) -> Privacy:
        """epsilon, delta, unit, neighbouring relation, maps and the ledger charge of the fit."""
        return Privacy(self.method, self.epsilon, self.delta, self._release_plan, self._model())

    @property
    def report(self) -> dict:
        """The fit's report (DP values and public inputs only; may be released with the data)."""
        return json.loads(self._model().report_json())


ReleasePlan = _release.ReleasePlan

__all__ = ["Synthesizer", "Privacy", "ReleasePlan"]
