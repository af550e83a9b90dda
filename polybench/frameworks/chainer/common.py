"""What every Chainer model shares: weight loading, the Adam step, graph mode.

Canonical -> Chainer mapping, in one place:

* Dense: the canonical kernel is (in, out); ``L.Linear.W`` is (out, in), so it gets the
  transpose. Per-step dense layers over (N, T, F) call the link with ``n_batch_axes=2``.
* Convolution: the canonical (out, in, kh, kw) kernel on NCHW inputs is
  ``L.Convolution2D``'s own layout.
* Max-pooling: ``F.max_pooling_2d`` defaults to ``cover_all=True``, which adds a partial
  window at the edge (49x49 -> 25x25); the spec floors (49x49 -> 24x24), so every model
  passes ``cover_all=False``.
* LSTM: written per step (``StepLSTM``), as Chainer's own examples write LSTMs: one
  ``L.Linear`` (in -> 4H, with the one bias) projects every step's input at once, then a
  Python loop adds a bias-free ``L.Linear`` (H -> 4H) of the previous hidden state and calls
  ``F.lstm``. The canonical kernels (in, 4H) and (H, 4H) and the bias (4H,) hold four column
  blocks in the gate order (input, forget, cell candidate, output). ``F.lstm`` reads its
  (N, 4H) pre-activations as (N, H, 4), unit j's gates side by side at columns 4j..4j+3 in
  the order (a, i, f, o), a the cell candidate (``chainer/functions/rnn/lstm.py::
  _extract_gates``). So ``load_step_lstm`` reorders the blocks to (cell, input, forget,
  output), interleaves them per unit and transposes them into L.Linear's (out, in) W.
  No initial state given: zeros (``scheduled_zeros``). ``L.NStepLSTM`` took 1.1-4x this
  form's time per training step on the CPU, eager and graph mode alike
  (``tools/chainer_lstm_forms.py`` measures both forms). With a ``mask`` (N, T) of ones on
  real steps and zeros on padding, a sample's (h, c) is held from its last real step on:
  ``h = m * h_new + (1 - m) * h``, exact for m in {0, 1} (the dynamic models' padded batches).
* ``L.NStepLSTM``, where a model needs Chainer's own variable-length LSTM (var_addition's
  eager encoder reads a list of sequences of different lengths): per layer and direction it
  keeps eight (H, in) or (H, H) matrices ``w0..w7`` and eight (H,) biases ``b0..b7``;
  ``w0..w3`` act on the input, ``w4..w7`` on the previous hidden state, gate k of the input
  side pairing with gate k + 4. ``chainer/functions/rnn/n_step_lstm.py::_lstm`` stacks
  ``[w2, w0, w1, w3]`` into F.lstm's (a, i, f, o), so the order is (input, forget, cell
  candidate, output), the canonical one (the docstring of ``F.n_step_lstm`` swaps w2 and w3;
  the code wins, chainer/chainer#8579, and the forward parity proves it): gate k is column
  block k of the canonical kernels, transposed. Of Chainer's two biases per gate the
  canonical bias goes to ``b0..b3``; ``b4..b7`` are zero and never updated
  (``freeze_nstep_recurrent_biases``), so training moves one bias as the spec's model does.
* Adam: the spec's epsilon is the one of Kingma & Ba's Algorithm 1, added to the
  bias-corrected sqrt(v_hat) (as torch.optim.Adam does). ``chainer.optimizers.Adam``
  uses the paper's faster form instead, ``alpha_t * m / (sqrt(v) + eps)`` with
  ``alpha_t = alpha * sqrt(1 - beta2**t) / (1 - beta1**t)``, which is Algorithm 1 with
  epsilon ``eps / sqrt(1 - beta2**t)``. The ``SpecEpsilon`` hook sets Chainer's eps to
  ``epsilon * sqrt(1 - beta2**t)`` before each step, so both forms take the same step.
"""

from __future__ import annotations

import math

import chainer
import chainer.functions as F
import chainer.links as L
import numpy as np
from chainer import static_code

from polybench.frameworks.base import Implementation, Loaded, compiler
from polybench.frameworks.chainer.runtime import RUNTIME
from polybench.specs.base import Adam, Spec, Split


def _softmax_cross_entropy(logits: chainer.Variable, y) -> chainer.Variable:
    """Mean cross-entropy over every (sample, step): logits (..., classes), int32 y (...)."""
    return F.softmax_cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


