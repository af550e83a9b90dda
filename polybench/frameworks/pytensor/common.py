"""What every PyTensor model shares: the layers as symbolic functions, Adam as ``updates``, the
compiled train and predict functions.

PyTensor keeps Theano's model: the weights are ``pytensor.shared`` variables, a model is a
function from symbolic inputs to symbolic outputs, ``pytensor.grad`` differentiates the loss,
and ``pytensor.function(inputs, outputs, updates=...)`` compiles one callable that computes the
loss and applies every update. There is no optimizer library in PyTensor (Theano's tutorials
write their updates by hand, as here).

Canonical -> PyTensor mapping: none. Every weight is a shared variable holding the canonical
array as float32 in its canonical layout, and the layers below read it the way the spec's
NumPy reference does:

* Dense: ``x @ kernel + bias`` with the (in, out) kernel.
* ReLU: ``relu`` (gradient 0 at 0).
* Convolution: PyTensor 3 has no neural-network convolution (Theano's ``nnet.conv2d`` was
  removed; ``pytensor.tensor.signal.convolve2d`` is SciPy's per-image signal convolution), so
  ``conv2d`` is written as im2col: the kh*kw shifted views of the (padded) input stacked, then one
  matrix product with the kernel, cross-correlation as every framework computes it. It works
  channels-last (NHWC): the models turn the spec's NCHW input with ``channels_last`` and turn back
  before flattening (``channels_first``), so the dense kernels read (channel, row, column) order;
  the (out, in, kh, kw) kernel becomes the (kh*kw*in, out) matrix in ``conv2d``. Max-pooling
  likewise: a reshape to 2x2 windows and the first largest of each, the remainder row and column
  dropped (floor), as the spec pools.
* LSTM: ``pytensor.scan`` over the steps, the input projection of every step computed before
  the loop; the kernel (in, 4H), recurrent kernel (H, 4H) and bias (4H) split into the four
  column blocks (input, forget, cell candidate, output) as the spec's reference splits them.
  Zero initial state.
* Adam: Algorithm 1 of Kingma & Ba with the spec's epsilon added to the bias-corrected
  sqrt(v_hat), in float32; the learning rate is a shared variable set before each epoch.
* Dropout: inverted dropout from a shared random generator seeded by the runtime, in the train
  function's graph only; the predict function has none.
"""

from __future__ import annotations

import functools
import time
from typing import Any, ClassVar

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.tensor.random import shared_rng

from polybench.frameworks.base import Implementation, Loaded, compiler
from polybench.frameworks.pytensor.runtime import DEFAULT_MODE, RUNTIME
from polybench.specs.base import Adam, Spec, Split

FLOAT = "float32"


def dense(x, params: dict, name: str):
    """``x @ kernel + bias`` over the last axis of ``x``."""
    return pt.dot(x, params[f"{name}.kernel"]) + params[f"{name}.bias"]


def conv2d(x, params: dict, name: str, padding: str):
    """Stride-1 cross-correlation of channels-last ``x`` (N, H, W, in) with the canonical (out, in,
    kh, kw) kernel ``name``, as im2col: "same" zero-pads (odd kernels) to keep the size, "valid"
    does not pad. Channels-last, every window's rows are contiguous: the stacked windows are the
    im2col matrix without a copy, and the product's rows are the output's (N, H, W, out)."""
    kernel, bias = params[f"{name}.kernel"], params[f"{name}.bias"]
    out_channels, in_channels, kh, kw = kernel.get_value(borrow=True).shape
    if padding == "same":
        top, left = kh // 2, kw // 2
        padded = pt.zeros((x.shape[0], x.shape[1] + 2 * top, x.shape[2] + 2 * left, x.shape[3]), dtype=FLOAT)
        x = pt.set_subtensor(padded[:, top : top + x.shape[1], left : left + x.shape[2], :], x)
    n, height, width = x.shape[0], x.shape[1] - kh + 1, x.shape[2] - kw + 1
    windows = [x[:, i : i + height, j : j + width, :] for i in range(kh) for j in range(kw)]
    columns = pt.stack(windows, axis=3).reshape((n * height * width, kh * kw * in_channels))
    weights = kernel.dimshuffle(2, 3, 1, 0).reshape((kh * kw * in_channels, out_channels))  # rows (row, column, in)
    return (pt.dot(columns, weights) + bias).reshape((n, height, width, out_channels))


