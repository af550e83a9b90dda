"""PyTensor's own training loop (mode "idiomatic"): the Theano tutorials' minibatch loop.

As in the Deep Learning Tutorials that taught Theano (``logistic_sgd.py``, ``mlp.py``,
``lstm.py``'s predecessors): the training set lives in shared variables, the train function
takes a minibatch index and reads its slice through ``givens``, so no batch crosses the
Python boundary, and the loop calls it for each minibatch in the data's order, epoch after
epoch. The graph, weights, Adam updates and loss are the Implementation's. A compact split
(the moving-square videos, rendered per batch) cannot live in a shared variable rendered, so
its batches are rendered and passed in, the tutorials' form for data that does not fit. So are
a dynamic model's, each cut to its own shape: the LSTM tutorial's ``prepare_data`` pads every
minibatch to its longest sequence (var_addition's strategy ``exact``), and the trees go in as
their node arrays (tree_eval's ``by-height``).
"""

from __future__ import annotations

import functools
import time

import numpy as np
import pytensor
import pytensor.tensor as pt

from polybench.frameworks.base import AfterEpoch, IdiomaticTrainer


class Trainer(IdiomaticTrainer):
    """A compiled ``train_model(index)`` over shared data (``givens``), called per minibatch."""

    shuffle = "none: the tutorials' loop walks the minibatches in the data's order every epoch"

    @functools.cached_property
    def train_model(self) -> pytensor.compile.function.types.Function:
        """The loss of minibatch ``index`` after Adam's updates, the training split moved into shared
        variables (compiled on the first call); for a rendered split, of the batch passed in."""
        impl, size = self.impl, self.batch_size
        _, x, y = impl.data["train"]
        if x is None:  # rendered or cut per batch: the batch is an input
            return impl.function([*impl.symbolic_inputs, impl.y], impl.loss, updates=impl.updates)
        index = pt.lscalar("index")
        rows = slice(index * size, (index + 1) * size)
        (inputs,) = impl.symbolic_inputs
        givens = {
            inputs: pytensor.shared(x, name="train_x", borrow=True)[rows],
            impl.y: pytensor.shared(y, name="train_y", borrow=True)[rows],
        }
        return impl.function([index], impl.loss, updates=impl.updates, givens=givens)

    def fit(self, epochs: int, after_epoch: AfterEpoch) -> None:
        samples, rendered = len(self.impl.data["train"].split), self.impl.data["train"].x is None
        starts = range(0, samples, self.batch_size)  # the last minibatch may be shorter
        for epoch in range(1, epochs + 1):
            self.impl.set_learning_rate(self.impl.adam.rate(epoch))
            start, total = time.perf_counter(), 0.0
            train_model = self.train_model  # compiled here in the first epoch, on its clock
            for index, first in enumerate(starts):
                rows = min(self.batch_size, samples - first)
                if rendered:
                    inputs, y = self.impl.batch("train", np.arange(first, first + rows))
                    loss = train_model(*self.impl.arguments(inputs), y)
                else:
                    loss = train_model(index)
                total += float(loss) * rows
            after_epoch(epoch, total / samples, time.perf_counter() - start)

    def compiler(self) -> dict:
        return self.impl.compiler()
