# Type stub of dpkit.synth (see synth.py for the privacy claim).
import os
from typing import Callable, List, Optional, Sequence, Union

import pandas

from dpkit._dpkit import PrivacyMap
from dpkit.ledger import Ledger, Receipt

class ReleasePlan:
    operation: str
    dataset: str
    unit: str
    ledger_unit: str
    neighbouring: str
    maps: List[PrivacyMap]
    steps: List[str]
    def to_text(self) -> str: ...

class Privacy:
    """epsilon, delta, unit, neighbouring, maps, charge_id, dataset, receipt, secure."""

    epsilon: float
    delta: float
    unit: str
    neighbouring: str
    maps: List[PrivacyMap]
    charge_id: int
    dataset: str
    receipt: Receipt
    secure: bool
    method: str
    def guarantee(self) -> dict:
        """The dpkit-privacy/1 document for dpkit.report.evaluate(privacy=...)."""

class Synthesizer:
    """A DP synthesizer (MST or AIM); every fit is charged to a ledger before it runs."""

    method: str
    epsilon: float
    delta: float
    def __init__(
        self,
        method: str = "aim",
        *,
        epsilon: float,
        delta: float = 1e-9,
        schema: Union[dict, str, os.PathLike, None] = None,
        workload: Optional[Sequence[Sequence[str]]] = None,
        rounds: int = 0,
        numeric_bins: int = 32,
        quantile_grid: int = 1024,
        max_model_mb: float = 8,
        iters: int = 2000,
        threads: int = 2,
        preprocessing_fraction: float = 0.1,
        partition_delta_fraction: float = 0.5,
    ) -> None: ...
    def plan(self, columns: object, *, dataset: str = "data") -> ReleasePlan:
        """The release plan from the column names only (a dry run; spends nothing)."""
    def fit(
        self,
        data: object,
        *,
        ledger: Union[Ledger, str, os.PathLike],
        dataset: str,
        progress: Optional[Callable[[str], None]] = None,
        noise: object = None,
        generator: object = None,
    ) -> Synthesizer:
        """Charges the plan to the ledger, then fits (BudgetExhausted: nothing fitted)."""
    def sample(
        self, n: Optional[int] = None, *, output: str = "pandas", generator: object = None
    ) -> pandas.DataFrame: ...
    def sample_to_csv(
        self, path: Union[str, os.PathLike], n: Optional[int] = None, *, generator: object = None
    ) -> int: ...
    @property
    def privacy(self) -> Privacy: ...
    @property
    def report(self) -> dict: ...
