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


class CellLSTM(nn.Module):
    """A one-layer, batch-first ``nn.LSTM`` (same constructor, parameters, layouts and outputs)
    computed one step at a time in Python, the form PyTorch users write for torch.compile: Dynamo
    leaves ``nn.LSTM`` to eager (``allow_rnn`` off; with it on, Inductor's CPU code fails on
    ``aten.mkldnn_rnn_layer``), while it unrolls this loop into one graph. The input projection of
    every step is one product before the loop; gates (i, f, g, o) as in ``nn.LSTM``, so
    ``load_lstm`` fills both the same way."""

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = True, bidirectional: bool = False):
        super().__init__()
        if not batch_first:
            raise ValueError("CellLSTM reads batch-first input only")
        self.hidden_size = hidden_size
        self.suffixes = tuple(DIRECTION_SUFFIXES.values()) if bidirectional else (DIRECTION_SUFFIXES["forward"],)
        gates = 4 * hidden_size
        for suffix in self.suffixes:
            self.register_parameter(f"weight_ih_l0{suffix}", nn.Parameter(torch.empty(gates, input_size)))
            self.register_parameter(f"weight_hh_l0{suffix}", nn.Parameter(torch.empty(gates, hidden_size)))
            self.register_parameter(f"bias_ih_l0{suffix}", nn.Parameter(torch.empty(gates)))
            self.register_parameter(f"bias_hh_l0{suffix}", nn.Parameter(torch.empty(gates)))

    def _direction(
        self, x: torch.Tensor, suffix: str, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every step's hidden state (N, T, H) and the last h and c of one direction. With
        ``lengths`` (N,), a sample's state is held from its last real step on (its padded steps
        are computed and discarded: the mask of a padded batch)."""
        bias = getattr(self, f"bias_ih_l0{suffix}") + getattr(self, f"bias_hh_l0{suffix}")
        projected = F.linear(x, getattr(self, f"weight_ih_l0{suffix}"), bias)  # (N, T, 4H): every step at once
        recurrent = getattr(self, f"weight_hh_l0{suffix}")
        h = c = x.new_zeros(x.shape[0], self.hidden_size)
        steps = range(x.shape[1])
        outputs = []
        for t in reversed(steps) if suffix else steps:
            i, f, g, o = (projected[:, t] + F.linear(h, recurrent)).chunk(4, dim=1)
            c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h_new = torch.sigmoid(o) * torch.tanh(c_new)
            if lengths is None:
                h, c = h_new, c_new
            else:
                real = (t < lengths)[:, None]
                h, c = torch.where(real, h_new, h), torch.where(real, c_new, c)
            outputs.append(h)
        if suffix:
            outputs.reverse()  # outputs stay aligned with the input steps, as nn.LSTM's
        return torch.stack(outputs, dim=1), h, c

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """As ``nn.LSTM``: every step's output (N, T, directions × H) and (h_n, c_n), each
        (directions, N, H); with ``lengths``, (h_n, c_n) are each sample's at its last real step
        (forward direction only: a backward pass over padding would start in it)."""
        if lengths is not None and len(self.suffixes) > 1:
            raise ValueError("CellLSTM masks padded steps in the forward direction only")
        runs = [self._direction(x, suffix, lengths) for suffix in self.suffixes]
        output = torch.cat([run[0] for run in runs], dim=-1)
        return output, (torch.stack([run[1] for run in runs]), torch.stack([run[2] for run in runs]))


class TorchImplementation(Implementation):
    """An nn.Module trained with torch.optim.Adam; subclasses only build the module."""

    runtime = RUNTIME
    #: torch.compile's arguments in graph mode: its defaults, written out (backend Inductor). A model
    #: may pass Inductor ``options`` instead (torch.compile refuses ``mode`` and ``options`` together).
    compile_options: dict = {"mode": "default", "fullgraph": True}

    @property
    def lstm_layer(self) -> type[nn.Module]:
        """The LSTM layer models are built with: ``nn.LSTM`` eagerly; in graph mode the same layer
        as a step loop torch.compile compiles (CellLSTM)."""
        return CellLSTM if self.mode == "graph" else nn.LSTM

    @classmethod
    def compiler_option_settings(cls, name: str) -> dict:
        if name == "max-autotune":
            # mode="max-autotune" is these Inductor options; written as options so that a model's
            # own Inductor options (torch.compile refuses mode and options together) still hold.
            tuned = torch._inductor.list_mode_options("max-autotune")
            arguments = {name: value for name, value in cls.compile_options.items() if name != "mode"}
            return {"compile_options": {**arguments, "options": {**arguments.get("options", {}), **tuned}}}
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
        # Graph mode: torch.compile traces the module (TorchDynamo) as one graph (fullgraph: a
        # graph break is an error, never a silent return to eager) and compiles forward and
        # backward (Inductor); the optimizer step stays eager. Compilation happens on the first
        # batches, so it lands in the first epoch's time.
        if mode == "graph":
            # A fresh compile cache: a second model of the same code in this process (the parity
            # figures after training) would otherwise reuse the first one's graphs, and the check
            # in _network could not tell a reused graph from a model Dynamo skipped.
            torch.compiler.reset()
        self.network = torch.compile(self.model, **self.compile_options) if mode == "graph" else self.model
        # Dynamo's graph count when this model was built (the count is global to the process).
        self._graphs_at_start = counters["stats"]["unique_graphs"]
        self._first_call_checked = mode != "graph"
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
        """The model's output; in graph mode, a graph break (fullgraph) and a first call that
        compiled no graph make the model unsupported instead of silently running eagerly."""
        try:
            out = self.network(x)
        except torch._dynamo.exc.Unsupported as e:
            reason = str(e).strip().splitlines()[0]
            raise UnsupportedError(
                f"torch.compile could not capture this model as one graph ({reason}), "
                "so graph mode would run part of it eagerly"
            ) from None
        if not self._first_call_checked:
            if counters["stats"]["unique_graphs"] == self._graphs_at_start:
                raise UnsupportedError(
                    "torch.compile compiled no graph for this model, so graph mode would run it eagerly"
                )
            self._first_call_checked = True
        return out

    def set_learning_rate(self, rate: float) -> None:
        for group in self.optimizer.param_groups:  # what torch.optim.lr_scheduler does
            group["lr"] = rate

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
