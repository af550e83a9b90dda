"""Keras 3 on its JAX backend: the TensorFlow package's Keras models (``models_from``), trained by
Keras' own compile() + fit(), the loop Keras' own backend benchmarks time. Besides a runtime
(JAX's, with Keras' seed) the package holds nothing: the model code is the TensorFlow package's,
its Keras step on JAX and PyTorch is ``polybench/frameworks/tensorflow/backends.py``.

This module imports no framework: the registry reads ``FRAMEWORK`` without Keras installed.
"""

from polybench.frameworks.tensorflow import keras_backend

# Keras' jit_compile="auto" on JAX: the train step under jax.jit where every layer supports it.
FRAMEWORK = keras_backend("jax", native="jax", backend_name="JAX", compilers=("xla", "none"))
