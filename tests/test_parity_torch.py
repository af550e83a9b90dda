"""PyTorch forward parity with the specs' NumPy float64 reference (in the torch environment)."""

from __future__ import annotations

import json
import subprocess

import pytest

from polybench.specs import SPECS



def forward_parity(python, framework: str, model: str) -> dict:
    done = subprocess.run([str(python), "-m", "polybench.parity", "forward", "--framework", framework,
                           "--model", model], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("model", list(SPECS))
def test_forward_parity_torch(torch_env, model):
    result = forward_parity(torch_env, "torch", model)
    assert result["shape"] == result["reference_shape"]
    assert result["reference_scale"] > 0.01  # the batch exercises the network, not just zeros
    assert result["max_abs_diff"] <= 1e-4
