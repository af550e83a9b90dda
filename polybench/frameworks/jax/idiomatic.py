"""JAX's own training loop (mode "idiomatic"): the Flax NNX tutorials' loop.

A train step under ``nnx.jit`` (forward, ``nnx.value_and_grad``, ``optimizer.update``) called
once per batch of a fresh ``jax.random.permutation`` each epoch, the batch loss summed on the
device and read back once at the end of the epoch. The model, its canonical weights, the
nnx.Optimizer (Optax Adam) and the loss are the eager Implementation's; its LSTM layers run as
``nnx.RNN`` (a scan over time), as a Flax model is written, not the eager mode's Python loop,
which ``nnx.jit`` would unroll into one long trace.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polybench.frameworks.base import AfterEpoch, IdiomaticTrainer, compiler
from polybench.frameworks.jax.common import LSTM, NNXImplementation, adam_step


class Trainer(IdiomaticTrainer):
    """Flax NNX loop: an nnx.jit train step over jax.random.permutation batches."""

    shuffle = "jax.random.permutation each epoch, from a PRNG key of the run seed"

    def __init__(self, impl: NNXImplementation, batch_size: int, seed: int) -> None:
        super().__init__(impl, batch_size, seed)
        self.key = jax.random.key(seed)
        for _, module in impl.model.iter_modules():
            if isinstance(module, LSTM):
                module.scan = True
        # Compiled on the first batch of each shape: that lands in the first epoch's time.
        self.train_step = nnx.jit(adam_step, static_argnames="loss_fn")

    def fit(self, epochs: int, after_epoch: AfterEpoch) -> None:
        impl = self.impl
        n = len(impl.data["train"].split)
        for epoch in range(1, epochs + 1):
            impl.set_training(True)  # dropout on; validation (after_epoch) switches it off
            impl.sync()
            start = time.perf_counter()
            self.key, key = jax.random.split(self.key)
            order = np.asarray(jax.random.permutation(key, n))
            # On the device explicitly (committed), like the step's outputs: an uncommitted
            # array would be a new argument signature and recompile the step every epoch.
            total = jnp.zeros((), jnp.float32, device=impl.device)
            for begin in range(0, n, self.batch_size):
                batch = impl.batch("train", order[begin : begin + self.batch_size])
                total = self.train_step(impl.model, impl.optimizer, total, batch, loss_fn=impl.loss_fn)
            train_loss = float(total) / n  # reading it back waits for the device
            impl.sync()
            after_epoch(epoch, train_loss, time.perf_counter() - start)

    def compiler(self) -> dict:
        return compiler("xla", via="nnx.jit")

    def details(self) -> dict:
        return {"jit": "nnx.jit"}
