"""PyTorch parity: the forward pass against the specs' NumPy float64 reference, and the
training-step losses as every other framework's parity tests see them (torch environment)."""

from __future__ import annotations

import math

import pytest

from polybench.parity import run_in_environment
from polybench.specs import SPECS


@pytest.mark.parametrize("mode", ["eager", "graph"])
@pytest.mark.parametrize("model", list(SPECS))
def test_forward_parity_torch(torch_env, model, mode):
    result = run_in_environment(torch_env, "forward", "--framework", "torch", "--model", model, "--mode", mode)
    assert result["shape"] == result["reference_shape"]
    assert result["reference_scale"] > 0.01  # the batch exercises the network, not just zeros
    assert result["max_abs_diff"] <= 1e-4


@pytest.mark.parametrize("model", list(SPECS))
def test_training_parity_torch_losses_are_finite_and_move(torch_env, toy_data_dir, model):
    losses = run_in_environment(torch_env, "train", "--framework", "torch", "--model", model,
                                "--data-dir", str(toy_data_dir))["losses"]
    assert len(losses) == 3 and all(math.isfinite(v) for v in losses)
    assert losses[0] != losses[1] != losses[2]  # the weights change between steps
