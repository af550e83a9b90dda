"""What PyTorch's dynamic models share: each batch cut on the host to its strategy's shape, and
the log of the shapes torch.compile met (polybench.frameworks.dynamic).

The shapes met are not what torch.compile compiled: with its default ``dynamic=None``, a
recompilation caused by a changed size marks that dimension dynamic, and the graph compiled
then serves every later size. Graph mode therefore also records Dynamo's own count of the graphs
it compiled for this model (``framework_count``), as TensorFlow records its traces."""

from __future__ import annotations

import abc

import numpy as np
import torch
import torch._dynamo
from torch._dynamo.utils import counters

from polybench.frameworks.base import Loaded
from polybench.frameworks.dynamic import DynamicModel
from polybench.frameworks.torch.common import TorchImplementation
from polybench.specs.base import Split, step_lengths

#: Graph mode's cap on recompilations of one frame: Dynamo's own (8) would fall back to eager
#: silently once a strategy meets more shapes than that; the record counts them instead.
RECOMPILE_LIMIT = 256


class TorchDynamic(DynamicModel, TorchImplementation):
    """A dynamic model's module takes one tuple of tensors (the batch in its strategy's form),
    so the shared step, torch.compile and the tutorials' loop call it as any other module."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.mode == "graph":
            torch._dynamo.config.recompile_limit = RECOMPILE_LIMIT
            torch._dynamo.config.accumulated_recompile_limit = RECOMPILE_LIMIT
        # The parity figures compile another model after training: this model's count is taken
        # after each of its own calls.
        self._dynamo_graphs = 0

    @abc.abstractmethod
    def inputs(self, x: np.ndarray, lengths: np.ndarray) -> tuple[tuple[torch.Tensor, ...], int, int]:
        """A host batch in the padded form -> (the module's input tuple on the device, the positions
        the strategy computes for it, how many of them are real)."""

    def load_data(self, splits: dict[str, Split]) -> None:
        # The inputs stay on the host: each batch is cut to its strategy's shape there.
        for name, split in splits.items():
            self.data[name] = Loaded(split, None, torch.from_numpy(split.y).to(self.device))

    def device_inputs(self, x: np.ndarray) -> tuple[torch.Tensor, ...]:
        return self.inputs(x, step_lengths(x))[0]

    def batch(self, split: str, rows) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        loaded = self.data[split]
        rows = np.asarray(rows)
        inputs, computed, real = self.inputs(loaded.split.x[rows], loaded.split.lengths[rows])
        if split == "train":
            self.shape_log.count(real, computed)
        return inputs, loaded.y[torch.as_tensor(rows, device=self.device)]

    def _network(self, x: tuple[torch.Tensor, ...]) -> torch.Tensor:
        shape = tuple(tuple(t.shape) for t in x)
        with self.shape_log.call("train" if self.model.training else "eval", shape, self.sync):
            out = super()._network(x)
        self._dynamo_graphs = counters["stats"]["unique_graphs"] - self._graphs_at_start
        return out

    def details(self) -> dict:
        details = super().details()
        if self.mode == "graph":  # Dynamo's own count, beside the shapes met
            details["dynamic"]["framework_count"] = {"count": self._dynamo_graphs, "what": "Dynamo graphs"}
        return details
