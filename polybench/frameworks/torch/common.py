"""What every PyTorch model shares: weight loading, the Adam step, the eval-mode forward pass."""

from __future__ import annotations

import numpy as np
import torch
import torch._inductor
import torch.nn.functional as F
from torch import nn
from torch._dynamo.utils import counters

from polybench.errors import UnsupportedError
from polybench.frameworks.base import Implementation, Loaded, compiler
from polybench.frameworks.torch.runtime import RUNTIME
from polybench.specs.base import Adam, Spec, Split


def _softmax_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every (sample, step): logits (..., classes), y (...)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


LOSSES = {
    "softmax_cross_entropy": _softmax_cross_entropy,
    "l1": F.l1_loss,
    "sigmoid_binary_cross_entropy": F.binary_cross_entropy_with_logits,
}


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


#: PyTorch's own name suffix of each direction's LSTM parameters (``weight_ih_l0_reverse``, ...).
DIRECTION_SUFFIXES = {"forward": "", "backward": "_reverse"}


def load_lstm(layer: nn.LSTM, params: dict[str, np.ndarray], name: str, direction: str = "forward") -> None:
    """Canonical LSTM -> one direction ("forward" or "backward") of a one-layer nn.LSTM. Both
    use gate order (i, f, g, o); PyTorch keeps (4H, in) and (4H, H) weights, the transposes of
    the canonical kernels, and two biases that are added: the canonical bias goes to bias_ih,
    and bias_hh is zero and frozen, so that training moves one bias as the spec's model does
    (two trainable biases would move their sum twice as fast under Adam)."""
    suffix = DIRECTION_SUFFIXES[direction]
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

    runtime = RUNTIME
    #: torch.compile's arguments in graph mode: its defaults, written out (backend Inductor). A model
    #: may pass Inductor ``options`` instead (torch.compile refuses ``mode`` and ``options`` together).
    compile_options: dict = {"mode": "default"}

    @classmethod
    def compiler_option_settings(cls, name: str) -> dict:
        if name == "max-autotune":
            # mode="max-autotune" is these Inductor options; written as options so that a model's
            # own Inductor options (torch.compile refuses mode and options together) still hold.
            tuned = torch._inductor.list_mode_options("max-autotune")
            return {"compile_options": {"options": {**cls.compile_options.get("options", {}), **tuned}}}
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
        self.model = self.build(params).to(self.device)
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
        self.network = torch.compile(self.model, **self.compile_options) if mode == "graph" else self.model
        self._graphs_before = counters["stats"]["unique_graphs"] if mode == "graph" else None
        self.optimizer = torch.optim.Adam(
            self.model.parameters(),
            lr=optimizer.learning_rate,
            betas=(optimizer.beta_1, optimizer.beta_2),
            eps=optimizer.epsilon,
        )
        self.loss_fn = LOSSES[spec.loss]
        self.loss_sum = torch.zeros((), device=self.device)

    def load_data(self, splits: dict[str, Split]) -> None:
        for name, split in splits.items():
            x = None if split.render else torch.from_numpy(split.x).to(self.device)
            self.data[name] = Loaded(split, x, torch.from_numpy(split.y).to(self.device))

    def device_inputs(self, x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(x).to(self.device)

    def batch(self, split: str, rows: np.ndarray | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        loaded, x, y = self.data[split]
        index = torch.as_tensor(rows, device=self.device)  # one transfer serves x and y
        inputs = self.device_inputs(loaded.inputs(np.asarray(rows))) if x is None else x[index]
        return inputs, y[index]

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
        x, y = self.batch("train", index)
        if not self.model.training:  # only after an eval: Module.train() walks every submodule
            self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self._network(x), y)
        loss.backward()
        self.optimizer.step()
        self.loss_sum += loss.detach() * len(index)
        self.loss_samples += len(index)

    def take_loss_sum(self) -> float:
        total = float(self.loss_sum.item())
        self.loss_sum.zero_()
        return total

    @torch.no_grad()
    def evaluate(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.model.training:
            self.model.eval()
        return self._network(inputs)

    def to_host(self, outputs: list[torch.Tensor]) -> np.ndarray:
        return torch.cat(outputs).cpu().numpy()

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def compiler(self) -> dict:
        if self.mode != "graph":
            return compiler("none")
        settings = {name: value for name, value in self.compile_options.items() if name != "options"}
        return compiler("inductor", **settings, **self.compile_options.get("options", {}))

    def reset_peak_memory(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)

    def peak_memory_bytes(self) -> int | None:
        if self.device.type == "cuda":
            return int(torch.cuda.max_memory_allocated(self.device))
        return None
