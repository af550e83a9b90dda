"""Parity checks, run inside a framework's own environment.

``python -m polybench.parity forward --framework F --model M`` builds the implementation
from the spec's parity weights, runs the eval-mode forward pass on the spec's fixed
batch and prints, as JSON, the largest absolute difference from the NumPy float64
reference. Tests run it with each framework's Python and assert on the figures.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from polybench import frameworks
from polybench.specs import get_spec


def forward_parity(framework: str, model: str, batch: int = 8) -> dict:
    """Max abs difference between the implementation's and the reference's outputs."""
    spec = get_spec(model)
    runtime = frameworks.runtime(framework)
    device = runtime.configure(threads=1, device="cpu")
    params = spec.parity_parameters()
    x = spec.parity_batch(batch)
    impl = runtime.implementation(model)(spec, params, spec.profile("full").optimizer, device)
    outputs = np.asarray(impl.forward(x), dtype=np.float64)
    reference = spec.reference_forward(params, x)
    if outputs.shape != reference.shape:
        return {"shape": list(outputs.shape), "reference_shape": list(reference.shape), "max_abs_diff": None}
    return {"shape": list(outputs.shape), "reference_shape": list(reference.shape),
            "max_abs_diff": float(np.abs(outputs - reference).max()),
            "reference_scale": float(np.abs(reference).max())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m polybench.parity")
    parser.add_argument("check", choices=["forward"])
    parser.add_argument("--framework", required=True, choices=frameworks.FRAMEWORKS)
    parser.add_argument("--model", required=True)
    args = parser.parse_args(argv)
    print(json.dumps(forward_parity(args.framework, args.model)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
