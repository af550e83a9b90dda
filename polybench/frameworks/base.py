"""What every framework supplies: a runtime (threads, device, versions) and one
Implementation per model. The loop and the notebooks talk to these classes only."""

from __future__ import annotations

import abc
import importlib
import importlib.util
from collections.abc import Callable
from typing import ClassVar

import numpy as np

from polybench.errors import UnsupportedError
from polybench.specs.base import Adam, Spec, Split


class Implementation(abc.ABC):
    """One framework's version of one spec, built from the spec's canonical weights.

    Data goes to the device once (``load_data``); training steps receive row indices
    into the loaded train split. The running training loss stays on the device until
    ``take_train_loss`` reads it, so no step forces a host sync.
    """

    def __init__(
        self,
        spec: Spec,
        params: dict[str, np.ndarray],
        optimizer: Adam,
        device: str,
        dropout: bool = True,
        mode: str = "eager",
    ) -> None:
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

    def details(self) -> dict:
        """What the implementation resolved at run time that the record should keep (e.g.
        whether graph mode compiled with XLA); empty when nothing."""
        return {}

    def reset_peak_memory(self) -> None:  # noqa: B027 (an optional hook: nothing to reset without a counter)
        """Start the framework's own device-memory peak counter afresh (if it has one)."""

    def peak_memory_bytes(self) -> int | None:
        """The framework's own device-memory peak since the last reset; None if it has none
        (or runs on the CPU)."""
        return None


#: What an idiomatic loop reports after each epoch: (epoch, mean training loss, seconds on the clock).
AfterEpoch = Callable[[int, float, float], None]


class IdiomaticTrainer(abc.ABC):
    """A framework's own documented training loop (mode "idiomatic"), run on the model of an
    eager Implementation: same canonical weights, optimizer, loss and loaded data as the
    shared loop, but batches, shuffling, mode switches and the epoch's clock are the
    framework's (Keras fit and its callbacks, a plain PyTorch loop, a Gluon Trainer, ...).

    The clock of an epoch starts after a device sync and stops after one; ``after_epoch``
    is called with the clock stopped, so what it does (validation) is not timed.
    """

    #: How this loop orders the training samples, for the record (its own shuffling).
    shuffle: ClassVar[str]

    def __init__(self, impl: Implementation, batch_size: int, seed: int) -> None:
        """Prepare ``impl``'s model (its data already loaded) for the framework's own loop."""
        self.impl = impl
        self.batch_size = batch_size
        self.seed = seed

    @abc.abstractmethod
    def fit(self, epochs: int, after_epoch: AfterEpoch) -> None:
        """Train for ``epochs`` epochs, calling ``after_epoch`` once per epoch."""

    def details(self) -> dict:
        """What this loop resolved at run time that the record should keep (e.g. XLA or not)."""
        return {}


class Runtime(abc.ABC):
    """A framework's process-wide settings and facts."""

    #: Registry name, e.g. "torch".
    name: ClassVar[str]

    @abc.abstractmethod
    def configure(self, threads: int, device: str) -> str:
        """Set the framework's threads (polybench.threads: ``threads`` intra-op, one inter-op, BLAS
        and OpenMP pools limited to ``threads``); resolve "auto"/"cpu"/"gpu" to the device name it
        will use. Raises PolybenchError when a GPU is asked for and none is visible."""

    @abc.abstractmethod
    def threads_used(self) -> dict:
        """The intra-op and inter-op thread counts the framework reports it runs with, and the
        BLAS/OpenMP pools read back (polybench.threads.used)."""

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

    def idiomatic_trainer(self) -> type[IdiomaticTrainer]:
        """This framework's IdiomaticTrainer (its ``idiomatic`` module); UnsupportedError when it
        has none yet."""
        name = f"{type(self).__module__.rsplit('.', 1)[0]}.idiomatic"
        if importlib.util.find_spec(name) is None:
            raise UnsupportedError(f"polybench has no idiomatic training loop for {self.name} yet")
        return importlib.import_module(name).Trainer

    def step_module(self) -> str:
        """Dotted name of the module holding this framework's shared training step."""
        return f"{type(self).__module__.rsplit('.', 1)[0]}.common"

    def model_module(self, model: str) -> str:
        """Dotted name of the module holding this framework's ``model``."""
        return f"{type(self).__module__.rsplit('.', 1)[0]}.{model}"
