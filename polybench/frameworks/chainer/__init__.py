"""Chainer implementations: one module per model, shared step in ``common``.

This module imports no framework: the registry reads ``FRAMEWORK`` without Chainer installed.
"""

from polybench.frameworks.base import Framework
from polybench.frameworks.dynamic import graph_options

FRAMEWORK = Framework(
    name="chainer",
    display_name="Chainer",
    default_mode="graph",
    default_reason="its define-by-run LSTMs take 1.5-3.5x the static graph's time per step (see README)",
    compiler_options={"graph": graph_options()},
    model_default_modes={
        "tree_eval": (
            "eager",
            "its static graph traces a new schedule for nearly every batch's node counts (by-height) or replays "
            "some 3,900 small operations per step (scan): both slower than define-by-run",
        )
    },
    compilers={"eager": ("none",), "graph": ("chainer.static_graph",), "idiomatic": ("none",)},
    system="Chainer {chainer}",
)