def channels_last(x):
    """NCHW -> NHWC, the layout ``conv2d`` and ``max_pool2d`` work in."""
    return x.dimshuffle(0, 2, 3, 1)


def channels_first(x):
    """NHWC -> NCHW: flattened, the (channel, row, column) order the spec's dense kernels read."""
    return x.dimshuffle(0, 3, 1, 2)


def relu(x):
    """max(x, 0), with the gradient 0 at 0 as the other frameworks take it (``pt.maximum`` passes
    it on at a tie, and ReLU meets exact zeros: a convolution over blank MNIST borders)."""
    return pt.switch(x > 0, x, 0)


def max_pool2d(x, size: int = 2):
    """Non-overlapping max-pooling of channels-last ``x``; a remainder row or column is dropped
    (floor), as the spec pools.

    Each window's gradient goes to its first largest element, as the other frameworks' pooling
    sends it (a ``max`` over the window would share it among ties: blank image regions pool equal
    values)."""
    n, height, width, c = x.shape[0], x.shape[1] // size, x.shape[2] // size, x.shape[3]
    windows = x[:, : height * size, : width * size, :].reshape((n, height, size, width, size, c))
    windows = windows.dimshuffle(0, 1, 3, 5, 2, 4).reshape((n, height, width, c, size * size))
    first_largest = pt.eq(pt.arange(size * size), windows.argmax(axis=-1, keepdims=True))
    return (windows * first_largest).sum(axis=-1)


def lstm(x, params: dict, name: str, reverse: bool = False, return_sequences: bool = False, lengths=None):
    """One LSTM layer over ``x`` (N, T, F) from a zero state, with ``pytensor.scan``: the last
    hidden state (N, H), or every step's (N, T, H) aligned with the input steps. ``reverse``
    reads from the last step to the first. ``lengths`` (N,), for a padded batch: each sample's
    state after its own last real step (the padded steps after it are computed, never read)."""
    kernel, recurrent, bias = (params[f"{name}.{part}"] for part in ("kernel", "recurrent_kernel", "bias"))
    units = recurrent.get_value(borrow=True).shape[0]
    projected = pt.dot(x.dimshuffle(1, 0, 2), kernel) + bias  # (T, N, 4H): every step's input at once

    def step(z_input, h, c, recurrent):
        z = z_input + pt.dot(h, recurrent)
        i, f, g, o = (z[:, k * units : (k + 1) * units] for k in range(4))
        c = pt.sigmoid(f) * c + pt.sigmoid(i) * pt.tanh(g)
        return pt.sigmoid(o) * pt.tanh(c), c

    zeros = pt.zeros((x.shape[0], units), dtype=FLOAT)
    hs, _ = pytensor.scan(
        step,
        sequences=projected,
        outputs_info=[zeros, zeros],
        non_sequences=[recurrent],
        go_backwards=reverse,
        strict=True,
        return_updates=False,
    )
    if lengths is not None:
        return hs[lengths - 1, pt.arange(x.shape[0])]  # (N, H): a padded batch's last real states
    if not return_sequences:
        return hs[-1]  # the state after the last step read
    return (hs[::-1] if reverse else hs).dimshuffle(1, 0, 2)  # (N, T, H) in the input's step order


def softmax_cross_entropy(logits, y):
    """Mean over every (sample, step) of -log softmax(logits)[y]: logits (..., C), int y (...)."""
    log_probs = pt.special.log_softmax(logits.reshape((-1, logits.shape[-1])), axis=-1)
    flat = y.flatten()
    return -log_probs[pt.arange(flat.shape[0]), flat].mean()


def sigmoid_binary_cross_entropy(logits, y):
    """Mean binary cross-entropy of logits against 0/1 targets, in its stable form."""
    return (pt.softplus(logits) - logits * y).mean()


def l1(outputs, y):
    return pt.abs(outputs - y).mean()


