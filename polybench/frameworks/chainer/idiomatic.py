"""Chainer's own training loop (mode "idiomatic"): a SerialIterator and ``optimizer.update``.

The loop of Chainer's tutorial ("Write a training loop"): a ``TupleDataset`` over the
loaded arrays, ``chainer.iterators.SerialIterator(shuffle=True)``, ``concat_examples`` to
make each batch, and ``optimizer.update(lossfun, x, t)``, which clears the gradients, runs
backward and steps. The model (canonical weights), the Adam with its SpecEpsilon hook and
the loss are the eager Implementation's. The iterator repeats: an epoch's last batch is
filled up with the first samples of the next epoch's order, as Chainer does.
"""

from __future__ import annotations

import time

import chainer
import numpy as np
from chainer.dataset import concat_examples

from polybench.frameworks.base import AfterEpoch, IdiomaticTrainer, compiler
from polybench.frameworks.chainer.common import ChainerImplementation


class Trainer(IdiomaticTrainer):
    """Chainer SerialIterator(shuffle=True) + concat_examples + optimizer.update."""

    shuffle = (
        "chainer SerialIterator(shuffle=True, repeat=True): NumPy's global generator, seeded with the run "
        "seed; an epoch's last batch is filled from the next epoch's order"
    )

    def __init__(self, impl: ChainerImplementation, batch_size: int, seed: int) -> None:
        super().__init__(impl, batch_size, seed)
        self.total = impl.device.xp.zeros((), dtype=np.float32)

    def _convert(self, batch: list) -> tuple:
        """A list of (x, t) examples -> batched arrays on the device (rendered when compact)."""
        x, t = concat_examples(batch)
        split = self.impl.data["train"].split
        if split.render is not None:
            x = self.impl.device_inputs(split.render(x))
        return x, t

    def _loss(self, x, t) -> chainer.Variable:
        loss = self.impl.loss_fn(self.impl.model(x), t)
        self.total += loss.array * len(t)  # stays an array on the device
        return loss

    def fit(self, epochs: int, after_epoch: AfterEpoch) -> None:
        split, x, y = self.impl.data["train"]
        # Compact splits (the moving-square videos) keep their compact rows; _convert renders them.
        dataset = chainer.datasets.TupleDataset(split.x if x is None else x, y)
        iterator = chainer.iterators.SerialIterator(dataset, self.batch_size, repeat=True, shuffle=True)
        optimizer = self.impl.optimizer
        while iterator.epoch < epochs:
            self.impl.sync()
            start, samples = time.perf_counter(), 0
            self.total.fill(0)
            while True:
                x, t = self._convert(iterator.next())
                optimizer.update(self._loss, x, t)
                samples += len(t)
                if iterator.is_new_epoch:
                    break
            train_loss = float(self.total) / samples
            self.impl.sync()
            after_epoch(iterator.epoch, train_loss, time.perf_counter() - start)

    def compiler(self) -> dict:
        return compiler("none")  # the tutorial's loop runs the Chain define-by-run
