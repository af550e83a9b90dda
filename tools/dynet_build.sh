#!/usr/bin/env bash
# Builds DyNet 2.1.2 from its sdist into .venvs/dynet, from the locks requirements/locks/dynet-build.txt
# (the build requirements) and requirements/locks/dynet.txt (DyNet's sdist and NumPy, hashed), against
# Debian's Eigen 3.4.0 (libeigen3-dev: DyNet's own build downloads an Eigen snapshot from GitHub, which
# this machine cannot reach), then checks it on the MNIST models with tools/dynet_mnist.py (arguments go
# there). The build compiles some 70 C++ files: about 7 minutes on two cores (2026-12-02). Not yet a framework.
set -euo pipefail
cd "$(dirname "$0")/.."
EIGEN=/usr/include/eigen3
if [ ! -f "$EIGEN/unsupported/Eigen/CXX11/Tensor" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libeigen3-dev >/dev/null
  else
    echo "tools/dynet_build.sh: Eigen's headers are missing; install them as root: apt-get install -y libeigen3-dev" >&2
    exit 1
  fi
fi
ENV=.venvs/dynet
if [ ! -x "$ENV/bin/python" ] || ! "$ENV/bin/python" -c "import dynet" 2>/dev/null; then
  mkdir -p .venvs
  python3 -m venv --clear "$ENV"
  "$ENV/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/locks/dynet-build.txt
  echo "building DyNet 2.1.2 (log: $ENV/build.log)"
  EIGEN3_INCLUDE_DIR="$EIGEN" MAKE_FLAGS="-j$(nproc)" "$ENV/bin/pip" install --disable-pip-version-check \
    --require-hashes --no-deps --no-build-isolation -v -r requirements/locks/dynet.txt >"$ENV/build.log" 2>&1 \
    || { echo "tools/dynet_build.sh: building DyNet failed; see $ENV/build.log" >&2; exit 1; }
fi
PYTHONPATH=. "$ENV/bin/python" tools/dynet_mnist.py "$@"
