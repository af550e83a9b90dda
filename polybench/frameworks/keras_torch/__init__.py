"""Keras 3 on its PyTorch backend: the TensorFlow package's Keras models (``models_from``), trained
by Keras' own compile() + fit(), the loop Keras' own backend benchmarks time. Besides a runtime
(PyTorch's, with Keras' seed) the package holds nothing: the model code is the TensorFlow
package's, its Keras step on JAX and PyTorch is ``polybench/frameworks/tensorflow/backends.py``.

This module imports no framework: the registry reads ``FRAMEWORK`` without Keras installed.
"""

from polybench.frameworks.base import Framework
from polybench.frameworks.keras_jax import SHARED_LOOP
from polybench.frameworks.tensorflow import BACKEND_NEUTRAL_MODELS

FRAMEWORK = Framework(
    name="keras-torch",
    display_name="Keras 3 on PyTorch",
    default_mode="idiomatic",
    default_reason="Keras' own compile() + fit() is the one loop the Keras backends run",
    # Keras' jit_compile="auto" on PyTorch: eager modules (torch.compile only when asked for).
    compilers={"idiomatic": ("none", "inductor")},
    unsupported_modes={
        mode: SHARED_LOOP.format(backend="PyTorch", native="torch", mode=mode) for mode in ("eager", "graph")
    },
    models_from="tensorflow",
    native="torch",
    models=BACKEND_NEUTRAL_MODELS,
    models_reason="only the TensorFlow package's models written in keras.layers and keras.ops alone run on "
    "every Keras backend",
    environment={"KERAS_BACKEND": "torch"},
    module="keras",
    system="Keras {keras} on PyTorch {torch}",
)
