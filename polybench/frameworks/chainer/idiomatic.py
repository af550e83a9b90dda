"""Chainer's own training loop (mode "idiomatic"): a SerialIterator and ``optimizer.update``.

The loop of Chainer's tutorial ("Write a training loop"): a ``TupleDataset`` over the
loaded arrays, ``chainer.iterators.SerialIterator(shuffle=True)``, ``concat_examples`` to
make each batch, then the forward pass and the loss, ``model.cleargrads()``,
``loss.backward()`` and ``optimizer.update()``. The model (canonical weights), the Adam with
its SpecEpsilon hook and the loss are the eager Implementation's. The iterator repeats: an
epoch's last batch is filled up with the first samples of the next epoch's order, as Chainer
does.

The dynamic models' samples have different lengths: their dataset holds each sample at its own
length (a list of (steps, features) arrays, as Chainer's seq2seq example holds its sentences) and
a converter of the model's own (``ChainerDynamic.convert``) turns a batch of them into the eager
model's inputs (the list of sequences NStepLSTM reads, the nodes of the trees by height), where
``concat_examples`` would need one shape.

``optimizer.update(lossfun, x, t)`` does the same steps in one call but frees the graph
before it updates the parameters; tools/loop_forms.py times the two forms.
"""

from __future__ import annotations

import time

import chainer
import numpy as np
from chainer.dataset import concat_examples

from polybench.frameworks.base import AfterEpoch, IdiomaticTrainer, compiler
from polybench.frameworks.chainer.common import ChainerImplementation
from polybench.frameworks.chainer.dynamic import ChainerDynamic


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
        """A list of (x, t) examples -> batched arrays on the device (rendered when compact; a
        dynamic model's inputs made by its converter)."""
        if isinstance(self.impl, ChainerDynamic):
            return self.impl.convert([x for x, _ in batch]), concat_examples([t for _, t in batch])
        x, t = concat_examples(batch)
        split = self.impl.data["train"].split
        if split.render is not None:
            x = self.impl.device_inputs(split.render(x))
        return x, t

    def fit(self, epochs: int, after_epoch: AfterEpoch) -> None:
        split, x, y = self.impl.data["train"]
        # Compact splits (the moving-square videos) keep their compact rows; _convert renders them.
        inputs = self.impl.sequences("train") if isinstance(self.impl, ChainerDynamic) else split.x if x is None else x
        dataset = chainer.datasets.TupleDataset(inputs, y)
        iterator = chainer.iterators.SerialIterator(dataset, self.batch_size, repeat=True, shuffle=True)
        model, optimizer, loss_fn = self.impl.model, self.impl.optimizer, self.impl.loss_fn
        while iterator.epoch < epochs:
            optimizer.alpha = self.impl.adam.rate(iterator.epoch + 1)  # the spec's schedule (ExponentialShift's way)
            self.impl.sync()
            start, samples = time.perf_counter(), 0
            self.total.fill(0)
            while True:
                x, t = self._convert(iterator.next())
                loss = loss_fn(model(x), t)  # chainer.config.train is on outside evaluation
                model.cleargrads()
                loss.backward()
                optimizer.update()
                self.total += loss.array * len(t)  # stays an array on the device
                samples += len(t)
                if iterator.is_new_epoch:
                    break
            train_loss = float(self.total) / samples
            self.impl.sync()
            after_epoch(iterator.epoch, train_loss, time.perf_counter() - start)

    def compiler(self) -> dict:
        return compiler("none")  # the tutorial's loop runs the Chain define-by-run
