"""PyTensor implementations (Theano's heir): one module per model, shared graph and step in ``common``.

PyTensor is define-and-run: a model is a symbolic graph, compiled once by ``pytensor.function``
with the optimizer's ``updates``, then called on batches. It has no eager mode.

This module imports no framework: the registry reads ``FRAMEWORK`` without PyTensor installed.
"""

from polybench.frameworks.base import Framework
from polybench.frameworks.dynamic import graph_options

FRAMEWORK = Framework(
    name="pytensor",
    display_name="PyTensor",
    default_mode="graph",
    default_reason="a define-and-run system: graph mode is its only shared-loop mode",
    compilers={"graph": ("pytensor.function",), "idiomatic": ("pytensor.function",)},
    # The default is Theano's way, PyTensor's C mode "CVM": faster here than PyTensor 3's own
    # default, Numba, on the MNIST models and the encoder-decoder LSTM (README, PyTensor).
    compiler_options={
        "graph": {
            "numba": "PyTensor 3's default mode NUMBA: the whole graph compiled by Numba instead of g++",
            **graph_options(),
        },
    },
    unsupported_modes={
        "eager": "PyTensor is define-and-run: a graph runs only once pytensor.function has compiled it",
    },
    # The runtime points PyTensor's base_compiledir (its C modules and Numba cache) here, so the
    # runner's empty folder per run makes the first epoch pay the cold compile.
    compile_cache_env=("POLYBENCH_PYTENSOR_COMPILEDIR",),
    environment={"PYTENSOR_FLAGS": "floatX=float32"},
    system="PyTensor {pytensor}",
)