#: Loss functions by spec name, and the dtype each wants its targets in.
LOSSES = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "l1": l1,
    "sigmoid_binary_cross_entropy": sigmoid_binary_cross_entropy,
}
TARGET_DTYPES = {"softmax_cross_entropy": np.int32, "l1": np.float32, "sigmoid_binary_cross_entropy": np.float32}


def adam_updates(loss, weights: list, adam: Adam, learning_rate) -> list[tuple]:
    """Adam's updates of ``weights`` for ``loss`` (Algorithm 1, the spec's epsilon on sqrt(v_hat))."""
    step = pytensor.shared(np.float32(0), name="adam.step")
    t = step + 1
    beta_1, beta_2, epsilon = (np.float32(v) for v in (adam.beta_1, adam.beta_2, adam.epsilon))
    updates = [(step, t)]
    for weight, grad in zip(weights, pytensor.grad(loss, weights), strict=True):
        zeros = np.zeros_like(weight.get_value(borrow=True))
        m, v = pytensor.shared(zeros, name=f"{weight.name}.m"), pytensor.shared(zeros.copy(), name=f"{weight.name}.v")
        m_new = beta_1 * m + (1 - beta_1) * grad
        v_new = beta_2 * v + (1 - beta_2) * pt.sqr(grad)
        m_hat, v_hat = m_new / (1 - beta_1**t), v_new / (1 - beta_2**t)
        updates += [(m, m_new), (v, v_new), (weight, weight - learning_rate * m_hat / (pt.sqrt(v_hat) + epsilon))]
    return updates


