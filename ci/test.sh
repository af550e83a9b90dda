#!/usr/bin/env bash
# Sets polybench up on a fresh machine and runs the whole test suite:
# the orchestrator's virtual environment (.venv), the lint and format checks (ruff), every
# framework's environment and Jupyter kernel (.venvs/), each installed from its lock
# (requirements/locks/), then pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# Offline MNIST: use the mirror beside the checkout when nothing else is named.
if [ -z "${POLYBENCH_MNIST_MIRROR:-}" ] && [ -d ../shared/data/mnist ]; then
  POLYBENCH_MNIST_MIRROR="$(cd ../shared/data/mnist && pwd)"
  export POLYBENCH_MNIST_MIRROR
fi

python3 -m venv .venv
# The orchestrator from its lock (every package pinned and hashed, the test tools included),
# then polybench itself.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/locks/base.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/polybench setup --framework all
.venv/bin/polybench list
.venv/bin/python -m pytest -ra "$@"