#: Loss functions by spec name, and the dtype each wants its targets in.
LOSSES = {
    "softmax_cross_entropy": _softmax_cross_entropy,
    "l1": F.mean_absolute_error,
    "sigmoid_binary_cross_entropy": F.sigmoid_cross_entropy,
}
TARGET_DTYPES = {"softmax_cross_entropy": np.int32, "l1": np.float32, "sigmoid_binary_cross_entropy": np.int32}


def assign(parameter: chainer.Parameter, value: np.ndarray) -> None:
    """Copy a canonical array (already in Chainer's layout) into a parameter, as float32."""
    if parameter.shape != value.shape:
        raise ValueError(f"shape {value.shape} does not fit parameter of shape {parameter.shape}")
    parameter.array[...] = parameter.device.send(np.asarray(value, dtype=np.float32))


def load_linear(link: L.Linear, params: dict[str, np.ndarray], name: str) -> None:
    """Canonical dense (in, out) kernel -> L.Linear's (out, in) W, and its bias."""
    assign(link.W, params[f"{name}.kernel"].T)
    assign(link.b, params[f"{name}.bias"])


def load_conv(link: L.Convolution2D, params: dict[str, np.ndarray], name: str) -> None:
    """Canonical (out, in, h, w) kernel is L.Convolution2D's own layout."""
    assign(link.W, params[f"{name}.kernel"])
    assign(link.b, params[f"{name}.bias"])


def dropout(x, rates: dict[str, float], name: str):
    """F.dropout at the named layer's rate; the identity when the layer has none (or in eval).
    While a graph-mode model is being traced for training, the scheduled dropout instead."""
    if name not in rates:
        return x
    if chainer.config.schedule_func is not None and chainer.config.train:
        return scheduled_dropout(x, rates[name])
    return F.dropout(x, rates[name])


@static_code
def _draw_dropout_mask(ratio: float, state: dict[str, int], outputs: list) -> None:
    """Fill ``outputs[0]`` in place with a fresh inverted-dropout mask, drawn as F.dropout draws
    its CPU masks. Call 1 is the trace; call 2 is the schedule's own run in that same step,
    which keeps call 1's mask (the trace's graph, which the first backward uses, holds it)."""
    state["calls"] += 1
    if state["calls"] == 2:
        return
    mask = outputs[0]
    xp = chainer.backend.get_array_module(mask)
    mask[...] = mask.dtype.type(1.0 / (1.0 - ratio)) * (xp.random.rand(*mask.shape) >= ratio)


def scheduled_dropout(x: chainer.Variable, ratio: float) -> chainer.Variable:
    """Dropout that a static schedule replays correctly: x times a mask buffer that a
    ``@static_code`` function refills every step. (F.dropout keeps its first mask on its
    FunctionNode, so a replayed schedule would reuse that one mask for every step.)"""
    mask = x.xp.empty(x.shape, dtype=x.dtype)
    _draw_dropout_mask(ratio, {"calls": 0}, outputs=[mask])
    return x * mask


@static_code
def _zeros(xp, shape: tuple[int, ...], dtype) -> tuple:
    """A new zero array, allocated by the schedule on every replay."""
    return (xp.zeros(shape, dtype=dtype),)


def scheduled_zeros(xp, shape: tuple[int, ...], dtype) -> chainer.Variable:
    """A zero state that a static schedule makes anew on every replay (a plain ``xp.zeros``
    runs only while tracing, and its array is gone when an eval-mode schedule replays); in
    eager mode, plain zeros."""
    return chainer.Variable(_zeros(xp, shape, dtype)[0])


#: Where each of F.lstm's (a, i, f, o) gates sits among the canonical (i, f, c, o) blocks.
CANONICAL_BLOCK_OF_GATE = (2, 0, 1, 3)


def interleave_gates(canonical: np.ndarray) -> np.ndarray:
    """(..., 4H) canonical (i, f, c, o) blocks -> (..., 4H) in F.lstm's per-unit (a, i, f, o) order."""
    blocks = np.split(canonical, 4, axis=-1)
    return np.stack([blocks[k] for k in CANONICAL_BLOCK_OF_GATE], axis=-1).reshape(canonical.shape)


