"""The privacy budget ledger: one SQLite file holding every dataset's budget and every charge.

Protocol (the same as the CLI's): build the release's PrivacyMaps from the mechanisms that will
run (``mech.privacy_map_for(cells)``), :meth:`Ledger.charge` them, and only when the charge
returns show or publish the result. A refused charge raises :class:`~dpkit.BudgetExhausted` and
records the refusal; nothing was spent. The ledger composes charges with the accountant each
budget was created with and never under-reports (C++: dpkit/ledger/ledger.h).
"""

from __future__ import annotations

import os

from dpkit._dpkit import PrivacyMap
from dpkit._dpkit import ledger as _l
from dpkit._dpkit import mechanisms as _mechanisms

# Types only (the stub ledger.pyi is what type checkers read); typing, pandas and numpy are not
# imported at run time here, to keep `import dpkit` fast.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, List, Optional, Union

    import pandas

    from dpkit.mechanisms import Release

    Charged = Union[PrivacyMap, Release, Iterable[Union[PrivacyMap, Release]]]

Budget = _l.Budget
Spend = _l.Spend
Receipt = _l.Receipt
ChargePreview = _l.ChargePreview
BudgetStatus = _l.BudgetStatus
ChargeRecord = _l.ChargeRecord
IntegrityReport = _l.IntegrityReport
ROW_LEVEL_UNIT: str = _l.ROW_LEVEL_UNIT


def _items(charged: Charged) -> list:
    """One charge's PrivacyMaps and Releases as a list (TypeError for anything else)."""
    single = isinstance(charged, (PrivacyMap, _mechanisms.Release))
    items = [charged] if single else list(charged)
    for item in items:
        if not isinstance(item, (PrivacyMap, _mechanisms.Release)):
            raise TypeError(f"charge takes PrivacyMaps or Releases, got {type(item).__name__}")
    return items


def _maps(items: list) -> list[PrivacyMap]:
    """The maps to charge: each PrivacyMap, and each Release's map (the whole release's cost)."""
    return [i if isinstance(i, PrivacyMap) else i.privacy_map for i in items]


def _insecure(items: list) -> bool:
    """True when a Release among the items was drawn from a dpkit.testing generator."""
    return any(isinstance(i, _mechanisms.Release) and not i.secure for i in items)


def _unit(unit: str | None) -> str:
    return "" if unit is None else unit


