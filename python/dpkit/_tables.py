"""Tables in and out of the C++ core, through Arrow, without per-cell Python work.

In: a pandas or polars DataFrame or a pyarrow Table is written as CSV text into one Arrow
buffer (pyarrow's C++ CSV writer: shortest round-trip numbers, ISO dates, strings quoted, nulls
as empty unquoted fields) and read by dpkit's own CSV reader (``dpkit._dpkit.io.read_table``),
so a DataFrame is read under exactly the rules the CLI applies to a file: for a DP release,
types come only from the schema, undeclared columns are text and a cell that does not parse
under its declared type is NULL (``io::CsvReadOptions::private_data``). A str or PathLike is
read from the file directly. Out: one numpy array per column, assembled by pyarrow into a pandas
DataFrame (or a pyarrow Table / polars DataFrame).
"""

from __future__ import annotations

import json
import os

from dpkit._dpkit import io as _io

_TEXT_TYPES = ("string", "large_string", "string_view")


def json_text(value, what: str) -> str | None:
    """JSON text from None, a dict, JSON text, or a path to a JSON file (NotFound naming
    ``what`` and the path when it cannot be read)."""
    if value is None or isinstance(value, str) and value.lstrip().startswith("{"):
        return value
    if isinstance(value, dict):
        return json.dumps(value)
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{what} must be a dict, JSON text, a path or None, got "
                        f"{type(value).__name__}")
    path = os.fspath(value)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        from dpkit.errors import NotFound

        raise NotFound(f"cannot read {what} file '{path}': {e.strerror}") from None


def schema(value) -> _io.Schema | None:
    """A schema from None, an io.Schema, a dict, JSON text, or a path to a JSON file."""
    if value is None or isinstance(value, _io.Schema):
        return value
    source = os.fspath(value) if isinstance(value, os.PathLike) else "schema"
    if isinstance(value, str) and not value.lstrip().startswith("{"):
        source = value
    return _io.Schema.from_json(json_text(value, "schema"), source)


def _arrow_table(data):
    """A pyarrow Table from a pandas/polars DataFrame or a pyarrow Table."""
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    if hasattr(data, "to_arrow") and not hasattr(data, "iloc"):  # polars
        return data.to_arrow()
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return _from_pandas(data)
    raise TypeError(
        "data must be a pandas or polars DataFrame, a pyarrow Table or a CSV path, got "
        f"{type(data).__name__}"
    )


def _from_pandas(df):
    import pyarrow as pa

    columns = []
    for name in df.columns:
        col = df[name]
        try:
            columns.append(pa.array(col, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # Mixed Python objects in one column: their text, as a CSV file would hold it.
            columns.append(pa.array(col.astype("string"), from_pandas=True))
    return pa.Table.from_arrays(columns, names=[str(n) for n in df.columns])


def _csv_ready(table, date_columns):
    """Columns the CSV writer renders as dpkit reads them: dictionaries decoded, string views
    as strings, timestamps of columns the schema declares dates as dates."""
    import pyarrow as pa

    arrays = []
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if str(col.type) in _TEXT_TYPES:
            col = col.cast(pa.large_string())
        elif pa.types.is_timestamp(col.type) and name in date_columns:
            col = col.cast(pa.date32())
        arrays.append(col)
    return pa.Table.from_arrays(arrays, names=table.column_names)


def csv_buffer(data, date_columns=()):
    """The table as one Arrow buffer of CSV text with a header row."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = _csv_ready(_arrow_table(data), set(date_columns))
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    return sink.getvalue()


def date_columns(schema_obj) -> list:
    """The columns a schema declares dates (their timestamps are written as dates)."""
    if schema_obj is None:
        return []
    declared = json.loads(schema_obj.to_json()).get("columns", [])
    return [c["name"] for c in declared if c.get("type") == "date"]


def read(data, schema_obj=None, mode="private", name="<data>") -> _io.Table:
    """An io.Table read by dpkit's CSV reader from a path or from a DataFrame (see module doc)."""
    if isinstance(data, _io.Table):
        return data
    if isinstance(data, (str, os.PathLike)):
        return _io.read_table(os.fspath(data), schema_obj, mode, os.fspath(data))
    return _io.read_table(csv_buffer(data, date_columns(schema_obj)), schema_obj, mode, name)


def read_header(columns, schema_obj) -> _io.Table:
    """A table with these column names (public) and no rows, typed as the private-data rules
    type them under the schema."""
    import pyarrow as pa

    empty = pa.Table.from_arrays([pa.array([], type=pa.large_string()) for _ in columns],
                                 names=[str(c) for c in columns])
    return _io.read_table(csv_buffer(empty), schema_obj, "private", "<header>")


def column_names(data) -> list:
    """The column names (the header) of a DataFrame, pyarrow Table, CSV path or io.Table."""
    if isinstance(data, (list, tuple)):
        return [str(c) for c in data]
    if isinstance(data, _io.Table):
        return data.column_names
    if isinstance(data, (str, os.PathLike)):
        return _io.read_header(os.fspath(data))
    return [str(c) for c in (data.column_names if hasattr(data, "column_names") else data.columns)]


def to_arrow(table: _io.Table):
    """A pyarrow Table with the io.Table's columns and types (nulls kept)."""
    import numpy as np
    import pyarrow as pa

    arrays, names = [], []
    for c in table.columns():
        mask = None if c["valid"] is None else ~c["valid"]
        if c["type"] == "string":
            codes = pa.array(c["values"], mask=mask)
            dictionary = pa.array(c["dictionary"], type=pa.large_string())
            array = pa.DictionaryArray.from_arrays(codes, dictionary).dictionary_decode()
        else:
            array = pa.array(np.asarray(c["values"]), mask=mask)
        arrays.append(array)
        names.append(c["name"])
    return pa.Table.from_arrays(arrays, names=names)


def to_frame(table: _io.Table, output: str = "pandas"):
    """The io.Table as a pandas DataFrame (nullable Int64/boolean where a column has nulls),
    a pyarrow Table ("arrow") or a polars DataFrame ("polars")."""
    return arrow_to(to_arrow(table), output)


def arrow_to(arrow, output: str = "pandas"):
    """A pyarrow Table as a pandas DataFrame, itself ("arrow") or a polars DataFrame."""
    if output == "arrow":
        return arrow
    if output == "polars":
        import polars as pl

        return pl.from_arrow(arrow)
    if output != "pandas":
        from dpkit.errors import InvalidArgument

        raise InvalidArgument(f"output must be 'pandas', 'arrow' or 'polars', got '{output}'")
    import pandas as pd
    import pyarrow as pa

    nullable = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    columns = {}
    for name, col in zip(arrow.column_names, arrow.columns):
        mapper = nullable.get if col.null_count else None
        columns[name] = col.to_pandas(types_mapper=mapper)
    return pd.DataFrame(columns, columns=arrow.column_names)
