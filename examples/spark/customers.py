"""dpkit on Spark: DP SQL over a Spark DataFrame, on local Spark (docs/spark.md).

    make python && build/venv/bin/pip install -r python/requirements-spark.txt
    build/venv/bin/python examples/spark/customers.py --out spark-output

1. write 20,000 generated customers (fake people, as `dpkit sample customers`) to a CSV file
   and read it with Spark under a declared Spark schema (never inferred from the cells);
2. open a budget of epsilon = 2 per customer in a new ledger;
3. EXPLAIN a statement: the plan, its noise and cost, the budget preview — no charge, no job;
4. run it: charged first, then bounded and aggregated by Spark's executors, noised once on the
   driver, every value with a confidence interval;
5. build another query step by step (dpkit.spark.Query) and run it;
6. show the ledger: two charges on one budget.
"""

import argparse
import os
import sys

import dpkit
import dpkit.spark
from dpkit import pii

# The public schema of the columns the queries read: privacy unit, types, bounds, categories.
SCHEMA = {
    "privacy_unit": "customer_id",
    "columns": [
        {"name": "customer_id", "type": "int64"},
        {"name": "state", "type": "string"},
        {"name": "segment", "type": "string", "categories": ["Budget", "Standard", "Premium"]},
        {"name": "age", "type": "int64", "lower": 18, "upper": 100},
        {"name": "income", "type": "double", "lower": 0, "upper": 250000},
        {"name": "spend_12m", "type": "double", "lower": 0, "upper": 20000},
    ],
}
SPARK_SCHEMA = ("customer_id long, state string, segment string, age long, income double, "
                "spend_12m double")

SQL = ("SELECT state, COUNT(*) AS customers, AVG(income) AS avg_income, "
       "MEDIAN(spend_12m) AS median_spend FROM customers WHERE age >= 25 GROUP BY state "
       "ORDER BY customers DESC LIMIT 10 WITH EPSILON 1, DELTA 1e-7")


def local_spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers import this dpkit
    return (SparkSession.builder.master("local[2]").appName("dpkit-spark-example")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate())


def main(out: str, spark=None, rows: int = 20000) -> None:
    os.makedirs(out, exist_ok=True)
    csv = os.path.join(out, "customers.csv")
    columns = [c["name"] for c in SCHEMA["columns"]]
    pii.generate_customers(rows)[columns].to_csv(csv, index=False)      # 1. the data
    spark = spark or local_spark()
    customers = spark.read.csv(csv, header=True, schema=SPARK_SCHEMA)

    ledger = dpkit.Ledger(os.path.join(out, "ledger.db"))               # 2. the budget
    ledger.init("customers", unit="customer_id", epsilon=2, delta=1e-6)

    tables = {"customers": customers}
    print(dpkit.spark.explain(SQL, tables, schema=SCHEMA, ledger=ledger))   # 3. the plan

    answer = dpkit.spark.query(SQL, tables, schema=SCHEMA, ledger=ledger)   # 4. charged, run
    print(answer.to_string(index=False))

    by_segment = (dpkit.spark.Query(customers, "customers", schema=SCHEMA)  # 5. the builder
                  .group_by("segment").count(name="customers")
                  .mean("spend_12m", name="avg_spend").count_units(name="units"))
    print(by_segment.sql())
    print(by_segment.run(ledger=ledger, epsilon=0.5, max_rows=3).to_string(index=False))

    print(ledger.history("customers", unit="customer_id")[                 # 6. the ledger
        ["charge_id", "operation", "spent_epsilon"]].to_string(index=False))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="spark-output", help="output folder (created)")
    ap.add_argument("--rows", type=int, default=20000, help="customers to generate")
    a = ap.parse_args()
    main(a.out, rows=a.rows)
