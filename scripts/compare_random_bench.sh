#!/usr/bin/env bash
# Side-by-side sampler throughput of two random_bench builds (e.g. before/after a change):
# runs them alternately RUNS times (default 5) on one core and prints, per benchmark, the min and
# median CPU ns per sample of each and the ratio of medians (after / before). Load average is
# printed before and after, since the machine may be shared.
#   scripts/compare_random_bench.sh OLD/random_bench NEW/random_bench [RUNS]
set -euo pipefail
before=$1 after=$2 runs=${3:-5}
filter=${BENCH_FILTER:-Discrete}
out=$(mktemp -d)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
  for which in before after; do
    bin=${!which}
    taskset -c 0 "$bin" --benchmark_filter="$filter" --benchmark_min_time=0.2 \
      --benchmark_format=json >"$out/$which.$i.json" 2>/dev/null
  done
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
ns = {}  # (which, name) -> [ns per sample]
order = []
for which in ("before", "after"):
    for i in range(1, runs + 1):
        for b in json.load(open(f"{out}/{which}.{i}.json"))["benchmarks"]:
            name = b["name"]
            if name not in order:
                order.append(name)
            per_item = 1e9 / b["items_per_second"] if "items_per_second" in b else b["cpu_time"]
            ns.setdefault((which, name), []).append(per_item)
print(f"| benchmark | before min / median (ns) | after min / median (ns) | speed after/before |")
print("|---|---|---|---|")
for name in order:
    b, a = ns.get(("before", name)), ns.get(("after", name))
    fmt = lambda v: f"{min(v):.1f} / {statistics.median(v):.1f}" if v else "-"
    ratio = f"{statistics.median(b) / statistics.median(a):.2f}x" if a and b else "-"
    print(f"| {name} | {fmt(b)} | {fmt(a)} | {ratio} |")
PY
rm -rf "$out"
