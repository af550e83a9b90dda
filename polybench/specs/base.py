"""The framework-free definition of a benchmark model.

A spec is the contract every framework's implementation is held to: the task, the data
and its CSV schema, the shapes, the hyper-parameters of each profile, the loss, the metric
with its quality target, the named parameters with their canonical initial values, and a
NumPy float64 reference forward pass. It imports NumPy only.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable

import numpy as np

from polybench.specs import objectives, ops


@dataclasses.dataclass(frozen=True)
class Adam:
    """Adam with every hyper-parameter explicit (framework defaults differ, e.g. epsilon).

    The update is Algorithm 1 of Kingma & Ba: ``w -= lr * m_hat / (sqrt(v_hat) + epsilon)``
    with bias-corrected moments, epsilon added to sqrt(v_hat). Frameworks whose Adam adds
    epsilon to the uncorrected sqrt(v) (the "epsilon hat" form) must rescale it per step
    to match; the training-parity tests check that they do.

    ``decay`` is the learning-rate schedule: epoch e (from 1) trains at ``rate(e)`` =
    learning_rate × decay^(e−1), set before the epoch starts (1: a constant rate). Each
    framework sets it in its own way (an optimizer attribute, a scheduler, a callback).
    """

    learning_rate: float
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    decay: float = 1.0
    name: str = "adam"

    def rate(self, epoch: int) -> float:
        """The learning rate of epoch ``epoch`` (1 for the first)."""
        return self.learning_rate * self.decay ** (epoch - 1)


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
    convolution kernels are (out_channels, in_channels, height, width) on NCHW inputs;
    LSTM layers are ``kernel`` (in, 4H), ``recurrent_kernel`` (H, 4H) and one ``bias`` (4H),
    gates ordered input, forget, cell candidate, output (see ops.lstm).
    """

    name: str
    shape: tuple[int, ...]
    init: str  # "glorot_uniform", "zeros" or "uniform_inverse_sqrt:N" (U(-1/sqrt(N), 1/sqrt(N)))


def step_lengths(x: np.ndarray) -> np.ndarray:
    """Per sample of a zero-padded sequence batch (N, steps, features): how many steps it has.

    Variable-length samples are stored as their real steps followed by all-zero steps up to
    the array's width. Every real step of the specs that use this form is a one-hot vector,
    never all zeros, so the padding marks itself and any batch carries its own lengths. A
    sample without steps, or a zero step before a real one, is not of this form: ValueError.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"a padded sequence batch has 3 axes (samples, steps, features), not shape {x.shape}")
    present = x.any(axis=2)
    lengths = present.sum(axis=1)
    suffix_padded = present == (np.arange(x.shape[1]) < lengths[:, None])
    bad = np.flatnonzero(~suffix_padded.all(axis=1) | (lengths == 0))
    if len(bad):
        raise ValueError(
            f"sample {bad[0]} is not a sequence followed by zero padding: "
            f"it has no steps or an all-zero step before a real one"
        )
    return lengths


@dataclasses.dataclass
class Split:
    """One split of a data set: model inputs ``x`` and targets ``y``, row-aligned.

    When ``render`` is set, ``x`` holds each sample's compact description and the model
    input for rows ``i`` is ``render(x[i])``: implementations render per batch instead of
    holding every sample's full input (the moving-square videos).

    When ``lengths`` is set, the samples are sequences of different lengths (the dynamic
    specs, polybench.specs.dynamic): sample ``i``'s steps are ``x[i, :lengths[i]]`` and the
    rest of axis 1 is zero padding (``step_lengths`` reads the same lengths from ``x``). The
    lengths are there so that an implementation can batch by them (trim a batch to its
    longest sample, sort into buckets, count the padded positions) without reading ``x``.
    """

    x: np.ndarray
    y: np.ndarray
    render: Callable[[np.ndarray], np.ndarray] | None = None
    lengths: np.ndarray | None = None

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} rows but y has {len(self.y)}")
        if self.lengths is not None:
            if self.render is not None:
                raise ValueError("a split with lengths holds its padded inputs itself (no render)")
            if not np.array_equal(step_lengths(self.x), self.lengths):
                raise ValueError("lengths differ from the padded inputs' own (step_lengths(x))")

    def __len__(self) -> int:
        return len(self.x)

    def head(self, n: int | None) -> Split:
        """The first ``n`` rows (all of them when ``n`` is None)."""
        if n is None:
            return self
        lengths = None if self.lengths is None else self.lengths[:n]
        return Split(self.x[:n], self.y[:n], self.render, lengths)

    def inputs(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Model inputs of the given rows, rendered if the split is compact."""
        return self.x[rows] if self.render is None else self.render(self.x[rows])


