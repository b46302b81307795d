#!/usr/bin/env python3
"""Test inputs for the report e2e tests (deterministic, stdlib only).

Writes into OUT_DIR: train.csv, holdout.csv (a 50/50 split of the source rows), and two
stand-in "synthetic" tables made from train.csv only:
  marginals.csv  every column sampled independently from its training marginal (no row is
                 copied; correlations are lost; unique-per-row identifier columns get fresh
                 values) - private-looking, low fidelity;
  perturbed.csv  each row a training row with ~25% of its cells swapped for values from other
                 training rows - high fidelity, but rows sit next to training rows (a
                 membership-inference attack must notice).
Also privacy.json (a dpkit-privacy/1 file).

The source is --source CSV (e.g. the NIST ACS excerpt) or, without it, a generated customer
table with correlated columns and an email identifier.
"""
import argparse
import csv
import json
import os
import random


def generated(rows, rng):
    cities = ["Lyon", "Oslo", "Pune", "Kobe", "Lima", "Graz"]
    plans = ["basic", "plus", "pro"]
    header = ["customer_id", "email", "age", "city", "plan", "tenure_months", "income",
              "monthly_spend", "churned"]
    out = []
    for i in range(rows):
        age = rng.randint(18, 80)
        city = rng.randrange(len(cities))
        income = round(900 * age + 6000 * city + rng.gauss(0, 8000), 2)
        plan = min(2, max(0, int(income // 40000) + rng.choice([-1, 0, 0, 1])))
        tenure = max(0, int(rng.gauss(age / 2, 10)))
        spend = round(20 + 30 * plan + rng.gauss(0, 8), 2)
        churn = "yes" if (tenure < 15 and plan == 0) or rng.random() < 0.1 else "no"
        out.append([f"C{100000 + i}", f"user{i}.{rng.randrange(10**6)}@mail.example", age,
                    cities[city], plans[plan], tenure, income, spend, churn])
    return header, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--source")
    ap.add_argument("--rows", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=20240501)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.source:
        with open(args.source, newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = [r for r in reader if r]
        rng.shuffle(rows)
        rows = rows[:args.rows] if args.rows > 0 else rows
    else:
        header, rows = generated(args.rows, rng)
    half = len(rows) // 2
    train, holdout = rows[:half], rows[half:]
    ncol = len(header)
    columns = [[r[c] for r in train] for c in range(ncol)]
    marginals = [[rng.choice(columns[c]) for c in range(ncol)] for _ in range(len(train))]
    # A real synthesizer never outputs real identifiers: unique-per-row columns get fresh values.
    for c in range(ncol):
        numeric = all(str(v).replace(".", "", 1).lstrip("-").isdigit() for v in columns[c] if v != "")
        if not numeric and len(set(columns[c])) == len(train):
            for i, row in enumerate(marginals):
                row[c] = f"synthetic-{c}-{i}"
    perturbed = []
    for r in train:
        row = list(r)
        for c in range(ncol):
            if rng.random() < 0.25:
                row[c] = rng.choice(columns[c])
        perturbed.append(row)
    os.makedirs(args.out_dir, exist_ok=True)
    for name, data in (("train", train), ("holdout", holdout), ("marginals", marginals),
                       ("perturbed", perturbed)):
        with open(os.path.join(args.out_dir, name + ".csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(data)
    privacy = {
        "format": "dpkit-privacy/1", "epsilon": 1.0, "delta": 1e-6,
        "privacy_unit": header[0], "mechanism": "test stand-in (not DP)",
        "accountant": "zcdp", "dataset": "report-e2e",
        "notes": ["Test fixture: the synthetic tables of this test are NOT differentially private."],
        "ledger_entries": [{"id": 1, "time": "2024-05-01T12:00:00Z", "mechanism": "aim/measure",
                            "epsilon": 1.0, "delta": 1e-6,
                            "privacy_map": {"kind": "zcdp", "rho": 0.0125,
                                            "mechanism": "aim/measure"}}],
    }
    with open(os.path.join(args.out_dir, "privacy.json"), "w") as f:
        json.dump(privacy, f, indent=2)


if __name__ == "__main__":
    main()
