"""The shared loop: identical batches for every framework, timing, divergence."""

from __future__ import annotations

import numpy as np
import pytest

from polybench import loop
from polybench.frameworks.base import Implementation
from polybench.specs import get_spec
from polybench.specs.base import Split


class RecordingFramework(Implementation):
    """A fake framework that remembers every batch it was given."""

    def __init__(self, spec, params, optimizer, device, dropout=True):
        super().__init__(spec, params, optimizer, device, dropout)
        self.batches, self.events, self.data = [], [], {}

    def load_data(self, splits):
        self.data = splits

    def train_step(self, index):
        self.batches.append(index.copy())
        self.events.append("step")

    def take_train_loss(self):
        return 0.5

    def predict(self, split):
        return np.eye(10)[self.data[split].y]  # perfect one-hot logits

    def forward(self, x):
        raise NotImplementedError

    def sync(self):
        self.events.append("sync")


class OtherFramework(RecordingFramework):
    """A second, different fake framework."""

    def predict(self, split):
        return np.zeros((len(self.data[split]), 10))


def _splits(n_train=300):
    rng = np.random.default_rng(0)
    make = lambda n: Split(rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n))  # noqa: E731
    return {"train": make(n_train), "val": make(50), "test": make(40)}


def _train(cls, splits, seed=0, epochs=3, batch_size=128, **kwargs):
    spec = get_spec("mnist_fcn")
    impl = cls(spec, {}, spec.profile("full").optimizer, "cpu")
    impl.load_data(splits)
    return impl, loop.train(impl, spec, splits, epochs=epochs, batch_size=batch_size, seed=seed, **kwargs)


def test_two_frameworks_get_identical_batches():
    splits = _splits()
    a, _ = _train(RecordingFramework, splits)
    b, _ = _train(OtherFramework, splits)
    assert len(a.batches) == len(b.batches) == 3 * 3  # 300 rows in batches of 128: 128, 128, 44
    assert all(np.array_equal(x, y) for x, y in zip(a.batches, b.batches, strict=True))
    assert [len(x) for x in a.batches[:3]] == [128, 128, 44]


def test_each_epoch_is_a_fresh_permutation_of_every_row():
    impl, _ = _train(RecordingFramework, _splits())
    epochs = [np.concatenate(impl.batches[i * 3:(i + 1) * 3]) for i in range(3)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(300))
    assert not np.array_equal(epochs[0], epochs[1])


def test_the_seed_decides_the_order():
    same, _ = _train(RecordingFramework, _splits(), seed=4)
    again, _ = _train(RecordingFramework, _splits(), seed=4)
    other, _ = _train(RecordingFramework, _splits(), seed=5)
    assert np.array_equal(same.batches[0], again.batches[0])
    assert not np.array_equal(same.batches[0], other.batches[0])


def test_each_timed_epoch_starts_and_ends_with_a_sync():
    impl, _ = _train(RecordingFramework, _splits(), epochs=1)
    assert impl.events[0] == "sync" and impl.events[-1] == "sync"
    assert impl.events[1:-1] == ["step"] * 3


def test_result_rows_metrics_and_timing():
    rows = []
    _, result = _train(RecordingFramework, _splits(), on_epoch=rows.append)
    assert [r.epoch for r in result.epochs] == [1, 2, 3] and rows == result.epochs
    assert result.test_metric == 1.0 and all(r.val_metric == 1.0 for r in result.epochs)
    assert all(r.seconds > 0 for r in result.epochs)
    assert result.steady_epoch_seconds == pytest.approx(np.median([r.seconds for r in result.epochs[1:]]))
    assert result.samples_per_second == pytest.approx(300 / result.steady_epoch_seconds)
    _, scored = _train(OtherFramework, _splits())
    assert scored.test_metric == pytest.approx((_splits()["test"].y == 0).mean())


def test_nan_loss_raises_diverged_after_reporting_the_epoch():
    class Diverging(RecordingFramework):
        def take_train_loss(self):
            return float("nan") if len(self.batches) > 3 else 0.5

    rows = []
    with pytest.raises(loop.DivergedError, match="epoch 2"):
        _train(Diverging, _splits(), on_epoch=rows.append)
    assert len(rows) == 2 and np.isnan(rows[1].train_loss)


def test_time_to_target_sums_epochs_until_the_target_is_met():
    spec = get_spec("mnist_fcn")
    rows = [loop.EpochRow(1, 1.0, 1.0, 0.95, 2.0), loop.EpochRow(2, 0.5, 0.5, 0.976, 1.5),
            loop.EpochRow(3, 0.4, 0.4, 0.99, 1.5)]
    result = loop.TrainingResult(rows, 0.1, 0.98, np.zeros(1), 100)
    assert result.time_to_target(spec.metric) == pytest.approx(3.5)
    assert loop.TrainingResult(rows[:1], 0.1, 0.9, np.zeros(1), 100).time_to_target(spec.metric) is None


def test_harness_cost_per_batch_is_measured_on_the_loops_own_clock():
    per_batch = loop.harness_seconds_per_batch(n_train=10_000, batch_size=100, seed=0)
    assert 0 < per_batch < 1e-3  # a do-nothing step costs the loop microseconds at most
