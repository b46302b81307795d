"""DP SQL and mergeable partial aggregates (C++: dpkit/analytics) — ``dpkit query`` from Python.

:func:`query` runs one statement of dpkit's DP SQL dialect (docs/sql.md) over DataFrames or CSV
files through the release protocol: the statement is planned from public inputs (the SQL text,
the schemas, the column names), the budget of every table it reads — (its dataset, its schema's
privacy unit) in the named ledger — is charged, and only then are rows read and noise added. A
refused charge raises BudgetExhausted and releases nothing. Every released number comes with its
noise scale and a confidence interval.

Privacy claim (dpkit/analytics/sql.h): the result is (epsilon, delta)-DP with respect to adding
or removing all rows of one privacy unit of each table read (or one row of a table without a
unit), with contributions bounded in the library (max_groups per unit, max_rows per group,
clamping to the schema's or the query's bounds) and private selection of group keys that are
not declared public.

The partial-aggregate API (:class:`QuerySpec`, :func:`partial`, :func:`release_partials`) is for
engines that hold the table in slices: each slice (holding ALL rows of its privacy units)
computes exact partial aggregates, the partials merge in any order (and pickle), and one
charged release adds the noise. Partials are exact statistics of private data: not releases.
"""

from __future__ import annotations

import os

from dpkit import _tables
from dpkit._dpkit import analytics as _a
from dpkit._workload import ledger_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping, Sequence

    import pandas

PartialAggregates = _a.PartialAggregates


def _per_table(value, names, what):
    """value for each table: a dict by table name, or one value for a single table."""
    if isinstance(value, dict) and not (what == "schema" and "columns" in value):
        unknown = set(value) - set(names)
        if unknown:
            from dpkit.errors import InvalidArgument

            raise InvalidArgument(f"{what} names unknown table(s): {', '.join(sorted(unknown))} "
                                  f"(tables: {', '.join(names)})")
        return {n: value.get(n) for n in names}
    if value is not None and len(names) > 1:
        from dpkit.errors import InvalidArgument

        raise InvalidArgument(f"{what}= must be a dict by table name when several tables are given")
    return {n: value for n in names}


def _sources(tables, schema, dataset):
    names = list(tables)
    schemas = {n: _tables.schema(s) for n, s in _per_table(schema, names, "schema").items()}
    datasets = _per_table(dataset, names, "dataset")
    sources = []
    for name, data in tables.items():
        if isinstance(data, (str, os.PathLike)):
            path, text = os.fspath(data), None
        else:
            path, text = name, _tables.csv_buffer(data, _tables.date_columns(schemas[name]))
        sources.append(_a.Source(name, path, datasets[name] or "", schemas[name], text))
    return sources


def _frame(columns, output):
    """Keys as text columns; each value as <name>, <name>_noise_scale, <name>_ci_lower,
    <name>_ci_upper (the CLI's CSV columns)."""
    import pyarrow as pa

    arrays, names = [], []
    for c in columns:
        if c["is_key"]:
            arrays.append(pa.array(c["keys"], type=pa.large_string()))
            names.append(c["name"])
            continue
        for suffix, field in (("", "value"), ("_noise_scale", "noise_scale"),
                              ("_ci_lower", "ci_lower"), ("_ci_upper", "ci_upper")):
            arrays.append(pa.array(c[field]))
            names.append(c["name"] + suffix)
    table = pa.Table.from_arrays(arrays, names=names)
    return _tables.arrow_to(table, output)


def _attach(frame, result, output):
    if output == "pandas":
        frame.attrs.update({
            "epsilon": result.epsilon, "delta": result.delta, "confidence": result.confidence,
            "privacy_unit": result.privacy_unit, "neighbouring": result.neighbouring,
            "notes": list(result.notes), "charge_ids": [r.charge_id for r in result.receipts],
            "secure": not result.not_private,
        })
    return frame


