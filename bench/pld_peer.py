#!/usr/bin/env python3
"""PLD composition side by side: dpkit's PRV accountant vs Google's dp_accounting, in one run.

Case: epsilon after 10,000 Poisson-subsampled Gaussian steps (q = 0.01, sigma = 1,
delta = 1e-5; add/remove neighbours). dpkit runs through bench/accounting_bench
(BM_PldEpsilon10kSteps, process CPU time, Google Benchmark repetitions); dp_accounting
(`pip install dp-accounting`) runs in this process (time.process_time). Both: min and median
of --runs runs. dpkit reports a rigorous [lower, upper] bound with the stated epsilon error;
dp_accounting reports a pessimistic estimate at its value_discretization_interval, without a
stated error bound.

Usage: bench/pld_peer.py BUILD_DIR/bench/accounting_bench [--runs 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import time

Q, SIGMA, STEPS, DELTA = 0.01, 1.0, 10_000, 1e-5


def dpkit_runs(binary, arg, runs):
    out = subprocess.run(
        [binary, f"--benchmark_filter=BM_PldEpsilon10kSteps/{arg}/", f"--benchmark_repetitions={runs}",
         "--benchmark_min_time=0.01", "--benchmark_format=json"],
        check=True, capture_output=True, text=True).stdout
    rows = [b for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]
    times = [b["cpu_time"] / 1e3 for b in rows]  # ms -> s (process CPU)
    last = rows[-1]
    return times, last


def dp_accounting_runs(vdi, runs):
    import dp_accounting
    from dp_accounting.pld import pld_privacy_accountant
    times, eps = [], None
    for _ in range(runs):
        t0 = time.process_time()
        acc = pld_privacy_accountant.PLDAccountant(value_discretization_interval=vdi)
        acc.compose(dp_accounting.SelfComposedDpEvent(
            dp_accounting.PoissonSampledDpEvent(Q, dp_accounting.GaussianDpEvent(SIGMA)), STEPS))
        eps = acc.get_epsilon(DELTA)
        times.append(time.process_time() - t0)
    return times, eps


def fmt(times):
    return f"{min(times):.3f} / {statistics.median(times):.3f}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("accounting_bench")
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    import dp_accounting  # noqa: F401  (fail early with a clear message if missing)
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores)")
    print(f"10k steps, q={Q}, sigma={SIGMA}, delta={DELTA}; CPU seconds min / median of {a.runs}")
    rows = []
    for arg, label in ((10, "dpkit PRV, eps error 0.01"), (50, "dpkit PRV, eps error 0.05")):
        times, b = dpkit_runs(a.accounting_bench, arg, a.runs)
        rows.append((label, times, f"[{b['eps_lower']:.4f}, {b['eps_upper']:.4f}] "
                                   f"(+-{b['eps_error']:.4f}, FFT {int(b['fft_points'])})"))
    for vdi in (1e-4, 1e-3):
        times, eps = dp_accounting_runs(vdi, a.runs)
        rows.append((f"dp_accounting PLD, interval {vdi:g}", times, f"{eps:.4f} (estimate)"))
    base = statistics.median(rows[0][1])
    for label, times, result in rows:
        ratio = statistics.median(times) / base
        print(f"{label:36s} {fmt(times):>15s} s  x{ratio:5.2f} vs dpkit 0.01   eps {result}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
