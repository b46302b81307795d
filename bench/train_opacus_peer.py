"""Opacus beside dpkit on the models of bench/train_bench.cc and examples/mnist.

  * MLP 108 -> 64 -> 64 -> 2 (ReLU) on 32,561 rows (UCI Adult's size), B = 256 and 1024: the
    non-private step (uniform batch, forward, cross-entropy, backward, SGD with momentum) and the
    Opacus DP-SGD step (Poisson sampling by Opacus' DPDataLoader, per-sample clipping with
    grad_sample_mode "hooks", noise multiplier 1, C = 1), per step, min and median of the
    repetitions, wall time and process CPU;
  * the MNIST CNN of examples/mnist (`--model relu`, Opacus' SampleConvNet) for one epoch of the
    full 60k at B = 240 (q = 0.004, Opacus' published recipe), when --mnist-dir has the IDX files.

Opacus runs in its default mode (secure_mode=False: noise from torch's floating-point Gaussian,
not a cryptographic generator; dpkit's is exact and secure). Feature values are random: step
time does not depend on them.
Usage: python bench/train_opacus_peer.py [--reps 5] [--steps 200] [--mnist-dir DIR [--mnist-only] [--mnist-epochs N]]
(python/requirements-test.txt pins torch and opacus; `make test-python` installs them.)
"""
import argparse
import gzip
import os
import statistics
import time
import warnings

import numpy as np
import torch
from torch import nn
from opacus import PrivacyEngine

warnings.filterwarnings("ignore")


def mlp():
    return nn.Sequential(nn.Linear(108, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 8, 2, padding=3), nn.ReLU(), nn.MaxPool2d(2, 1),
        nn.Conv2d(16, 32, 4, 2), nn.ReLU(), nn.MaxPool2d(2, 1), nn.Flatten(),
        nn.Linear(32 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, 10))


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def non_private_steps(model, x, y, batch, steps, lr=0.1):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss = nn.CrossEntropyLoss()
    n = x.shape[0]

    def run():
        for _ in range(steps):
            idx = torch.randint(0, n, (batch,))
            opt.zero_grad()
            loss(model(x[idx]), y[idx]).backward()
            opt.step()
    return run


def opacus_steps(model, x, y, batch, steps, lr=0.1, momentum=0.9, noise_multiplier=1.0):
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    model, opt, loader = PrivacyEngine().make_private(
        module=model, optimizer=opt, data_loader=loader, noise_multiplier=noise_multiplier,
        max_grad_norm=1.0, poisson_sampling=True)
    loss = nn.CrossEntropyLoss()

    def run():
        done = 0
        while done < steps:
            for xb, yb in loader:
                opt.zero_grad()
                loss(model(xb), yb).backward()
                opt.step()
                done += 1
                if done == steps:
                    return
    return run


def per_step(runner, steps, reps):
    runner()  # warm-up
    walls, cpus = [], []
    for _ in range(reps):
        w, c = timed(runner)
        walls.append(1e3 * w / steps)
        cpus.append(1e3 * c / steps)
    return min(walls), statistics.median(walls), min(cpus)


def read_idx(path):
    data = gzip.open(path).read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--mnist-dir")
    ap.add_argument("--mnist-only", action="store_true", help="skip the MLP steps")
    ap.add_argument("--mnist-epochs", type=int, default=1, help="MNIST epochs, each timed")
    a = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"load average {' '.join(open('/proc/loadavg').read().split()[:3])} ({os.cpu_count()} cores)")
    torch.manual_seed(0)
    x = torch.rand(32561, 108)
    y = torch.randint(0, 2, (32561,))
    for batch in () if a.mnist_only else (256, 1024):
        if batch == 256:
            print("MLP 108-64-64-2, per step (ms): wall min / median, process CPU min")
        npv = per_step(non_private_steps(mlp(), x, y, batch, a.steps), a.steps, a.reps)
        dpv = per_step(opacus_steps(mlp(), x, y, batch, a.steps), a.steps, a.reps)
        print(f"  B={batch:5d} non-private {npv[0]:.3f} / {npv[1]:.3f} cpu {npv[2]:.3f} | "
              f"opacus {dpv[0]:.3f} / {dpv[1]:.3f} cpu {dpv[2]:.3f} | ratio {dpv[0] / npv[0]:.2f}x")
    if a.mnist_dir:
        images = os.path.join(a.mnist_dir, "train-images-idx3-ubyte.gz")
        labels = os.path.join(a.mnist_dir, "train-labels-idx1-ubyte.gz")
        xm = (torch.tensor(read_idx(images), dtype=torch.float32).unsqueeze(1) / 255 - 0.1307) / 0.3081
        ym = torch.tensor(read_idx(labels), dtype=torch.long)
        steps = xm.shape[0] // 240
        run = opacus_steps(cnn(), xm, ym, 240, steps, lr=0.15, momentum=0, noise_multiplier=1.1)
        for epoch in range(1, a.mnist_epochs + 1):
            w, c = timed(run)
            print(f"MNIST CNN, Opacus, epoch {epoch} of {xm.shape[0]} images at B=240 ({steps} "
                  f"steps): {w:.1f} s wall, {c:.1f} s process CPU", flush=True)


if __name__ == "__main__":
    main()