class StepLSTM(chainer.Chain):
    """One LSTM layer and direction: ``input`` (in -> 4H, with the bias) and ``recurrent``
    (H -> 4H, no bias) in F.lstm's gate layout. Zero initial state."""

    def __init__(self, in_size: int, out_size: int) -> None:
        super().__init__()
        self.out_size = out_size
        with self.init_scope():
            self.input = L.Linear(in_size, 4 * out_size)
            self.recurrent = L.Linear(out_size, 4 * out_size, nobias=True)

    def forward(self, x, reverse: bool = False, mask=None) -> list[chainer.Variable]:
        """x: (N, T, in) -> the T hidden states (N, H) in time order; ``reverse`` reads the
        sequence from its last step to its first (the backward direction). With ``mask`` (N, T),
        1 on a sample's real steps and 0 on its padding (forward direction), each sample's state
        is held from its last real step on, so the last state is each sample's own."""
        n, steps = x.shape[:2]
        gates = F.separate(self.input(x, n_batch_axes=2), axis=1)  # every step's input projection at once
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        if mask is not None and reverse:
            raise ValueError("StepLSTM masks padded steps in the forward direction only")
        c = scheduled_zeros(self.xp, (n, self.out_size), x.dtype)
        h = None
        hs = [None] * steps
        for t in order:
            c_new, h_new = F.lstm(c, gates[t] if h is None else gates[t] + self.recurrent(h))
            if mask is None:
                c, h = c_new, h_new
            else:  # a mask, not F.where: a static schedule would replay where's first condition
                real = mask[:, t : t + 1]  # (N, 1), broadcast over the units
                c = real * c_new + (1 - real) * c
                h = real * h_new if h is None else real * h_new + (1 - real) * h
            hs[t] = h
        return hs


def load_step_lstm(link: StepLSTM, params: dict[str, np.ndarray], name: str) -> None:
    """Canonical LSTM ``name`` -> a StepLSTM (the mapping in the module docstring)."""
    assign(link.input.W, interleave_gates(params[f"{name}.kernel"]).T)
    assign(link.input.b, interleave_gates(params[f"{name}.bias"]))
    assign(link.recurrent.W, interleave_gates(params[f"{name}.recurrent_kernel"]).T)


def load_nstep_lstm(link: L.NStepLSTM, params: dict[str, np.ndarray], name: str) -> None:
    """Canonical LSTM ``name`` -> a one-layer, one-direction NStepLSTM (the mapping in the module
    docstring): w{k} and w{k+4} from the k-th column blocks of the kernels, transposed; the bias
    to b0..b3, zeros to b4..b7."""
    weights = link[0]
    gates = zip(
        np.split(params[f"{name}.kernel"], 4, axis=1),
        np.split(params[f"{name}.recurrent_kernel"], 4, axis=1),
        np.split(params[f"{name}.bias"], 4),
        strict=True,
    )
    for k, (kernel, recurrent, bias) in enumerate(gates):
        assign(getattr(weights, f"w{k}"), kernel.T)
        assign(getattr(weights, f"w{k + 4}"), recurrent.T)
        assign(getattr(weights, f"b{k}"), bias)
        assign(getattr(weights, f"b{k + 4}"), np.zeros_like(bias))


def freeze_nstep_recurrent_biases(model: chainer.Chain) -> None:
    """Keep every NStepLSTM's recurrent-side biases b4..b7 at zero: the spec's LSTM has one bias,
    and Adam would move two trainable ones twice as fast. Call after ``optimizer.setup`` (which
    creates the update rules)."""
    for link in model.links():
        if isinstance(link, L.NStepLSTM):
            for weights in link:
                for k in range(4, 8):
                    getattr(weights, f"b{k}").update_rule.enabled = False


class SpecEpsilon:
    """Optimizer hook: gives chainer.optimizers.Adam the spec's epsilon at every step
    (see the module docstring; Adam's own ``eps`` is the paper's epsilon-hat)."""

    name = "SpecEpsilon"
    timing = "pre"  # before the update; optimizer.t is then the previous step's number
    call_for_each_param = False

    def __init__(self, epsilon: float) -> None:
        self.epsilon = epsilon

    def __call__(self, optimizer: chainer.optimizers.Adam) -> None:
        optimizer.eps = self.epsilon * math.sqrt(1.0 - optimizer.beta2 ** (optimizer.t + 1))


class StaticGraph(chainer.Chain):
    """Graph mode: the whole model as one Chainer static subgraph (``chainer.static_graph``).

    The first call for each (train or eval, input shape) runs the model define-by-run while
    tracing its functions into a static schedule, then runs that schedule; the first
    backward traces the backward schedule the same way. Every later call with that key
    replays the schedules without building a graph in Python. So the tracing lands in the
    first epoch: its first step, its shorter last batch, and each eval batch shape.
    Two things the plain trace would get wrong are scheduled instead: dropout masks
    (``scheduled_dropout``) and the LSTMs' zero initial states (``scheduled_zeros``)."""

    def __init__(self, model: chainer.Chain) -> None:
        super().__init__()
        with self.init_scope():
            self.model = model

    #: The decorator's arguments, for the record's compiler entry.
    options: dict = {}

    @chainer.static_graph
    def forward(self, x):
        return self.model(x)


