#!/usr/bin/env python3
"""Cost of dpkit's Python API next to the CLI, the C++ core and peer libraries, in one run.

Measures, each as min and median of --runs runs (wall and process CPU, load average noted):
  1. `import dpkit` in a fresh interpreter (wall),
  2. one scalar Laplace release: dpkit.mechanisms from Python vs one `dpkit noise laplace`
     process (the CLI front end),
  3. Laplace noise on --values values (default 1M, epsilon 1, sensitivity 1): dpkit's vectorised
     Python release (exact noise + exact 95% interval per value), the C++ mechanism alone
     (bench/mechanisms_bench BM_LaplaceReal, per release x values), OpenDP's vectorised
     make_laplace (exact, like dpkit), diffprivlib's Laplace (one Python call per value;
     textbook floating-point sampling), and numpy's non-private laplace as the floor.
Ratios are against dpkit's Python release. Peers that are not installed are reported as such.

Usage (from the repository root, after `make python`):
  build/venv/bin/pip install opendp diffprivlib "scikit-learn<1.6"   # the peers (optional)
  build/venv/bin/python bench/python_overhead.py [--values N] [--runs R] [--build-dir DIR]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import dpkit
from dpkit.mechanisms import Laplace

EPSILON, SENSITIVITY = 1.0, 1.0


def timed(fn, runs):
    """(min wall, median wall, min cpu) over `runs` calls of fn, in seconds."""
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), statistics.median(walls), min(cpus)


def import_time(runs):
    code = "import time; t = time.perf_counter(); import dpkit; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(runs)]
    return min(times), statistics.median(times)


def cli_release(cli):
    subprocess.run([cli, "noise", "laplace", "--epsilon", str(EPSILON), "--sensitivity",
                    str(SENSITIVITY), "--value", "1234"], capture_output=True, check=True)


def cpp_seconds_per_release(build_dir):
    """(wall, CPU) seconds of one C++ Laplace release (Google Benchmark), or None."""
    exe = os.path.join(build_dir, "bench", "mechanisms_bench")
    if not os.access(exe, os.X_OK):
        return None
    out = subprocess.run([exe, "--benchmark_filter=BM_LaplaceReal$", "--benchmark_format=json",
                          "--benchmark_min_time=0.5"], capture_output=True, text=True, check=True)
    (b,) = json.loads(out.stdout)["benchmarks"]
    unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3}[b["time_unit"]]
    return b["real_time"] * unit, b["cpu_time"] * unit


def opendp_release():
    try:
        import opendp.prelude as dp
    except ImportError:
        return None
    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float)
    meas = space >> dp.m.then_laplace(scale=SENSITIVITY / EPSILON)
    from importlib.metadata import version

    return lambda x: meas(x.tolist()), f"opendp {version('opendp')} (exact, vectorised)"


def diffprivlib_release():
    try:
        import diffprivlib
        from diffprivlib.mechanisms import Laplace as DplLaplace
    except ImportError:
        return None
    m = DplLaplace(epsilon=EPSILON, sensitivity=SENSITIVITY)
    return (lambda x: [m.randomise(v) for v in x.tolist()],
            f"diffprivlib {diffprivlib.__version__} (one call per value, float sampling)")


def row(name, stats, base):
    """One table row; ratios of median wall and of min CPU time to `base` (dpkit Python's)."""
    lo, med, cpu = stats
    print(f"| {name} | {lo:.3f} | {med:.3f} | {cpu:.3f} | {med / base[1]:.2f}x | "
          f"{cpu / base[2]:.2f}x |")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--values", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--build-dir", default="build/release")
    a = p.parse_args()
    cli = os.path.join(a.build_dir, "src", "cli", "dpkit")
    print(f"dpkit {dpkit.__version__}, Python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")

    lo, med = import_time(max(a.runs, 5))
    print(f"\nimport dpkit (fresh interpreter, wall): min {lo * 1e3:.1f} ms, median {med * 1e3:.1f} ms")

    mech = Laplace(epsilon=EPSILON, sensitivity=SENSITIVITY)
    calls = 10000
    py = timed(lambda: [mech.release(1234.0) for _ in range(calls)], a.runs)
    print("\nOne scalar Laplace release (per release)\n| front end | min | median |\n|---|---|---|")
    print(f"| dpkit Python | {py[0] / calls * 1e6:.2f} us | {py[1] / calls * 1e6:.2f} us |")
    if os.access(cli, os.X_OK):
        c = timed(lambda: cli_release(cli), a.runs)
        print(f"| dpkit CLI (one process) | {c[0] * 1e3:.2f} ms | {c[1] * 1e3:.2f} ms |")
    else:
        print(f"| dpkit CLI | not built ({cli}) | |")

    x = np.random.default_rng(1).uniform(0, 1000, a.values)
    print(f"\nLaplace on {a.values:,} values (epsilon {EPSILON}, sensitivity {SENSITIVITY}), "
          f"seconds\n| implementation | min wall | median wall | min CPU | wall vs dpkit Python | "
          "CPU vs dpkit Python |")
    print("|---|---|---|---|---|---|")
    ours = timed(lambda: mech.release(x), a.runs)
    row("dpkit Python (noise + exact 95% CI per value)", ours, ours)
    per = cpp_seconds_per_release(a.build_dir)
    if per is None:
        print("| dpkit C++ mechanism | mechanisms_bench not built | | | | |")
    else:
        wall, cpu = per[0] * a.values, per[1] * a.values
        row("dpkit C++ mechanism alone (mechanisms_bench x values)", (wall, wall, cpu), ours)
    for make in (opendp_release, diffprivlib_release):
        peer = make()
        if peer is None:
            print(f"| {make.__name__.replace('_release', '')} | not installed | | | | |")
            continue
        fn, name = peer
        row(name, timed(lambda: fn(x), a.runs), ours)
    rng = np.random.default_rng()
    row("numpy laplace (NOT private, floor)",
        timed(lambda: rng.laplace(x, SENSITIVITY / EPSILON), a.runs), ours)
    print(f"\nload average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
