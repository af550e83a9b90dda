"""What every framework supplies: a runtime (threads, device, versions) and one
Implementation per model. The loop and the notebooks talk to these classes only."""

from __future__ import annotations

import abc
import importlib
from typing import ClassVar

import numpy as np

from polybench.specs.base import Adam, Spec, Split


class Implementation(abc.ABC):
    """One framework's version of one spec, built from the spec's canonical weights.

    Data goes to the device once (``load_data``); training steps receive row indices
    into the loaded train split. The running training loss stays on the device until
    ``take_train_loss`` reads it, so no step forces a host sync.
    """

    def __init__(self, spec: Spec, params: dict[str, np.ndarray], optimizer: Adam, device: str,
                 dropout: bool = True, mode: str = "eager") -> None:
        """Build the model from ``params`` (canonical names and layouts) on ``device``.

        ``dropout=False`` builds it without dropout (training-parity tests). ``mode`` is
        "eager" or "graph"; an implementation that cannot run the model in graph mode
        raises polybench.errors.UnsupportedError saying why.
        """
        self.spec = spec
        self.device = device
        self.mode = mode
        self.dropout_rates = dict(spec.dropout) if dropout else {}

    @abc.abstractmethod
    def load_data(self, splits: dict[str, Split]) -> None:
        """Convert every split to framework tensors on the device, once, outside the clock."""

    @abc.abstractmethod
    def train_step(self, index: np.ndarray) -> None:
        """One optimizer step on the loaded train rows ``index``; adds the batch loss to the
        device-side running sum."""

    @abc.abstractmethod
    def take_train_loss(self) -> float:
        """Mean training loss over the samples stepped since the last call; resets the sum."""

    @abc.abstractmethod
    def predict(self, split: str) -> np.ndarray:
        """Eval-mode model outputs for a whole loaded split, as a host array."""

    @abc.abstractmethod
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Eval-mode model outputs for a host batch (parity tests), as a float32 array."""

    @abc.abstractmethod
    def sync(self) -> None:
        """Block until all work queued on the device is done."""

    def reset_peak_memory(self) -> None:  # noqa: B027 (an optional hook: nothing to reset without a counter)
        """Start the framework's own device-memory peak counter afresh (if it has one)."""

    def peak_memory_bytes(self) -> int | None:
        """The framework's own device-memory peak since the last reset; None if it has none
        (or runs on the CPU)."""
        return None


class Runtime(abc.ABC):
    """A framework's process-wide settings and facts."""

    #: Registry name, e.g. "torch".
    name: ClassVar[str]

    @abc.abstractmethod
    def configure(self, threads: int, device: str) -> str:
        """Set the framework's thread count; resolve "auto"/"cpu"/"gpu" to the device name it
        will use. Raises PolybenchError when a GPU is asked for and none is visible."""

    @abc.abstractmethod
    def seed(self, seed: int) -> None:
        """Seed the framework's own random generators (dropout masks), so that a run is
        repeatable. The loop's shuffle and the initial weights come from the spec and the
        loop, not from here."""

    @abc.abstractmethod
    def versions(self) -> dict[str, str]:
        """Versions of the framework and the libraries it brings that matter to results."""

    def matmul_flops_per_second(self, device: str, size: int = 2048, repeats: int = 5) -> float | None:
        """The machine's practical peak as this framework reaches it: float32 FLOP/s of a
        ``size`` x ``size`` matrix product on ``device`` (best of ``repeats``, synced)."""
        return None

    def gpu_name(self, device: str) -> str | None:
        """The GPU's model name when ``device`` is a GPU."""
        return None

    def implementation(self, model: str) -> type[Implementation]:
        """The Implementation class of ``model`` in this framework."""
        module = importlib.import_module(self.model_module(model))
        return module.Implementation

    def step_module(self) -> str:
        """Dotted name of the module holding this framework's shared training step."""
        return f"{type(self).__module__.rsplit('.', 1)[0]}.common"

    def model_module(self, model: str) -> str:
        """Dotted name of the module holding this framework's ``model``."""
        return f"{type(self).__module__.rsplit('.', 1)[0]}.{model}"
