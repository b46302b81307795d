"""The Spark half of dpkit.spark: the transformations that run on the executors.

After the charge, the table's DataFrame becomes slices and partial aggregates in two shuffles:

1. **By privacy unit.** The columns the statement reads are selected, the rows are
   hash-partitioned by the unit column and sorted inside each partition by their own values
   (``unit_order``): every slice holds ALL rows of its units, and each unit's rows come in an
   order that only they decide, whatever the DataFrame's lineage (a table without a unit is
   sliced as it stands: every row is its own unit). Each slice
   goes, as Arrow batches written as CSV text, to ``compute_sql_partial`` (C++): WHERE, the
   contribution bounding with the charge's salt, exact fixed-point sums — the same code as one
   pass. Its output is cut into one piece per group.
2. **By group key.** The pieces are hash-partitioned by group key and merged per key (exact
   integer sums), one piece per group comes back to the driver, which merges them and releases.

Nothing here chooses rows, adds noise or sees another unit's rows in a way that matters: the
bounding of a unit depends on its own rows and the salt only (docs/spark.md). Errors of dpkit
itself (data errors, which name columns and never cells) come back as rows, so the driver can
report them after the charge; anything else fails the Spark job.
"""

from __future__ import annotations

PIECES = "key binary, partial binary, error string"


def quoted(name: str) -> str:
    """A Spark column reference to the column named `name`, whatever its characters."""
    return "`" + name.replace("`", "``") + "`"


class SliceTask:
    """What every executor task needs, all of it public or drawn after the charge: the
    statement, the table's name, the slice schema (JSON), the options and the salt. Pickled to
    the executors with the functions below (dpkit must be installed there)."""

    def __init__(self, sql: str, table: str, schema_json: str | None, options: dict, salt: int):
        self.sql = sql
        self.table = table
        self.schema_json = schema_json
        self.options = options
        self.salt = salt

    def _schema(self):
        from dpkit._dpkit import io as _io

        return None if self.schema_json is None else _io.Schema.from_json(self.schema_json, "schema")

    def partial_of(self, table):
        """The exact partial aggregates of one slice (a pyarrow Table). NOT a release."""
        from dpkit import _tables
        from dpkit._dpkit import analytics as _a

        schema = self._schema()
        text = _tables.csv_buffer(table, _tables.date_columns(schema))
        return _a.compute_sql_partial(self.sql, self.table, schema, text, salt=self.salt,
                                      **self.options)

    def partials(self, batches):
        """mapInArrow over the slices: one (key, piece) row per group of the slice."""
        import pyarrow as pa

        from dpkit._dpkit import analytics as _a
        from dpkit.errors import DpkitError

        batches = [b for b in batches if b.num_rows]
        if not batches:
            return
        try:
            pieces = _a.split_by_group(self.partial_of(pa.Table.from_batches(batches)))
        except DpkitError as e:
            yield _error_batch(e)
            return
        yield _pieces_batch(pieces)

    def merge(self, batches):
        """mapInArrow over pieces partitioned by key: one merged piece per key."""
        from dpkit._dpkit import analytics as _a

        merged, errors = {}, []
        for batch in batches:
            rows = zip(*(batch.column(c).to_pylist() for c in ("key", "partial", "error")))
            for key, blob, error in rows:
                if error is not None:
                    errors.append(error)
                    continue
                piece = _a.PartialAggregates.deserialize(blob)
                if key in merged:
                    merged[key].merge(piece)
                else:
                    merged[key] = piece
        if errors:
            yield _pieces_batch([], errors)
        if merged:
            yield _pieces_batch([(k, p.serialize()) for k, p in merged.items()])


def _pieces_batch(pieces, errors=()):
    import pyarrow as pa

    keys = [k for k, _ in pieces] + [b""] * len(errors)
    blobs = [p for _, p in pieces] + [b""] * len(errors)
    errs = [None] * len(pieces) + list(errors)
    return pa.RecordBatch.from_arrays(
        [pa.array(keys, pa.binary()), pa.array(blobs, pa.binary()), pa.array(errs, pa.string())],
        names=["key", "partial", "error"])


def _error_batch(error):
    return _pieces_batch([], [f"{error.code}\t{error.message}"])


class WorkerError(Exception):
    """A dpkit error raised on an executor: its status code name and message."""

    def __init__(self, text: str):
        self.code, _, self.message = text.partition("\t")
        super().__init__(self.message)


def unit_order(data, columns):
    """Sort keys that put each unit's rows in an order decided by their own values only: the
    columns read, in table order, ascending, nulls first; then, as Spark compares -0.0 and 0.0
    as equal although their text differs, each floating-point column's text. Rows these keys
    tie are the same text in every column read (the slice's CSV), so their order cannot matter.
    A DataFrame's row positions can not serve: after a shuffle (a round-robin repartition, a
    join) they depend on the other units' rows and on the fetch order."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType

    floats = [f.name for f in data.schema.fields if isinstance(f.dataType, (DoubleType, FloatType))]
    return ([F.col(quoted(c)).asc_nulls_first() for c in columns]
            + [F.col(quoted(c)).cast("string").asc_nulls_first() for c in floats])


def slices(df, columns, unit, partitions):
    """The DataFrame as slices: the columns read, partitioned by unit, each unit's rows in
    unit_order."""
    from pyspark.sql import functions as F

    data = df.select(*[F.col(quoted(c)) for c in columns])
    if not unit:
        return data
    return (data.repartition(partitions, F.col(quoted(unit)))
            .sortWithinPartitions(*unit_order(data, columns)))


def merged_pieces(df, task: SliceTask, columns, unit, partitions):
    """(key, serialized partial) per group, merged over all slices; raises WorkerError for a
    dpkit error on an executor."""
    pieces = slices(df, columns, unit, partitions).mapInArrow(task.partials, PIECES)
    merged = pieces.repartition(partitions, "key").mapInArrow(task.merge, PIECES)
    out = []
    for row in merged.collect():
        if row["error"] is not None:
            raise WorkerError(row["error"])
        out.append((bytes(row["key"]), bytes(row["partial"])))
    return out
