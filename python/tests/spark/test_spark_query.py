"""dpkit.spark on a real local[2] Spark: the same release as dpkit.query, charged first.

The table is the generated customers plus extra rows for every fifth customer (other states and
incomes), rows of different customers interleaved, so that contribution bounding (MAX_GROUPS,
MAX_ROWS) drops rows and the slices of the shuffle by customer hold rows from all over the table.
"""

import pandas as pd
import pytest

import dpkit
import dpkit.spark
from conftest import SMALL_SCHEMA, open_budget
from dpkit import _tables
from dpkit._dpkit import analytics as _a
from dpkit.errors import BudgetExhausted, InvalidArgument
from dpkit.testing import SeededGenerator, ZeroNoise

SQL = ("SELECT state, COUNT(*) AS n, SUM(income) AS total, AVG(income), VARIANCE(age), "
       "MEDIAN(purchases_12m) FROM customers WHERE age >= 21 AND segment <> 'Budget' "
       "GROUP BY state HAVING n > 3 ORDER BY total DESC "
       "WITH EPSILON 20, DELTA 1e-5, MAX_GROUPS 2, MAX_ROWS 2")  # large: groups pass selection


@pytest.fixture(scope="module")
def table(customers):
    base = customers[["customer_id", "age", "purchases_12m", "income", "segment", "state",
                      "churned"]]
    extra = base[base["customer_id"] % 5 == 0]
    more = [extra.assign(state=extra["state"].shift(k).fillna("CA"), income=extra["income"] * k)
            for k in (1, 2, 3)]
    rows = pd.concat([base, *more], ignore_index=True)
    return rows.sample(frac=1.0, random_state=3).reset_index(drop=True)


@pytest.fixture(scope="module")
def frame(spark, table):
    # After a round-robin repartition the DataFrame's row positions depend on every row and on
    # Spark's fetch order; dpkit.spark must not care (it orders each unit's rows by their values).
    return spark.createDataFrame(table).repartition(3)


def in_unit_order(table, sql, **options):
    """The table with each unit's rows in dpkit.spark's order (_job.unit_order: the columns the
    statement reads, in table order, ascending, nulls first), for dpkit.query, which keeps a
    unit's rows in table order: a unit's kept rows in a group of more than MAX_ROWS depend on
    it."""
    options = {"epsilon": None, "delta": None, "max_groups": 1, "max_rows": 1,
               "confidence": 0.95, "mechanism": "laplace"} | options
    plan = _a.SqlOverPartials(sql, "customers", list(table.columns), _tables.schema(SMALL_SCHEMA),
                              "customers", **options)
    assert not table[plan.slice_columns].isna().any().any()  # NaN sorts last in Spark
    return table.sort_values(plan.slice_columns, kind="stable", na_position="first")


def run_both(sql, table, frame, ledger, **options):
    one = dpkit.query(sql, {"customers": in_unit_order(table, sql)}, schema=SMALL_SCHEMA,
                      ledger=ledger, generator=SeededGenerator(11), **options)
    spark = dpkit.spark.query(sql, {"customers": frame}, schema=SMALL_SCHEMA, ledger=ledger,
                              generator=SeededGenerator(11), **options)
    return one, spark


def test_zero_noise_values_equal_the_single_machine_ones(table, frame, tmp_path):
    """Same bounding (the salt is the generator's first draw after the charge), same exact
    pre-noise values: equality, not closeness."""
    ledger = open_budget(tmp_path / "l.db", epsilon=100, delta=1e-4)
    one, spark = run_both(SQL, table, frame, ledger, noise=ZeroNoise())
    assert len(one) > 5
    pd.testing.assert_frame_equal(one, spark, check_exact=True)
    assert spark.attrs["secure"] is False


