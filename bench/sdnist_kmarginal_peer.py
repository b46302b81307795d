#!/usr/bin/env python3
"""Cross-check of bench/sdnist_kmarginal.py against NIST's own code: scores deidentified CSVs
with the installed `sdnist` package (PyPI sdnist 2.4: its report's Dataset loading, validation
and binning, then metrics.kmarginal.KMarginal with the report's group features), next to our
scorer's number for the same file.

Run it with a Python that has sdnist 2.4 and its pinned dependencies, e.g. a throwaway venv:
  python3 -m venv /tmp/sdnist_venv && /tmp/sdnist_venv/bin/pip install sdnist==2.4
  /tmp/sdnist_venv/bin/python bench/sdnist_kmarginal_peer.py ../shared/data/nist-acs-excerpts \
      synth1.csv synth2.csv ...
SDNist finds its target data by folder layout; this script links the excerpt's files into a
temporary folder in that layout (national/national2019.{csv,json}; config, mappings and data
dictionary beside it). Prints one line per file: path, SDNist's score, ours, difference.
"""
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))


def sdnist_root(data_dir):
    root = Path(tempfile.mkdtemp(prefix="sdnist_root_"))
    (root / "national").mkdir()
    for name in ("national2019.csv", "national2019.json"):
        os.symlink(Path(data_dir, name).resolve(), root / "national" / name)
    for name in ("config.json", "mappings.json", "data_dictionary.json"):
        os.symlink(Path(data_dir, name).resolve(), root / name)
    return root


def sdnist_score(root, deid):
    import sdnist.strs as strs
    from sdnist.load import TestDatasetName
    from sdnist.report.dataset import Dataset  # before metrics: sdnist's imports are circular
    from sdnist.metrics.kmarginal import KMarginal
    from sdnist.utils import SimpleLogger
    ds = Dataset(Path(deid), SimpleLogger(), TestDatasetName.national2019, data_root=root,
                 download=False)
    group = ds.config[strs.K_MARGINAL][strs.GROUP_FEATURES]
    km = KMarginal(ds.d_target_data, ds.d_synthetic_data, group)
    km.compute_score()
    return km.score


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    data_dir, files = argv[1], argv[2:]
    sys.path.insert(0, HERE)
    import sdnist_kmarginal as ours
    with open(os.path.join(data_dir, "data_dictionary.json")) as f:
        dictionary = json.load(f)
    root = sdnist_root(data_dir)
    for path in files:
        with open(path, newline="") as f:
            names = [n for n in f.readline().strip().split(",") if n in dictionary]
        _, target = ours.read_csv(os.path.join(data_dir, "national2019.csv"), names)
        _, deid = ours.read_csv(path, names)
        mine, _, _ = ours.score(target, deid, names, dictionary)
        theirs = sdnist_score(root, path)
        print(f"{path}\tsdnist {theirs:.4f}\tours {mine:.4f}\tdiff {mine - theirs:+.2e}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
