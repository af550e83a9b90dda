"""The shared loop: identical batches for every framework, timing, divergence."""

from __future__ import annotations

import types

import numpy as np
import pytest

from polybench import loop
from polybench.frameworks.base import IdiomaticTrainer, Implementation, Loaded, compiler
from polybench.specs import get_spec
from polybench.specs.base import Adam, Split


class RecordingFramework(Implementation):
    """A fake framework on NumPy that remembers every batch it was given; its "model" answers
    with perfect one-hot logits (its inputs are the targets)."""

    runtime = types.SimpleNamespace(device_of=str)  # the device keeps its name

    def __init__(self, spec, params, optimizer, device, dropout=True):
        super().__init__(spec, params, optimizer, device, dropout)
        self.batches, self.events = [], []

    def build(self, params):
        return None

    def load_data(self, splits):
        self.data = {name: Loaded(split, split.y, split.y) for name, split in splits.items()}

    def device_inputs(self, x):
        return x

    def batch(self, split, rows):
        return self.data[split].x[rows], self.data[split].y[rows]

    def train_step(self, index):
        self.batches.append(index.copy())
        self.events.append("step")
        self.loss_samples += len(index)

    def set_learning_rate(self, rate):
        self.events.append(f"rate {rate:g}")

    def take_loss_sum(self):
        return 0.5 * self.loss_samples

    def evaluate(self, inputs):
        return np.eye(10)[inputs]

    def to_host(self, outputs):
        return np.concatenate(outputs)

    def sync(self):
        self.events.append("sync")

    def compiler(self):
        return compiler("none")


class OtherFramework(RecordingFramework):
    """A second, different fake framework."""

    def evaluate(self, inputs):
        return np.zeros((len(inputs), 10))


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
    epochs = [np.concatenate(impl.batches[i * 3 : (i + 1) * 3]) for i in range(3)]
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


def test_a_decaying_rate_is_set_before_each_later_epoch_off_the_clock():
    spec, splits = get_spec("mnist_fcn"), _splits()
    impl = RecordingFramework(spec, {}, Adam(learning_rate=1e-3, decay=0.5), "cpu")
    impl.load_data(splits)
    loop.train(impl, spec, splits, epochs=3, batch_size=128, seed=0)
    epoch = ["sync", "step", "step", "step", "sync"]
    assert impl.events == [*epoch, "rate 0.0005", *epoch, "rate 0.00025", *epoch]
    constant, _ = _train(RecordingFramework, splits)  # decay 1: the rate is never touched
    assert not any(event.startswith("rate") for event in constant.events)


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
    rows = [
        loop.EpochRow(1, 1.0, 1.0, 0.95, 2.0),
        loop.EpochRow(2, 0.5, 0.5, 0.976, 1.5),
        loop.EpochRow(3, 0.4, 0.4, 0.99, 1.5),
    ]
    result = loop.TrainingResult(rows, 0.1, 0.98, np.zeros(1), 100)
    assert result.time_to_target(spec.metric) == pytest.approx(3.5)
    assert loop.TrainingResult(rows[:1], 0.1, 0.9, np.zeros(1), 100).time_to_target(spec.metric) is None


class FakeOwnLoop(IdiomaticTrainer):
    """A fake framework's own loop: steps the implementation over its own batch order and
    reports each epoch, recording what happened when."""

    shuffle = "reversed rows"

    def __init__(self, impl, batch_size, seed, losses=(0.9, 0.6, 0.4)):
        super().__init__(impl, batch_size, seed)
        self.losses = losses

    def fit(self, epochs, after_epoch):
        order = np.arange(len(self.impl.data["train"].split))[::-1]
        for epoch in range(1, epochs + 1):
            for index in loop.batch_indices(order, self.batch_size):
                self.impl.train_step(index)
            self.impl.events.append("epoch end")
            after_epoch(epoch, self.losses[epoch - 1], 0.25 * epoch)

    def compiler(self):
        return compiler("none")


class CountingPredictions(RecordingFramework):
    def predict(self, split):
        self.events.append(f"predict {split}")
        return super().predict(split)


def _train_idiomatic(trainer_cls, epochs=3, **kwargs):
    spec = get_spec("mnist_fcn")
    impl = CountingPredictions(spec, {}, spec.profile("full").optimizer, "cpu")
    splits = _splits()
    impl.load_data(splits)
    trainer = trainer_cls(impl, 128, 0)
    return impl, loop.train_idiomatic(trainer, spec, splits, epochs=epochs, **kwargs)


def test_the_frameworks_own_loop_gets_the_same_validation_test_and_rows():
    rows = []
    impl, result = _train_idiomatic(FakeOwnLoop, on_epoch=rows.append)
    assert [(r.epoch, r.train_loss, r.seconds) for r in result.epochs] == [
        (1, 0.9, 0.25),
        (2, 0.6, 0.5),
        (3, 0.4, 0.75),
    ]
    assert rows == result.epochs
    assert all(r.val_metric == 1.0 for r in result.epochs)  # validation scored by the spec after each epoch
    assert result.test_metric == 1.0 and result.train_samples == 300
    # validation right after each epoch's end (off its clock), the test once at the end
    ends = [e for e in impl.events if e in ("epoch end", "predict val", "predict test")]
    assert ends == ["epoch end", "predict val"] * 3 + ["predict test"]
    assert len(impl.batches) == 9 and impl.batches[0].tolist() == list(range(299, 171, -1))


def test_the_frameworks_own_loop_diverging_or_stopping_early_is_an_error():
    class Diverging(FakeOwnLoop):
        def __init__(self, impl, batch_size, seed):
            super().__init__(impl, batch_size, seed, losses=(0.9, float("nan"), 0.4))

    with pytest.raises(loop.DivergedError, match="epoch 2"):
        _train_idiomatic(Diverging)

    class Short(FakeOwnLoop):
        def fit(self, epochs, after_epoch):
            super().fit(epochs - 1, after_epoch)

    with pytest.raises(RuntimeError, match="reported 2 epochs of 3"):
        _train_idiomatic(Short)
