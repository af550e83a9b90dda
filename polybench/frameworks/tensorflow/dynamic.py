"""What TensorFlow's dynamic models share: each batch cut on the host to its strategy's shape,
the log of the shapes the traced step met, and TensorFlow's own count of its traces
(polybench.frameworks.dynamic).

Graph mode runs the package's tf.function (``reduce_retracing=True``, XLA only where Keras'
jit_compile="auto" turns it on, see common.py): a new shape is a new trace until TensorFlow
relaxes the differing dimensions to None, after which one trace serves every shape. The
ShapeLog counts the shapes the step met (each timed as a compilation when it is new), and
``details()["dynamic"]["tf_function_traces"]`` the traces TensorFlow actually made: the gap
between the two is what ``reduce_retracing`` saved. ``tf_function_trace_seconds`` is the wall
time of the calls that traced (the trace, grappler's pass over the graph and that call's own
work); the ShapeLog's ``compile_seconds`` times every call at a new shape, traced or not, so
with relaxed shapes it holds ordinary steps too (by-height meets new node counts in nearly
every batch). Under XLA (``jit_compile=True``) each new shape is a compilation of its own,
whatever the traces, and the ShapeLog's counts are XLA's.
"""

from __future__ import annotations

import abc
import time
from typing import Any, ClassVar

import numpy as np
import tensorflow as tf

from polybench.frameworks.base import Loaded
from polybench.frameworks.dynamic import DynamicModel
from polybench.frameworks.tensorflow.common import KerasImplementation
from polybench.specs.base import Split, step_lengths


def shape_of(inputs: Any) -> tuple[tuple[int | None, ...], ...]:
    """The shapes of a batch's tensors, the key of the ShapeLog."""
    return tuple(tuple(t.shape) for t in tf.nest.flatten(inputs))


class KerasDynamic(DynamicModel, KerasImplementation):
    """A dynamic model's Keras model takes one batch in its strategy's form (a tensor, or a tuple
    of tensors), so the shared step, tf.function and Keras' fit call it as any other model."""

    #: The strategy Keras' fit trains with (mode idiomatic): the whole split in one padded shape,
    #: the documented Keras way for sequences of different lengths.
    fit_strategy: ClassVar[str]

    def __init__(self, *args, **kwargs) -> None:
        self.fit_form = False
        self.trace_seconds = {"train": 0.0, "eval": 0.0}
        super().__init__(*args, **kwargs)

    @abc.abstractmethod
    def inputs(self, x: np.ndarray, lengths: np.ndarray) -> tuple[Any, int, int]:
        """A host batch in the padded form -> (the model's inputs on the device, the positions
        the strategy computes for it, how many of them are real)."""

    @property
    def strategy(self) -> str:
        """As DynamicModel's, but the fit strategy once ``use_fit_strategy`` ran."""
        return self.fit_strategy if self.fit_form else super().strategy

    def use_fit_strategy(self) -> None:
        """From now on every batch takes the form Keras' fit trains (the idiomatic loop), so that
        validation and the parity forward see the model fit trained."""
        self.fit_form = True
        vars(self).pop("_shape_log", None)  # a fresh log, named after the fit strategy

    def split_inputs(self, split: str) -> tuple[Any, int, int]:
        """A whole loaded split in the current strategy's form, as ``inputs`` gives a batch."""
        loaded = self.data[split].split
        with tf.device(self.device):
            return self.inputs(loaded.x, loaded.lengths)

    def load_data(self, splits: dict[str, Split]) -> None:
        # The inputs stay on the host: each batch is cut to its strategy's shape there.
        with tf.device(self.device):
            for name, split in splits.items():
                self.data[name] = Loaded(split, None, tf.convert_to_tensor(split.y))

    def device_inputs(self, x: np.ndarray) -> Any:
        with tf.device(self.device):
            return self.inputs(x, step_lengths(x))[0]

    def batch(self, split: str, rows) -> tuple[Any, tf.Tensor]:
        loaded = self.data[split]
        rows = np.asarray(rows)
        with tf.device(self.device):
            inputs, computed, real = self.inputs(loaded.split.x[rows], loaded.split.lengths[rows])
            if split == "train":
                self.shape_log.count(real, computed)
            return inputs, tf.gather(loaded.y, rows)

    def _logged_call(self, phase: str, function, *args) -> Any:
        """``function(*args)`` (the step or the inference call) logged at the inputs' shape; in
        graph mode a call that traced adds its seconds to its phase's ``trace_seconds``."""
        traces = function.experimental_get_tracing_count if self.mode == "graph" else lambda: 0
        before = traces()
        with tf.device(self.device), self.shape_log.call(phase, shape_of(args[0]), self.sync):
            start = time.perf_counter()
            result = function(*args)
            if traces() != before:
                self.sync()
                self.trace_seconds[phase] += time.perf_counter() - start
        return result

    def train_step(self, index: np.ndarray) -> None:
        x, y = self.batch("train", index)
        self._logged_call("train", self.step, x, y)
        self.loss_samples += len(index)

    def evaluate(self, inputs: Any) -> tf.Tensor:
        return self._logged_call("eval", self.infer, inputs)

    def details(self) -> dict:
        details = super().details()
        if self.mode == "graph":  # TensorFlow's own count, beside the shapes met
            details["dynamic"]["tf_function_traces"] = {
                "train": self.step.experimental_get_tracing_count(),
                "eval": self.infer.experimental_get_tracing_count(),
            }
            details["dynamic"]["tf_function_trace_seconds"] = {
                phase: round(seconds, 3) for phase, seconds in self.trace_seconds.items()
            }
            traces = sum(details["dynamic"]["tf_function_traces"].values())
            details["dynamic"]["framework_count"] = {"count": traces, "what": "tf.function traces"}
        return details
