#!/usr/bin/env python3
"""dpkit's DP GROUP BY vs DuckDB's and polars' non-private GROUP BY on the same in-memory data.

Run through bench/analytics_groupby_peer.sh (which makes the venv). The data is the synthetic
table of bench/analytics_bench.cc: 10M rows, ~1M privacy units (uid), 100 groups (grp, a
dictionary-coded string), value float64 in [0, 1000]. `analytics_bench --serve` generates it in
memory and writes its columns as raw arrays; each peer loads those arrays into its own in-memory
format once (not timed): DuckDB tables (grp as ENUM, and as the INTEGER code) and polars frames
(grp as Enum, and as the Int32 code). CSV parsing is excluded on every side.

Timed, each in its own long-lived process (the data stays in memory between runs):
  - dpkit DP: the execute step of the DP query COUNT(*), SUM(value), AVG(value) GROUP BY grp with
    privacy unit uid, L0 = 3, Linf = 5, bounds [0, 1000], public keys (ExecuteQuery: contribution
    bounding, exact fixed-point aggregation, discrete Laplace noise, confidence intervals; the
    ledger charge, a separate fsync-bound step, is not included).
  - dpkit plain: the non-private C++ grouped scan of analytics_bench (PlainScan).
  - with --baseline: the same DP query in another analytics_bench binary (e.g. built from an
    earlier commit), for before/after figures measured in the same run.
  - DuckDB and polars: SELECT grp, COUNT(*), SUM(value), AVG(value) ... GROUP BY grp, result
    fetched into Python (100 rows).
  - DuckDB bounded: the same job as dpkit DP without the noise, in DuckDB's SQL (BOUNDED_QUERY):
    each unit keeps the 3 groups of smallest hash(uid, grp, salt), and in each kept group the 5
    rows of smallest hash(rowid, salt); values clamped to [0, 1000]; COUNT/SUM/AVG per group.
    This is how contribution bounding is written for a SQL engine (window functions per unit).
Runs are interleaved round by round (the order rotates every round) after warm-up rounds; each
run reports its wall time and its process's CPU time (all threads). Ratios are dpkit DP / peer,
the median (and min) over rounds of the per-round ratio, so drift in machine load cancels. The
load average is printed before and after.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

QUERY = "SELECT grp, COUNT(*), SUM(value), AVG(value) FROM {t} GROUP BY grp"
PEER_ENGINES = ("duckdb_enum", "duckdb_int", "polars_enum", "polars_int")
BOUNDED_QUERY = """
WITH kept_groups AS (
  SELECT uid, grp FROM (SELECT DISTINCT uid, grp FROM t_enum)
  QUALIFY row_number() OVER (PARTITION BY uid ORDER BY hash(uid, grp, 7)) <= 3),
kept_rows AS (
  SELECT t.grp, least(greatest(t.value, 0), 1000) AS v
  FROM t_enum t SEMI JOIN kept_groups k ON t.uid = k.uid AND t.grp = k.grp
  QUALIFY row_number() OVER (PARTITION BY t.uid, t.grp ORDER BY hash(t.rowid, 7)) <= 5)
