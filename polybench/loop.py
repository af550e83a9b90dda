"""The one epoch/batch loop every framework is trained by.

It owns the epochs, the seeded shuffle (one permutation per epoch, the same for every
framework), the batch boundaries, the clock, validation after each epoch and the test
at the end. It never imports a framework: it talks to an ``Implementation``.

Timing: an epoch's clock starts after a sync and stops after the epoch's training loss
has been read back from the device and the device synced, so no queued work escapes it.
Validation is outside the clock.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import time
from collections.abc import Callable

import numpy as np

from polybench.frameworks.base import IdiomaticTrainer, Implementation
from polybench.specs.base import Metric, Spec, Split

_SHUFFLE_STREAM = 1
#: The record's ``shuffle`` for runs through this loop.
SHUFFLE = "shared loop: one NumPy permutation per epoch from the run seed, the same in every framework"


class DivergedError(RuntimeError):
    """Training produced a non-finite loss."""


@dataclasses.dataclass
class EpochRow:
    """What one epoch produced."""

    epoch: int
    train_loss: float
    val_loss: float
    val_metric: float
    seconds: float


@dataclasses.dataclass
class TrainingResult:
    """Everything the loop measured in one training run."""

    epochs: list[EpochRow]
    test_loss: float
    test_metric: float
    test_outputs: np.ndarray
    train_samples: int
    test_extra_metrics: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def first_epoch_seconds(self) -> float:
        """Wall time of epoch 1 (includes warm-up and any compilation)."""
        return self.epochs[0].seconds

    @property
    def steady_epoch_seconds(self) -> float | None:
        """Median wall time of epochs 2..n; None with a single epoch."""
        rest = [row.seconds for row in self.epochs[1:]]
        return statistics.median(rest) if rest else None

    @property
    def samples_per_second(self) -> float:
        """Training samples per second in the steady state (epoch 1 if it is the only one)."""
        seconds = self.steady_epoch_seconds or self.first_epoch_seconds
        return self.train_samples / seconds

    def time_to_target(self, metric: Metric) -> float | None:
        """Cumulative training seconds at the end of the first epoch whose validation
        metric met the target; None if none did."""
        elapsed = 0.0
        for row in self.epochs:
            elapsed += row.seconds
            if metric.met(row.val_metric):
                return elapsed
        return None

    @property
    def train_seconds(self) -> float:
        """Total training time, all epochs."""
        return sum(row.seconds for row in self.epochs)


def epoch_orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    """One permutation of ``range(n)`` per epoch, from the run seed's shuffle stream
    (a stream of its own, independent of the weight initialisation's)."""
    rng = np.random.default_rng([seed, _SHUFFLE_STREAM])
    return [rng.permutation(n) for _ in range(epochs)]


def batch_indices(order: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Consecutive slices of ``order``; the last batch keeps the remainder."""
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def timed_epoch(impl: Implementation, batches: list[np.ndarray]) -> tuple[float, float]:
    """One epoch's training steps on the clock: (mean training loss, seconds).

    The clock starts after a sync and stops once the loss has been read back and the
    device synced again, so no queued work escapes it."""
    impl.sync()
    start = time.perf_counter()
    for index in batches:
        impl.train_step(index)
    train_loss = impl.take_train_loss()
    impl.sync()
    return train_loss, time.perf_counter() - start


def evaluate(impl: Implementation, spec: Spec, split_name: str, split: Split) -> tuple[float, float, np.ndarray]:
    """(loss, metric, outputs) of the implementation on a loaded split, scored by the spec."""
    outputs = impl.predict(split_name)
    return spec.compute_loss(outputs, split.y), spec.compute_metric(outputs, split.y), outputs


def _validated_row(
    impl: Implementation, spec: Spec, splits: dict[str, Split], epoch: int, train_loss: float, seconds: float
) -> EpochRow:
    """An epoch's row: its training figures and the validation split scored now (off the clock)."""
    val_loss, val_metric, _ = evaluate(impl, spec, "val", splits["val"])
    return EpochRow(epoch, train_loss, val_loss, val_metric, seconds)


def _check_finite(row: EpochRow) -> None:
    if not math.isfinite(row.train_loss):
        raise DivergedError(f"training loss became {row.train_loss} in epoch {row.epoch}")


def _tested(impl: Implementation, spec: Spec, splits: dict[str, Split], rows: list[EpochRow]) -> TrainingResult:
    """The finished training's result: its epoch rows and the test split scored."""
    test_loss, test_metric, test_outputs = evaluate(impl, spec, "test", splits["test"])
    extra = {name: spec.compute_metric(test_outputs, splits["test"].y, name) for name in spec.extra_metrics}
    return TrainingResult(rows, test_loss, test_metric, test_outputs, len(splits["train"]), extra)


def train(
    impl: Implementation,
    spec: Spec,
    splits: dict[str, Split],
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    on_epoch: Callable[[EpochRow], None] | None = None,
) -> TrainingResult:
    """Train ``impl`` (its data already loaded) and test the final model.

    ``on_epoch`` is called with each epoch's row as soon as it exists. A non-finite
    training loss raises DivergedError after reporting the epoch that produced it.
    """
    rows = []
    for epoch, order in enumerate(epoch_orders(len(splits["train"]), epochs, seed), start=1):
        if epoch > 1 and impl.adam.decay != 1:  # the spec's schedule, off the clock
            impl.set_learning_rate(impl.adam.rate(epoch))
        train_loss, seconds = timed_epoch(impl, batch_indices(order, batch_size))
        rows.append(_validated_row(impl, spec, splits, epoch, train_loss, seconds))
        if on_epoch is not None:
            on_epoch(rows[-1])
        _check_finite(rows[-1])
    return _tested(impl, spec, splits, rows)


def train_idiomatic(
    trainer: IdiomaticTrainer,
    spec: Spec,
    splits: dict[str, Split],
    *,
    epochs: int,
    on_epoch: Callable[[EpochRow], None] | None = None,
) -> TrainingResult:
    """Train through the framework's own loop (``trainer``, mode "idiomatic") and test the final
    model exactly as ``train`` does: same validation after each epoch (off the clock, called
    from the framework's end-of-epoch hook), same test, same rows and DivergedError."""
    rows: list[EpochRow] = []

    def after_epoch(epoch: int, train_loss: float, seconds: float) -> None:
        rows.append(_validated_row(trainer.impl, spec, splits, epoch, train_loss, seconds))
        if on_epoch is not None:
            on_epoch(rows[-1])
        _check_finite(rows[-1])

    trainer.fit(epochs, after_epoch)
    if len(rows) != epochs:
        raise RuntimeError(f"{type(trainer).__name__} reported {len(rows)} epochs of {epochs}")
    return _tested(trainer.impl, spec, splits, rows)
