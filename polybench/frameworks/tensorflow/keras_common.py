"""What every Keras model shares on every Keras backend (TensorFlow, JAX, PyTorch): the losses, the
spec's Adam, weight loading, and the Implementation base of the backend Keras runs on. Keras
only (keras.layers, keras.ops), never a backend: this module and the model modules that use it
run unchanged in the TensorFlow, keras-jax and keras-torch environments.

Canonical layouts -> Keras 3, the whole mapping (the same on every backend):

- Dense: the canonical (in, out) kernel and bias are Keras' own layout.
- Conv2D: canonical (out, in, kh, kw) kernels become Keras' (kh, kw, in, out) (``layouts.hwio``);
  the images themselves go channels-last, Keras' default layout (a model's ``to_model_layout``).
- Flatten after a convolution: channels-last flattens (row, column, channel), the canonical
  order is (channel, row, column), so the rows of the kernel reading the flattened map are
  permuted once at build time (``flattened=``, ``layouts.channels_last_rows``).
- LSTM: Keras keeps kernel (in, 4H), recurrent_kernel (H, 4H) and ONE bias (4H) with gates
  (input, forget, cell candidate, output), exactly the canonical layout, so nothing is
  transposed. The models pass recurrent_activation="sigmoid" and activation="tanh" (Keras'
  defaults, written out) and no initial state, so every sequence starts from zeros.
- Bidirectional LSTM: the canonical "forward" and "backward" directions go to Keras' own
  ``forward_layer`` and ``backward_layer``; Keras flips the backward outputs back into input
  order and concatenates (forward, backward).
- Adam: the spec's epsilon is added to the bias-corrected sqrt(v_hat); keras.optimizers.Adam
  adds it to the raw sqrt(v) instead, so ``SpecAdam`` below moves it (see its docstring).
"""

from __future__ import annotations

import contextlib
import importlib

import keras
import numpy as np

from polybench.frameworks.base import Implementation
from polybench.frameworks.layouts import channels_last_rows, hwio

LOSSES = {
    "softmax_cross_entropy": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    "l1": keras.losses.MeanAbsoluteError(),
    "sigmoid_binary_cross_entropy": keras.losses.BinaryCrossentropy(from_logits=True),
}
#: The module holding each backend's Implementation base (``KerasImplementation`` there): TensorFlow's
#: own step (GradientTape, tf.function), or Keras' step on JAX and PyTorch.
BACKEND_MODULES = {
    "tensorflow": "polybench.frameworks.tensorflow.common",
    "jax": "polybench.frameworks.tensorflow.backends",
    "torch": "polybench.frameworks.tensorflow.backends",
}


class SpecAdam(keras.optimizers.Adam):
    """keras.optimizers.Adam updating as the spec's Adam says (Kingma & Ba, Algorithm 1):
    ``w -= lr * m_hat / (sqrt(v_hat) + epsilon)``.

    Keras' own step is the "epsilon hat" form ``w -= lr_t * m / (sqrt(v) + epsilon)`` with
    ``lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``, which is the spec's step exactly when
    epsilon * sqrt(1 - beta_2**t) stands in its epsilon's place; without it the two part where
    gradients are about epsilon in size (MNIST CNN's third parity loss moves by 1.3e-3). So this
    is Keras' update_step, op for op, with that epsilon (as Chainer's SpecEpsilon hook does). The
    moments live in the slots Keras' Adam builds (``_momentums``, ``_velocities``).
    """

    def update_step(self, gradient, variable, learning_rate):
        ops, dtype = keras.ops, variable.dtype
        step = ops.cast(self.iterations + 1, dtype)
        correction = ops.sqrt(1 - ops.power(ops.cast(self.beta_2, dtype), step))
        alpha = ops.cast(learning_rate, dtype) * correction / (1 - ops.power(ops.cast(self.beta_1, dtype), step))
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        gradient = ops.cast(gradient, dtype)
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        self.assign_sub(variable, ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), self.epsilon * correction)))


def load_dense(
    layer: keras.layers.Dense, params: dict[str, np.ndarray], name: str, flattened: tuple[int, int, int] | None = None
) -> None:
    """Canonical dense kernel (in, out) and bias, as they are; ``flattened`` = (C, H, W) when the
    layer reads a channels-last feature map flattened by Keras."""
    layer.set_weights([channels_last_rows(params[f"{name}.kernel"], flattened), params[f"{name}.bias"]])


def load_conv(layer: keras.layers.Conv2D, params: dict[str, np.ndarray], name: str) -> None:
    """Canonical (out, in, kh, kw) kernel -> Keras' (kh, kw, in, out), and the bias."""
    layer.set_weights([hwio(params[f"{name}.kernel"]), params[f"{name}.bias"]])


def load_lstm(
    layer: keras.layers.LSTM, params: dict[str, np.ndarray], name: str, flattened: tuple[int, int, int] | None = None
) -> None:
    """Canonical LSTM kernel, recurrent kernel and bias: Keras' own layout and gate order;
    ``flattened`` as in ``load_dense`` for the input kernel."""
    layer.set_weights(
        [
            channels_last_rows(params[f"{name}.kernel"], flattened),
            params[f"{name}.recurrent_kernel"],
            params[f"{name}.bias"],
        ]
    )


class KerasModel(Implementation):
    """What a Keras implementation holds and does on every backend; each backend's base
    (``backend_implementation``) adds its training step and data handling, and each model
    module its ``build`` (keras.layers) and, where the model is channels-last, ``to_model_layout``
    (keras.ops).

    Set by the backend's base: ``model`` (the Keras model, canonical weights), ``optimizer``
    (``SpecAdam``), ``loss_fn`` (from ``LOSSES``). Keras' own loop (``idiomatic``) compiles and
    fits these three.
    """

    model: keras.Model
    optimizer: SpecAdam
    loss_fn: keras.losses.Loss

    def to_model_layout(self, x):
        """Loader layout (canonical, channels-first) -> the model's input layout: the identity
        unless the model works channels-last."""
        return x

    def device_scope(self) -> contextlib.AbstractContextManager:
        """The context the model's calls run in, so that they run on the run's device."""
        return contextlib.nullcontext()

    def fit_compiler(self) -> dict:
        """What Keras' fit compiles its train step with, as the model resolved ``jit_compile``
        (a ``base.compiler`` entry)."""
        raise NotImplementedError


def backend_implementation() -> type[KerasModel]:
    """The Implementation base of the backend Keras runs on in this process (KERAS_BACKEND, set by
    the framework's runtime before Keras loads): TensorFlow's (``common``) or, on JAX and PyTorch,
    the one that trains with Keras' own step (``backends``). Every model module subclasses it."""
    return importlib.import_module(BACKEND_MODULES[keras.backend.backend()]).KerasImplementation
