"""What every Flax NNX model shares: weight loading, the LSTM layer, the Optax Adam step,
graph mode.

Canonical layouts -> Flax NNX, the whole mapping:

- nnx.Linear: the canonical (in, out) kernel and bias are Flax's own layout.
- nnx.Conv: canonical (out, in, kh, kw) kernels become Flax's HWIO (kh, kw, in, out)
  (``layouts.hwio``); images go channels-last (NHWC), Flax's layout. With one input channel, the canonical (N, 1, H, W)
  and NHWC (N, H, W, 1) hold the same numbers in the same order, so a reshape converts them.
- Flatten after a convolution: NHWC flattens (row, column, channel), the canonical order is
  (channel, row, column), so the rows of the kernel reading the flattened map are permuted
  once at build time (``flattened=``, ``layouts.channels_last_rows``).
- LSTM: nnx.OptimizedLSTMCell (the fused cell) keeps an input layer ``dense_i`` with kernel
  (in, 4H) and no bias and a hidden-state layer ``dense_h`` with kernel (H, 4H) and ONE bias
  (4H), and splits their sum into gates i, f, g, o: exactly the canonical layout and gate
  order, so nothing is transposed or split, and the cell trains one bias as the spec's model
  does. Its gate and cell activations are sigmoid and tanh (Flax's defaults, written out);
  the state starts from zeros. A bidirectional layer is two ``LSTM`` modules, the canonical
  "forward" and "backward" directions, the backward one built with ``reverse=True``.
- Adam: optax.adam computes ``mu_hat / (sqrt(nu_hat + eps_root) + eps)`` with bias-corrected
  moments, i.e. epsilon is added to sqrt(v_hat): the spec's Algorithm 1 form as it stands
  (eps_root = 0, no rescaling needed, unlike Keras' "epsilon hat" form).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from polybench.frameworks.base import Implementation, Loaded, compiler
from polybench.frameworks.jax.runtime import RUNTIME
from polybench.frameworks.layouts import channels_last_rows, hwio
from polybench.specs.base import Adam, Spec, Split


def _softmax_cross_entropy(logits: jax.Array, y: jax.Array) -> jax.Array:
    """Mean cross-entropy over every (sample, step): logits (..., classes), integer y (...)."""
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


def _sigmoid_binary_cross_entropy(logits: jax.Array, y: jax.Array) -> jax.Array:
    return optax.sigmoid_binary_cross_entropy(logits, y).mean()


def _l1(outputs: jax.Array, y: jax.Array) -> jax.Array:
    return jnp.abs(outputs - y).mean()


LOSSES: dict[str, Callable[[jax.Array, jax.Array], jax.Array]] = {
    "softmax_cross_entropy": _softmax_cross_entropy,
    "l1": _l1,
    "sigmoid_binary_cross_entropy": _sigmoid_binary_cross_entropy,
}


def assign(variable: nnx.Variable, value: np.ndarray) -> None:
    """Put a canonical array (already in Flax's layout) into a parameter."""
    current = variable[...]  # Flax 0.12 deprecates ``.value`` for array variables
    if tuple(current.shape) != value.shape:
        raise ValueError(f"shape {value.shape} does not fit parameter of shape {tuple(current.shape)}")
    variable[...] = jnp.asarray(value, dtype=current.dtype)


def load_linear(
    layer: nnx.Linear, params: dict[str, np.ndarray], name: str, flattened: tuple[int, int, int] | None = None
) -> None:
    """Canonical dense kernel (in, out) and bias, as they are; ``flattened`` = (C, H, W) when the
    layer reads a channels-last feature map flattened in NHWC order."""
    assign(layer.kernel, channels_last_rows(params[f"{name}.kernel"], flattened))
    assign(layer.bias, params[f"{name}.bias"])


def load_conv(layer: nnx.Conv, params: dict[str, np.ndarray], name: str) -> None:
    """Canonical (out, in, kh, kw) kernel -> Flax's HWIO (kh, kw, in, out), and the bias."""
    assign(layer.kernel, hwio(params[f"{name}.kernel"]))
    assign(layer.bias, params[f"{name}.bias"])


def load_lstm(
    cell: nnx.OptimizedLSTMCell, params: dict[str, np.ndarray], name: str, flattened: tuple[int, int, int] | None = None
) -> None:
    """Canonical LSTM kernel, recurrent kernel and bias: the fused cell's own layout and gate
    order (see the module docstring); ``flattened`` as in ``load_linear`` for the input kernel."""
    assign(cell.dense_i.kernel, channels_last_rows(params[f"{name}.kernel"], flattened))
    assign(cell.dense_h.kernel, params[f"{name}.recurrent_kernel"])
    assign(cell.dense_h.bias, params[f"{name}.bias"])


class LSTM(nnx.Module):
    """One LSTM layer over (N, T, F) from a zero state: nnx.RNN (an nnx.scan over time) when
    ``scan`` is set (graph mode, compiled as one loop), otherwise a Python loop over the time
    steps (eager mode, op by op). ``reverse`` reads the sequence backwards and returns the
    outputs in input order."""

    def __init__(self, inputs: int, units: int, *, rngs: nnx.Rngs, scan: bool, reverse: bool = False) -> None:
        cell = nnx.OptimizedLSTMCell(inputs, units, gate_fn=nnx.sigmoid, activation_fn=jnp.tanh, rngs=rngs)
        self.rnn = nnx.RNN(cell, return_carry=True, reverse=reverse, keep_order=True, rngs=False)
        self.scan = scan
        self.reverse = reverse

    @property
    def cell(self) -> nnx.OptimizedLSTMCell:
        return self.rnn.cell

    def __call__(self, x: jax.Array, lengths: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
        """Every step's hidden state (N, T, H) and the last one (N, H). ``lengths`` (N,), in the
        scan only: the last state is each sample's after its last real step (nnx.RNN's
        ``seq_lengths`` picks it from every step's state: the padded steps are computed and
        discarded, the mask of a padded batch)."""
        zeros = jnp.zeros((x.shape[0], self.cell.hidden_features), x.dtype)
        if self.scan:
            (_, last), outputs = self.rnn(x, initial_carry=(zeros, zeros), seq_lengths=lengths)
            return outputs, last
        if lengths is not None:
            raise ValueError("the LSTM's step loop runs every step it is given: cut the sequence instead")
        carry = (zeros, zeros)
        steps = range(x.shape[1] - 1, -1, -1) if self.reverse else range(x.shape[1])
        outputs = [None] * x.shape[1]
        for t in steps:
            carry, outputs[t] = self.cell(carry, x[:, t])
        return jnp.stack(outputs, axis=1), carry[1]


def _batch_loss(model: nnx.Module, loss_fn: Callable, x: jax.Array, y: jax.Array) -> jax.Array:
    return loss_fn(model(x), y)


def adam_step(
    model: nnx.Module,
    optimizer: nnx.Optimizer,
    loss_sum: jax.Array,
    batch: tuple[jax.Array, jax.Array],
    loss_fn: Callable,
) -> jax.Array:
    """One Adam step on ``batch`` = (x, y); returns ``loss_sum`` plus the batch's summed loss."""
    x, y = batch
    loss, grads = nnx.value_and_grad(_batch_loss)(model, loss_fn, x, y)
    optimizer.update(model, grads)
    return loss_sum + loss * y.shape[0]


def adam_step_on_rows(
    model: nnx.Module,
    optimizer: nnx.Optimizer,
    loss_sum: jax.Array,
    data: tuple[jax.Array, jax.Array],
    rows: jax.Array,
    loss_fn: Callable,
) -> jax.Array:
    """``adam_step`` on the rows ``rows`` of the loaded (x, y): the gather is part of the step."""
    x, y = data
    return adam_step(model, optimizer, loss_sum, (x[rows], y[rows]), loss_fn)


def infer(model: nnx.Module, x: jax.Array) -> jax.Array:
    """The model's outputs on ``x`` (the caller sets eval mode)."""
    return model(x)


class NNXImplementation(Implementation):
    """A Flax NNX module trained with Optax Adam through nnx.Optimizer; subclasses only build the
    module. Graph mode runs the whole step (gather, forward, backward, Adam) under nnx.jit, the
    model's and optimizer's buffers donated; eager mode runs the same functions op by op."""

    runtime = RUNTIME
    #: What nnx.jit donates in graph mode: the buffers each step replaces.
    donated = ("model", "optimizer", "loss_sum")

    def __init__(
        self,
        spec: Spec,
        params: dict[str, np.ndarray],
        optimizer: Adam,
        device: str,
        dropout: bool = True,
        mode: str = "eager",
    ) -> None:
        super().__init__(spec, params, optimizer, device, dropout, mode)
        self.scan = mode == "graph"
        # Parameter initialisers draw from "params" (then overwritten by the canonical weights);
        # dropout masks from "dropout", seeded with the run seed.
        self.rngs = nnx.Rngs(params=0, dropout=RUNTIME.rng_seed)
        with jax.default_device(self.device):
            self.model = self.build(params)
            # The learning rate is a hyperparameter of the optimizer's state (optax's way to change
            # one during training: the spec's schedule), the others stay constants of the step.
            adam = optax.inject_hyperparams(optax.adam, static_args=("b1", "b2", "eps", "eps_root"))
            self.optimizer = nnx.Optimizer(
                self.model,
                adam(
                    learning_rate=optimizer.learning_rate,
                    b1=optimizer.beta_1,
                    b2=optimizer.beta_2,
                    eps=optimizer.epsilon,
                    eps_root=0.0,
                ),
                wrt=nnx.Param,
            )
        # Committed to the device, as the compiled step's outputs are: arrays made under
        # default_device are uncommitted, another argument signature, and the step would compile
        # a second time on its second call.
        both = (self.model, self.optimizer)
        nnx.update(both, jax.device_put(nnx.state(both), self.device))
        self.loss_sum = jnp.zeros((), jnp.float32, device=self.device)
        self.training: bool | None = None
        self.loss_fn = LOSSES[spec.loss]
        if mode == "graph":
            # Tracing and XLA compilation happen on the first call of each batch shape: first-epoch time.
            self.step = nnx.jit(adam_step, donate_argnames=self.donated, static_argnames="loss_fn")
            self.step_on_rows = nnx.jit(adam_step_on_rows, donate_argnames=self.donated, static_argnames="loss_fn")
            self.infer = nnx.jit(infer)
        else:
            self.step, self.step_on_rows, self.infer = adam_step, adam_step_on_rows, infer

    def set_training(self, training: bool) -> None:
        """Dropout on (train) or off (eval); Flax keeps it as a static attribute of the module."""
        if self.training != training:
            self.model.train() if training else self.model.eval()
            self.training = training

    def load_data(self, splits: dict[str, Split]) -> None:
        for name, split in splits.items():
            x = None if split.render else jax.device_put(split.x, self.device)
            self.data[name] = Loaded(split, x, jax.device_put(split.y, self.device))

    def device_inputs(self, x: np.ndarray) -> jax.Array:
        return jax.device_put(x, self.device)

    def batch(self, split: str, rows: np.ndarray) -> tuple[jax.Array, jax.Array]:
        """Slices of the arrays on the device (compact splits rendered per batch on the host)."""
        loaded, x, y = self.data[split]
        return (self.device_inputs(loaded.inputs(rows)) if x is None else x[rows]), y[rows]

    def set_learning_rate(self, rate: float) -> None:
        self.optimizer.opt_state.hyperparams["learning_rate"][...] = rate

    def train_step(self, index: np.ndarray) -> None:
        split, x, y = self.data["train"]
        self.set_training(True)
        rows = jax.device_put(index.astype(np.int32), self.device)
        if x is None:  # rendered per batch on the host (inside the clock: the same for every framework)
            batch = (self.device_inputs(split.inputs(index)), y[rows])
            self.loss_sum = self.step(self.model, self.optimizer, self.loss_sum, batch, loss_fn=self.loss_fn)
        else:
            self.loss_sum = self.step_on_rows(
                self.model, self.optimizer, self.loss_sum, (x, y), rows, loss_fn=self.loss_fn
            )
        self.loss_samples += len(index)

    def take_loss_sum(self) -> float:
        total = float(self.loss_sum)
        self.loss_sum = jnp.zeros((), jnp.float32, device=self.device)
        return total

    def evaluate(self, inputs: jax.Array) -> jax.Array:
        self.set_training(False)
        return self.infer(self.model, inputs)

    def to_host(self, outputs: list[jax.Array]) -> np.ndarray:
        return np.asarray(jnp.concatenate(outputs))

    def sync(self) -> None:
        self.loss_sum.block_until_ready()
        jax.block_until_ready(nnx.state(self.model))

    def compiler(self) -> dict:
        if self.mode != "graph":
            return compiler("none")
        return compiler("xla", via="nnx.jit", donate_argnames=",".join(self.donated))

    def _on_gpu(self) -> bool:
        return self.device.platform == "gpu"

    def reset_peak_memory(self) -> None:
        """XLA's allocator keeps one peak per process and has no reset: the peak then covers
        everything this process placed on the device (the data loaded before training included)."""

    def peak_memory_bytes(self) -> int | None:
        if self._on_gpu():
            stats = self.device.memory_stats() or {}
            return int(stats["peak_bytes_in_use"]) if "peak_bytes_in_use" in stats else None
        return None