SELECT grp, COUNT(*), SUM(v), AVG(v) FROM kept_rows GROUP BY grp"""


# ---- worker: one process per thread count, holding the peers' copies of the data ----

def load_arrays(prefix):
    import numpy as np

    uid = np.fromfile(prefix + ".uid.i64", dtype="<i8")
    grp = np.fromfile(prefix + ".grp.i32", dtype="<i4")
    value = np.fromfile(prefix + ".value.f64", dtype="<f8")
    with open(prefix + ".grp.names") as f:
        names = f.read().split("\n")[:-1]
    return uid, grp, value, names


def worker(prefix, threads):
    import duckdb
    import pandas as pd
    import polars as pl

    uid, grp, value, names = load_arrays(prefix)
    con = duckdb.connect()
    con.execute(f"SET threads TO {threads}")
    df_enum = pd.DataFrame({"uid": uid, "grp": pd.Categorical.from_codes(grp, names), "value": value})
    df_int = pd.DataFrame({"uid": uid, "grp": grp, "value": value})
    con.execute("CREATE TABLE t_enum AS SELECT * FROM df_enum")
    con.execute("CREATE TABLE t_int AS SELECT * FROM df_int")
    del df_enum, df_int
    pl_int = pl.DataFrame({"uid": uid, "grp": grp, "value": value})
    enum_values = pl.Series("grp", names, dtype=pl.Enum(names)).gather(pl.Series(grp))
    pl_enum = pl_int.with_columns(enum_values)

    def run_polars(frame):
        out = frame.group_by("grp").agg(pl.len().alias("n"), pl.col("value").sum().alias("s"),
                                        pl.col("value").mean().alias("m"))
        return int(out["n"].sum())

    runs = {
        "duckdb_enum": lambda: sum(r[1] for r in con.execute(QUERY.format(t="t_enum")).fetchall()),
        "duckdb_int": lambda: sum(r[1] for r in con.execute(QUERY.format(t="t_int")).fetchall()),
        "polars_enum": lambda: run_polars(pl_enum),
        "polars_int": lambda: run_polars(pl_int),
        "duckdb_bounded": lambda: len(con.execute(BOUNDED_QUERY).fetchall()),  # groups
    }
    print(f"ok duckdb {duckdb.__version__} polars {pl.__version__} threads {pl.thread_pool_size()}",
          flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "quit":
            break
        w0, c0 = time.perf_counter(), time.process_time()
        check = runs[cmd]()
        c1, w1 = time.process_time(), time.perf_counter()
        print(f"{w1 - w0:.6f} {c1 - c0:.6f} {check}", flush=True)


# ---- driver ----

class Server:
    """A long-lived process answering one command per line with one line."""

    def __init__(self, argv, env=None):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env=env)

    def ask(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            sys.exit(f"analytics_groupby_peer: '{cmd}' got no answer (process exited)")
        return line.strip()

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        self.p.wait()


def timed(server, cmd):
    wall, cpu, check = server.ask(cmd).split()
    return float(wall), float(cpu), float(check)


def fmt_ms(v):
    return f"{1e3 * v:.0f}" if v >= 0.01 else f"{1e3 * v:.1f}"


def measure(dpkit, baseline, peer, threads, rounds, warmup):
    engines = [("dpkit DP", dpkit, f"dp {threads}"), ("dpkit plain", dpkit, f"plain {threads}")]
    if baseline:
        engines.append(("dpkit DP baseline", baseline, f"dp {threads}"))
    engines += [(name, peer, name) for name in PEER_ENGINES + ("duckdb_bounded",)]
    res = {name: [] for name, _, _ in engines}
    checks = {}
    for r in range(warmup + rounds):
        k = r % len(engines)
        for name, server, cmd in engines[k:] + engines[:k]:
            wall, cpu, check = timed(server, cmd)
            checks.setdefault(name, set()).add(check)
            if r >= warmup:
                res[name].append((wall, cpu))
    return res, checks


def report(res, threads):
    dp = res["dpkit DP"]
    print(f"\nthreads = {threads}: wall and process CPU in ms (min / median of {len(dp)} rounds); "
          f"ratio = dpkit DP / engine per round (min / median)")
    print("| engine | wall ms | CPU ms | ratio wall | ratio CPU |")
    print("|---|---|---|---|---|")
    for name, runs in res.items():
        walls = [w for w, _ in runs]
        cpus = [c for _, c in runs]
        rw = [d[0] / max(x[0], 1e-9) for d, x in zip(dp, runs)]
        rc = [d[1] / max(x[1], 1e-9) for d, x in zip(dp, runs)]
        print(f"| {name} | {fmt_ms(min(walls))} / {fmt_ms(statistics.median(walls))} | "
              f"{fmt_ms(min(cpus))} / {fmt_ms(statistics.median(cpus))} | "
              f"{min(rw):.2f} / {statistics.median(rw):.2f} | {min(rc):.2f} / {statistics.median(rc):.2f} |")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", help="path to analytics_bench")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--baseline", help="another analytics_bench (e.g. an earlier commit's) whose DP "
                    "query runs alongside as 'dpkit DP baseline'")
    ap.add_argument("--worker", help=argparse.SUPPRESS)  # data prefix: run as a peer worker
    args = ap.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]
    if args.worker:
        worker(args.worker, int(os.environ["POLARS_MAX_THREADS"]))
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} CPUs)", flush=True)
    dpkit = Server([args.bench, "--serve"])
    baseline = Server([args.baseline, "--serve"]) if args.baseline else None
    with tempfile.TemporaryDirectory(prefix="dpkit_groupby_peer_") as tmp:
        prefix = os.path.join(tmp, "t")
        if dpkit.ask(f"dump {prefix}") != "ok":
            sys.exit("analytics_groupby_peer: analytics_bench could not write the data")
        peers = {}
        for t in thread_counts:
            env = dict(os.environ, POLARS_MAX_THREADS=str(t))
            peers[t] = Server([sys.executable, __file__, "--worker", prefix], env=env)
            first = peers[t].p.stdout.readline().strip()
            if not first.startswith("ok"):
                sys.exit("analytics_groupby_peer: peer worker failed to start")
            print(f"peers ({t} thread(s)): {first[3:]}", flush=True)
    for t in thread_counts:
        res, checks = measure(dpkit, baseline, peers[t], t, args.rounds, args.warmup)
        totals = [checks[n] for n in ("dpkit plain",) + PEER_ENGINES]
        grouped = [n for n in checks if n.startswith("dpkit DP") or n == "duckdb_bounded"]
        if any(c != totals[0] or len(c) != 1 for c in totals) or any(
                checks[n] != {100} for n in grouped):
            sys.exit(f"analytics_groupby_peer: unexpected results (row totals, DP groups): {checks}")
        report(res, t)
    for s in [dpkit] + ([baseline] if baseline else []) + list(peers.values()):
        s.close()
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
