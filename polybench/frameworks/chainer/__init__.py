"""Chainer implementations: one module per model, shared step in ``common``.

This module imports no framework: the registry reads ``FRAMEWORK`` without Chainer installed.
"""

from polybench.frameworks.base import Framework

FRAMEWORK = Framework(
    name="chainer",
    display_name="Chainer",
    default_mode="graph",
    default_reason="its define-by-run LSTMs take 1.5-3.5x the static graph's time per step (see README)",
    compilers={"eager": ("none",), "graph": ("chainer.static_graph",), "idiomatic": ("none",)},
    system="Chainer {chainer}",
)
