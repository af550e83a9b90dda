"""PyTorch implementations: one module per model, shared step in ``common``.

This module imports no framework: the registry reads ``FRAMEWORK`` without PyTorch installed.
"""

from polybench.frameworks.base import Framework
from polybench.frameworks.dynamic import graph_options

FRAMEWORK = Framework(
    name="torch",
    display_name="PyTorch",
    default_mode="eager",
    default_reason="PyTorch runs modules eagerly unless asked: torch.compile is opt-in (graph mode compiles all eight)",
    compilers={"eager": ("none",), "graph": ("inductor",), "idiomatic": ("none",)},
    compiler_options={
        "graph": {
            "max-autotune": 'torch.compile\'s mode="max-autotune": Inductor benchmarks kernel choices while compiling',
            **graph_options(),
        }
    },
    compile_cache_env=("TORCHINDUCTOR_CACHE_DIR",),  # Inductor's cache of compiled kernels and graphs
    system="PyTorch {torch}",
)
