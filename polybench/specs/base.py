"""The framework-free definition of a benchmark model.

A spec is the contract every framework's implementation is held to: the task, the data
and its CSV schema, the shapes, the hyper-parameters of each profile, the loss, the metric
with its quality target, the named parameters with their canonical initial values, and a
NumPy float64 reference forward pass. It imports NumPy only.
"""

from __future__ import annotations

import abc
import dataclasses
from pathlib import Path

import numpy as np


@dataclasses.dataclass(frozen=True)
class Adam:
    """Adam with every hyper-parameter explicit (framework defaults differ, e.g. epsilon)."""

    learning_rate: float
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    name: str = "adam"


@dataclasses.dataclass(frozen=True)
class Profile:
    """One training configuration of a spec.

    ``train_size``, ``val_size`` and ``test_size`` cut each split to its first rows
    (``None`` keeps the whole split). ``time_limit_s`` bounds one run of the notebook.
    """

    name: str
    epochs: int
    batch_size: int
    optimizer: Adam
    train_size: int | None = None
    val_size: int | None = None
    test_size: int | None = None
    time_limit_s: float = 3600.0


@dataclasses.dataclass(frozen=True)
class Metric:
    """The quality measure of a task and the full profile's target for it."""

    name: str
    higher_is_better: bool
    target: float

    def met(self, value: float | None) -> bool:
        """Whether ``value`` reaches the target (a missing or NaN value never does)."""
        if value is None or not np.isfinite(value):
            return False
        return value >= self.target if self.higher_is_better else value <= self.target


@dataclasses.dataclass(frozen=True)
class Parameter:
    """A named trainable tensor: its canonical shape and initializer.

    Canonical layouts: dense kernels are (in, out) so that ``y = x @ W + b``;
    convolution kernels are (out_channels, in_channels, height, width) on NCHW inputs.
    """

    name: str
    shape: tuple[int, ...]
    init: str  # "glorot_uniform" or "zeros"


@dataclasses.dataclass
class Split:
    """One split of a data set: model inputs ``x`` and targets ``y``, row-aligned."""

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} rows but y has {len(self.y)}")

    def __len__(self) -> int:
        return len(self.x)

    def head(self, n: int | None) -> "Split":
        """The first ``n`` rows (all of them when ``n`` is None)."""
        return self if n is None else Split(self.x[:n], self.y[:n])


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 2:  # dense (in, out)
        return shape[0], shape[1]
    receptive = int(np.prod(shape[2:]))  # conv (out, in, h, w)
    return shape[1] * receptive, shape[0] * receptive


def initialize(parameters: list[Parameter], seed: int) -> dict[str, np.ndarray]:
    """Draw every parameter in list order from one seeded generator, as float32.

    The values are rounded to float32 once here, so every framework and the float64
    reference start from bit-identical numbers.
    """
    rng = np.random.default_rng(seed)
    values = {}
    for p in parameters:
        if p.init == "zeros":
            value = np.zeros(p.shape)
        elif p.init == "glorot_uniform":
            fan_in, fan_out = _fans(p.shape)
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            value = rng.uniform(-limit, limit, size=p.shape)
        else:
            raise ValueError(f"unknown initializer {p.init!r} for {p.name}")
        values[p.name] = value.astype(np.float32)
    return values


class Spec(abc.ABC):
    """A benchmark model, defined once for every framework.

    Subclasses set the class attributes and implement the abstract methods; everything
    else (parity batches, metric and loss on host arrays) is shared.
    """

    #: Registry name, e.g. "mnist_fcn".
    name: str
    #: One-line title for reports.
    title: str
    #: A paragraph (Markdown) telling the reader what the task is.
    description: str
    #: The data set's name: specs that share CSV files share it ("mnist").
    dataset: str
    #: Loss the implementations minimise: "softmax_cross_entropy" (on logits).
    loss: str
    #: The task's quality measure and the full profile's target.
    metric: Metric
    #: Profiles by name; "full" is the reference configuration that must reach the target.
    profiles: dict[str, Profile]
    #: Shape of one input sample, canonical layout (images are channels-first).
    input_shape: tuple[int, ...]
    #: Number of model outputs per sample (logits for classification).
    output_size: int
    #: Dropout rates by layer name (zero-rate dropout is omitted).
    dropout: dict[str, float]

    @property
    @abc.abstractmethod
    def parameters(self) -> list[Parameter]:
        """The named trainable parameters, in canonical order and layout."""

    @abc.abstractmethod
    def reference_forward(self, params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
        """The model's eval-mode forward pass in NumPy float64: the executable definition."""

    @abc.abstractmethod
    def csv_files(self) -> list[str]:
        """Names of the CSV files in the data folder that this spec reads."""

    @abc.abstractmethod
    def load_splits(self, data_dir: Path) -> dict[str, Split]:
        """The "train", "val" and "test" splits, parsed from the CSVs (cached)."""

    def init_parameters(self, seed: int) -> dict[str, np.ndarray]:
        """The canonical seeded initial weights every implementation starts from."""
        return initialize(self.parameters, seed)

    def parity_parameters(self, seed: int = 0) -> dict[str, np.ndarray]:
        """Canonical weights with every zero-initialised tensor filled with small random
        values, so that a parity test also catches a mis-mapped bias."""
        rng = np.random.default_rng(seed + 10_000)
        params = self.init_parameters(seed)
        for p in self.parameters:
            if p.init == "zeros":
                params[p.name] = rng.uniform(-0.1, 0.1, size=p.shape).astype(np.float32)
        return params

    def parity_batch(self, n: int = 8, seed: int = 0) -> np.ndarray:
        """A fixed float32 input batch for forward-parity tests."""
        rng = np.random.default_rng(seed)
        return rng.uniform(0.0, 1.0, size=(n, *self.input_shape)).astype(np.float32)

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """Parameter name -> canonical shape."""
        return {p.name: p.shape for p in self.parameters}

    def profile(self, name: str) -> Profile:
        """The named profile; a ValueError lists the valid names."""
        try:
            return self.profiles[name]
        except KeyError:
            valid = ", ".join(self.profiles)
            raise ValueError(f"unknown profile {name!r} for {self.name} (choose from: {valid})") from None

    def compute_loss(self, outputs: np.ndarray, y: np.ndarray) -> float:
        """The spec's loss on host arrays (mean over samples), identical for every framework."""
        if self.loss == "softmax_cross_entropy":
            z = outputs.astype(np.float64)
            z = z - z.max(axis=1, keepdims=True)
            log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            return float(-log_probs[np.arange(len(y)), y].mean())
        raise NotImplementedError(f"loss {self.loss!r}")

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        """Model outputs -> predictions in the targets' form (class ids here)."""
        return outputs.argmax(axis=1)

    def compute_metric(self, outputs: np.ndarray, y: np.ndarray) -> float:
        """The spec's metric on host arrays."""
        if self.metric.name == "accuracy":
            return float((self.predictions(outputs) == y).mean())
        raise NotImplementedError(f"metric {self.metric.name!r}")
