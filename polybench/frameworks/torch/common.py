"""What every PyTorch model shares: weight loading, the Adam step, batched prediction."""

from __future__ import annotations

import abc

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch._dynamo.utils import counters

from polybench.errors import UnsupportedError
from polybench.frameworks.base import Implementation
from polybench.specs.base import Adam, Spec, Split


def _softmax_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every (sample, step): logits (..., classes), y (...)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


LOSSES = {
    "softmax_cross_entropy": _softmax_cross_entropy,
    "l1": F.l1_loss,
    "sigmoid_binary_cross_entropy": F.binary_cross_entropy_with_logits,
}
PREDICT_BATCH = 256


def assign(parameter: torch.Tensor, value: np.ndarray) -> None:
    """Copy a canonical array (already in PyTorch's layout) into a parameter."""
    if tuple(parameter.shape) != value.shape:
        raise ValueError(f"shape {value.shape} does not fit parameter of shape {tuple(parameter.shape)}")
    with torch.no_grad():
        parameter.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def load_linear(layer: nn.Linear, params: dict[str, np.ndarray], name: str) -> None:
    """Canonical dense (in, out) kernel -> nn.Linear's (out, in) weight, and its bias."""
    assign(layer.weight, params[f"{name}.kernel"].T)
    assign(layer.bias, params[f"{name}.bias"])


def load_conv(layer: nn.Conv2d, params: dict[str, np.ndarray], name: str) -> None:
    """Canonical (out, in, h, w) kernel is nn.Conv2d's own layout."""
    assign(layer.weight, params[f"{name}.kernel"])
    assign(layer.bias, params[f"{name}.bias"])


def load_lstm(layer: nn.LSTM, params: dict[str, np.ndarray], name: str, suffix: str = "") -> None:
    """Canonical LSTM -> nn.LSTM (one layer). Both use gate order (i, f, g, o); PyTorch keeps
    (4H, in) and (4H, H) weights, the transposes of the canonical kernels, and two biases
    that are added: the canonical bias goes to bias_ih, and bias_hh is zero and frozen, so
    that training moves one bias as the spec's model does (two trainable biases would move
    their sum twice as fast under Adam). ``suffix`` is "_reverse" for the backward
    direction of a bidirectional layer."""
    assign(getattr(layer, f"weight_ih_l0{suffix}"), params[f"{name}.kernel"].T)
    assign(getattr(layer, f"weight_hh_l0{suffix}"), params[f"{name}.recurrent_kernel"].T)
    assign(getattr(layer, f"bias_ih_l0{suffix}"), params[f"{name}.bias"])
    assign(getattr(layer, f"bias_hh_l0{suffix}"), np.zeros_like(params[f"{name}.bias"]))
    getattr(layer, f"bias_hh_l0{suffix}").requires_grad_(False)


#: Why the LSTM models have no torch graph mode. Checked with torch 2.13.0 on the CPU.
RNN_UNSUPPORTED = (
    f"torch.compile (torch {torch.__version__}) does not compile nn.LSTM: Dynamo leaves RNN modules to eager "
    "(torch._dynamo.config.allow_rnn is off), so nothing of these models would be compiled and graph mode "
    "would silently be eager; with allow_rnn on, Inductor's CPU code fails on aten.mkldnn_rnn_layer"
)


