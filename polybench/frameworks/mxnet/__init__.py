"""MXNet (Gluon) implementations: one module per model, shared step in ``common``.

This module imports no framework: the registry reads ``FRAMEWORK`` without MXNet installed.
"""

from polybench.frameworks.base import Framework
from polybench.frameworks.dynamic import graph_options

FRAMEWORK = Framework(
    name="mxnet",
    display_name="MXNet Gluon",
    default_mode="graph",
    default_reason="its eager LSTMs run op by op through Python, tens of minutes per model",
    compilers={"eager": ("none",), "graph": ("hybridize",), "idiomatic": ("hybridize",)},
    # Graph mode hybridizes with static_alloc and static_shape, the settings Gluon documents for speed.
    compiler_options={
        "graph": {
            "static-alloc": "hybridize(static_alloc=True): memory planned once, shapes not assumed fixed",
            "dynamic": "hybridize() with Gluon's defaults: no static memory plan, no fixed shapes",
            **graph_options(),
        }
    },
    system="MXNet Gluon {mxnet}",
)
