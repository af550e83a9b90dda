"""What every MXNet (Gluon) model shares: weight loading, the Adam step, graph mode.

The canonical -> Gluon mapping (mxnet 1.9.1; tests/test_parity.py proves it):

- ``nn.Dense`` keeps its weight as (out, in), the transpose of the canonical (in, out)
  kernel. By default it flattens its input to (N, -1) in row-major order, which is the
  canonical (channel, row, column) order after an NCHW convolution; ``flatten=False``
  applies it to the last axis of a sequence (N, T, F) instead.
- ``nn.Conv2D`` works on NCHW with an (out, in, h, w) weight: the canonical layout as is.
- ``rnn.LSTM`` keeps, per direction, ``i2h_weight`` (4H, in) and ``h2h_weight`` (4H, H),
  the transposes of the canonical kernels, with the gates in the canonical order
  (input, forget, cell candidate, output; src/operator/rnn_impl.h), and two biases that
  are added: the canonical bias goes to ``i2h_bias`` and ``h2h_bias`` is zero and frozen
  (``grad_req`` "null"), so that training moves one bias as the spec's model does (Adam would
  move two trainable biases twice as fast). Gluon's own parameter names are ``l0_*`` for the
  forward direction and ``r0_*`` for the backward one (``DIRECTION_PREFIXES``); a bidirectional
  layer's output holds the forward then the backward hidden state.
"""

from __future__ import annotations

import math

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd

from polybench.errors import UnsupportedError
from polybench.frameworks.base import Implementation, Loaded, compiler
from polybench.frameworks.mxnet.runtime import RUNTIME
from polybench.specs.base import Adam, Spec, Split

#: Gluon losses give one value per sample: the mean over its steps or elements. Their
#: defaults are the spec's losses: softmax over the last axis with integer labels, on
#: logits; sigmoid cross-entropy on logits.
LOSSES = {
    "softmax_cross_entropy": gluon.loss.SoftmaxCrossEntropyLoss,
    "l1": gluon.loss.L1Loss,
    "sigmoid_binary_cross_entropy": gluon.loss.SigmoidBinaryCrossEntropyLoss,
}


class PaperAdam(mx.optimizer.Adam):
    """Adam as Kingma & Ba's Algorithm 1 (and PyTorch) computes it: epsilon is added to the
    bias-corrected sqrt(v).

    mx.optimizer.Adam folds both bias corrections into the learning rate and adds epsilon
    to the uncorrected sqrt(v): the paper's "epsilon hat". Passing it
    epsilon * sqrt(1 - beta2^t) at step t gives the same update as the spec's epsilon.
    """

    def update(self, index, weight, grad, state):
        self._update_count(index)
        t = self._index_update_count[index]
        coef1, coef2 = 1.0 - self.beta1**t, 1.0 - self.beta2**t
        mean, var = state
        nd.adam_update(
            weight,
            grad,
            mean,
            var,
            out=weight,
            lr=self._get_lr(index) * math.sqrt(coef2) / coef1,
            wd=self._get_wd(index),
            beta1=self.beta1,
            beta2=self.beta2,
            epsilon=self.epsilon * math.sqrt(coef2),
            rescale_grad=self.rescale_grad,
            clip_gradient=self.clip_gradient or -1.0,
            lazy_update=self.lazy_update,
        )


def assign(parameter: gluon.Parameter, value: np.ndarray) -> None:
    """Copy a canonical array (already in Gluon's layout) into an initialised parameter."""
    if parameter.shape != value.shape:
        raise ValueError(f"shape {value.shape} does not fit parameter {parameter.name} of shape {parameter.shape}")
    parameter.set_data(nd.array(value, dtype=np.float32))


def last_step(F, sequence):
    """(N, T, H) -> (N, H): every sample's hidden state after the last step.

    Not ``F.SequenceLast``: in mxnet 1.9.1 its backward pass without sequence lengths reads
    its step indices from uninitialised scratch memory (src/operator/sequence_last-inl.h)
    and corrupts the heap.
    """
    return F.squeeze(F.slice_axis(sequence, axis=1, begin=-1, end=None), axis=1)


def load_dense(layer: gluon.nn.Dense, params: dict[str, np.ndarray], name: str) -> None:
    """Canonical dense (in, out) kernel -> nn.Dense's (out, in) weight, and its bias."""
    assign(layer.weight, params[f"{name}.kernel"].T)
    assign(layer.bias, params[f"{name}.bias"])


def load_conv(layer: gluon.nn.Conv2D, params: dict[str, np.ndarray], name: str) -> None:
    """Canonical (out, in, h, w) kernel is nn.Conv2D's own layout."""
    assign(layer.weight, params[f"{name}.kernel"])
    assign(layer.bias, params[f"{name}.bias"])


#: Gluon's own name prefix of each direction's LSTM parameters (``l0_i2h_weight``, ``r0_i2h_weight``, ...).
DIRECTION_PREFIXES = {"forward": "l", "backward": "r"}


