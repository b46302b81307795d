#!/usr/bin/env bash
# Installs dpkit's build and demo dependencies from Debian 12 packages (as root, or with sudo);
# `install-deps.sh test` adds what only the tests need. Does nothing when everything is installed.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config git
  libabsl-dev libsodium-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libcli11-dev
  libfast-float-dev libfmt-dev zlib1g-dev libeigen3-dev libopenblas-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtorch-dev
  python3 python3-venv python3-dev
)
# `install-deps.sh spark`: a JDK for pyspark (`make spark-example`). `install-deps.sh test`: that,
# and Chromium with chromium-driver for the web UI's end-to-end tests.
case "${1:-}" in
  spark) PKGS+=(default-jdk-headless) ;;
  test) PKGS+=(chromium chromium-driver default-jdk-headless) ;;
esac
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
