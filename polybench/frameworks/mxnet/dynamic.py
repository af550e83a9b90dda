"""What MXNet's dynamic models share: each batch cut on the host to its strategy's form, and the
log of the shapes the hybridized block met (polybench.frameworks.dynamic).

Graph mode hybridizes with static_alloc and static_shape (common.py). A hybridized block is one
CachedOp whose graph Gluon traces once, at its first call; its inputs are fixed in number and
nesting (a call with another structure is a ValueError), not in shape. The CachedOp keeps one
memory plan per device (src/imperative/cached_op.cc, ``StaticForward``): a call whose input
shapes, or whose recording (training or prediction), differ from the previous call's infers the
shapes again, plans and allocates the memory again and rebuilds its operator executors. The
ShapeLog counts each new shape once, as a compilation, and times it; ``memory_plans`` counts
every call that planned (the first, and each that met another shape or phase than the call
before it), which a bucket strategy pays again each time a batch falls into another bucket than
the batch before.
"""

from __future__ import annotations

import abc

import numpy as np
from mxnet import autograd, nd

from polybench.frameworks.base import Loaded
from polybench.frameworks.dynamic import DynamicModel, ShapeLog
from polybench.frameworks.mxnet.common import GluonImplementation
from polybench.specs.base import Split, step_lengths


class GluonDynamic(DynamicModel, GluonImplementation):
    """A dynamic model's block takes the batch in its strategy's form, a tuple of NDArrays, as
    positional inputs, so the shared step, hybridize and Gluon's own loop call it as any block."""

    #: The strategy whose batches Gluon's own loop (idiomatic.py) gives the block it hybridizes.
    idiomatic_strategy: str

    @property
    def batch_strategy(self) -> str:
        """The strategy that shapes the batches: the run's, or the idiomatic loop's once it took over."""
        return vars(self).get("_own_loop_strategy", self.strategy)

    def use_own_loop(self) -> None:
        """Gluon's own loop takes over (idiomatic mode): batches in ``idiomatic_strategy``'s form,
        logged afresh (its hybridize() plans a graph per shape as graph mode's does)."""
        self._own_loop_strategy = self.idiomatic_strategy
        self._shape_log = ShapeLog(self.idiomatic_strategy, compiles=True)
        self._last_call = None
        self._memory_plans = 0

    @abc.abstractmethod
    def inputs(self, x: np.ndarray, lengths: np.ndarray, strategy: str) -> tuple[tuple, int, int]:
        """A host batch in the padded form -> (the block's inputs on the device in ``strategy``'s
        form, the positions it computes for them, how many of them are real)."""

    def load_data(self, splits: dict[str, Split]) -> None:
        # The inputs stay on the host: each batch is cut to its strategy's form there.
        for name, split in splits.items():
            self.data[name] = Loaded(split, None, nd.array(split.y, ctx=self.device, dtype=split.y.dtype))

    def device_inputs(self, x: np.ndarray) -> tuple:
        return self.inputs(x, step_lengths(x), self.batch_strategy)[0]

    def batch(self, split: str, rows) -> tuple[tuple, nd.NDArray]:
        """``rows``: host row numbers, or an NDArray of them (Gluon's own loop shuffles on the device)."""
        loaded = self.data[split]
        host_rows = rows.asnumpy().astype(np.int64) if isinstance(rows, nd.NDArray) else np.asarray(rows)
        inputs, computed, real = self.inputs(
            loaded.split.x[host_rows], loaded.split.lengths[host_rows], self.batch_strategy
        )
        if split == "train":
            self.shape_log.count(real, computed)
        return inputs, loaded.y.take(nd.array(host_rows, ctx=self.device, dtype="int32"))

    def block_call(self, inputs: tuple) -> nd.NDArray:
        """The block on a batch in its strategy's form (eager var_addition overrides it)."""
        return self.model(*inputs)

    def logged_call(self, inputs: tuple) -> nd.NDArray:
        """``block_call`` inside the ShapeLog: the phase is autograd's (recording: training)."""
        phase = "train" if autograd.is_recording() else "eval"
        shape = tuple(a.shape for a in inputs)
        if vars(self).get("_last_call") != (phase, shape):
            self._memory_plans = vars(self).get("_memory_plans", 0) + 1
        self._last_call = (phase, shape)
        with self.shape_log.call(phase, shape, self.sync):
            return self.block_call(inputs)

    def _network(self, x: tuple) -> nd.NDArray:
        return self.logged_call(x)

    def details(self) -> dict:
        details = super().details()
        if self.shape_log.compiles:
            # MXNet counts no compilations itself: the calls that planned the CachedOp's memory
            # (the first, and each whose shapes or phase differ from the call before it).
            details["dynamic"]["memory_plans"] = vars(self).get("_memory_plans", 0)
            details["dynamic"]["framework_count"] = {
                "count": details["dynamic"]["memory_plans"],
                "what": "memory plans",
            }
        return details