SPLITS = ("train", "val", "test")


@dataclasses.dataclass(frozen=True)
class Columns:
    """A group of CSV columns parsed into one array: (N,) for one column, (N, k) for several."""

    names: tuple[str, ...]
    dtype: str  # a NumPy dtype name, or "str" for text


def numbered(prefix: str, count: int) -> tuple[str, ...]:
    """Column names prefix0 .. prefix{count-1}."""
    return tuple(f"{prefix}{i}" for i in range(count))


def dense_flops(inputs: int, outputs: int) -> int:
    """Forward FLOPs of a dense layer on one input vector: a multiply-add per weight, plus the bias."""
    return 2 * inputs * outputs + outputs


def conv_flops(in_channels: int, out_channels: int, kernel: int, out_height: int, out_width: int) -> int:
    """Forward FLOPs of a square-kernel convolution on one image."""
    return (2 * in_channels * kernel * kernel + 1) * out_channels * out_height * out_width


def lstm_flops(steps: int, inputs: int, units: int) -> int:
    """Forward FLOPs of an LSTM layer on one sequence: the four gates' products and bias
    per step (the elementwise gate arithmetic, a few percent, is not counted)."""
    return steps * (2 * (inputs + units) * 4 * units + 4 * units)


def dense_parameters(name: str, inputs: int, outputs: int) -> list[Parameter]:
    """A dense layer's kernel (in, out) and bias."""
    return [
        Parameter(f"{name}.kernel", (inputs, outputs), "glorot_uniform"),
        Parameter(f"{name}.bias", (outputs,), "zeros"),
    ]


def lstm_parameters(name: str, inputs: int, units: int) -> list[Parameter]:
    """An LSTM layer's kernel (in, 4H), recurrent kernel (H, 4H) and bias (4H), gates i, f, g, o,
    all drawn from U(-1/sqrt(H), 1/sqrt(H)) (PyTorch's LSTM initialisation, with which the
    toy tasks' targets were reached; a Keras-style Glorot/orthogonal/forget-bias-1 start
    left addition unstable in its last epoch for one seed of three)."""
    init = f"uniform_inverse_sqrt:{units}"
    return [
        Parameter(f"{name}.kernel", (inputs, 4 * units), init),
        Parameter(f"{name}.recurrent_kernel", (units, 4 * units), init),
        Parameter(f"{name}.bias", (4 * units,), init),
    ]


def lstm_reference(params: dict[str, np.ndarray], name: str, x: np.ndarray, **kwargs) -> np.ndarray:
    """ops.lstm with the named layer's canonical parameters."""
    return ops.lstm(x, params[f"{name}.kernel"], params[f"{name}.recurrent_kernel"], params[f"{name}.bias"], **kwargs)


def dense_reference(params: dict[str, np.ndarray], name: str, x: np.ndarray) -> np.ndarray:
    """ops.dense with the named layer's canonical parameters (over the last axis)."""
    return ops.dense(x, params[f"{name}.kernel"], params[f"{name}.bias"])


