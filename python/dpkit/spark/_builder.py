"""dpkit.spark.Query: a DP aggregate query built step by step, as SQL text of dpkit's dialect.

Each step returns a new Query; :meth:`Query.sql` is the statement, and :meth:`Query.run` is
:func:`dpkit.spark.query` on it — the builder adds no semantics of its own. Column names are
quoted, numbers written exactly (shortest round trip), and conditions are SQL text of the
dialect (docs/sql.md).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


def _identifier(name: str) -> str:
    if '"' in name:
        from dpkit.errors import InvalidArgument

        raise InvalidArgument(f"column name {name!r} contains a double quote: dpkit's SQL cannot "
                              "name it (rename the column)")
    return f'"{name}"'


def _number(x: float) -> str:
    return repr(float(x))


def _bounded(column: str, lower, upper) -> str:
    if (lower is None) != (upper is None):
        from dpkit.errors import InvalidArgument

        raise InvalidArgument(f"bounds of '{column}': give both lower and upper, or neither (the "
                              "schema's)")
    text = _identifier(column)
    return text if lower is None else f"{text} BETWEEN {_number(lower)} AND {_number(upper)}"


class Query:
    """A DP aggregate query over one Spark DataFrame: ``where``, ``group_by`` and aggregates
    (``count``, ``count_units``, ``sum``, ``mean``, ``variance``, ``stddev``, ``median``,
    ``quantile``), then :meth:`run` (charged) or :meth:`explain`. Bounds given to an aggregate
    override the schema's; without either, the statement is refused before any charge."""

    def __init__(self, df, table: str = "data", *, schema=None, dataset: Optional[str] = None):
        self._df, self._table, self._schema, self._dataset = df, table, schema, dataset
        self._where: list = []
        self._group_by: list = []
        self._items: list = []

    def _with(self, **changes) -> Query:
        q = Query(self._df, self._table, schema=self._schema, dataset=self._dataset)
        q._where, q._group_by, q._items = list(self._where), list(self._group_by), list(self._items)
        for key, value in changes.items():
            getattr(q, key).extend(value)
        return q

    def where(self, condition: str) -> Query:
        """Keeps rows for which ``condition`` (SQL text of the dialect) is true; conditions
        of several calls are ANDed."""
        return self._with(_where=[f"({condition})"])

    def group_by(self, *columns: str) -> Query:
        return self._with(_group_by=list(columns))

    def _aggregate(self, text: str, name: Optional[str]) -> Query:
        return self._with(_items=[text if name is None else f"{text} AS {_identifier(name)}"])

    def count(self, column: Optional[str] = None, *, name: Optional[str] = None) -> Query:
        """COUNT(*) (rows), or COUNT(column) (its non-null values)."""
        return self._aggregate(f"COUNT({'*' if column is None else _identifier(column)})", name)

    def count_units(self, *, name: Optional[str] = None) -> Query:
        """COUNT(DISTINCT <the schema's privacy unit>): privacy units per group."""
        from dpkit import _tables

        schema = _tables.schema(self._schema)
        if schema is None or not schema.privacy_unit:
            from dpkit.errors import InvalidArgument

            raise InvalidArgument("count_units() needs a schema with a privacy_unit")
        return self._aggregate(f"COUNT(DISTINCT {_identifier(schema.privacy_unit)})", name)

    def sum(self, column: str, lower=None, upper=None, *, name: Optional[str] = None) -> Query:
        return self._aggregate(f"SUM({_bounded(column, lower, upper)})", name)

    def mean(self, column: str, lower=None, upper=None, *, name: Optional[str] = None) -> Query:
        return self._aggregate(f"AVG({_bounded(column, lower, upper)})", name)

    def variance(self, column: str, lower=None, upper=None, *, name: Optional[str] = None) -> Query:
        return self._aggregate(f"VARIANCE({_bounded(column, lower, upper)})", name)

    def stddev(self, column: str, lower=None, upper=None, *, name: Optional[str] = None) -> Query:
        return self._aggregate(f"STDDEV({_bounded(column, lower, upper)})", name)

    def median(self, column: str, lower=None, upper=None, *, name: Optional[str] = None) -> Query:
        return self._aggregate(f"MEDIAN({_bounded(column, lower, upper)})", name)

    def quantile(self, column: str, p: float, lower=None, upper=None, *,
                 name: Optional[str] = None) -> Query:
        """The p-quantile, p in [0, 1]."""
        return self._aggregate(f"QUANTILE({_bounded(column, lower, upper)}, {_number(p)})", name)

    def sql(self) -> str:
        """The statement (no WITH clause: the budget and bounding come from run()'s options)."""
        if not self._items:
            from dpkit.errors import InvalidArgument

            raise InvalidArgument("the query has no aggregate: add count(), sum(), ...")
        keys = [_identifier(c) for c in self._group_by]
        text = f"SELECT {', '.join(keys + self._items)} FROM {_identifier(self._table)}"
        if self._where:
            text += " WHERE " + " AND ".join(self._where)
        if keys:
            text += " GROUP BY " + ", ".join(keys)
        return text

    def run(self, **options):
        """:func:`dpkit.spark.query` on :meth:`sql` with ``options`` (ledger, epsilon, delta,
        max_groups, max_rows, confidence, mechanism, partitions, output, ...)."""
        from dpkit.spark._query import query

        return query(self.sql(), {self._table: self._df}, schema=self._schema,
                     dataset=self._dataset, **options)

    def explain(self, **options) -> str:
        """The plan (spends nothing, runs no Spark job)."""
        from dpkit.spark._query import explain

        return explain(self.sql(), {self._table: self._df}, schema=self._schema,
                       dataset=self._dataset, **options)
