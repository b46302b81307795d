#!/usr/bin/env python3
"""dpkit on Spark next to dpkit on one machine and Tumult Analytics, on one Spark session.

The table: --rows rows, --rows/10 privacy units (uid, uniform), 100 groups (g, uniform per row,
declared public), a value v uniform in [0, 120] clamped to [0, 100]; a CSV file read by every
engine. The query, the same for every engine (per group: count, sum, mean; epsilon 1 in total,
pure DP; each unit keeps at most 4 groups and 2 rows per group, chosen at random):

  SELECT g, COUNT(*), SUM(v), AVG(v) FROM t GROUP BY g WITH EPSILON 1, MAX_GROUPS 4, MAX_ROWS 2

  dpkit-spark   dpkit.spark.query on spark.read.csv(...) (local[2] session below)
  dpkit-local   dpkit.query on the CSV path (one process, 2 threads)
  tumult        tmlt.analytics on the same DataFrame and session: AddRowsWithID("uid"),
                MaxGroupsPerID("g", 4) + MaxRowsPerGroupPerID("g", 2), KeySet of the 100
                groups, count / sum / average (v in [0, 100]) at epsilon 1/3 each (Tumult has
                no multi-aggregate query), results collected
  spark-plain   the same aggregates without DP (groupBy + agg, no bounding): the scan's cost

Each engine runs --runs times per size, engines interleaved (run 1 of each, then run 2, ...),
so the machine's load (2 cores shared with other users) falls on all of them alike; reported:
min and median wall time, median CPU of the process tree (driver, JVM, Python workers: /proc
utime+stime per live process), load average before/after, ratios of medians (wall and
CPU) against dpkit-spark. Each run's time is printed as it ends. Every dpkit run charges a
fresh ledger.

Needs pyspark, tmlt.analytics and the dpkit wheel in one environment; Tumult Analytics 0.21
pins pyspark < 3.6 and pandas < 2 on CPython 3.11, so (from the repository root):

  python3 -m venv build/spark-bench-venv
  build/spark-bench-venv/bin/pip install tmlt-analytics==0.21.0 build/python-dist/dpkit-*.whl
  build/spark-bench-venv/bin/python bench/spark_bench.py --rows 1000000,10000000 --runs 5
"""

import argparse
import json
import os
import statistics
import sys
import time

GROUPS = [f"g{i:02d}" for i in range(100)]
SCHEMA = {"privacy_unit": "uid", "columns": [
    {"name": "uid", "type": "int64"},
    {"name": "g", "type": "string", "categories": GROUPS},
    {"name": "v", "type": "double", "lower": 0, "upper": 100}]}
SPARK_SCHEMA = "uid long, g string, v double"
SQL = ("SELECT g, COUNT(*) AS n, SUM(v) AS s, AVG(v) AS a FROM t GROUP BY g "
       "WITH EPSILON 1, MAX_GROUPS 4, MAX_ROWS 2")