def load_lstm(layer: gluon.rnn.LSTM, params: dict[str, np.ndarray], name: str, direction: str = "forward") -> None:
    """Canonical LSTM -> one direction ("forward" or "backward") of a one-layer rnn.LSTM (the
    mapping in the module docstring): transposed kernels, the canonical bias in i2h_bias and a
    frozen zero h2h_bias."""
    prefix = f"{DIRECTION_PREFIXES[direction]}0"
    assign(getattr(layer, f"{prefix}_i2h_weight"), params[f"{name}.kernel"].T)
    assign(getattr(layer, f"{prefix}_h2h_weight"), params[f"{name}.recurrent_kernel"].T)
    assign(getattr(layer, f"{prefix}_i2h_bias"), params[f"{name}.bias"])
    assign(getattr(layer, f"{prefix}_h2h_bias"), np.zeros_like(params[f"{name}.bias"]))
    getattr(layer, f"{prefix}_h2h_bias").grad_req = "null"


class GluonImplementation(Implementation):
    """A Gluon block trained with a gluon.Trainer and Adam; subclasses only build the block,
    initialised on ``self.device`` (an mx.Context)."""

    runtime = RUNTIME
    #: hybridize's arguments in graph mode: memory planned once (static_alloc) for fixed input
    #: shapes (static_shape), the settings Gluon documents for speed.
    hybridize_options = {"static_alloc": True, "static_shape": True}

    @classmethod
    def compiler_option_settings(cls, name: str) -> dict:
        if name == "static-alloc":
            return {"hybridize_options": {"static_alloc": True, "static_shape": False}}
        if name == "dynamic":
            return {"hybridize_options": {"static_alloc": False, "static_shape": False}}
        return super().compiler_option_settings(name)

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
        if mode == "graph":
            # Graph mode: hybridize turns the HybridBlock into a cached symbolic graph; the first
            # call per input shape builds it, inside the first epoch's time.
            if not isinstance(self.model, gluon.HybridBlock):
                raise UnsupportedError(f"{spec.name} is not a HybridBlock in MXNet, so it cannot be hybridized")
            self.model.hybridize(**self.hybridize_options)
        adam = PaperAdam(
            learning_rate=optimizer.learning_rate,
            beta1=optimizer.beta_1,
            beta2=optimizer.beta_2,
            epsilon=optimizer.epsilon,
        )
        self.trainer = gluon.Trainer(self.model.collect_params(), adam)
        self.loss_fn = LOSSES[spec.loss]()
        self.loss_sum = nd.zeros((1,), ctx=self.device)

    def load_data(self, splits: dict[str, Split]) -> None:
        for name, split in splits.items():
            x = None if split.render else nd.array(split.x, ctx=self.device, dtype=split.x.dtype)
            self.data[name] = Loaded(split, x, nd.array(split.y, ctx=self.device, dtype=split.y.dtype))

    def device_inputs(self, x: np.ndarray) -> nd.NDArray:
        return nd.array(x, ctx=self.device, dtype=np.float32)

    def batch(self, split: str, rows: np.ndarray | nd.NDArray) -> tuple[nd.NDArray, nd.NDArray]:
        """Device-side gathers (``rows`` host row numbers, or an NDArray of them on the context),
        or the inputs rendered on the host."""
        loaded, x, y = self.data[split]
        index = rows if isinstance(rows, nd.NDArray) else nd.array(rows, ctx=self.device, dtype="int32")
        if x is None:
            host_rows = rows.asnumpy().astype(np.int64) if isinstance(rows, nd.NDArray) else rows
            return self.device_inputs(loaded.inputs(host_rows)), y.take(index)
        return x.take(index), y.take(index)

    def set_learning_rate(self, rate: float) -> None:
        self.trainer.set_learning_rate(rate)

    def train_step(self, index: np.ndarray) -> None:
        x, y = self.batch("train", index)
        with autograd.record():  # training mode: dropout is on
            loss = self.loss_fn(self._network(x), y)  # one value per sample
        loss.backward()  # the gradient of the batch's sum ...
        self.trainer.step(len(index))  # ... divided by the batch size: the gradient of the mean
        self.loss_sum += loss.sum()
        self.loss_samples += len(index)

    def take_loss_sum(self) -> float:
        total = float(self.loss_sum.asscalar())
        self.loss_sum[:] = 0
        return total

    def _network(self, x: nd.NDArray) -> nd.NDArray:
        """The block's outputs for a device batch (the dynamic models call it on their own batch form)."""
        return self.model(x)

    def evaluate(self, inputs: nd.NDArray) -> nd.NDArray:
        return self._network(inputs)  # outside autograd.record(): prediction mode, no dropout

    def to_host(self, outputs: list[nd.NDArray]) -> np.ndarray:
        return nd.concat(*outputs, dim=0).asnumpy()

    def sync(self) -> None:
        nd.waitall()

    def compiler(self) -> dict:
        return compiler("hybridize", **self.hybridize_options) if self.mode == "graph" else compiler("none")
