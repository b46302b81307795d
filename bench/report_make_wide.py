#!/usr/bin/env python3
"""Writes OUT_DIR/{real,synthetic,holdout}.csv: ROWS x 20 columns (10 numeric, 10 categorical,
correlated through a shared latent value) for timing `dpkit report` (see bench/report_cli.sh)."""
import csv
import os
import random
import sys


def write(path, rows, seed):
    rng = random.Random(seed)
    header = [f"num{c}" for c in range(10)] + [f"cat{c}" for c in range(10)]
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for _ in range(rows):
            z = rng.random()
            nums = [round(z * (c + 1) * 100 + rng.gauss(0, 15), 3) for c in range(10)]
            cats = [f"v{int(z * (3 + 4 * c) + rng.random() * 2) % (3 + 4 * c)}" for c in range(10)]
            w.writerow(nums + cats)


out, rows = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 50000
os.makedirs(out, exist_ok=True)
for name, seed in (("real", 1), ("synthetic", 2), ("holdout", 3)):
    write(os.path.join(out, name + ".csv"), rows, seed)
