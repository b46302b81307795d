#!/usr/bin/env python3
"""The Python workload APIs next to the CLI on the same data, in one run (docs/benchmarks.md).

On --rows generated customers (`dpkit sample customers`; default 1M), seven of its columns with
their public schema, each as min and median of --runs runs (wall and process CPU; load
average noted before and after):
  synth  MST, epsilon 1, delta 1e-6, 1,000 rows sampled to a CSV:
         `dpkit synth` (one process) | Synthesizer.fit(path) | Synthesizer.fit(DataFrame)
  query  SELECT segment, COUNT(*), AVG(income) ... GROUP BY segment:
         `dpkit query` (one process) | dpkit.query(path) | dpkit.query(DataFrame)
  input  DataFrame -> C++ table alone (pyarrow CSV buffer + dpkit's reader), and the same file
         read by dpkit's reader: the in-memory path's own cost.
  start  one `dpkit --help` process: the CLI's start-up (it loads LibTorch), part of every CLI row.
CLI CPU is the child's (getrusage); Python CPU is this process's (all threads). Every run charges
a fresh ledger. Ratios are against the CLI.

Usage (from the repository root, after `make python` and a CLI build):
  build/venv/bin/python bench/python_workloads.py [--rows N] [--runs R] [--cli build/release/src/cli/dpkit]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import pandas as pd

import dpkit
from dpkit import _tables, pii
from dpkit.synth import Synthesizer

COLUMNS = ["customer_id", "age", "purchases_12m", "income", "segment", "state", "churned"]
# The public schema of those columns: `dpkit sample customers`' own (pii::CustomersSchema).
SCHEMA = {"privacy_unit": "customer_id",
          "columns": [c for c in pii.customers_schema()["columns"] if c["name"] in COLUMNS]}
SQL = ("SELECT segment, COUNT(*) AS n, AVG(income) AS avg_income FROM customers "
       "GROUP BY segment WITH EPSILON 0.5, DELTA 1e-7")


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(fn, runs, cpu=time.process_time):
    """(min wall, median wall, min CPU, median CPU) of `runs` calls of fn(i)."""
    walls, cpus = [], []
    for i in range(runs):
        w, c = time.perf_counter(), cpu()
        fn(i)
        walls.append(time.perf_counter() - w)
        cpus.append(cpu() - c)
    return min(walls), statistics.median(walls), min(cpus), statistics.median(cpus)


class Bench:
    def __init__(self, cli, work, rows):
        self.cli, self.work = cli, work
        self.csv = os.path.join(work, "customers.csv")
        self.schema = os.path.join(work, "schema.json")
        full = os.path.join(work, "full.csv")
        subprocess.run([cli, "sample", "customers", "--rows", str(rows), "--out", full],
                       check=True, capture_output=True)
        pd.read_csv(full, usecols=COLUMNS)[COLUMNS].to_csv(self.csv, index=False)
        os.remove(full)
        with open(self.schema, "w") as f:
            json.dump(SCHEMA, f)
        self.frame = pd.read_csv(self.csv)
        self.n = 0

    def ledger(self):
        self.n += 1
        path = os.path.join(self.work, f"ledger{self.n}.db")
        dpkit.Ledger(path).init("customers", unit="customer_id", epsilon=100, delta=1e-3)
        return path

    def cli_run(self, *args):
        subprocess.run([self.cli, *args], check=True, capture_output=True)

    def cli_synth(self, _):
        self.cli_run("synth", "--data", self.csv, "--schema", self.schema, "--method", "mst",
                     "--epsilon", "1", "--delta", "1e-6", "--ledger", self.ledger(), "--dataset",
                     "customers", "--rows", "1000", "--out", os.path.join(self.work, "s.csv"))

    def py_synth(self, data):
        s = Synthesizer("mst", epsilon=1, delta=1e-6, schema=SCHEMA)
        s.fit(data, ledger=self.ledger(), dataset="customers")
        s.sample_to_csv(os.path.join(self.work, "p.csv"), 1000)

    def cli_query(self, _):
        self.cli_run("query", "--data", self.csv, "--schema", self.schema, "--ledger",
                     self.ledger(), "--dataset", "customers", SQL)

    def py_query(self, data):
        dpkit.query(SQL, tables={"customers": data}, schema=SCHEMA, ledger=self.ledger(),
                    dataset="customers")


def row(name, t, base=None):
    ratio = "" if base is None else f" | {t[2] / base[2]:.2f}×"
    return f"| {name} | {t[0]:.3f} | {t[1]:.3f} | {t[2]:.3f} | {t[3]:.3f}{ratio} |"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cli", default="build/release/src/cli/dpkit")
    ap.add_argument("--only", choices=["synth", "query"], action="append")
    a = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as work:
        b = Bench(a.cli, work, a.rows)
        schema = _tables.schema(SCHEMA)
        print(f"{a.rows} rows, {a.runs} runs, dpkit {dpkit.__version__}, pandas {pd.__version__}")
        print("| what | min wall s | median wall s | min CPU s | median CPU s | CPU vs CLI |")
        print("|---|---|---|---|---|---|")
        start = timed(lambda _: b.cli_run("--help"), a.runs, child_cpu)
        print(row("`dpkit --help` (CLI start-up)", start))
        print(row("DataFrame -> C++ table (CSV buffer + reader)",
                  timed(lambda _: _tables.read(b.frame, schema), a.runs)))
        print(row("CSV file -> C++ table (reader)",
                  timed(lambda _: _tables.read(b.csv, schema), a.runs)))
        for name, cli, py in (("synth", b.cli_synth, b.py_synth), ("query", b.cli_query, b.py_query)):
            if a.only and name not in a.only:
                continue
            base = timed(cli, a.runs, child_cpu)
            print(row(f"{name}: `dpkit {name}` process", base, base))
            print(row(f"{name}: Python, CSV path", timed(lambda _: py(b.csv), a.runs), base))
            print(row(f"{name}: Python, DataFrame", timed(lambda _: py(b.frame), a.runs), base))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
