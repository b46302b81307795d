#!/usr/bin/env python3
"""NIST SDNist's k-marginal score (0-1000) of a deidentified CSV against its target CSV.

Implements SDNist v2's definition (usnistgov/SDNist: sdnist/metrics/kmarginal.py class
KMarginal, sdnist/report/dataset/{__init__,validate,binning,transform}.py), stdlib only:

  1. Validation of the deidentified data (validate.py): rows with a pandas-NA cell ("", "NA",
     "nan", ...) are dropped; a feature holding a value outside the data dictionary (a code not
     listed; a non-number in a min/max feature; "N" where the dictionary has no "N") is dropped
     from the evaluation, loudly.
  2. Binning (Dataset.__post_init__): AGEP, POVPIP, PINCP, PWGTP, WGTP become 20 percentile
     bins of the target (pandas rank(pct=True), ties averaged, bin = int(20 * pct), 19 at
     pct = 1); a deidentified value goes to the first target bin
     whose largest target value is >= it, the last bin above all; "N" is bin -1. DENSITY uses
     SDNist's fixed log-spaced bins from the dictionary's max. Other features are their integer
     codes ("N" = -1), PUMA its index in the dictionary. POVPIP's code 501 ("above 5 x poverty")
     is ranked like any value: binning.py means to keep it apart, but compares the column's
     values (integers after validate) with the string '501', which never matches; we follow
     what SDNist computes (checked with bench/sdnist_kmarginal_peer.py).
  3. Score (KMarginal): for every pair of features other than PUMA and INDP (sorted names),
     densities count / rows of the target and of the deidentified data over the pair's cells,
     prefixed by PUMA when PUMA is a feature (a 3-way marginal); L1 = sum |t - s|; score =
     (2 - mean L1) * 500, i.e. 1000 * (1 - mean total variation distance).

dpkit's own report (docs/report.md) scores 3-way marginals over real-decile bins: a different
definition, so this file does not reuse it.

Usage: sdnist_kmarginal.py TARGET.csv DEID.csv --dictionary data_dictionary.json
                           [--features A,B,...]   (default: columns common to both files)
Prints the score; --json prints {"score", "features", "dropped", "rows"}.
"""
import argparse
import csv
import itertools
import json
import math
import sys

NUMERIC = ("AGEP", "POVPIP", "PINCP", "PWGTP", "WGTP")  # percentile-binned (dataset/__init__.py)
NOT_IN_PAIRS = ("PUMA", "INDP")
PANDAS_NA = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
             "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
BINS = 20


def read_csv(path, features=None):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [r for r in rows[1:] if r]
    names = features or header
    idx = [header.index(n) for n in names]
    return names, [[r[i].strip() for i in idx] for r in body]


def _int(text):
    try:
        v = float(text)
    except ValueError:
        return None
    return int(v) if math.isfinite(v) else None  # pandas astype(int) truncates


def out_of_bound(name, entry, values):
    """Values of a feature SDNist's validate() rejects (empty list: the feature is kept)."""
    if name == "INDP":
        return sorted({v for v in values if v != "N" and _int(v) is None})
    codes = entry.get("values", {})
    has_n = "N" in codes
    bad = {v for v in values if (v == "N" and not has_n) or (v != "N" and _int(v) is None)}
    if name == "PUMA":
        return sorted({v for v in values if v not in codes})
    if "min" not in codes:
        allowed = {_int(k) for k in codes if k != "N"}
        bad |= {v for v in values if v != "N" and _int(v) is not None and _int(v) not in allowed}
    return sorted(bad)


def percentile_bins(target):
    """SDNist's percentile_rank_target: value -> bin for the target's non-null values."""
    order = sorted(target)
    n, ranks, i = len(order), {}, 0
    while i < n:  # average rank of each run of ties (1-based)
        j = i
        while j < n and order[j] == order[i]:
            j += 1
        ranks[order[i]] = (i + 1 + j) / 2
        i = j
    return {v: (int(BINS * r / n) if r / n < 1 else BINS - 1) for v, r in ranks.items()}