def test_same_generator_same_release_with_noise(table, frame, tmp_path):
    ledger = open_budget(tmp_path / "l.db", epsilon=100, delta=1e-4)
    one, spark = run_both(SQL, table, frame, ledger)
    assert len(one) > 5
    pd.testing.assert_frame_equal(one, spark, check_exact=True)
    history = ledger.history("customers", unit="customer_id")
    assert history["status"].tolist() == ["charged", "charged"]
    assert history["operation"].nunique() == 1  # the same ReleasePlan
    assert history["maps"].iloc[0] == history["maps"].iloc[1]
    assert spark.attrs["charge_ids"] == [history["charge_id"].iloc[1]]


def test_public_keys_and_secure_noise(table, frame, tmp_path):
    ledger = open_budget(tmp_path / "l.db")
    out = dpkit.spark.query(
        "SELECT segment, COUNT(*) AS n, AVG(income) FROM customers GROUP BY segment",
        {"customers": frame}, schema=SMALL_SCHEMA, ledger=ledger, epsilon=1)
    assert sorted(out["segment"]) == ["Budget", "Premium", "Standard"]  # declared categories
    assert (out["n_ci_lower"] <= out["n_ci_upper"]).all()
    assert out.attrs["secure"] is True and out.attrs["privacy_unit"] == "customer_id"


def no_job_and_nothing_printed(spark, capsys, run):
    spark.sparkContext.setJobGroup("dpkit-no-job", "must stay empty")
    try:
        result = run()
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    assert list(spark.sparkContext.statusTracker().getJobIdsForGroup("dpkit-no-job")) == []
    assert capsys.readouterr() == ("", "")
    return result


def test_refused_charge_runs_no_spark_job(spark, frame, tmp_path, capsys):
    ledger = open_budget(tmp_path / "l.db", epsilon=0.5)

    def run():
        with pytest.raises(BudgetExhausted):
            dpkit.spark.query(SQL, {"customers": frame}, schema=SMALL_SCHEMA, ledger=ledger)

    no_job_and_nothing_printed(spark, capsys, run)
    assert ledger.history("customers", unit="customer_id")["status"].tolist() == ["refused"]


def test_explain_spends_nothing_and_runs_no_job(spark, frame, tmp_path, capsys):
    ledger = open_budget(tmp_path / "l.db")
    text = no_job_and_nothing_printed(spark, capsys, lambda: dpkit.spark.explain(
        SQL, {"customers": frame}, schema=SMALL_SCHEMA, ledger=ledger))
    assert "EXPLAIN spends no budget" in text and "customer_id" in text
    assert ledger.status("customers", unit="customer_id").num_charges == 0


@pytest.mark.parametrize("sql, message", [
    ("SELECT COUNT(*) FROM customers c JOIN other o ON c.customer_id = o.id WITH EPSILON 1",
     "JOIN"),
    ("SELECT SUM(spend) FROM customers WITH EPSILON 1", "spend"),
    ("SELECT MAX(income) FROM customers WITH EPSILON 1", "MAX"),
])
def test_refused_before_the_charge(spark, frame, tmp_path, capsys, sql, message):
    ledger = open_budget(tmp_path / "l.db")

    def run():
        with pytest.raises(InvalidArgument, match=message):
            dpkit.spark.query(sql, {"customers": frame}, schema=SMALL_SCHEMA, ledger=ledger)

    no_job_and_nothing_printed(spark, capsys, run)
    assert ledger.status("customers", unit="customer_id").num_charges == 0


def test_a_failed_job_is_reported_after_the_charge_without_its_message(spark, frame, tmp_path):
    from pyspark.sql import functions as F

    @F.udf("string")
    def broken(state):
        raise ValueError(f"cell {state}")

    ledger = open_budget(tmp_path / "l.db")
    with pytest.raises(dpkit.errors.InternalError, match="the ledger was charged") as raised:
        dpkit.spark.query("SELECT state, COUNT(*) FROM customers GROUP BY state",
                          {"customers": frame.withColumn("state", broken("state"))},
                          schema=SMALL_SCHEMA, ledger=ledger, epsilon=1, delta=1e-6)
    assert "cell" not in str(raised.value) and "Spark job failed" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__context__ is None
    assert ledger.status("customers", unit="customer_id").num_charges == 1


