"""TensorFlow's Keras implementation: the eager GradientTape step and graph mode (tf.function).

The model modules build their Keras models with keras.layers and keras.ops alone (the mapping from
the canonical layouts is ``keras_common``'s, shared with Keras' other backends); on the TensorFlow
backend they subclass ``KerasImplementation`` below (``keras_common.backend_implementation``). The
images go channels-last, TensorFlow's native layout on the CPU (a model's ``to_model_layout``).
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from polybench.frameworks.base import Loaded, compiler
from polybench.frameworks.tensorflow.keras_common import LOSSES, KerasModel, SpecAdam
from polybench.frameworks.tensorflow.runtime import RUNTIME
from polybench.specs.base import Adam, Spec, Split


class KerasImplementation(KerasModel):
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

    def device_scope(self):
        return tf.device(self.device)

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

    def fit_compiler(self) -> dict:
        """What Keras resolved ``jit_compile="auto"`` to: XLA, or a tf.function graph without it."""
        xla = bool(self.model.jit_compile)
        return compiler("xla" if xla else "tf.function", via="keras.Model.fit", jit_compile=xla)

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
