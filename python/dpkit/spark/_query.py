"""dpkit.spark.query: one DP SQL statement over a Spark DataFrame, through the release protocol.

The driver plans (public inputs: the SQL text, the schema, the DataFrame's column names),
charges the ledger — which draws the salt of the contribution bounding from the generator —
runs the Spark job of _job.py, merges the per-group pieces and releases them through the C++
core (dpkit/analytics/sql_partials.h). Nothing of the data is read before the charge.
"""

from __future__ import annotations

from dpkit import _tables
from dpkit._dpkit import analytics as _a
from dpkit._workload import ledger_path
from dpkit.analytics import _attach, _frame
from dpkit.spark import _job

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping

    from pyspark.sql import DataFrame


def _one_table(tables):
    from dpkit.errors import InvalidArgument

    if not isinstance(tables, dict) or len(tables) != 1:
        raise InvalidArgument("tables must be a dict with one entry, table name -> Spark "
                              "DataFrame (a statement over Spark reads one table: no JOIN)")
    ((name, df),) = tables.items()
    if not hasattr(df, "sparkSession") or not hasattr(df, "mapInArrow"):
        raise TypeError(f"table '{name}' must be a Spark DataFrame, got {type(df).__name__}")
    return name, df


def _check_column_types(df, columns):
    """Nested Spark types cannot be read as one CSV field each: refused before the charge."""
    from pyspark.sql.types import ArrayType, MapType, StructType

    from dpkit.errors import InvalidArgument

    for field in df.schema.fields:
        if field.name in columns and isinstance(field.dataType, (ArrayType, MapType, StructType)):
            raise InvalidArgument(
                f"column '{field.name}' has the nested Spark type {type(field.dataType).__name__}:"
                " dpkit reads atomic columns only (select or flatten it first)")


def _merged_partial(task, columns, pieces):
    """The pieces merged into the partial of no slice (which has this query's salt)."""
    import pyarrow as pa

    merged = task.partial_of(pa.table({c: pa.array([], pa.string()) for c in columns}))
    for _, blob in pieces:
        merged.merge(_a.PartialAggregates.deserialize(blob))
    return merged


def _run_job(plan, df, task, partitions):
    """The Spark job after the charge; a failure is raised as one after the charge (what was
    spent), with dpkit's own message or, for a Spark failure, its type only (the Spark logs have
    the rest), never chained to the Spark exception."""
    schema = plan.slice_schema
    unit = schema.privacy_unit if schema is not None else ""
    failure = None
    try:
        return _job.merged_pieces(df, task, plan.slice_columns, unit, partitions)
    except _job.WorkerError as e:
        failure = (e.message, e.code)
    except Exception as e:  # noqa: BLE001 - any engine failure after the charge is reported so
        failure = (f"the Spark job failed ({type(e).__name__}): see the Spark driver and "
                   "executor logs", "INTERNAL")
    plan.charged_failure(*failure)


def query(
    sql: str,
    tables: Mapping[str, DataFrame],
    *,
    schema=None,
    ledger=None,
    dataset: str | None = None,
    epsilon: float | None = None,
    delta: float | None = None,
    max_groups: int = 1,
    max_rows: int = 1,
    confidence: float = 0.95,
    mechanism: str = "laplace",
    partitions: int | None = None,
    noise=None,
    generator=None,
    output: str = "pandas",
):
    """Runs one DP SQL statement (the dialect of ``dpkit query``, docs/sql.md; one table, no JOIN)
    over a Spark DataFrame; returns what :func:`dpkit.query` returns for the same statement on
    the same rows, each unit's rows sorted by the columns read (docs/spark.md, "Row order").
    ``tables``: {name: DataFrame}. ``schema``: the table's public schema (privacy unit, types,
    bounds, categories). ``dataset``: its budget's dataset in ``ledger`` (default the table's
    name). ``partitions``: slices of the shuffle by privacy unit (default
    ``spark.sql.shuffle.partitions``). ``noise``/``generator``: dpkit.testing only."""
    name, df = _one_table(tables)
    options = {"epsilon": epsilon, "delta": delta, "max_groups": max_groups,
               "max_rows": max_rows, "confidence": confidence, "mechanism": mechanism}
    plan = _a.SqlOverPartials(sql, name, [str(c) for c in df.columns], _tables.schema(schema),
                              dataset or name, **options)
    if plan.explain:
        return plan.explain_text(None if ledger is None else ledger_path(ledger))
    if ledger is None:
        from dpkit.errors import InvalidArgument

        raise InvalidArgument("ledger= is required: a query is charged to the table's budget "
                              "(open one with dpkit.Ledger(path).init(...) or 'dpkit budget init')")
    _check_column_types(df, plan.slice_columns)
    partitions = partitions or int(df.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    salt = plan.charge(ledger_path(ledger), noise=noise, generator=generator)
    schema_json = None if plan.slice_schema is None else plan.slice_schema.to_json()
    task = _job.SliceTask(sql, name, schema_json, options, salt)
    pieces = _run_job(plan, df, task, partitions)
    result = plan.release(_merged_partial(task, plan.slice_columns, pieces))
    return _attach(_frame(result.columns(), output), result, output)


def explain(sql: str, tables: Mapping[str, DataFrame], **options) -> str:
    """The plan of ``sql`` (what EXPLAIN prints); with ``ledger=``, the budget's preview.
    Spends nothing and runs no Spark job."""
    text = sql.lstrip()
    return query(text if text[:7].upper() == "EXPLAIN" else "EXPLAIN " + text, tables, **options)