def test_dpkit_errors_on_executors_come_back_as_rows(frame):
    """A dpkit error in a slice (here: a statement the slices cannot bind) reaches the driver
    as dpkit's own message and status, not as a Spark failure."""
    from dpkit.spark import _job

    task = _job.SliceTask("SELECT COUNT(*) FROM customers WHERE nope = 1 WITH EPSILON 1",
                          "customers", None, {"epsilon": None, "delta": None, "max_groups": 1,
                                              "max_rows": 1, "confidence": 0.95,
                                              "mechanism": "laplace"}, salt=1)
    with pytest.raises(_job.WorkerError, match="nope") as raised:
        _job.merged_pieces(frame, task, ["customer_id", "age"], "customer_id", 2)
    assert raised.value.code == "INVALID_ARGUMENT"


def test_builder_writes_the_dialect(table, frame, tmp_path):
    query = (dpkit.spark.Query(frame, "customers", schema=SMALL_SCHEMA)
             .where("age >= 21").where("segment <> 'Budget'")
             .group_by("state")
             .count(name="n").sum("income", 0, 250000.5, name="total").count_units()
             .quantile("purchases_12m", 0.9))
    assert query.sql() == (
        'SELECT "state", COUNT(*) AS "n", SUM("income" BETWEEN 0.0 AND 250000.5) AS "total", '
        'COUNT(DISTINCT "customer_id"), QUANTILE("purchases_12m", 0.9) FROM "customers" '
        "WHERE (age >= 21) AND (segment <> 'Budget') GROUP BY \"state\"")
    ledger = open_budget(tmp_path / "l.db", epsilon=100, delta=1e-4)
    options = {"epsilon": 1, "delta": 1e-6, "max_groups": 2, "noise": ZeroNoise()}
    built = query.run(ledger=ledger, generator=SeededGenerator(5), **options)
    ordered = in_unit_order(table, query.sql(), epsilon=1, delta=1e-6)
    one = dpkit.query(query.sql(), {"customers": ordered}, schema=SMALL_SCHEMA, ledger=ledger,
                      generator=SeededGenerator(5), **options)
    pd.testing.assert_frame_equal(one, built, check_exact=True)
    assert "EXPLAIN spends no budget" in query.explain(epsilon=1, delta=1e-6)


def test_rows_are_units_without_a_schema(table, frame, tmp_path):
    """No schema: no privacy unit, every row is one (the slices are Spark's partitions as they
    stand, no shuffle by unit), columns typed by the statement's use. Same pre-noise values as
    one pass."""
    sql = ("SELECT segment, COUNT(*) AS n, SUM(age BETWEEN 18 AND 100) AS ages FROM customers "
           "WHERE age >= 30 GROUP BY segment WITH EPSILON 20, DELTA 1e-5")
    ledger = open_budget(tmp_path / "l.db", epsilon=100, delta=1e-4, unit=None)
    options = {"ledger": ledger, "generator": SeededGenerator(3), "noise": ZeroNoise()}
    one = dpkit.query(sql, {"customers": table}, **options)
    spark = dpkit.spark.query(sql, {"customers": frame}, **options)
    assert len(one) == 3
    pd.testing.assert_frame_equal(one, spark, check_exact=True)
    assert spark.attrs["privacy_unit"] in ("", None, "(row)")


def test_a_units_kept_rows_do_not_depend_on_the_row_order(spark, table, frame, tmp_path):
    """The same rows in the opposite order (and, in `frame`, after a round-robin shuffle): the
    same zero-noise release, although units have more than MAX_ROWS rows in some groups."""
    backwards = spark.createDataFrame(table.iloc[::-1].reset_index(drop=True))
    ledger = open_budget(tmp_path / "l.db", epsilon=100, delta=1e-4)
    out = [dpkit.spark.query(SQL, {"customers": f}, schema=SMALL_SCHEMA, ledger=ledger,
                             generator=SeededGenerator(11), noise=ZeroNoise())
           for f in (frame, backwards)]
    pd.testing.assert_frame_equal(out[0], out[1], check_exact=True)
