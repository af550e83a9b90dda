"""TensorFlow (Keras 3 layers) implementations: one module per model, shared step in ``common``.

This module imports no framework: the registry reads ``FRAMEWORK`` without TensorFlow installed.
"""

from polybench.frameworks.base import Framework

FRAMEWORK = Framework(
    name="tensorflow",
    display_name="TensorFlow",
    default_mode="graph",
    default_reason="eager Keras LSTMs run op by op through Python (damped_sine passes its 30-minute limit)",
    # Graph mode: XLA where every layer supports it (the MNIST models), else a tf.function graph;
    # Keras' fit resolves jit_compile="auto" itself (no XLA on a machine without a GPU).
    compilers={"eager": ("none",), "graph": ("xla", "tf.function"), "idiomatic": ("tf.function", "xla")},
)