class PyTensorImplementation(Implementation):
    """A model as a symbolic graph over shared weights, compiled into a train function (loss and
    Adam's updates) and a predict function; subclasses write the graph (``graph``)."""

    runtime = RUNTIME
    #: Dimensions of the model's input batch ((N, 784): 2).
    input_ndim: ClassVar[int]
    #: The PyTensor mode ``pytensor.function`` compiles with: "CVM", Theano's FAST_RUN (graph rewrites,
    #: then each op's C code compiled by g++ and run by the C virtual machine), or "NUMBA" (the
    #: compiler option numba: the whole graph compiled by Numba, PyTensor 3's own default).
    compile_mode: ClassVar[str] = DEFAULT_MODE

    @classmethod
    def compiler_option_settings(cls, name: str) -> dict[str, Any]:
        if name == "numba":
            return {"compile_mode": "NUMBA"}
        return super().compiler_option_settings(name)

    def __init__(
        self,
        spec: Spec,
        params: dict[str, np.ndarray],
        optimizer: Adam,
        device: str,
        dropout: bool = True,
        mode: str = "graph",
    ) -> None:
        # Mode "eager" arrives only from the idiomatic loop's set-up (the runner records eager runs
        # unsupported); PyTensor builds and compiles the same graph in every mode.
        super().__init__(spec, params, optimizer, device, dropout, mode)
        self.params = self.build(params)
        # The dropout masks' generator: each mask draws from the state the previous one left
        # (``dropout``), and the train function stores the last state back (its updates).
        self.rng = shared_rng(seed=self.runtime.rng_seed, name="dropout_rng")
        self.rng_state = self.rng
        self.learning_rate = pytensor.shared(np.float32(optimizer.learning_rate), name="learning_rate")
        self.loss_sum = pytensor.shared(np.float32(0), name="loss_sum")
        self.symbolic_inputs = self.input_variables()
        outputs = self.graph(*self.symbolic_inputs, train=True)
        loss_fn = LOSSES[spec.loss]
        self.target_dtype = TARGET_DTYPES[spec.loss]
        target_ndim = outputs.ndim - 1 if spec.loss == "softmax_cross_entropy" else outputs.ndim
        self.y = pt.tensor("y", dtype=np.dtype(self.target_dtype).name, shape=(None,) * target_ndim)
        self.loss = loss_fn(outputs, self.y)
        self.updates = adam_updates(self.loss, list(self.params.values()), optimizer, self.learning_rate)
        if self.rng_state is not self.rng:
            self.updates.append((self.rng, self.rng_state))
        self.outputs = self.graph(*self.symbolic_inputs, train=False)
        self.compilations, self.compile_seconds = 0, 0.0  # pytensor.function calls (``function``)

    # Both functions compile on their first call, so the compilation lands in the first epoch's time
    # (and the first evaluation's), as a just-in-time compiler's does.
    @functools.cached_property
    def train_function(self) -> pytensor.compile.function.types.Function:
        """One call per batch: the loss, Adam's updates, and the running loss sum (a shared
        variable, read once an epoch)."""
        total = self.loss_sum + self.loss * pt.cast(self.y.shape[0], FLOAT)
        return self.function([*self.symbolic_inputs, self.y], [], updates=[*self.updates, (self.loss_sum, total)])

    @functools.cached_property
    def predict_function(self) -> pytensor.compile.function.types.Function:
        return self.function(self.symbolic_inputs, self.outputs)

    def function(self, inputs: list, outputs, **kwargs) -> pytensor.compile.function.types.Function:
        """``pytensor.function`` in this implementation's mode, counted with its seconds (the graph
        rewrites and the C or Numba compilation all happen in this call)."""
        start = time.perf_counter()
        function = pytensor.function(inputs, outputs, mode=self.compile_mode, **kwargs)
        self.compilations += 1
        self.compile_seconds += time.perf_counter() - start
        return function

    def input_variables(self) -> tuple:
        """The graph's symbolic inputs (``symbolic_inputs``), in the order of a batch's arrays: one
        float32 tensor of ``input_ndim`` dimensions."""
        return (pt.tensor("x", dtype=FLOAT, shape=(None,) * self.input_ndim),)

    @staticmethod
    def arguments(inputs) -> tuple:
        """A batch's inputs as the compiled functions' positional arguments."""
        return inputs if isinstance(inputs, tuple) else (inputs,)

    def build(self, params: dict[str, np.ndarray]) -> dict[str, pytensor.compile.SharedVariable]:
        """The weights: one shared float32 variable per canonical parameter, in its canonical layout."""
        return {name: pytensor.shared(np.asarray(value, dtype=FLOAT), name=name) for name, value in params.items()}

    def graph(self, x, train: bool):
        """The model's symbolic outputs for the symbolic batch ``x`` (dropout when ``train``); a
        model of several inputs takes them all (``input_variables``)."""
        raise NotImplementedError

    def dropout(self, x, name: str, train: bool):
        """Inverted dropout at the named layer's rate while training; the identity otherwise."""
        rate = self.dropout_rates.get(name)
        if not train or not rate:
            return x
        self.rng_state, draws = self.rng_state.uniform(size=x.shape)
        keep = draws >= rate
        return x * pt.cast(keep, FLOAT) / np.float32(1 - rate)

    def load_data(self, splits: dict[str, Split]) -> None:
        for name, split in splits.items():
            x = None if split.render else self.device_inputs(split.x)
            self.data[name] = Loaded(split, x, np.asarray(split.y, dtype=self.target_dtype))

    def device_inputs(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x, dtype=np.float32)

    def batch(self, split: str, rows: np.ndarray) -> tuple:
        loaded, x, y = self.data[split]
        return (self.device_inputs(loaded.inputs(rows)) if x is None else x[rows]), y[rows]

    def set_learning_rate(self, rate: float) -> None:
        self.learning_rate.set_value(np.float32(rate))

    def train_step(self, index: np.ndarray) -> None:
        inputs, y = self.batch("train", index)
        self.train_function(*self.arguments(inputs), y)
        self.loss_samples += len(index)

    def take_loss_sum(self) -> float:
        total = float(self.loss_sum.get_value())
        self.loss_sum.set_value(np.float32(0))
        return total

    def evaluate(self, inputs) -> np.ndarray:
        return self.predict_function(*self.arguments(inputs))

    def to_host(self, outputs: list) -> np.ndarray:
        return np.concatenate(outputs)

    def sync(self) -> None:
        """Nothing to wait for: a compiled PyTensor function returns when its work is done."""

    def compiler(self) -> dict:
        linker = {"CVM": "cvm", "NUMBA": "numba"}[self.compile_mode]
        return compiler("pytensor.function", mode=self.compile_mode, linker=linker)
