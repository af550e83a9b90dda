"""Threads mean the same in every framework: intra-op, inter-op and BLAS/OpenMP pools, read back."""

from __future__ import annotations

import json
import subprocess

import pytest

from polybench.frameworks import FRAMEWORKS
from polybench.runner import kernels

SCRIPT = """
import json
from polybench import frameworks
runtime = frameworks.runtime({framework!r})
runtime.configure(threads=1, device="cpu")
print(json.dumps(runtime.threads_used()))
"""
#: Frameworks without an inter-op pool to set or read: XLA runs a compiled step's independent
#: operators on its one intra-op pool, so JAX reports no inter-op count (None), under Keras too.
NO_INTER_OP_POOL = ("jax", "keras-jax")


@pytest.mark.envs
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_each_framework_reports_one_intra_one_inter_op_thread_and_its_pools(framework):
    """Asked for one thread (not the machine's default), each framework reads back one intra-op
    thread, one inter-op thread, and every BLAS/OpenMP pool limited to one."""
    python = kernels.ensure(framework, say=lambda _: None)
    done = subprocess.run(
        [str(python), "-c", SCRIPT.format(framework=framework)],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    used = json.loads(done.stdout.strip().splitlines()[-1])
    assert used["intra_op"] == 1
    assert used["inter_op"] == (None if framework in NO_INTER_OP_POOL else 1)
    assert used["pools"], "threadpoolctl found no BLAS/OpenMP pool"
    assert all(pool["threads"] == 1 for pool in used["pools"]), used["pools"]
