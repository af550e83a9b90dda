"""JAX implementations (Flax NNX layers, Optax Adam): one module per model, shared step in ``common``.

This module imports no framework: the registry reads ``FRAMEWORK`` without JAX installed.
"""

from polybench.frameworks.base import Framework
from polybench.frameworks.dynamic import graph_options

FRAMEWORK = Framework(
    name="jax",
    display_name="JAX (Flax NNX)",
    default_mode="graph",
    default_reason="eager JAX runs every op and its autodiff through Python: hours per LSTM epoch",
    compiler_options={"graph": graph_options()},
    compilers={"eager": ("none",), "graph": ("xla",), "idiomatic": ("xla",)},
    system="JAX {jax} (Flax NNX {flax})",
)
