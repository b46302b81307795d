"""Peer side of bench/synth_peer.sh: MST on Private-PGM's inference engine, and the evaluator.

PyPI's `mbi` (Private-PGM 2.x) ships the inference library (Domain, Dataset, LinearMeasurement,
MirrorDescent, MarkovRandomField.synthetic_data) but not the repository's mechanisms/mst.py, and
this machine cannot fetch the repository. So the MST here is a small driver written for this
benchmark from the paper (McKenna, Miklau, Sheldon 2021: rho/3 for 1-way marginals, rho/3 for d-1
exponential-mechanism draws of a maximum spanning tree of L1 scores, rho/3 for the tree's 2-way
marginals) on mbi's estimator; it omits the paper's rare-value domain compression.

Usage:
  python synth_peer_driver.py mst DATA.csv DOMAIN.json EPS DELTA SEED OUT.csv ITERS
  python synth_peer_driver.py error DATA.csv DOMAIN.json SYNTH.csv
"""
import itertools
import json
import sys
import time

import numpy as np


def load(csv, domain_json):
    with open(domain_json) as f:
        dom = json.load(f)
    with open(csv) as f:
        header = f.readline().strip().split(",")
    arr = np.loadtxt(csv, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    cols = {name: arr[:, header.index(name)] for name in dom}
    return dom, cols


def marginal(cols, dom, attrs):
    shape = [dom[a] for a in attrs]
    idx = np.ravel_multi_index([cols[a] for a in attrs], shape)
    return np.bincount(idx, minlength=int(np.prod(shape))).astype(float)


def workload_error(real, synth, dom):
    names = list(dom)
    nr = len(next(iter(real.values())))
    ns = len(next(iter(synth.values())))
    errs = []
    for c in itertools.combinations(names, 3):
        errs.append(np.abs(marginal(real, dom, c) / nr - marginal(synth, dom, c) / ns).sum())
    return float(np.mean(errs))


def cdp_delta(rho, eps):
    # CKS20 Proposition 12 minimised over alpha (same conversion dpkit uses).
    amin, amax = 1.01, (eps + 1) / (2 * rho) + 2
    for _ in range(1000):
        alpha = (amin + amax) / 2
        deriv = (2 * alpha - 1) * rho - eps + np.log1p(-1.0 / alpha)
        if deriv < 0:
            amin = alpha
        else:
            amax = alpha
    delta = np.exp((alpha - 1) * (alpha * rho - eps) + alpha * np.log1p(-1 / alpha)) / (alpha - 1)
    return min(delta, 1.0)


def cdp_rho(eps, delta):
    lo, hi = 0.0, eps + 1
    for _ in range(1000):
        mid = (lo + hi) / 2
        if cdp_delta(mid, eps) <= delta:
            lo = mid
        else:
            hi = mid
    return lo


def run_mst(csv, domain_json, eps, delta, seed, out, iters):
    import jax
    jax.config.update("jax_enable_x64", True)
    import mbi
    from mbi import estimation

    rng = np.random.default_rng(seed)
    dom, cols = load(csv, domain_json)
    names = list(dom)
    d = len(names)
    t0 = time.time()
    rho = cdp_rho(eps, delta)
    domain = mbi.Domain.fromdict(dom)

    def measure(cliques, sigma):
        ms = []
        for c in cliques:
            x = marginal(cols, dom, c)
            y = x + rng.normal(0, sigma, size=x.size)
            ms.append(mbi.LinearMeasurement(y, tuple(c), stddev=sigma))
        return ms

    sigma1 = np.sqrt(d / (2 * rho / 3))
    log1 = measure([(a,) for a in names], sigma1)
    est = estimation.MirrorDescent().estimate(domain, log1, iters=1000)
    pairs = list(itertools.combinations(names, 2))
    w = {}
    for p in pairs:
        xh = np.asarray(est.project(p).datavector())
        w[p] = np.abs(marginal(cols, dom, p) - xh).sum()
    r = d - 1
    e = np.sqrt(8 * (rho / 3) / r)
    comp = {a: a for a in names}
    tree = []
    for _ in range(r):
        cand = [p for p in pairs if comp[p[0]] != comp[p[1]]]
        q = np.array([w[p] for p in cand])
        pr = np.exp(e / 2 * (q - q.max()))
        p = cand[rng.choice(len(cand), p=pr / pr.sum())]
        tree.append(p)
        old, new = comp[p[1]], comp[p[0]]
        for a in names:
            if comp[a] == old:
                comp[a] = new
    sigma2 = np.sqrt(len(tree) / (2 * rho / 3))
    log2 = measure(tree, sigma2)
    model = estimation.MirrorDescent().estimate(domain, log1 + log2, iters=iters)
    n = len(next(iter(cols.values())))
    synth = model.synthetic_data(rows=n)
    elapsed = time.time() - t0
    arr = np.stack([np.asarray(synth.data[a]) for a in names], axis=1)
    np.savetxt(out, arr, fmt="%d", delimiter=",", header=",".join(names), comments="")
    print(f"{elapsed:.3f}")


if __name__ == "__main__":
    if sys.argv[1] == "mst":
        run_mst(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]),
                int(sys.argv[6]), sys.argv[7], int(sys.argv[8]))
    elif sys.argv[1] == "error":
        dom, real = load(sys.argv[2], sys.argv[3])
        _, synth = load(sys.argv[4], sys.argv[3])
        print(f"{workload_error(real, synth, dom):.5f}")