def make_data(path, rows, seed=20261205):
    """The table as CSV, written in chunks (a benchmark input, not noise: numpy's generator)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if os.path.exists(path):
        return
    rng = np.random.default_rng(seed)
    units, chunk = max(1, rows // 10), 5_000_000
    groups = pa.array(GROUPS)
    tmp = path + ".tmp"
    with pacsv.CSVWriter(tmp, pa.schema([("uid", pa.int64()), ("g", pa.string()),
                                         ("v", pa.float64())])) as writer:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            writer.write_table(pa.table({
                "uid": rng.integers(0, units, n),
                "g": groups.take(pa.array(rng.integers(0, len(GROUPS), n))),
                "v": np.round(rng.uniform(0, 120, n), 3)}))
    os.replace(tmp, path)


def tree_cpu(pid=None):
    """{pid: CPU seconds (utime + stime)} of a process and its live descendants."""
    pid = pid or os.getpid()
    ticks = os.sysconf("SC_CLK_TCK")
    parents, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, todo = {}, [pid]
    while todo:
        p = todo.pop()
        tree[p] = cpu.get(p, 0.0)
        todo.extend(c for c, parent in parents.items() if parent == p)
    return tree


def cpu_since(before):
    """CPU seconds the process tree used since `before` (a tree_cpu() snapshot): per process,
    counted while it lives (Spark's Python workers come and go between runs; one that exits
    mid-run loses its share, so this is a lower bound)."""
    return sum(now - before.get(p, 0.0) for p, now in tree_cpu().items())


class Engines:
    def __init__(self, spark, work):
        import tempfile

        self.spark, self.n = spark, 0
        self.work = tempfile.mkdtemp(prefix="ledgers-", dir=work)  # fresh ledgers every run

    def ledger(self):
        import dpkit

        self.n += 1
        path = os.path.join(self.work, f"ledger{self.n}.db")
        dpkit.Ledger(path).init("t", unit="uid", epsilon=100)
        return path

    def frame(self, csv):
        return self.spark.read.csv(csv, header=True, schema=SPARK_SCHEMA)

    def dpkit_spark(self, csv):
        import dpkit.spark

        return len(dpkit.spark.query(SQL, {"t": self.frame(csv)}, schema=SCHEMA,
                                     ledger=self.ledger()))

    def dpkit_local(self, csv):
        import dpkit

        return len(dpkit.query(SQL, {"t": csv}, schema=SCHEMA, ledger=self.ledger()))

    def tumult(self, csv):
        from tmlt.analytics import (AddRowsWithID, KeySet, MaxGroupsPerID,
                                    MaxRowsPerGroupPerID, PureDPBudget, QueryBuilder, Session)

        session = Session.from_dataframe(privacy_budget=PureDPBudget(1), source_id="t",
                                         dataframe=self.frame(csv),
                                         protected_change=AddRowsWithID("uid"))
        keys = KeySet.from_dict({"g": GROUPS})

        def grouped():
            return (QueryBuilder("t").enforce(MaxGroupsPerID("g", 4))
                    .enforce(MaxRowsPerGroupPerID("g", 2)).groupby(keys))

        third = PureDPBudget(1 / 3)
        out = [session.evaluate(grouped().count(), third).toPandas(),
               session.evaluate(grouped().sum("v", 0, 100), third).toPandas(),
               session.evaluate(grouped().average("v", 0, 100), third).toPandas()]
        return len(out[0])

    def spark_plain(self, csv):
        from pyspark.sql import functions as F

        v = F.least(F.greatest(F.col("v"), F.lit(0.0)), F.lit(100.0))
        return len(self.frame(csv).groupBy("g").agg(F.count("*"), F.sum(v), F.avg(v)).collect())


def measure(engines, names, csv, runs):
    walls = {n: [] for n in names}
    cpus = {n: [] for n in names}
    loads = [os.getloadavg()[0]]
    for run in range(runs):
        for name in names:
            fn = getattr(engines, name.replace("-", "_"))
            w, c = time.perf_counter(), tree_cpu()
            groups = fn(csv)
            walls[name].append(time.perf_counter() - w)
            cpus[name].append(cpu_since(c))
            assert groups == len(GROUPS), (name, groups)
            loads.append(os.getloadavg()[0])
            print(f"  run {run + 1} {name}: {walls[name][-1]:.2f} s wall, {cpus[name][-1]:.2f} s "
                  f"CPU, load {loads[-1]:.1f}", flush=True)
    return walls, cpus, loads


def report(rows, names, walls, cpus, loads):
    """min / median wall, median CPU, and the medians' ratios against dpkit-spark."""
    base = "dpkit-spark" if "dpkit-spark" in walls else None
    print(f"\n{rows:,} rows, {rows // 10:,} units, {len(GROUPS)} groups; load average "
          f"{min(loads):.1f}-{max(loads):.1f} (2 cores)")
    print(f"{'engine':<12} {'min s':>8} {'median s':>9} {'CPU s':>8} {'wall ratio':>11} "
          f"{'CPU ratio':>10}")
    out = []
    for name in names:
        med, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        ratios = [f"{x / statistics.median(ref[base]):.2f}x" if base else "-"
                  for x, ref in ((med, walls), (cpu, cpus))]
        print(f"{name:<12} {min(walls[name]):8.2f} {med:9.2f} {cpu:8.2f} {ratios[0]:>11} "
              f"{ratios[1]:>10}")
        out.append({"rows": rows, "engine": name, "runs": len(walls[name]),
                    "min_s": min(walls[name]), "median_s": med, "median_cpu_s": cpu,
                    "walls": walls[name], "cpus": cpus[name], "load": [min(loads), max(loads)]})
    return out


def session(memory, work):
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # workers import this environment's dpkit
    spark = (SparkSession.builder.master("local[2]").appName("dpkit-spark-bench")
             .config("spark.driver.memory", memory)
             .config("spark.sql.shuffle.partitions", "8")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.warehouse.dir", os.path.abspath(os.path.join(work, "warehouse")))
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="1000000,10000000", help="comma-separated table sizes")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--engines", default="dpkit-spark,dpkit-local,tumult,spark-plain")
    ap.add_argument("--work", default="build/spark-bench", help="data, ledgers (created)")
    ap.add_argument("--memory", default="6g", help="spark.driver.memory (local mode)")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    names = a.engines.split(",")
    spark = session(a.memory, a.work)
    import dpkit
    import pyspark

    print(f"dpkit {dpkit.__version__}, pyspark {pyspark.__version__}, local[2], "
          f"spark.sql.shuffle.partitions 8, engines interleaved, {a.runs} runs each")
    results = []
    for rows in (int(float(r)) for r in a.rows.split(",")):
        csv = os.path.join(a.work, f"t{rows}.csv")
        make_data(csv, rows)
        results += report(rows, names, *measure(Engines(spark, a.work), names, csv, a.runs))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
