"""DataFrames reach the C++ core under the CLI's private-data reading rules, through Arrow."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dpkit import _tables

SCHEMA = {
    "columns": [
        {"name": "n", "type": "int64", "lower": 0, "upper": 10},
        {"name": "x", "type": "double", "lower": 0, "upper": 1},
        {"name": "d", "type": "date"},
        {"name": "b", "type": "bool"},
    ]
}
N_ONLY = {"columns": [{"name": "n", "type": "int64"}]}


def read(frame, schema=SCHEMA, mode="private"):
    return _tables.to_frame(_tables.read(frame, _tables.schema(schema), mode))


def test_types_come_from_the_schema_and_bad_cells_are_null():
    frame = pd.DataFrame({
        "n": ["1", "abc", "3"],             # text in an int64 column: "abc" is NULL
        "x": [0.5, np.nan, 2.0],             # NaN is NULL
        "d": pd.to_datetime(["2020-01-02", "2021-03-04", None]),
        "b": [True, False, None],
        "u": [1, 2, 3],                      # undeclared: text, never inferred from cells
    })
    out = read(frame)
    assert out["n"].tolist()[0] == 1 and pd.isna(out["n"][1]) and out["n"][2] == 3
    assert str(out["n"].dtype) == "Int64"
    assert out["x"][0] == 0.5 and pd.isna(out["x"][1]) and out["x"][2] == 2.0
    assert str(out["d"][0]) == "2020-01-02" and pd.isna(out["d"][2])
    assert out["u"].tolist() == ["1", "2", "3"]


def test_whole_floats_are_integers_and_fractions_null():
    out = read(pd.DataFrame({"n": [1.0, 2.5, np.nan]}), schema=N_ONLY)
    assert out["n"][0] == 1 and pd.isna(out["n"][1]) and pd.isna(out["n"][2])


def test_pandas_polars_arrow_and_csv_path_read_the_same(tmp_path):
    frame = pd.DataFrame({"n": [1, 2, None], "x": [0.25, 1e-300, 0.1], "s": ["a,b", "", None],
                          "c": pd.Categorical(["u", "v", "u"])})
    path = tmp_path / "t.csv"
    path.write_bytes(_tables.csv_buffer(frame).to_pybytes())
    schema = {"columns": SCHEMA["columns"][:2]}
    expected = read(frame, schema)
    for source in (pa.Table.from_pandas(frame), str(path)):
        pd.testing.assert_frame_equal(read(source, schema), expected)
    pl = pytest.importorskip("polars")
    pd.testing.assert_frame_equal(read(pl.from_pandas(frame), schema), expected)
    assert expected["s"].tolist()[:2] == ["a,b", ""] and pd.isna(expected["s"][2])
    assert expected["x"][1] == 1e-300


def test_text_mode_reads_every_column_as_text():
    out = read(pd.DataFrame({"zip": ["02127"], "n": [7]}), schema=None, mode="text")
    assert out["zip"][0] == "02127" and out["n"][0] == "7"


def test_output_formats():
    table = _tables.read(pd.DataFrame({"n": [1, 2]}), _tables.schema(N_ONLY), "private")
    assert _tables.to_frame(table, "arrow").column("n").to_pylist() == [1, 2]
    with pytest.raises(ValueError, match="output must be"):
        _tables.to_frame(table, "excel")
