#!/usr/bin/env python3
"""Finds output features that differ deterministically between runs on neighbouring datasets.

Usage: compare_runs.py RUNS_DIR SIDE_A SIDE_B [--owner GLOB]... [--ignore-line REGEX]...

RUNS_DIR/<side>/<i>/ holds one run: .channels/{stdout,stderr,exit} and the files the run wrote.
Each run is reduced to a set of features:
  exit=<code>; every stdout/stderr line and every word in it; the list of files written;
  for CSV files: the header and, per column, whether every cell is numeric and (for columns
  with few distinct values) each distinct value; for JSON files: every key path with its value
  when the value is a string, integer or boolean (floats: the key path only);
  other files: their presence.
A feature present in every run of one side and in no run of the other is a deterministic
difference: with k runs per side, an output feature that a DP release produces with the same
probability p on both sides is flagged with probability p^k (1-p)^k <= 4^-k, so tests use k >= 4
and keep noisy values out of low-entropy channels. Exit status 1 when any is found.
"""
import argparse
import csv
import fnmatch
import json
import os
import re
import sys

MAX_DISTINCT = 30  # columns with more distinct values are summarised by their type only
WORD = re.compile(r"[^\s,;:()\[\]{}'\"=]+")


def text_features(name, text, ignore):
    feats = set()
    for line in text.splitlines():
        if any(r.search(line) for r in ignore):
            continue
        feats.add(f"{name}-line:{line}")
        for w in WORD.findall(line):
            feats.add(f"{name}-word:{w}")
    return feats


def is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def csv_features(rel, path):
    feats = set()
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        rows = list(csv.reader(f))
    if not rows:
        return {f"csv:{rel}:empty"}
    header, body = rows[0], rows[1:]
    feats.add(f"csv:{rel}:header={','.join(header)}")
    for c, name in enumerate(header):
        cells = [r[c] for r in body if c < len(r) and r[c] != ""]
        kind = "empty" if not cells else ("numeric" if all(map(is_number, cells)) else "text")
        feats.add(f"csv:{rel}:{name}:type={kind}")
        distinct = set(cells)
        if len(distinct) <= MAX_DISTINCT:
            feats.update(f"csv:{rel}:{name}:value={v}" for v in distinct)
    return feats


def json_features(rel, value, path=""):
    feats = set()
    if isinstance(value, dict):
        for k, v in value.items():
            feats |= json_features(rel, v, f"{path}.{k}")
    elif isinstance(value, list):
        for v in value:
            feats |= json_features(rel, v, f"{path}[]")
    elif isinstance(value, float):
        feats.add(f"json:{rel}:{path}")
    else:
        feats.add(f"json:{rel}:{path}={json.dumps(value)}")
    return feats


def run_features(run_dir, owner_globs, ignore):
    ch = os.path.join(run_dir, ".channels")
    feats = {"exit=" + open(os.path.join(ch, "exit")).read().strip()}
    for name in ("stdout", "stderr"):
        feats |= text_features(name, open(os.path.join(ch, name), errors="replace").read(), ignore)
    for root, _, files in os.walk(run_dir):
        for fn in files:
            path = os.path.join(root, fn)
            rel = os.path.relpath(path, run_dir)
            if rel.startswith(".channels") or any(fnmatch.fnmatch(rel, g) for g in owner_globs):
                continue
            feats.add(f"file:{rel}")
            if fn.endswith(".csv"):
                feats |= csv_features(rel, path)
            elif fn.endswith(".json"):
                try:
                    feats |= json_features(rel, json.load(open(path)))
                except ValueError:
                    feats.add(f"json:{rel}:unparsable")
    return feats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs")
    ap.add_argument("side_a")
    ap.add_argument("side_b")
    ap.add_argument("--owner", action="append", default=[], help="glob of data-owner files")
    ap.add_argument("--ignore-line", action="append", default=[], help="regex of lines to skip")
    a = ap.parse_args()
    ignore = [re.compile(r) for r in a.ignore_line]
    sides = {}
    for side in (a.side_a, a.side_b):
        d = os.path.join(a.runs, side)
        runs = [os.path.join(d, r) for r in sorted(os.listdir(d))]
        sides[side] = [run_features(r, a.owner, ignore) for r in runs]
    always = {s: set.intersection(*f) for s, f in sides.items()}
    ever = {s: set.union(*f) for s, f in sides.items()}
    found = []
    for x, y in ((a.side_a, a.side_b), (a.side_b, a.side_a)):
        for feat in sorted(always[x] - ever[y]):
            found.append(f"  only and always in {x}: {feat[:200]}")
    if found:
        print(f"{len(found)} deterministic difference(s) between {a.side_a} and {a.side_b}:")
        print("\n".join(found[:60]))
        return 1
    k = min(len(f) for f in sides.values())
    print(f"no deterministic difference ({k}+ runs per side)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
