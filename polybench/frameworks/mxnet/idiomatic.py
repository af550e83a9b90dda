"""Gluon's own training loop (mode "idiomatic"): ``hybridize()`` and a ``gluon.Trainer``.

The eager Implementation's block (canonical weights), its Trainer (Adam) and its loss;
the block is hybridized with Gluon's defaults (``net.hybridize()``, as the Gluon tutorials
do). Each epoch shuffles the row numbers with ``mx.nd.random.shuffle`` (seeded by
``mx.random.seed``) and takes batches from the in-memory NDArrays; per batch
``autograd.record()`` / ``backward()`` / ``trainer.step(batch_size)``.
"""

from __future__ import annotations

import time

from mxnet import autograd, gluon, nd

from polybench.frameworks.base import AfterEpoch, IdiomaticTrainer
from polybench.frameworks.mxnet.common import GluonImplementation


class Trainer(IdiomaticTrainer):
    """Gluon hybridize() + gluon.Trainer over shuffled in-memory NDArrays."""

    shuffle = "mx.nd.random.shuffle of the row numbers each epoch, seeded by mx.random.seed(run seed)"

    def __init__(self, impl: GluonImplementation, batch_size: int, seed: int) -> None:
        super().__init__(impl, batch_size, seed)
        self.hybridized = isinstance(impl.net, gluon.HybridBlock)
        if self.hybridized:
            impl.net.hybridize()

    def _batch(self, rows: nd.NDArray) -> tuple[nd.NDArray, nd.NDArray]:
        """Inputs and targets of ``rows``: gathers from the loaded NDArrays (compact splits,
        the moving-square videos, rendered per batch on the host)."""
        split, x, y = self.impl.data["train"]
        if x is None:
            return nd.array(split.inputs(rows.asnumpy().astype("int64")), ctx=self.impl.ctx), y.take(rows)
        return x.take(rows), y.take(rows)

    def fit(self, epochs: int, after_epoch: AfterEpoch) -> None:
        net, trainer, loss_fn = self.impl.net, self.impl.trainer, self.impl.loss_fn
        n = len(self.impl.data["train"][0])
        for epoch in range(1, epochs + 1):
            nd.waitall()
            start = time.perf_counter()
            order = nd.random.shuffle(nd.arange(n, ctx=self.impl.ctx))
            total = nd.zeros((1,), ctx=self.impl.ctx)
            for begin in range(0, n, self.batch_size):
                x, y = self._batch(order[begin : begin + self.batch_size])
                with autograd.record():
                    loss = loss_fn(net(x), y)
                loss.backward()
                trainer.step(x.shape[0])
                total += loss.sum()
            train_loss = float(total.asscalar()) / n
            nd.waitall()
            after_epoch(epoch, train_loss, time.perf_counter() - start)

    def details(self) -> dict:
        return {"hybridized": self.hybridized}
