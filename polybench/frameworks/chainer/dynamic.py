"""What Chainer's dynamic models share: each batch cut on the host to its strategy's form, and the
log of the shapes the static graph met (polybench.frameworks.dynamic).

Graph mode runs the model as one ``chainer.static_graph`` (common.StaticGraph), which keys its
schedules by the shapes and dtypes of the flattened inputs: a batch of a shape met before replays
that shape's schedule, a new shape is traced define-by-run into a new schedule (forward on the
call, backward on the first backward) and kept for the rest of the run. Nothing in the model may
read an input's values in Python while it is traced (the schedule would replay what it read then):
masks, child positions and roots come in as input arrays, used by Chainer functions (arithmetic,
``F.embed_id`` gathers), never as ``F.where`` conditions or ``x[index_array]`` (both keep the
traced batch's arrays on their FunctionNode).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import chainer
import numpy as np

from polybench.frameworks.base import Loaded
from polybench.frameworks.chainer.common import ChainerImplementation, StaticGraphPerPhase
from polybench.frameworks.dynamic import DynamicModel
from polybench.specs.base import Split, step_lengths


def _arrays(inputs) -> list:
    """The arrays of a nested tuple/list of inputs, in order (what static_graph flattens)."""
    if isinstance(inputs, (list, tuple)):
        return [array for item in inputs for array in _arrays(item)]
    return [inputs]


class ChainerDynamic(DynamicModel, ChainerImplementation):
    """A dynamic model's Chain takes the batch in its strategy's form (a tuple or list of
    arrays), so the shared step, the static graph and Chainer's own loop call it as any other."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.compiled = self.network  # the StaticGraph in graph mode, the Chain itself in eager mode
        self.network = self.logged_call
        self.traces = {"train": 0, "eval": 0}  # schedules the static graph traced, kept or not
        self.phase: str | None = None
        self.cache_generation = 0  # how many times a StaticGraphPerPhase has dropped its schedules

    @abc.abstractmethod
    def inputs(self, x: np.ndarray, lengths: np.ndarray) -> tuple[object, int, int]:
        """A host batch in the padded form -> (the Chain's inputs on the device, the positions the
        strategy computes for it, how many of them are real)."""

    def logged_call(self, inputs) -> chainer.Variable:
        """The model (compiled in graph mode) on one batch, its shapes in the ShapeLog (after a
        StaticGraphPerPhase dropped its schedules, a shape met before is new to it again)."""
        phase = "train" if chainer.config.train else "eval"
        if self.phase != phase and self.phase is not None and isinstance(self.compiled, StaticGraphPerPhase):
            self.cache_generation += 1
        self.phase = phase
        shape = (self.cache_generation, tuple(array.shape for array in _arrays(inputs)))
        with self.shape_log.call(phase, shape, self.sync):
            outputs = self.compiled(inputs)
        schedule = getattr(self.compiled, "static_schedule", None)  # the schedule this call ran
        if schedule is not None and not getattr(schedule, "counted", False):
            schedule.counted = True  # a schedule traced by this call
            self.traces[phase] += 1
        return outputs

    def load_data(self, splits: dict[str, Split]) -> None:
        # The inputs stay on the host: each batch is cut to its strategy's form there.
        for name, split in splits.items():
            self.data[name] = Loaded(split, None, self.device.send(np.asarray(split.y, dtype=self.target_dtype)))

    def device_inputs(self, x: np.ndarray):
        x = np.asarray(x, dtype=np.float32)
        return self.inputs(x, step_lengths(x))[0]

    def batch(self, split: str, rows: np.ndarray) -> tuple:
        loaded = self.data[split]
        rows = np.asarray(rows)
        inputs, computed, real = self.inputs(loaded.split.x[rows].astype(np.float32), loaded.split.lengths[rows])
        if split == "train":
            self.shape_log.count(real, computed)
        return inputs, loaded.y[self.device.send(rows)]

    def sequences(self, split: str) -> list[np.ndarray]:
        """Each sample of a loaded split at its own length, (steps, features) float32: what a
        Chainer dataset of variable-length samples holds (Chainer's own loop, idiomatic.py)."""
        split_data = self.data[split].split
        return [np.asarray(row[:n], dtype=np.float32) for row, n in zip(split_data.x, split_data.lengths, strict=True)]

    def convert(self, sequences: Sequence[np.ndarray]):
        """A batch of samples at their own lengths -> the Chain's inputs (the converter of Chainer's
        own loop): padded to the batch's longest on the host and cut to the strategy's form, the
        positions counted as a training batch's."""
        lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        x = np.zeros((len(sequences), int(lengths.max()), sequences[0].shape[1]), dtype=np.float32)
        for row, sequence in zip(x, sequences, strict=True):
            row[: len(sequence)] = sequence
        inputs, computed, real = self.inputs(x, lengths)
        self.shape_log.count(real, computed)
        return inputs

    def details(self) -> dict:
        details = super().details()
        manager = getattr(self.compiled, "schedule_manager", None)
        if manager is not None:  # graph mode: the static graph's schedules, traced and still kept
            kept = {"train": 0, "eval": 0}
            for key, schedules in manager.schedules.items():
                kept["train" if key.startswith("train:") else "eval"] += len(schedules)
            details["dynamic"]["static_graph"] = {"traces": dict(self.traces), "kept": kept}
            details["dynamic"]["framework_count"] = {"count": sum(self.traces.values()), "what": "static-graph traces"}
        return details
