"""Keras 3 on its JAX backend: the TensorFlow package's Keras models (``models_from``), trained by
Keras' own compile() + fit(), the loop Keras' own backend benchmarks time. Besides a runtime
(JAX's, with Keras' seed) the package holds nothing: the model code is the TensorFlow package's,
its Keras step on JAX and PyTorch is ``polybench/frameworks/tensorflow/backends.py``.

This module imports no framework: the registry reads ``FRAMEWORK`` without Keras installed.
"""

from polybench.frameworks.base import Framework
from polybench.frameworks.tensorflow import BACKEND_NEUTRAL_MODELS

#: Why the shared-loop modes are not run (one reason for both, with the mode's own clause).
SHARED_LOOP = (
    "Keras on another backend is measured through Keras' own compile() + fit() (mode idiomatic), as Keras' "
    "backend benchmarks measure it; the shared loop on {backend} is the {native} framework's {mode} mode"
)

FRAMEWORK = Framework(
    name="keras-jax",
    display_name="Keras 3 on JAX",
    default_mode="idiomatic",
    default_reason="Keras' own compile() + fit() is the one loop the Keras backends run",
    # Keras' jit_compile="auto" on JAX: the train step under jax.jit where every layer supports it.
    compilers={"idiomatic": ("xla", "none")},
    unsupported_modes={mode: SHARED_LOOP.format(backend="JAX", native="jax", mode=mode) for mode in ("eager", "graph")},
    models_from="tensorflow",
    native="jax",
    models=BACKEND_NEUTRAL_MODELS,
    models_reason="only the TensorFlow package's models written in keras.layers and keras.ops alone run on "
    "every Keras backend",
    environment={"KERAS_BACKEND": "jax"},
    module="keras",
    system="Keras {keras} on JAX {jax}",
)
