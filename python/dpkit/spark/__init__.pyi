from typing import Any, Mapping, Optional

from pyspark.sql import DataFrame

def query(
    sql: str,
    tables: Mapping[str, DataFrame],
    *,
    schema: object = None,
    ledger: object = None,
    dataset: Optional[str] = None,
    epsilon: Optional[float] = None,
    delta: Optional[float] = None,
    max_groups: int = 1,
    max_rows: int = 1,
    confidence: float = 0.95,
    mechanism: str = "laplace",
    partitions: Optional[int] = None,
    noise: object = None,
    generator: object = None,
    output: str = "pandas",
) -> Any:
    """A DataFrame of keys and released values (value, _noise_scale, _ci_lower, _ci_upper);
    the plan text for EXPLAIN. Charged to the ledger before any Spark job runs."""

def explain(sql: str, tables: Mapping[str, DataFrame], **options: Any) -> str: ...

class Query:
    def __init__(
        self, df: DataFrame, table: str = "data", *, schema: object = None,
        dataset: Optional[str] = None
    ) -> None: ...
    def where(self, condition: str) -> Query: ...
    def group_by(self, *columns: str) -> Query: ...
    def count(self, column: Optional[str] = None, *, name: Optional[str] = None) -> Query: ...
    def count_units(self, *, name: Optional[str] = None) -> Query: ...
    def sum(self, column: str, lower: Optional[float] = None, upper: Optional[float] = None, *,
            name: Optional[str] = None) -> Query: ...
    def mean(self, column: str, lower: Optional[float] = None, upper: Optional[float] = None, *,
             name: Optional[str] = None) -> Query: ...
    def variance(self, column: str, lower: Optional[float] = None,
                 upper: Optional[float] = None, *, name: Optional[str] = None) -> Query: ...
    def stddev(self, column: str, lower: Optional[float] = None, upper: Optional[float] = None,
               *, name: Optional[str] = None) -> Query: ...
    def median(self, column: str, lower: Optional[float] = None, upper: Optional[float] = None,
               *, name: Optional[str] = None) -> Query: ...
    def quantile(self, column: str, p: float, lower: Optional[float] = None,
                 upper: Optional[float] = None, *, name: Optional[str] = None) -> Query: ...
    def sql(self) -> str: ...
    def run(self, **options: Any) -> Any: ...
    def explain(self, **options: Any) -> str: ...
