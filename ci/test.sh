#!/usr/bin/env bash
# Sets polybench up on a fresh machine and runs the whole test suite:
# the orchestrator's virtual environment (.venv), the lint and format checks (ruff), every
# framework's environment and Jupyter kernel (.venvs/), PyTensor's and the Keras backends' too,
# each installed from its lock (requirements/locks/), Chromium for the report's browser test, then
# pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# Offline MNIST: use the mirror beside the checkout when nothing else is named.
if [ -z "${POLYBENCH_MNIST_MIRROR:-}" ] && [ -d ../shared/data/mnist ]; then
  POLYBENCH_MNIST_MIRROR="$(cd ../shared/data/mnist && pwd)"
  export POLYBENCH_MNIST_MIRROR
fi

# The report's browser test drives Debian's Chromium through chromedriver (apt, never a download).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "ci/test.sh: chromium and chromium-driver are missing; install them as root:" \
         "apt-get install -y chromium chromium-driver" >&2
    exit 1
  fi
fi

python3 -m venv .venv
# The orchestrator from its lock (every package pinned and hashed, the test tools included),
# then polybench itself.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/locks/base.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/polybench setup --framework all
.venv/bin/polybench setup --framework pytensor,keras-jax,keras-torch  # "all" is the five native frameworks
.venv/bin/polybench list
# Given arguments: one pytest run of them. Otherwise every test but the quiet-machine one on both
# cores (pytest-xdist; loadgroup keeps each framework's parity tests on one worker, see
# tests/conftest.py), then that one alone: it needs a machine doing nothing else.
if [ $# -gt 0 ]; then
  .venv/bin/python -m pytest -ra "$@"
else
  .venv/bin/python -m pytest -ra --durations=20 -n 2 --dist loadgroup -m "not quiet"
  .venv/bin/python -m pytest -ra -m quiet
fi