class Ledger:
    """A privacy budget ledger file (created if missing unless ``create=False``).

    Privacy claim: if every charged PrivacyMap is a valid bound for its release, everything
    released under a budget is (epsilon, delta)-DP (or rho-zCDP) for the budget's privacy unit.
    ``unit=None`` means row-level neighbours (the unit ``"(row)"``). Thread-safe; any number of
    processes may use the same file at once (local file systems).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        create: bool = True,
        lock_timeout_ms: int = 10000,
        integrity_check: str = "quick",
    ) -> None:
        self._impl = _l.Ledger(
            os.fspath(path),
            create=create,
            lock_timeout_ms=lock_timeout_ms,
            integrity_check=integrity_check,
        )

    @property
    def path(self) -> str:
        return self._impl.path

    def init(
        self,
        dataset: str,
        *,
        unit: str | None = None,
        epsilon: float | None = None,
        delta: float = 0.0,
        rho: float | None = None,
        accountant: str | None = None,
    ) -> BudgetStatus:
        """Creates the budget of ``dataset`` for ``unit``: (epsilon, delta), or rho (zCDP).

        accountant: "basic" (default for epsilon budgets), "zcdp" (required for rho budgets),
        "rdp" or "pld". AlreadyExists if the dataset and unit have a budget.
        """
        if accountant is None:
            accountant = "zcdp" if rho is not None else "basic"
        self._impl.create_budget(dataset, _unit(unit), epsilon, delta, rho, accountant)
        return self.status(dataset, unit=unit)

    def charge(
        self,
        dataset: str,
        maps: Charged,
        *,
        unit: str | None = None,
        operation: str = "",
        caller: str = "",
        insecure_seed: bool | None = None,
    ) -> Receipt:
        """Atomically checks and charges one operation's maps; returns after the commit is durable.

        Raises BudgetExhausted (nothing charged; release nothing) when the budget cannot cover
        it. ``caller`` defaults to user@host/pid. ``insecure_seed`` records that the noise came
        from a dpkit.testing generator (NOT private); None = True exactly when a Release given
        was drawn from one. The charge counts in full either way.
        """
        items = _items(maps)
        insecure = _insecure(items) if insecure_seed is None else insecure_seed
        return self._impl.charge(dataset, _unit(unit), _maps(items), operation, caller, insecure)

    def preview(self, dataset: str, maps: Charged, *, unit: str | None = None) -> ChargePreview:
        """What charge() would cost now and whether it fits; writes nothing."""
        return self._impl.preview(dataset, _unit(unit), _maps(_items(maps)))

    def status(self, dataset: str, *, unit: str | None = None) -> BudgetStatus:
        """One budget's total, spent and remaining amounts."""
        return self._impl.status(dataset, _unit(unit))

    def budgets(self, dataset: str | None = None) -> list[BudgetStatus]:
        """Every budget (or those of ``dataset``), sorted by dataset then unit."""
        return self._impl.list_budgets(dataset or "")

    def show(self, dataset: str | None = None) -> pandas.DataFrame:
        """The budgets as a DataFrame, one row per dataset and unit (like ``dpkit budget show``)."""
        import pandas as pd

        rows = [
            {
                "dataset": s.dataset,
                "unit": s.unit,
                "accountant": s.accountant,
                "budget_epsilon": s.budget.epsilon,
                "budget_delta": s.budget.delta,
                "budget_rho": s.budget.rho,
                "spent_epsilon": s.spent.epsilon,
                "spent_rho": s.spent.rho,
                "remaining_epsilon": s.remaining.epsilon,
                "remaining_rho": s.remaining.rho,
                "charges": s.num_charges,
                "refused": s.num_refused,
                "insecure_seed_charges": s.num_insecure_seed,
                "created": pd.Timestamp(s.created_micros, unit="us", tz="UTC"),
            }
            for s in self.budgets(dataset)
        ]
        return pd.DataFrame(rows, columns=_SHOW_COLUMNS)

    def history(
        self,
        dataset: str,
        *,
        unit: str | None = None,
        limit: int = 0,
        include_refused: bool = True,
    ) -> pandas.DataFrame:
        """The audit trail of one budget as a DataFrame, oldest first (the last ``limit`` rows).

        Columns: charge_id, time (UTC), status ("charged"/"refused"), mechanism, operation,
        caller, spent_epsilon, spent_delta, spent_rho (totals after the row), note,
        insecure_seed (noise NOT private), maps, hash (the row's link in the hash chain).
        """
        import pandas as pd

        records = self._impl.history(dataset, _unit(unit), limit, include_refused)
        rows = [
            {
                "charge_id": r.charge_id,
                "time": pd.Timestamp(r.timestamp_micros, unit="us", tz="UTC"),
                "status": r.status,
                "mechanism": r.mechanism,
                "operation": r.operation,
                "caller": r.caller,
                "spent_epsilon": r.spent_after.epsilon,
                "spent_delta": r.spent_after.delta,
                "spent_rho": r.spent_after.rho,
                "note": r.note,
                "insecure_seed": r.insecure_seed,
                "maps": list(r.maps),
                "hash": r.hash,
            }
            for r in records
        ]
        return pd.DataFrame(rows, columns=_HISTORY_COLUMNS)

    def check(self, expect_head: str | None = None) -> IntegrityReport:
        """Full integrity check: SQLite, the hash chain over every charge row (and, given
        ``expect_head`` "ID:HASH" kept elsewhere, that the file still contains it), every stored
        map, and every budget re-composed. Raises DataError if anything is wrong."""
        return self._impl.verify(expect_head)

    def head(self) -> str:
        """The end of the hash chain, "ID:HASH": keep a copy to detect a rewritten file later."""
        return self._impl.head()

    def export_json(self, dataset: str | None = None) -> str:
        """Every budget (or those of ``dataset``) with its audit trail, as one JSON document."""
        return self._impl.export_json(dataset or "")

    def __repr__(self) -> str:
        return f"dpkit.Ledger({self.path!r})"


_SHOW_COLUMNS = [
    "dataset", "unit", "accountant", "budget_epsilon", "budget_delta", "budget_rho",
    "spent_epsilon", "spent_rho", "remaining_epsilon", "remaining_rho", "charges", "refused",
    "insecure_seed_charges", "created",
]
_HISTORY_COLUMNS = [
    "charge_id", "time", "status", "mechanism", "operation", "caller", "spent_epsilon",
    "spent_delta", "spent_rho", "note", "insecure_seed", "maps", "hash",
]

__all__ = [
    "Ledger", "Budget", "Spend", "Receipt", "ChargePreview", "BudgetStatus", "ChargeRecord",
    "IntegrityReport", "ROW_LEVEL_UNIT",
]