def query(
    sql: str,
    tables: Mapping[str, object],
    *,
    schema=None,
    ledger=None,
    dataset=None,
    epsilon: float | None = None,
    delta: float | None = None,
    max_groups: int = 1,
    max_rows: int = 1,
    confidence: float = 0.95,
    mechanism: str = "laplace",
    noise=None,
    generator=None,
    output: str = "pandas",
):
    """Runs one DP SQL statement; returns a DataFrame (``output="arrow"``/``"polars"`` too) with
    the key columns and, per aggregate, ``<name>``, ``<name>_noise_scale``, ``<name>_ci_lower``
    and ``<name>_ci_upper``; ``attrs`` holds epsilon, delta, confidence, privacy_unit,
    neighbouring, notes and the ledger charge_ids. An EXPLAIN statement returns the plan text
    (and, with a ledger, each budget's preview) and spends nothing.

    ``tables``: name -> DataFrame (pandas/polars/pyarrow) or CSV path. ``schema``: one schema
    (one table) or a dict by table name; a table without one has no privacy unit (rows are the
    units) and its columns are text unless the query uses them as numbers. ``dataset``: the
    ledger dataset per table (str or dict; default each table's name). ``ledger``: a
    dpkit.Ledger or path holding those budgets (required except for EXPLAIN). ``epsilon``/
    ``delta`` apply when the query has no WITH clause; ``max_groups``/``max_rows`` bound each
    unit's contribution; ``mechanism`` "laplace" or "gaussian". ``noise``/``generator``:
    dpkit.testing only (NOT private; recorded in the ledger)."""
    if not isinstance(tables, dict) or not tables:
        raise TypeError("tables must be a non-empty dict: table name -> DataFrame or CSV path")
    result = _a.query(
        sql, _sources(tables, schema, dataset), None if ledger is None else ledger_path(ledger),
        epsilon, delta, max_groups, max_rows, confidence, mechanism, noise=noise,
        generator=generator,
    )
    if result.explain:
        return result.explain_text
    return _attach(_frame(result.columns(), output), result, output)


def explain(sql: str, tables: Mapping[str, object], **options) -> str:
    """The plan of ``sql`` (what EXPLAIN prints); with ``ledger=``, each budget's preview.
    Spends nothing."""
    text = sql.lstrip()
    return query(text if text[:7].upper() == "EXPLAIN" else "EXPLAIN " + text, tables, **options)


class QuerySpec:
    """An aggregate query as data, for :func:`partial` and :func:`release_partials`.

    ``aggregates``: dicts with ``function`` (count, count_distinct_units, sum, mean, variance,
    stddev, quantile), ``column``, ``lower``/``upper`` (public clamping bounds; required for
    value columns here, else the schema's), ``quantile``, ``name``. ``public_keys``: declared key
    sets per group column (otherwise keys are selected privately)."""

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
        public_keys: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.table = table
        self._impl = _a.QuerySpec(
            table=table, group_by=list(group_by), aggregates=[dict(a) for a in aggregates],
            epsilon=epsilon, delta=delta, max_groups=max_groups, max_rows=max_rows,
            mechanism=mechanism, confidence=confidence,
            public_keys={k: list(v) for k, v in (public_keys or {}).items()},
        )


def new_salt() -> int:
    """The salt every slice of one query shares (the random choice of kept rows per unit),
    drawn from the secure generator: draw it once per query, on the coordinator."""
    return _a.new_salt()


def partial(data, spec: QuerySpec, *, schema, salt: int) -> PartialAggregates:
    """Exact partial aggregates of one slice (a DataFrame or CSV path holding ALL rows of its
    privacy units), read under the schema with the private-data rules. NOT a release."""
    schema_obj = _tables.schema(schema)
    return _a.compute_partial(_tables.read(data, schema_obj, "private"), schema_obj, spec._impl,
                              salt)


def release_partials(
    partials: PartialAggregates,
    spec: QuerySpec,
    *,
    schema,
    columns: Sequence[str],
    ledger,
    dataset: str,
    noise=None,
    generator=None,
    output: str = "pandas",
):
    """Charges the query's plan to ``dataset``'s budget (at the schema's privacy unit) in
    ``ledger``, then adds noise to the merged ``partials``; returns the DataFrame of
    :func:`query`. ``columns``: the table's column names (its header; public)."""
    schema_obj = _tables.schema(schema)
    header = _tables.read_header(columns, schema_obj)
    result = _a.release_partials(partials, header, schema_obj, spec._impl, dataset,
                                 ledger_path(ledger), noise=noise, generator=generator)
    frame = _frame(result.columns(), output)
    if output == "pandas":
        frame.attrs.update({"confidence": result.confidence, "notes": list(result.notes),
                            "charge_ids": [r.charge_id for r in result.receipts],
                            "secure": not result.not_private, "plan": result.plan_text})
    return frame


__all__ = ["query", "explain", "QuerySpec", "PartialAggregates", "new_salt", "partial",
           "release_partials"]