def numeric_binner(name, target_values):
    """Maps a text value to SDNist's bin (see the module doc), fitted on the target."""
    bins = percentile_bins([_int(v) for v in target_values if v != "N"])
    tops = {}
    for v, b in bins.items():
        tops[b] = max(tops.get(b, v), v)
    uppers = sorted((top, b) for b, top in tops.items())
    last = uppers[-1][1]

    def to_bin(text):
        if text == "N":
            return -1
        v = _int(text)
        return next((b for top, b in uppers[:-1] if v <= top), last)
    return to_bin


def density_binner(entry):
    """SDNist's bin_density: [0, 150] and the log-spaced edges from 10 to max + 500 (20 bins,
    the first 8 dropped), right-closed; None outside (pandas cut gives NaN, groupby drops it)."""
    n_max = entry["values"]["max"] + 500
    logs = [10 ** (1 + k * (math.log10(n_max) - 1) / BINS) for k in range(BINS + 1)]
    edges = [0, 150] + logs[8:]

    def to_bin(text):
        v = float(text)
        v = 0.0 if v < 0 else (n_max - 100 if v > n_max else v)
        return next((i for i in range(len(edges) - 1) if edges[i] < v <= edges[i + 1]), None)
    return to_bin


def code_binner(name, entry):
    if name == "PUMA":
        index = {k: i for i, k in enumerate(entry["values"])}
        return lambda text: -1 if text == "N" else index[text]
    return lambda text: -1 if text == "N" else _int(text)


def densities(columns, rows):
    counts = {}
    for r in range(rows):
        key = tuple(col[r] for col in columns)
        if None not in key:
            counts[key] = counts.get(key, 0) + 1
    return {k: c / rows for k, c in counts.items()}


def score(target_rows, deid_rows, names, dictionary, warn=lambda m: None):
    """SDNist k-marginal score; returns (score, kept features, dropped features)."""
    deid_rows = [r for r in deid_rows if not any(v in PANDAS_NA for v in r)]
    if len(deid_rows) < 1:
        raise ValueError("the deidentified data has no complete row")
    kept, dropped = [], {}
    for i, n in enumerate(names):
        bad = out_of_bound(n, dictionary[n], {r[i] for r in deid_rows})
        if bad:
            dropped[n] = bad[:5]
            warn(f"{n}: values outside the data dictionary {bad[:5]}; feature dropped (as SDNist)")
        else:
            kept.append(n)
    kept.sort()
    t_cols, s_cols = {}, {}
    for n in kept:
        i = names.index(n)
        t_vals, s_vals = [r[i] for r in target_rows], [r[i] for r in deid_rows]
        to_bin = (numeric_binner(n, t_vals) if n in NUMERIC else
                  density_binner(dictionary[n]) if n == "DENSITY" else
                  code_binner(n, dictionary[n]))
        t_cols[n], s_cols[n] = [to_bin(v) for v in t_vals], [to_bin(v) for v in s_vals]
    group = ["PUMA"] if "PUMA" in kept else []
    pairs = list(itertools.combinations([n for n in kept if n not in NOT_IN_PAIRS], 2))
    if not pairs:
        raise ValueError("fewer than two features to pair")
    total = 0.0
    for pair in pairs:
        cols = group + list(pair)
        t = densities([t_cols[c] for c in cols], len(target_rows))
        s = densities([s_cols[c] for c in cols], len(deid_rows))
        total += sum(abs(t.get(k, 0) - s.get(k, 0)) for k in t.keys() | s.keys())
    return (2 - total / len(pairs)) * 500, kept, dropped


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("target")
    ap.add_argument("deid")
    ap.add_argument("--dictionary", required=True, help="NIST data_dictionary.json")
    ap.add_argument("--features", help="comma-separated (default: columns common to both)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with open(args.dictionary, encoding="utf-8") as f:
        dictionary = json.load(f)
    if args.features:
        names = args.features.split(",")
    else:
        with open(args.target, newline="") as ft, open(args.deid, newline="") as fd:
            th, dh = next(csv.reader(ft)), next(csv.reader(fd))
        names = [n for n in th if n in dh and n in dictionary]
    _, target = read_csv(args.target, names)
    _, deid = read_csv(args.deid, names)
    s, kept, dropped = score(target, deid, names, dictionary,
                             warn=lambda m: print(f"sdnist_kmarginal: {m}", file=sys.stderr))
    if args.json:
        print(json.dumps({"score": s, "features": kept, "dropped": dropped, "rows": len(deid)}))
    else:
        print(f"{s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
