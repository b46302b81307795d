#!/usr/bin/env python3
"""Discrete Gaussian noise, sigma = 10, per sample: dpkit's sampler vs OpenDP's, side by side.

dpkit: `random_bench --benchmark_filter=BM_DiscreteGaussian/10$` (Google Benchmark, CPU time per
sample, one call per sample, SecureRng). OpenDP: `then_gaussian(scale=10)` on a vector of
integers (its exact discrete Gaussian sampler, vectorised, so no Python call per sample);
process CPU time per sample. Both are exact samplers. The two alternate RUNS times (default 5)
on one core (CPU 0); min and median of each and the ratio of medians are
printed, with the load average before and after (the machine may be shared).

  python3 -m venv V && V/bin/pip install opendp==0.16.0
  V/bin/python bench/sampler_peer.py BUILD/bench/random_bench [RUNS] [OPENDP_SAMPLES]
"""
import json
import os
import statistics
import subprocess
import sys
import time

SIGMA = 10.0


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def dpkit_ns(bench):
    cmd = [bench, "--benchmark_filter=BM_DiscreteGaussian/10$", "--benchmark_min_time=0.3",
           "--benchmark_format=json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    (b,) = json.loads(out)["benchmarks"]
    return 1e9 / b["items_per_second"]


def opendp_sampler():
    import opendp.prelude as dp
    from importlib.metadata import version

    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int)
    return space >> dp.m.then_gaussian(scale=SIGMA), version("opendp")


def opendp_ns(meas, n):
    x = [0] * n
    start = time.process_time()
    meas(x)
    return (time.process_time() - start) / n * 1e9


def main():
    bench = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # one core for both (the bench inherits it)
    meas, opendp_version = opendp_sampler()
    print(f"load before: {load()}")
    ours, peer = [], []
    for _ in range(runs):
        ours.append(dpkit_ns(bench))
        peer.append(opendp_ns(meas, n))
    print(f"load after:  {load()}")
    print("| sampler (sigma = 10) | min ns / sample | median ns / sample | vs dpkit (median) |")
    print("|---|---|---|---|")
    base = statistics.median(ours)
    for name, v in (("dpkit DiscreteGaussianSampler (one call per sample)", ours),
                    (f"OpenDP {opendp_version} then_gaussian on int vector of {n}", peer)):
        print(f"| {name} | {min(v):.1f} | {statistics.median(v):.1f} | "
              f"{statistics.median(v) / base:.0f}x |")


if __name__ == "__main__":
    main()
