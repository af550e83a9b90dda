"""Keras on its JAX and PyTorch backends (frameworks keras-jax and keras-torch): the Implementation
base the TensorFlow package's Keras models take there, and what Keras adds to the backend's runtime.

These frameworks train only through Keras' own compile() + fit() (mode idiomatic, the TensorFlow
package's ``idiomatic`` loop, unchanged), so this base holds what that loop and the run around it
need, in Keras' own backend-neutral calls: the model built from the canonical weights, the data as
backend tensors on the device (``keras.ops``), Keras' inference step for validation and the
forward parity check (``predict_on_batch``: jit-compiled on JAX as fit's step is), and a device
sync. Its ``train_step`` is Keras' ``train_on_batch``, the very step fit runs, so the parity
checks' first losses are Keras' on that backend; it reads each batch's loss back to the host,
which is why the shared loop does not time it (that would be a sync per batch).
"""

from __future__ import annotations

from collections.abc import Iterable

import keras
import numpy as np

from polybench import frameworks
from polybench.errors import UnsupportedError
from polybench.frameworks.base import Loaded, Runtime, compiler
from polybench.frameworks.tensorflow.keras_common import LOSSES, KerasModel, SpecAdam
from polybench.specs.base import Adam, Spec, Split

#: The framework that runs Keras on each of these backends.
FRAMEWORK_OF_BACKEND = {"jax": "keras-jax", "torch": "keras-torch"}


class KerasRuntime(Runtime):
    """What Keras adds to its backend's runtime (mixed in before the backend's own, whose threads,
    device choice, matmul and GPU name it keeps): Keras' seed and version, the TensorFlow package's
    models and Keras' own loop, Keras' device names, the device sync and the compiler Keras'
    ``jit_compile`` stands for on this backend."""

    #: What Keras' ``jit_compile=True`` compiles the train step with here (a COMPILERS name).
    jit_compiler: str

    def seed(self, seed: int) -> None:
        super().seed(seed)
        keras.utils.set_random_seed(seed)  # Python's, NumPy's and the backend's generators, and Keras' own

    def keras_versions(self) -> dict[str, str]:
        """Keras' version and the backend it runs on (the backend's own versions follow them)."""
        return {"keras": keras.__version__, "keras_backend": keras.backend.backend()}

    def model_module(self, model: str) -> str:
        return f"polybench.frameworks.tensorflow.{model}"

    def step_module(self) -> str:
        return __name__

    def shared_modules(self) -> tuple[str, ...]:
        return ("polybench.frameworks.tensorflow.keras_common", __name__)

    def idiomatic_trainer(self):
        from polybench.frameworks.tensorflow.idiomatic import Trainer

        return Trainer

    def keras_device(self, device: str) -> str:
        """Keras' name ("cpu:0", "gpu:0") of a device name ``configure`` returned."""
        return device

    def wait(self, values: Iterable) -> None:
        """Block until the backend has computed ``values`` (and everything queued before them)."""

    def fit_compiler(self, jit_compile: bool) -> dict:
        """The compiler entry of Keras' fit with ``jit_compile`` as the model resolved it."""
        return compiler(self.jit_compiler if jit_compile else "none", via="keras.Model.fit", jit_compile=jit_compile)

    def reset_peak_memory(self, device: str) -> None:
        """Start the backend's device-memory peak afresh, where it can."""

    def peak_memory_bytes(self, device: str) -> int | None:
        """The backend's own device-memory peak on ``device``; None on the CPU."""
        return None


class KerasImplementation(KerasModel):
    """A Keras model on the JAX or PyTorch backend, made for Keras' own loop: compile() and fit()
    (or train_on_batch) train it; ``device`` is the backend's device and every call runs in
    ``keras.device`` of it. Subclasses (the TensorFlow package's model modules) only build the model."""

    @property
    def runtime(self) -> KerasRuntime:
        """The runtime of the framework that runs Keras on this backend (keras-jax, keras-torch)."""
        return frameworks.runtime(FRAMEWORK_OF_BACKEND[keras.backend.backend()])

    def __init__(
        self,
        spec: Spec,
        params: dict[str, np.ndarray],
        optimizer: Adam,
        device: str,
        dropout: bool = True,
        mode: str = "eager",
    ) -> None:
        if mode == "graph":  # "eager" builds the model Keras' own loop trains (mode idiomatic)
            raise UnsupportedError(frameworks.unsupported_reason(self.runtime.name, spec.name, mode))
        super().__init__(spec, params, optimizer, device, dropout, mode)
        self.keras_device = self.runtime.keras_device(device)
        with self.device_scope():
            self.model = self.build(params)
            self.optimizer = SpecAdam(
                learning_rate=optimizer.learning_rate,
                beta_1=optimizer.beta_1,
                beta_2=optimizer.beta_2,
                epsilon=optimizer.epsilon,
                amsgrad=False,
            )
        self.loss_fn = LOSSES[spec.loss]
        self.loss_sum = 0.0

    def device_scope(self):
        return keras.device(self.keras_device)

    def load_data(self, splits: dict[str, Split]) -> None:
        with self.device_scope():
            for name, split in splits.items():
                x = None if split.render else self.device_inputs(split.x)
                self.data[name] = Loaded(split, x, keras.ops.convert_to_tensor(split.y))

    def device_inputs(self, x: np.ndarray):
        with self.device_scope():
            return self.to_model_layout(keras.ops.convert_to_tensor(x))

    def batch(self, split: str, rows: np.ndarray):
        """A gather on the device, or rendered per batch and brought to the model's layout."""
        loaded, x, y = self.data[split]
        with self.device_scope():
            rows = np.asarray(rows)
            inputs = self.device_inputs(loaded.inputs(rows)) if x is None else keras.ops.take(x, rows, axis=0)
            return inputs, keras.ops.take(y, rows, axis=0)

    def set_learning_rate(self, rate: float) -> None:
        self.optimizer.learning_rate = rate  # what Keras' LearningRateScheduler does

    def train_step(self, index: np.ndarray) -> None:
        """Keras' own train step (``train_on_batch``, compiled as fit compiles it), its loss read back."""
        if not self.model.compiled:
            self.model.compile(optimizer=self.optimizer, loss=self.loss_fn)  # as Keras' own loop compiles it
        x, y = self.batch("train", index)
        with self.device_scope():
            self.loss_sum += float(self.model.train_on_batch(x, y)) * len(index)
        self.loss_samples += len(index)

    def take_loss_sum(self) -> float:
        total, self.loss_sum = self.loss_sum, 0.0
        return total

    def evaluate(self, inputs) -> np.ndarray:
        """Keras' inference step (``predict_on_batch``: jit-compiled on JAX), as a host array."""
        with self.device_scope():
            return np.asarray(self.model.predict_on_batch(inputs))

    def to_host(self, outputs: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(outputs, axis=0)

    def sync(self) -> None:
        self.runtime.wait([v.value for v in self.model.variables if v.value is not None])

    def fit_compiler(self) -> dict:
        return self.runtime.fit_compiler(bool(self.model.jit_compile))

    def compiler(self) -> dict:
        return self.fit_compiler()

    def reset_peak_memory(self) -> None:
        self.runtime.reset_peak_memory(self.keras_device)

    def peak_memory_bytes(self) -> int | None:
        return self.runtime.peak_memory_bytes(self.keras_device)
