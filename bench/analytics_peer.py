#!/usr/bin/env python3
"""Side-by-side DP quantile accuracy: dpkit vs OpenDP and diffprivlib, same data, same epsilon.

Run through bench/analytics_peer.sh, which makes the throwaway venv and the dpkit figures. Reads
dpkit's figures from the Google Benchmark JSON of `analytics_bench
--benchmark_filter=QuantileAccuracy` (counters mae, ci_coverage, ci_width, true, runs) and runs
each available peer the same number of times on the same column of adult.data:

  - OpenDP  `make_private_quantile` (exponential mechanism over candidates, Smith 2011 /
    permute-and-flip style scoring; candidates = the integers lower..upper, since both columns
    are integers), MaxDivergence, noise scale found by binary search for epsilon = 1 at d_in = 1
    (add/remove one row, as in dpkit's run).
  - diffprivlib `tools.median` / `tools.percentile` (exponential mechanism over the intervals
    between sorted values, bounds given).

Truth is numpy.quantile's default (linear interpolation), as in analytics_bench. Prints one row per
(column, quantile): each tool's mean absolute error and the ratio peer/dpkit (> 1: dpkit is more
accurate). The peers release no confidence interval, so coverage is dpkit's only.
"""
import argparse
import json
import sys
import time

import numpy as np

COLUMNS = {"age": 0, "hours-per-week": 12}


def load_column(path, name):
    idx = COLUMNS[name]
    out = []
    with open(path) as f:
        for line in f:
            parts = [p.strip() for p in line.split(",")]
            if len(parts) < 15 or parts[idx] in ("", "?"):
                continue
            out.append(float(parts[idx]))
    return np.array(out)


def dpkit_rows(path):
    with open(path) as f:
        data = json.load(f)
    rows = {}
    for b in data["benchmarks"]:
        name = b["name"]  # BM_QuantileAccuracy_Adult/0/50/iterations:1
        parts = name.split("/")
        col = "age" if parts[1] == "0" else "hours-per-week"
        rows[(col, int(parts[2]))] = b
    return rows


def opendp_runner(lower, upper, q, eps):
    try:
        import opendp.prelude as dp
    except ImportError:
        return None
    dp.enable_features("contrib")
    candidates = [float(c) for c in range(int(lower), int(upper) + 1)]
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.symmetric_distance()

    def make(scale):
        return dp.m.make_private_quantile(*space, dp.max_divergence(), candidates, q, scale)

    scale = dp.binary_search_param(make, d_in=1, d_out=eps)
    m = make(scale)
    return lambda x: float(m(list(x)))


def diffprivlib_runner(lower, upper, q, eps):
    try:
        import diffprivlib.tools as dpt
        from diffprivlib.utils import PrivacyLeakWarning
    except ImportError:
        return None
    import warnings

    warnings.simplefilter("ignore", PrivacyLeakWarning)
    if q == 0.5:
        return lambda x: float(dpt.median(x, epsilon=eps, bounds=(lower, upper)))
    return lambda x: float(dpt.percentile(x, q * 100, epsilon=eps, bounds=(lower, upper)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dpkit-json", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--epsilon", type=float, default=1.0)
    ap.add_argument("--lower", type=float, default=0.0)
    ap.add_argument("--upper", type=float, default=100.0)
    args = ap.parse_args()
    dk = dpkit_rows(args.dpkit_json)
    header = ("column", "q", "true", "runs", "dpkit MAE", "dpkit CI cover", "peer", "peer MAE",
              "peer/dpkit MAE", "peer s/run")
    print(" | ".join(header))
    for (col, pct), b in sorted(dk.items()):
        x = load_column(args.data, col)
        q = pct / 100.0
        truth = float(np.quantile(x, q))
        runs = int(b["runs"])
        for peer, make in (("OpenDP", opendp_runner), ("diffprivlib", diffprivlib_runner)):
            run = make(args.lower, args.upper, q, args.epsilon)
            if run is None:
                print(f"{col} | {q} | {truth:g} | {runs} | {b['mae']:.4g} | {b['ci_coverage']:.3f} | "
                      f"{peer} | not installed | - | -")
                continue
            t0 = time.perf_counter()
            errs, failures, last_error = [], 0, ""
            for _ in range(runs):
                try:
                    errs.append(abs(run(x) - truth))
                except Exception as e:  # a peer's own failure is reported, not fatal
                    failures += 1
                    last_error = f"{type(e).__name__}: {str(e)[:60]}"
            dt = (time.perf_counter() - t0) / runs
            if not errs:
                print(f"{col} | {q} | {truth:g} | {runs} | {b['mae']:.4g} | {b['ci_coverage']:.3f} | "
                      f"{peer} | failed in all {runs} runs ({last_error}) | - | -")
                continue
            if failures:
                peer = f"{peer} ({failures}/{runs} runs failed: {last_error})"
            mae = float(np.mean(errs))
            print(f"{col} | {q} | {truth:g} | {runs} | {b['mae']:.4g} | {b['ci_coverage']:.3f} | "
                  f"{peer} | {mae:.4g} | {mae / max(b['mae'], 1e-12):.2f} | {dt:.4f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
