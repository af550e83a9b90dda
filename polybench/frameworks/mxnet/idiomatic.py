"""Gluon's own training loop (mode "idiomatic"): ``hybridize()`` and a ``gluon.Trainer``.

The eager Implementation's block (canonical weights), its Trainer (Adam) and its loss;
the block is hybridized with Gluon's defaults (``model.hybridize()``, as the Gluon tutorials
do). Each epoch shuffles the row numbers with ``mx.nd.random.shuffle`` (seeded by
``mx.random.seed``) and takes batches from the in-memory NDArrays; per batch
``autograd.record()`` / ``backward()`` / ``trainer.step(batch_size)``.

The dynamic models (var_addition, tree_eval) take their batches as the hybridized block needs
them, with a fixed number of inputs whose shapes vary (each model's ``idiomatic_strategy``:
var_addition padded to each batch's longest problem with the lengths beside it, tree_eval by
height); the shapes the block meets are logged as in graph mode.
"""

from __future__ import annotations

import time

from mxnet import autograd, gluon, nd

from polybench.frameworks.base import AfterEpoch, IdiomaticTrainer, compiler
from polybench.frameworks.mxnet.common import GluonImplementation
from polybench.frameworks.mxnet.dynamic import GluonDynamic


class Trainer(IdiomaticTrainer):
    """Gluon hybridize() + gluon.Trainer over shuffled in-memory NDArrays."""

    shuffle = "mx.nd.random.shuffle of the row numbers each epoch, seeded by mx.random.seed(run seed)"

    def __init__(self, impl: GluonImplementation, batch_size: int, seed: int) -> None:
        super().__init__(impl, batch_size, seed)
        self.hybridized = isinstance(impl.model, gluon.HybridBlock)
        if self.hybridized:
            impl.model.hybridize()
        self.dynamic = isinstance(impl, GluonDynamic)
        if self.dynamic:
            impl.use_own_loop()

    def fit(self, epochs: int, after_epoch: AfterEpoch) -> None:
        model, trainer, loss_fn = self.impl.model, self.impl.trainer, self.impl.loss_fn
        n = len(self.impl.data["train"].split)
        for epoch in range(1, epochs + 1):
            trainer.set_learning_rate(self.impl.adam.rate(epoch))  # the spec's schedule, per epoch
            nd.waitall()
            start = time.perf_counter()
            order = nd.random.shuffle(nd.arange(n, ctx=self.impl.device))
            total = nd.zeros((1,), ctx=self.impl.device)
            for begin in range(0, n, self.batch_size):
                x, y = self.impl.batch("train", order[begin : begin + self.batch_size])
                with autograd.record():
                    # a dynamic model's batch is a tuple of inputs, its call logged with its shapes
                    loss = loss_fn(self.impl.logged_call(x) if self.dynamic else model(x), y)
                loss.backward()
                trainer.step(y.shape[0])
                total += loss.sum()
            train_loss = float(total.asscalar()) / n
            nd.waitall()
            after_epoch(epoch, train_loss, time.perf_counter() - start)

    def compiler(self) -> dict:
        """Gluon's defaults: hybridize() without static_alloc or static_shape."""
        return compiler("hybridize", static_alloc=False, static_shape=False) if self.hybridized else compiler("none")