def task_profiles(
    epochs: int,
    batch_size: int,
    learning_rate: float,
    quick_sizes: tuple[int, int, int],
    time_limit_s: float,
    beta_2: float = 0.999,
    decay: float = 1.0,
) -> dict[str, Profile]:
    """A toy task's profiles: ``full`` as its spec says, ``quick`` one epoch on small slices
    (sizes in samples, train/val/test)."""
    adam = Adam(learning_rate=learning_rate, beta_1=0.9, beta_2=beta_2, epsilon=1e-7, decay=decay)
    train, val, test = quick_sizes
    return {
        "quick": Profile(
            "quick",
            epochs=1,
            batch_size=batch_size,
            optimizer=adam,
            train_size=train,
            val_size=val,
            test_size=test,
            time_limit_s=300,
        ),
        "full": Profile("full", epochs=epochs, batch_size=batch_size, optimizer=adam, time_limit_s=time_limit_s),
    }


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
        elif p.init.startswith("uniform_inverse_sqrt:"):  # U(-1/sqrt(n), 1/sqrt(n)), n after the colon
            limit = 1.0 / np.sqrt(int(p.init.split(":")[1]))
            value = rng.uniform(-limit, limit, size=p.shape)
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
    #: Loss the implementations minimise (a name in objectives.LOSSES).
    loss: str
    #: The task's quality measure and the full profile's target.
    metric: Metric
    #: Profiles by name; "full" is the reference configuration that must reach the target.
    profiles: dict[str, Profile]
    #: Shape of one input sample, canonical layout (images are channels-first).
    input_shape: tuple[int, ...]
    #: Shape of one sample's model output (logits for classification).
    output_shape: tuple[int, ...]
    #: Dropout rates by layer name (zero-rate dropout is omitted).
    dropout: dict[str, float] = {}
    #: Further metrics reported beside the main one (names in objectives.METRICS).
    extra_metrics: tuple[str, ...] = ()

    @property
    @abc.abstractmethod
    def parameters(self) -> list[Parameter]:
        """The named trainable parameters, in canonical order and layout."""

    @abc.abstractmethod
    def forward_flops(self) -> int:
        """Floating-point operations of one sample's forward pass, counted from the layers."""

    def train_flops_per_sample(self) -> int:
        """FLOPs of one training sample, forward and backward: the backward pass of these
        layers costs about twice the forward (gradients for inputs and for weights)."""
        return 3 * self.forward_flops()

    @abc.abstractmethod
    def reference_forward(self, params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
        """The model's eval-mode forward pass in NumPy float64: the executable definition."""

    #: The CSV schema: column groups, in file order, each parsed into one array.
    schema: dict[str, Columns]

    @abc.abstractmethod
    def split_sources(self) -> dict[str, tuple[str, slice]]:
        """For "train", "val" and "test": the CSV file in the data folder and its rows."""

    @abc.abstractmethod
    def render(self, columns: dict[str, np.ndarray]) -> Split:
        """Parsed CSV columns (by schema group) -> model inputs and targets."""

    @abc.abstractmethod
    def csv_rows(self) -> dict[str, int]:
        """Data rows each CSV file in the data folder holds when complete."""

    def csv_files(self) -> list[str]:
        """Names of the CSV files in the data folder that this spec reads."""
        return list(dict.fromkeys(name for name, _ in self.split_sources().values()))

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

    @property
    def has_lstm(self) -> bool:
        """Whether the model has an LSTM layer (one made by ``lstm_parameters``)."""
        return any(p.name.endswith(".recurrent_kernel") for p in self.parameters)

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
        return objectives.LOSSES[self.loss](outputs, y)

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        """Model outputs -> predictions in the targets' form: class ids for softmax outputs,
        0/1 for sigmoid outputs, the values themselves for regression."""
        if self.loss == "softmax_cross_entropy":
            return outputs.argmax(axis=-1)
        if self.loss == "sigmoid_binary_cross_entropy":
            return (outputs > 0).astype(np.float32)
        return outputs

    def compute_metric(self, outputs: np.ndarray, y: np.ndarray, name: str | None = None) -> float:
        """The spec's metric (or the named extra one) on host arrays."""
        return objectives.METRICS[name or self.metric.name](self.predictions(outputs), y)


class GeneratedSpec(Spec):
    """A task whose data the spec generates itself, from its own fixed data seed.

    The data do not depend on a run's seed: every run, framework and seed trains on the
    same samples; the run seed decides the initial weights and the shuffle order.
    """

    #: Seed of the data generator.
    data_seed: int = 0
    #: Full sizes of the "train", "val" and "test" splits (in samples as generated).
    sizes: dict[str, int]

    @property
    def dataset(self) -> str:
        return self.name

    @abc.abstractmethod
    def generate(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``n`` samples in compact form, as CSV column groups per ``schema``."""

    def generate_splits(self) -> dict[str, dict[str, np.ndarray]]:
        """Every split, drawn in order train, val, test from one generator."""
        rng = np.random.default_rng(self.data_seed)
        return {split: self.generate(self.sizes[split], rng) for split in SPLITS}

    def split_sources(self) -> dict[str, tuple[str, slice]]:
        return {split: (f"{self.name}_{split}.csv", slice(None)) for split in SPLITS}

    def csv_rows(self) -> dict[str, int]:
        return {f"{self.name}_{split}.csv": self.sizes[split] for split in SPLITS}
