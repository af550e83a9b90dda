"""What JAX's dynamic models share: each batch cut on the host to its strategy's shape, every
call of the model logged at the shapes XLA sees (polybench.frameworks.dynamic), and JAX's own
count of the XLA compilations those calls ran.

Under ``nnx.jit`` (graph mode) a new input shape is a retrace and an XLA compilation; the
ShapeLog counts the shapes met, and JAX reports each backend compilation with its seconds
(``jax.monitoring``'s duration event ``/jax/core/compile/backend_compile_duration``), which
``details()["dynamic"]`` adds as ``xla_compilations`` and ``xla_compile_seconds``: those that
ran inside this model's calls (training steps and inference). Eager JAX compiles too: every
primitive is a small XLA computation compiled once per shape, so in eager mode the same count
says how many of those the batches' changing shapes cost.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import jax
import numpy as np
from flax import nnx

from polybench.frameworks.base import Loaded
from polybench.frameworks.dynamic import DynamicModel, ShapeLog
from polybench.frameworks.jax.common import NNXImplementation, infer
from polybench.specs.base import Split, step_lengths

#: The event JAX records (in seconds) for each XLA backend compilation (jax._src.dispatch's name).
BACKEND_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


class _Compilations:
    """A process-wide jax.monitoring listener: how many XLA compilations ran so far, and their seconds."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, event: str, duration: float, **_: object) -> None:
        if event == BACKEND_COMPILE_EVENT:
            self.count += 1
            self.seconds += duration


COMPILATIONS = _Compilations()
jax.monitoring.register_event_duration_secs_listener(COMPILATIONS)


def shapes_of(inputs) -> tuple:
    """The shapes of a batch's arrays, in order: what a jitted function's cache is keyed on
    (with the number of arrays, so a by-height batch of another depth is another key)."""
    return tuple(tuple(np.shape(leaf)) for leaf in jax.tree_util.tree_leaves(inputs))


class JaxDynamic(DynamicModel, NNXImplementation):
    """A dynamic model's module takes one tuple of arrays (the batch in its strategy's form), so
    the shared step, nnx.jit and the functional loop of ``idiomatic`` call it as any other."""

    #: The strategy whose input form the framework's own loop (``idiomatic``) trains with: one
    #: jax.jit compiles per shape, so a Flax model keeps its shapes static (a padded batch with
    #: nnx.RNN's lengths, a lax.scan over padded steps).
    own_loop_strategy: str
    #: XLA compilations (and their seconds) that ran inside this model's calls.
    xla_compilations = 0
    xla_compile_seconds = 0.0

    @abc.abstractmethod
    def inputs(self, x: np.ndarray, lengths: np.ndarray) -> tuple[tuple, int, int]:
        """A host batch in the padded form -> (the module's input tuple, the positions the strategy
        computes for it, how many of them are real)."""

    @abc.abstractmethod
    def use_form(self, strategy: str) -> None:
        """Set the module to compute the given strategy's input form (its layers, its branch)."""

    @property
    def strategy(self) -> str:
        return vars(self).get("_loop_strategy") or super().strategy

    def use_own_loop_form(self) -> None:
        """Prepare the model for the framework's own loop (``idiomatic``), which jits its step:
        ``own_loop_strategy``'s form, its shapes logged as compilations, inference jitted too
        (the Flax examples' ``nnx.jit`` eval step)."""
        self._loop_strategy = self.own_loop_strategy
        self._shape_log = ShapeLog(self._loop_strategy, compiles=True)
        self.use_form(self._loop_strategy)
        self.infer = nnx.jit(infer)

    def on_device(self, array: np.ndarray) -> jax.Array:
        return jax.device_put(np.ascontiguousarray(array), self.device)

    def load_data(self, splits: dict[str, Split]) -> None:
        # The inputs stay on the host: each batch is cut to its strategy's shape there.
        for name, split in splits.items():
            self.data[name] = Loaded(split, None, jax.device_put(split.y, self.device))

    def device_inputs(self, x: np.ndarray) -> tuple:
        return self.inputs(x, step_lengths(x))[0]

    def batch(self, split: str, rows) -> tuple[tuple, jax.Array]:
        loaded = self.data[split]
        rows = np.asarray(rows)
        inputs, computed, real = self.inputs(loaded.split.x[rows], loaded.split.lengths[rows])
        if split == "train":
            self.shape_log.count(real, computed)
        return inputs, loaded.y[jax.device_put(rows.astype(np.int32), self.device)]

    @contextmanager
    def logged_call(self, phase: str, inputs, sync: Callable[[], None] | None = None) -> Iterator[None]:
        """Around one call of the model's step or inference on ``inputs``: the ShapeLog's entry
        (``sync`` waits for the device, ``self.sync`` by default) and JAX's compilations meanwhile."""
        count, seconds = COMPILATIONS.count, COMPILATIONS.seconds
        with self.shape_log.call(phase, shapes_of(inputs), sync or self.sync):
            yield
        self.xla_compilations += COMPILATIONS.count - count
        self.xla_compile_seconds += COMPILATIONS.seconds - seconds

    def train_step(self, index: np.ndarray) -> None:
        self.set_training(True)
        batch = self.batch("train", index)
        with self.logged_call("train", batch[0]):
            self.loss_sum = self.step(self.model, self.optimizer, self.loss_sum, batch, loss_fn=self.loss_fn)
        self.loss_samples += len(index)

    def evaluate(self, inputs: tuple) -> jax.Array:
        self.set_training(False)
        with self.logged_call("eval", inputs):
            return self.infer(self.model, inputs)

    def details(self) -> dict:
        details = super().details()
        details["dynamic"].update(
            xla_compilations=self.xla_compilations,
            xla_compile_seconds=round(self.xla_compile_seconds, 3),
            framework_count={"count": self.xla_compilations, "what": "XLA compilations"},
        )
        return details
