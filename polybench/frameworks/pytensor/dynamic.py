"""What PyTensor's dynamic models share: each batch cut on the host to its strategy's form, the
log of the shapes the compiled functions met, and PyTensor's own count of its compilations
(polybench.frameworks.dynamic).

A ``pytensor.function`` is compiled for symbolic shapes (every dimension ``None``), so one
compiled train function takes a batch of any width or any number of tree nodes: a new shape
costs nothing, and the strategies differ only in the padding they compute. The record's
``compilations`` and ``compile_seconds`` are therefore PyTensor's own, the ``pytensor.function``
calls and their seconds (graph rewrites and the C or Numba compilation), whatever the shapes;
the ShapeLog keeps counting the shapes met (``train_shapes``, ``eval_shapes``) and the padding.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np

from polybench.frameworks.base import Loaded
from polybench.frameworks.dynamic import DynamicModel, ShapeLog
from polybench.frameworks.pytensor.common import PyTensorImplementation
from polybench.specs.base import Split, step_lengths


def shapes_of(inputs: tuple[np.ndarray, ...]) -> tuple[tuple[int, ...], ...]:
    """The shapes of a batch's arrays, the ShapeLog's key."""
    return tuple(np.shape(array) for array in inputs)


class PyTensorDynamic(DynamicModel, PyTensorImplementation):
    """A dynamic model's graph takes the batch in its strategy's form, several arrays (``inputs``
    cuts them on the host, ``input_variables`` declares them)."""

    #: The strategy the Theano tutorials' loop (mode idiomatic) trains with.
    own_loop_strategy: ClassVar[str]

    @abc.abstractmethod
    def inputs(self, x: np.ndarray, lengths: np.ndarray) -> tuple[tuple[np.ndarray, ...], int, int]:
        """A host batch in the padded form -> (the graph's input arrays, the positions the strategy
        computes for it, how many of them are real)."""

    @property
    def strategy(self) -> str:
        """Graph mode's as DynamicModel's; the own loop's (mode idiomatic) ``own_loop_strategy``."""
        return super().strategy if self.mode == "graph" else self.own_loop_strategy

    @property
    def shape_log(self) -> ShapeLog:
        # A new shape compiles nothing (symbolic shapes): the log keeps the shapes and the padding,
        # details() the compilations PyTensor made.
        if "_shape_log" not in vars(self):
            self._shape_log = ShapeLog(self.strategy, compiles=False)
        return self._shape_log

    def load_data(self, splits: dict[str, Split]) -> None:
        # The inputs stay on the host: each batch is cut to its strategy's form there.
        for name, split in splits.items():
            self.data[name] = Loaded(split, None, np.asarray(split.y, dtype=self.target_dtype))

    def device_inputs(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        return self.inputs(x, step_lengths(x))[0]

    def batch(self, split: str, rows) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        loaded = self.data[split]
        rows = np.asarray(rows)
        inputs, computed, real = self.inputs(loaded.split.x[rows], loaded.split.lengths[rows])
        if split == "train":
            self.shape_log.count(real, computed)
        return inputs, loaded.y[rows]

    def train_step(self, index: np.ndarray) -> None:
        inputs, y = self.batch("train", index)
        with self.shape_log.call("train", shapes_of(inputs), self.sync):
            self.train_function(*inputs, y)
        self.loss_samples += len(index)

    def evaluate(self, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        with self.shape_log.call("eval", shapes_of(inputs), self.sync):
            return self.predict_function(*inputs)

    def details(self) -> dict:
        details = super().details()
        details["dynamic"].update(
            compilations=self.compilations,
            compile_seconds=round(self.compile_seconds, 3),
            framework_count={"count": self.compilations, "what": "pytensor.function compilations"},
        )
        return details
