"""Keras 3 on its PyTorch backend: the TensorFlow package's Keras models (``models_from``), trained
by Keras' own compile() + fit(), the loop Keras' own backend benchmarks time. Besides a runtime
(PyTorch's, with Keras' seed) the package holds nothing: the model code is the TensorFlow
package's, its Keras step on JAX and PyTorch is ``polybench/frameworks/tensorflow/backends.py``.

This module imports no framework: the registry reads ``FRAMEWORK`` without Keras installed.
"""

from polybench.frameworks.tensorflow import keras_backend

# Keras' jit_compile="auto" on PyTorch: eager modules (torch.compile only when asked for).
FRAMEWORK = keras_backend("torch", native="torch", backend_name="PyTorch", compilers=("none", "inductor"))
