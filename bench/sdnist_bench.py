#!/usr/bin/env python3
"""dpkit synth on the NIST SDNist benchmark: national2019, one CRC feature set, from the raw CSV
and a schema generated from NIST's data dictionary (scripts/nist_schema.py), scored with SDNist's
k-marginal definition (bench/sdnist_kmarginal.py).

Each run is a fresh `dpkit synth` with the secure generator (no --insecure-seed: a benchmark of
the shipped configuration, so runs differ by their noise only); the input is the raw CSV cut to
the feature set's columns (column selection is public). Per run: score, process CPU of the
dpkit child (user + sys, from wait4 rusage) and wall time; per method: min / median / max.

Published reference (issue 14's targets): smartnoise-synth's AIM 976 and MST 958 on the same
data, features and epsilon in the NIST CRC Data and Metrics Archive (usnistgov/
privacy_collaborative_research_cycle, reports by SDNist v2.3). smartnoise-synth's defaults are
delta = 1e-9 for both (snsynth/aim/aim.py, snsynth/mst/mst.py) and AIM's workload is all 2-way
marginals (degree=2), which is what the SDNist score measures; --aim-workload 2 does the same
here with one --workload per pair.

Usage: sdnist_bench.py --dpkit build/release/dpkit [--runs 5] [--methods aim,mst]
       [--epsilon 1] [--delta 1e-9] [--feature-set demographic-focused] [--aim-workload 2|3]
       [--work DIR] [--json results.json] [-- extra dpkit synth options]
"""
import argparse
import csv
import importlib.util
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = {"aim": 976, "mst": 958}


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


nist_schema = load("nist_schema", os.path.join(HERE, "..", "scripts", "nist_schema.py"))
kmarginal = load("sdnist_kmarginal", os.path.join(HERE, "sdnist_kmarginal.py"))


def project(src, dst, features):
    """Copies the named columns of src to dst, bytes of each field unchanged."""
    with open(src, newline="", encoding="utf-8") as f, open(dst, "w", newline="") as g:
        reader, writer = csv.reader(f), csv.writer(g, lineterminator="\n")
        header = next(reader)
        idx = [header.index(c) for c in features]
        writer.writerow(features)
        for row in reader:
            if row:
                writer.writerow([row[i] for i in idx])


def run_synth(cmd):
    """Runs dpkit; returns (cpu seconds of the child, wall seconds)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"dpkit failed ({os.waitstatus_to_exitcode(status)}): {' '.join(cmd)}\n{err}")
    return usage.ru_utime + usage.ru_stime, wall


def summary(values):
    return min(values), statistics.median(values), max(values)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dpkit", required=True)
    ap.add_argument("--data-dir", default=os.path.join(HERE, "..", "..", "shared", "data",
                                                       "nist-acs-excerpts"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--methods", default="aim,mst")
    ap.add_argument("--epsilon", type=float, default=1.0)
    ap.add_argument("--delta", type=float, default=1e-9)
    ap.add_argument("--feature-set", default="demographic-focused",
                    choices=sorted(nist_schema.FEATURE_SETS))
    ap.add_argument("--aim-workload", type=int, choices=(2, 3), default=3,
                    help="AIM workload: all k-way marginals (dpkit's default is 3)")
    ap.add_argument("--work", help="folder for inputs and outputs (default: a temporary one)")
    ap.add_argument("--json", help="write the per-run results here")
    args, extra = ap.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    work = args.work or tempfile.mkdtemp(prefix="sdnist_bench_")
    os.makedirs(work, exist_ok=True)
    features = nist_schema.FEATURE_SETS[args.feature_set]
    raw = os.path.join(args.data_dir, "national2019.csv")
    with open(os.path.join(args.data_dir, "data_dictionary.json"), encoding="utf-8") as f:
        dictionary = json.load(f)
    schema = os.path.join(work, "schema.json")
    with open(schema, "w") as f:
        json.dump(nist_schema.schema_from_dictionary(dictionary, features), f, indent=2)
    data = os.path.join(work, "input.csv")
    project(raw, data, features)
    _, target = kmarginal.read_csv(raw, features)

    print(f"# SDNist national2019, {args.feature_set} ({len(features)} features), "
          f"epsilon={args.epsilon:g}, delta={args.delta:g}, {args.runs} runs per method; "
          f"load {os.getloadavg()[0]:.1f} at start")
    print(f"{'method':6} {'run':>3} {'k-marginal':>10} {'cpu_s':>7} {'wall_s':>7}")
    results = []
    for method in args.methods.split(","):
        wl = []
        if method == "aim" and args.aim_workload == 2:
            wl = [x for p in itertools.combinations(features, 2) for x in ("--workload", ":".join(p))]
        for run in range(1, args.runs + 1):
            out = os.path.join(work, f"{method}_{run}.csv")
            cmd = [args.dpkit, "-q", "synth", "--data", data, "--schema", schema, "--method",
                   method, "--epsilon", str(args.epsilon), "--delta", str(args.delta),
                   "--out", out] + wl + extra
            cpu, wall = run_synth(cmd)
            _, deid = kmarginal.read_csv(out, features)
            score, _, dropped = kmarginal.score(target, deid, features, dictionary)
            if dropped:
                print(f"  WARNING: SDNist would drop {sorted(dropped)}: {dropped}")
            results.append({"method": method, "run": run, "score": score, "cpu_s": cpu,
                            "wall_s": wall, "load": os.getloadavg()[0], "dropped": dropped})
            print(f"{method:6} {run:>3} {score:>10.1f} {cpu:>7.2f} {wall:>7.2f}", flush=True)
    print(f"{'method':6} {'score min/median/max':>26} {'cpu_s min/median':>18} "
          f"{'published':>9} {'met':>4}")
    for method in args.methods.split(","):
        rs = [r for r in results if r["method"] == method]
        lo, med, hi = summary([r["score"] for r in rs])
        clo, cmed, _ = summary([r["cpu_s"] for r in rs])
        target = TARGETS.get(method)
        met = "-" if target is None else ("yes" if lo >= target else "no")
        print(f"{method:6} {lo:8.1f} /{med:7.1f} /{hi:7.1f} {clo:8.2f} /{cmed:7.2f} "
              f"{target if target else '-':>9} {met:>4}")
    print(f"# load {os.getloadavg()[0]:.1f} at end; outputs in {work}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"feature_set": args.feature_set, "epsilon": args.epsilon,
                       "delta": args.delta, "aim_workload": args.aim_workload,
                       "extra": extra, "runs": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