class StaticGraphPerPhase(StaticGraph):
    """A StaticGraph whose kept schedules are dropped whenever the phase changes (train to eval
    or back: ``minimize_cache_size=True``, Chainer's own bound on the cache), for a model whose
    input shapes change from batch to batch: a plain StaticGraph keeps every shape's schedules
    for the rest of the run."""

    options = {"minimize_cache_size": True}

    @chainer.static_graph(minimize_cache_size=True)
    def forward(self, x):
        return self.model(x)


class ChainerImplementation(Implementation):
    """A chainer.Chain trained with chainer.optimizers.Adam; subclasses only build the Chain.
    ``device`` is a chainer.backend.Device ("@numpy" on the CPU)."""

    runtime = RUNTIME
    #: The Chain that wraps the model in graph mode.
    static_graph: type[StaticGraph] = StaticGraph

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
        self.model = self.build(params)
        self.model.to_device(self.device)
        # Graph mode: the model runs as one chainer.static_graph subgraph (StaticGraph), traced on
        # its first calls and replayed after; the tracing lands in the first epoch's time.
        self.network = self.static_graph(self.model) if mode == "graph" else self.model
        self.optimizer = chainer.optimizers.Adam(
            alpha=optimizer.learning_rate, beta1=optimizer.beta_1, beta2=optimizer.beta_2, eps=optimizer.epsilon
        )
        self.optimizer.setup(self.model)
        self.optimizer.add_hook(SpecEpsilon(optimizer.epsilon))
        self.loss_fn = LOSSES[spec.loss]
        self.target_dtype = TARGET_DTYPES[spec.loss]
        self.loss_sum = self.device.xp.zeros((), dtype=np.float32)

    def load_data(self, splits: dict[str, Split]) -> None:
        for name, split in splits.items():
            x = None if split.render else self.device_inputs(split.x)
            self.data[name] = Loaded(split, x, self.device.send(np.asarray(split.y, dtype=self.target_dtype)))

    def device_inputs(self, x: np.ndarray):
        return self.device.send(np.asarray(x, dtype=np.float32))

    def batch(self, split: str, rows: np.ndarray) -> tuple:
        loaded, x, y = self.data[split]
        index = self.device.send(rows)
        return (self.device_inputs(loaded.inputs(rows)) if x is None else x[index]), y[index]

    def set_learning_rate(self, rate: float) -> None:
        self.optimizer.alpha = rate  # Adam's hyperparameter, as chainer.training.extensions.ExponentialShift sets it

    def train_step(self, index: np.ndarray) -> None:
        x, y = self.batch("train", index)
        with chainer.using_config("train", True), chainer.using_config("enable_backprop", True):
            loss = self.loss_fn(self.network(x), y)
        self.model.cleargrads()
        loss.backward()
        self.optimizer.update()
        self.loss_sum += loss.array * len(index)  # stays an array on the device
        self.loss_samples += len(index)

    def take_loss_sum(self) -> float:
        total = float(self.loss_sum)
        self.loss_sum.fill(0)
        return total

    def evaluate(self, inputs):
        with chainer.using_config("train", False), chainer.using_config("enable_backprop", False):
            return self.network(inputs).array

    def to_host(self, outputs: list) -> np.ndarray:
        return chainer.get_device("@numpy").send(self.device.xp.concatenate(outputs))

    def sync(self) -> None:
        if self.device.xp is not np:
            self.device.device.synchronize()

    def compiler(self) -> dict:
        return (
            compiler("chainer.static_graph", **self.static_graph.options) if self.mode == "graph" else compiler("none")
        )

    def reset_peak_memory(self) -> None:
        if self.device.xp is not np:
            self.device.xp.get_default_memory_pool().free_all_blocks()

    def peak_memory_bytes(self) -> int | None:
        """On a GPU: the bytes CuPy's memory pool holds. The pool keeps every block it has
        allocated (freed blocks are cached, not returned) and ``reset_peak_memory`` empties
        it, so its holdings are the peak of what the model needed since the reset."""
        if self.device.xp is not np:
            return int(self.device.xp.get_default_memory_pool().total_bytes())
        return None
