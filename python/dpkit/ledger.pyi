# Type stub of dpkit.ledger (the Ledger class is pure Python in ledger.py; the records are C++).
import os
from typing import Iterable, List, Optional, Union

import pandas

from dpkit._dpkit import PrivacyMap
from dpkit.mechanisms import Release

Charged = Union[PrivacyMap, Release, Iterable[Union[PrivacyMap, Release]]]
ROW_LEVEL_UNIT: str

class Budget:
    epsilon: float
    delta: float
    rho: float
    is_rho: bool

class Spend:
    epsilon: float
    delta: float
    rho: float

class Receipt:
    charge_id: int
    hash: str
    insecure_seed: bool
    timestamp_micros: int
    dataset: str
    unit: str
    accountant: str
    budget: Budget
    cost: Spend
    spent: Spend
    remaining: Spend
    notes: List[str]

class ChargePreview:
    fits: bool
    dataset: str
    unit: str
    accountant: str
    budget: Budget
    cost: Spend
    spent_before: Spend
    spent_after: Spend
    remaining_after: Spend
    message: str
    notes: List[str]

class BudgetStatus:
    dataset: str
    unit: str
    accountant: str
    budget: Budget
    spent: Spend
    remaining: Spend
    num_charges: int
    num_refused: int
    num_insecure_seed: int
    created_micros: int
    notes: List[str]

class ChargeRecord:
    charge_id: int
    timestamp_micros: int
    dataset: str
    unit: str
    status: str
    mechanism: str
    maps: List[PrivacyMap]
    operation: str
    caller: str
    spent_after: Spend
    note: str
    insecure_seed: bool
    hash: str

class IntegrityReport:
    num_budgets: int
    num_charges: int
    head: str
    chain_origin: str

class Ledger:
    """Everything released under a budget is (epsilon, delta)-DP (or rho-zCDP) for its unit,
    provided every charged map bounds its release."""

    def __init__(
        self, path: Union[str, os.PathLike], *, create: bool = True,
        lock_timeout_ms: int = 10000, integrity_check: str = "quick",
    ) -> None: ...
    @property
    def path(self) -> str: ...
    def init(
        self, dataset: str, *, unit: Optional[str] = None, epsilon: Optional[float] = None,
        delta: float = 0.0, rho: Optional[float] = None, accountant: Optional[str] = None,
    ) -> BudgetStatus: ...
    def charge(
        self, dataset: str, maps: Charged, *, unit: Optional[str] = None, operation: str = "",
        caller: str = "", insecure_seed: Optional[bool] = None,
    ) -> Receipt:
        """Charges before release; BudgetExhausted (nothing charged) when it does not fit."""
    def preview(self, dataset: str, maps: Charged, *, unit: Optional[str] = None) -> ChargePreview: ...
    def status(self, dataset: str, *, unit: Optional[str] = None) -> BudgetStatus: ...
    def budgets(self, dataset: Optional[str] = None) -> List[BudgetStatus]: ...
    def show(self, dataset: Optional[str] = None) -> pandas.DataFrame: ...
    def history(
        self, dataset: str, *, unit: Optional[str] = None, limit: int = 0,
        include_refused: bool = True,
    ) -> pandas.DataFrame: ...
    def check(self, expect_head: Optional[str] = None) -> IntegrityReport:
        """Full integrity check incl. the hash chain; DataError if anything is wrong."""
    def head(self) -> str: ...
    def export_json(self, dataset: Optional[str] = None) -> str: ...
