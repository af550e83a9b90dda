"""TensorFlow (Keras 3 layers) implementations: one module per model, shared step in ``common``.

This module imports no framework: the registry reads ``FRAMEWORK`` without TensorFlow installed.
"""

from polybench.frameworks.base import Framework
from polybench.frameworks.dynamic import graph_options

#: The models written in keras.layers and keras.ops alone (no TensorFlow call), so that Keras runs
#: them on its JAX and PyTorch backends as well (frameworks keras-jax, keras-torch).
BACKEND_NEUTRAL_MODELS = (
    "mnist_fcn",
    "mnist_cnn",
    "echo",
    "damped_sine",
    "moving_square",
    "addition",
    "cumsum",
    "shape_gen",
)

FRAMEWORK = Framework(
    name="tensorflow",
    display_name="TensorFlow",
    default_mode="graph",
    default_reason="eager Keras LSTMs run op by op through Python (damped_sine passes its 30-minute limit)",
    # Graph mode and Keras' fit both take XLA where Keras' jit_compile="auto" turns it on: with an
    # accelerator, when every layer supports it; a tf.function graph elsewhere (every CPU-only machine).
    compilers={"eager": ("none",), "graph": ("tf.function", "xla"), "idiomatic": ("tf.function", "xla")},
    compiler_options={
        "graph": {
            "xla": 'jit_compile=True where every layer supports it, also where Keras\' "auto" would not',
            **graph_options(),
        }
    },
    system="TensorFlow {tensorflow} (Keras {keras})",
)
