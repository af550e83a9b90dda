"""What every Keras model shares: weight loading, the eager GradientTape step, graph mode.

Canonical layouts -> Keras 3 (TensorFlow backend), the whole mapping:

- Dense: the canonical (in, out) kernel and bias are Keras' own layout.
- Conv2D: canonical (out, in, kh, kw) kernels become Keras' (kh, kw, in, out) (``layouts.hwio``);
  the images themselves go channels-last, TensorFlow's native layout on the CPU (see
  ``to_model_layout``).
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

import functools

import keras
import numpy as np
import tensorflow as tf

from polybench.frameworks.base import Implementation, Loaded, compiler
from polybench.frameworks.layouts import channels_last_rows, hwio
from polybench.frameworks.tensorflow.runtime import RUNTIME
from polybench.specs.base import Adam, Spec, Split

LOSSES = {
    "softmax_cross_entropy": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    "l1": keras.losses.MeanAbsoluteError(),
    "sigmoid_binary_cross_entropy": keras.losses.BinaryCrossentropy(from_logits=True),
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


class KerasImplementation(Implementation):
    """A Keras model trained with tf.GradientTape and Adam, eagerly or (graph mode) inside
    tf.function; subclasses only build the model. ``device`` is TensorFlow's device name."""

    runtime = RUNTIME
    #: tf.function's arguments in graph mode besides jit_compile: shapes are relaxed so the short
    #: last batch does not keep retracing.
    graph_options = {"reduce_retracing": True}
    #: XLA in graph mode: None leaves it to Keras' own jit_compile="auto"; True asks for it (the
    #: compiler option "xla"), which Keras' setter still refuses, with a warning, where a layer cannot.
    jit_compile: bool | None = None

    @classmethod
    def compiler_option_settings(cls, name: str) -> dict:
        if name == "xla":
            return {"jit_compile": True}
        return super().compiler_option_settings(name)

    def __init__(
        self,
        spec: Spec,
        params: dict[str, np.ndarray],
        optimizer: Adam,
        device: str,
        dropout: bool = True,
        mode: str = "eager",
    ) -> None:
        super().__init__(spec, params, optimizer, device, dropout, mode)
        with tf.device(self.device):
            self.model = self.build(params)
            self.optimizer = SpecAdam(
                learning_rate=optimizer.learning_rate,
                beta_1=optimizer.beta_1,
                beta_2=optimizer.beta_2,
                epsilon=optimizer.epsilon,
                amsgrad=False,
            )
            self.optimizer.build(self.model.trainable_variables)  # its slots exist before any tracing
            self.loss_sum = tf.Variable(0.0, trainable=False)
        # Graph mode: tf.function traces the step and the inference call into graphs, compiled with
        # XLA (jit_compile=True) exactly where Keras' fit would do it: Keras resolves
        # jit_compile="auto" (the model's jit_compile property) to XLA only on a machine with an
        # accelerator and when every layer supports it (an LSTM that could use cuDNN does not).
        # Elsewhere TensorFlow's grappler optimises the graphs. Tracing and compiling happen on
        # the first batches: first-epoch time.
        if self.jit_compile is not None:
            self.model.jit_compile = self.jit_compile
        self.xla = mode == "graph" and bool(self.model.jit_compile)
        graph = functools.partial(tf.function, jit_compile=self.xla, **self.graph_options)
        self.step = graph(self._step) if mode == "graph" else self._step
        self.infer = graph(self._infer) if mode == "graph" else self._infer
        self.loss_fn = LOSSES[spec.loss]

    def to_model_layout(self, x: tf.Tensor) -> tf.Tensor:
        """Loader layout (canonical, channels-first) -> the model's input layout: the identity
        unless the model works channels-last."""
        return x

    def load_data(self, splits: dict[str, Split]) -> None:
        with tf.device(self.device):
            for name, split in splits.items():
                x = None if split.render else self.device_inputs(split.x)
                self.data[name] = Loaded(split, x, tf.convert_to_tensor(split.y))

    def device_inputs(self, x: np.ndarray) -> tf.Tensor:
        with tf.device(self.device):
            return self.to_model_layout(tf.convert_to_tensor(x))

    def batch(self, split: str, rows: np.ndarray) -> tuple[tf.Tensor, tf.Tensor]:
        """A device-side gather, or rendered per batch and brought to the model's layout (inside
        the clock: TensorFlow's cost)."""
        loaded, x, y = self.data[split]
        with tf.device(self.device):
            inputs = self.device_inputs(loaded.inputs(rows)) if x is None else tf.gather(x, rows)
            return inputs, tf.gather(y, rows)

    def _step(self, x: tf.Tensor, y: tf.Tensor) -> None:
        with tf.GradientTape() as tape:
            loss = self.loss_fn(y, self.model(x, training=True))
        variables = self.model.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        self.loss_sum.assign_add(loss * tf.cast(tf.shape(y)[0], loss.dtype))  # stays on the device

    def _infer(self, x: tf.Tensor) -> tf.Tensor:
        return self.model(x, training=False)

    def set_learning_rate(self, rate: float) -> None:
        self.optimizer.learning_rate.assign(rate)  # a variable: the traced step reads it, no retrace

    def train_step(self, index: np.ndarray) -> None:
        x, y = self.batch("train", index)
        with tf.device(self.device):
            self.step(x, y)
        self.loss_samples += len(index)

    def take_loss_sum(self) -> float:
        total = float(self.loss_sum.numpy())
        self.loss_sum.assign(0.0)
        return total

    def evaluate(self, inputs: tf.Tensor) -> tf.Tensor:
        with tf.device(self.device):
            return self.infer(inputs)

    def to_host(self, outputs: list[tf.Tensor]) -> np.ndarray:
        with tf.device(self.device):
            return tf.concat(outputs, axis=0).numpy()

    def compiler(self) -> dict:
        if self.mode != "graph":
            return compiler("none")
        return compiler(
            "xla" if self.xla else "tf.function", via="tf.function", jit_compile=self.xla, **self.graph_options
        )

    def sync(self) -> None:
        tf.test.experimental.sync_devices()

    def _on_gpu(self) -> bool:
        return "GPU" in self.device.upper()

    def reset_peak_memory(self) -> None:
        if self._on_gpu():
            tf.config.experimental.reset_memory_stats(self.device.lstrip("/"))

    def peak_memory_bytes(self) -> int | None:
        if self._on_gpu():
            return int(tf.config.experimental.get_memory_info(self.device.lstrip("/"))["peak"])
        return None
