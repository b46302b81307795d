# Type stub of dpkit.analytics (DP SQL and partial aggregates; see analytics.py).
import os
from typing import Any, Mapping, Optional, Sequence, Union

import pandas

class PartialAggregates:
    """Exact partial aggregates of a slice (NOT a release); merge, pickle, release once."""

    def merge(self, other: PartialAggregates) -> None: ...
    def serialize(self) -> bytes: ...
    @staticmethod
    def deserialize(data: bytes) -> PartialAggregates: ...

class QuerySpec:
    table: str
    def __init__(
        self,
        table: str,
        *,
        group_by: Sequence[str] = (),
        aggregates: Sequence[dict],
        epsilon: float,
        delta: float = 0.0,
        max_groups: int = 1,
        max_rows: int = 1,
        mechanism: str = "laplace",
        confidence: float = 0.95,
        public_keys: Optional[Mapping[str, Sequence[str]]] = None,
    ) -> None: ...

def query(
    sql: str,
    tables: Mapping[str, object],
    *,
    schema: object = None,
    ledger: object = None,
    dataset: Union[str, Mapping[str, str], None] = None,
    epsilon: Optional[float] = None,
    delta: Optional[float] = None,
    max_groups: int = 1,
    max_rows: int = 1,
    confidence: float = 0.95,
    mechanism: str = "laplace",
    noise: object = None,
    generator: object = None,
    output: str = "pandas",
) -> Any:
    """A DataFrame of keys and released values (value, _noise_scale, _ci_lower, _ci_upper);
    the plan text for EXPLAIN. Charged to the ledger before any row is read."""

def explain(sql: str, tables: Mapping[str, object], **options: Any) -> str: ...
def new_salt() -> int: ...
def partial(data: object, spec: QuerySpec, *, schema: object, salt: int) -> PartialAggregates: ...
def release_partials(
    partials: PartialAggregates,
    spec: QuerySpec,
    *,
    schema: object,
    columns: Sequence[str],
    ledger: object,
    dataset: str,
    noise: object = None,
    generator: object = None,
    output: str = "pandas",
) -> pandas.DataFrame: ...