class TorchImplementation(Implementation):
    """An nn.Module trained with torch.optim.Adam; subclasses only build the module."""

    #: Why graph mode cannot train this model on the CPU, when it cannot (recorded as unsupported).
    graph_unsupported: str | None = None

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
        if mode == "graph" and self.graph_unsupported and not device.startswith("cuda"):
            raise UnsupportedError(self.graph_unsupported)  # a CPU (Inductor C++) fault: GPUs compile with Triton
        self.torch_device = torch.device(device)
        self.model = self.build(params).to(self.torch_device)
        if mode == "graph" and any(isinstance(m, nn.RNNBase) for m in self.model.modules()):
            raise UnsupportedError(RNN_UNSUPPORTED)
        # Graph mode: torch.compile traces the module (TorchDynamo) and compiles forward and
        # backward (Inductor); the optimizer step stays eager. Compilation happens on the
        # first batches, so it lands in the first epoch's time.
        if mode == "graph":
            # A fresh compile cache: a second model of the same code in this process (the parity
            # figures after training) would otherwise reuse the first one's graphs, and the check
            # in _network could not tell a reused graph from a model Dynamo skipped.
            torch.compiler.reset()
        self.network = torch.compile(self.model) if mode == "graph" else self.model
        self._graphs_before = counters["stats"]["unique_graphs"] if mode == "graph" else None
        self.optimizer = torch.optim.Adam(
            self.model.parameters(),
            lr=optimizer.learning_rate,
            betas=(optimizer.beta_1, optimizer.beta_2),
            eps=optimizer.epsilon,
        )
        self.loss_fn = LOSSES[spec.loss]
        self.data: dict[str, tuple[Split, torch.Tensor | None, torch.Tensor]] = {}
        self.loss_sum = torch.zeros((), device=self.torch_device)
        self.loss_samples = 0

    @abc.abstractmethod
    def build(self, params: dict[str, np.ndarray]) -> nn.Module:
        """The model as an nn.Module holding the canonical weights."""

    def load_data(self, splits: dict[str, Split]) -> None:
        for name, split in splits.items():
            x = None if split.render else torch.from_numpy(split.x).to(self.torch_device)
            self.data[name] = (split, x, torch.from_numpy(split.y).to(self.torch_device))

    def _inputs(self, name: str, rows: np.ndarray) -> torch.Tensor:
        """Model inputs for ``rows`` of a loaded split: a device-side slice, or rendered."""
        split, x, _ = self.data[name]
        if x is None:
            return torch.from_numpy(split.inputs(rows)).to(self.torch_device)
        return x[torch.from_numpy(rows).to(self.torch_device)]

    def _network(self, x: torch.Tensor) -> torch.Tensor:
        """The model's output; in graph mode, the first call also proves that Dynamo compiled a
        graph, so a model it skips is unsupported instead of silently running eagerly."""
        out = self.network(x)
        if self._graphs_before is not None:
            if counters["stats"]["unique_graphs"] == self._graphs_before:
                raise UnsupportedError(
                    "torch.compile compiled no graph for this model, so graph mode would run it eagerly"
                )
            self._graphs_before = None
        return out

    def train_step(self, index: np.ndarray) -> None:
        split, x, y = self.data["train"]
        rows = torch.from_numpy(index).to(self.torch_device)  # one transfer serves x and y
        inputs = torch.from_numpy(split.inputs(index)).to(self.torch_device) if x is None else x[rows]
        if not self.model.training:  # only after an eval: Module.train() walks every submodule
            self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self._network(inputs), y[rows])
        loss.backward()
        self.optimizer.step()
        self.loss_sum += loss.detach() * len(index)
        self.loss_samples += len(index)

    def take_train_loss(self) -> float:
        mean = float(self.loss_sum.item()) / max(self.loss_samples, 1)
        self.loss_sum.zero_()
        self.loss_samples = 0
        return mean

    @torch.no_grad()
    def predict(self, split: str) -> np.ndarray:
        self.model.eval()
        n = len(self.data[split][0])
        outputs = [
            self._network(self._inputs(split, np.arange(i, min(i + PREDICT_BATCH, n))))
            for i in range(0, n, PREDICT_BATCH)
        ]
        return torch.cat(outputs).cpu().numpy()

    @torch.no_grad()
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.model.eval()
        x = torch.from_numpy(np.asarray(x, dtype=np.float32)).to(self.torch_device)
        return self._network(x).cpu().numpy()

    def sync(self) -> None:
        if self.torch_device.type == "cuda":
            torch.cuda.synchronize(self.torch_device)

    def reset_peak_memory(self) -> None:
        if self.torch_device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.torch_device)

    def peak_memory_bytes(self) -> int | None:
        if self.torch_device.type == "cuda":
            return int(torch.cuda.max_memory_allocated(self.torch_device))
        return None
