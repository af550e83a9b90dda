"""JAX's own training loop (mode "idiomatic"): the Flax NNX tutorials' loop in the form Flax's
performance guide gives for speed.

The guide (flax.readthedocs.io, guides/performance.html) says ``nnx.jit`` traverses the module
graph in Python on every call and recommends, for small and medium models, the functional
training loop: ``nnx.split`` the model and optimizer once, ``jax.jit`` a step that merges,
steps and splits inside the trace, ``nnx.update`` them back when the loop stops. Batches are
NumPy slices of the training rows (a fresh ``jax.random.permutation`` each epoch), as the Flax
examples feed them; the batch loss is summed on the device and read back once per epoch. On
addition (batch 32, quick sizes, quiet 2-core CPU, ``tools/jax_step_forms.py``, median of five
repeats) this took 0.85 ms per step against 1.91 ms for ``nnx.jit`` called with the module and
the batch gathered on the device.

The model, its canonical weights, the nnx.Optimizer (Optax Adam) and the loss are the eager
Implementation's; its LSTM layers run as ``nnx.RNN`` (a scan over time), as a Flax model is
written, not the eager mode's Python loop, which a jit would unroll into one long trace.

The dynamic models (var_addition, tree_eval) train in one static shape each, as a jitted Flax
step is written (``own_loop_strategy``): problems padded to the longest the task draws with
their lengths beside them for nnx.RNN's ``seq_lengths`` (the Flax SST-2 example likewise feeds
its model padded batches and their lengths; it also buckets its training rows by length with
tf.data, which this loop's random batches do not), trees as the lax.scan over the padded
postfix steps. Each batch is cut to that shape on the host (``impl.batch``, which counts the
padding), each step call logged at the shape jax.jit compiles for, and inference is jitted too
(``nnx.jit``, the examples' eval step).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polybench.frameworks.base import AfterEpoch, IdiomaticTrainer, compiler
from polybench.frameworks.jax.common import LSTM, NNXImplementation, adam_step
from polybench.frameworks.jax.dynamic import JaxDynamic


def functional_step(
    graphdef: nnx.GraphDef, loss_fn: Callable, state: nnx.State, loss_sum: jax.Array, x: jax.Array, y: jax.Array
) -> tuple[nnx.State, jax.Array]:
    """``adam_step`` on the (model, optimizer) that ``graphdef`` and ``state`` describe; returns
    their new state and the running loss sum."""
    model, optimizer = nnx.merge(graphdef, state)
    loss_sum = adam_step(model, optimizer, loss_sum, (x, y), loss_fn)
    return nnx.state((model, optimizer)), loss_sum


def wait_for_device() -> None:
    """Wait for every array on the device (mid-epoch the model's own were donated to the step)."""
    jax.block_until_ready(jax.live_arrays())


class Trainer(IdiomaticTrainer):
    """Flax's functional loop: a jax.jit step over the split (model, optimizer) state, fed
    NumPy batches of jax.random.permutation order."""

    shuffle = "jax.random.permutation each epoch, from a PRNG key of the run seed"

    def __init__(self, impl: NNXImplementation, batch_size: int, seed: int) -> None:
        super().__init__(impl, batch_size, seed)
        self.key = jax.random.key(seed)
        for _, module in nnx.iter_modules(impl.model):
            if isinstance(module, LSTM):
                module.scan = True
        if isinstance(impl, JaxDynamic):
            impl.use_own_loop_form()
        # The graphdef is static (it holds no arrays, and dropout's on/off flag is part of it);
        # the state is donated: each step replaces it. Compiled on the first batch of each
        # shape: that lands in the first epoch's time.
        self.train_step = jax.jit(functional_step, static_argnums=(0, 1), donate_argnums=(2,))

    def fit(self, epochs: int, after_epoch: AfterEpoch) -> None:
        impl = self.impl
        split = impl.data["train"].split
        n = len(split)
        for epoch in range(1, epochs + 1):
            impl.set_learning_rate(impl.adam.rate(epoch))  # the spec's schedule: optax's injected hyperparameter
            impl.set_training(True)  # dropout on; validation (after_epoch) switches it off
            impl.sync()
            start = time.perf_counter()
            graphdef, state = nnx.split((impl.model, impl.optimizer))
            self.key, key = jax.random.split(self.key)
            order = np.asarray(jax.random.permutation(key, n))
            # On the device explicitly (committed), like the step's outputs: an uncommitted
            # array would be a new argument signature and recompile the step every epoch.
            total = jnp.zeros((), jnp.float32, device=impl.device)
            for begin in range(0, n, self.batch_size):
                rows = order[begin : begin + self.batch_size]
                if isinstance(impl, JaxDynamic):  # cut to its strategy's shape, the call logged at it
                    x, y = impl.batch("train", rows)
                    with impl.logged_call("train", x, sync=wait_for_device):
                        state, total = self.train_step(graphdef, impl.loss_fn, state, total, x, y)
                    continue
                x, y = impl.device_inputs(split.inputs(rows)), impl.device_inputs(split.y[rows])
                state, total = self.train_step(graphdef, impl.loss_fn, state, total, x, y)
            nnx.update((impl.model, impl.optimizer), state)
            train_loss = float(total) / n  # reading it back waits for the device
            impl.sync()
            after_epoch(epoch, train_loss, time.perf_counter() - start)

    def compiler(self) -> dict:
        return compiler("xla", via="jax.jit", form="functional (nnx.split/merge)", donate_argnums="2")
