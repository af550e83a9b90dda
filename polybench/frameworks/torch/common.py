"""What every PyTorch model shares: weight loading, the Adam step, batched prediction."""

from __future__ import annotations

import abc

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from polybench.frameworks.base import Implementation
from polybench.specs.base import Adam, Spec, Split

LOSSES = {"softmax_cross_entropy": F.cross_entropy}
PREDICT_BATCH = 1024


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


class TorchImplementation(Implementation):
    """An nn.Module trained with torch.optim.Adam; subclasses only build the module."""

    def __init__(self, spec: Spec, params: dict[str, np.ndarray], optimizer: Adam, device: str,
                 dropout: bool = True) -> None:
        super().__init__(spec, params, optimizer, device, dropout)
        self.torch_device = torch.device(device)
        self.model = self.build(params).to(self.torch_device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=optimizer.learning_rate,
                                          betas=(optimizer.beta_1, optimizer.beta_2), eps=optimizer.epsilon)
        self.loss_fn = LOSSES[spec.loss]
        self.data: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.loss_sum = torch.zeros((), device=self.torch_device)
        self.loss_samples = 0

    @abc.abstractmethod
    def build(self, params: dict[str, np.ndarray]) -> nn.Module:
        """The model as an nn.Module holding the canonical weights."""

    def load_data(self, splits: dict[str, Split]) -> None:
        for name, split in splits.items():
            self.data[name] = (torch.from_numpy(split.x).to(self.torch_device),
                               torch.from_numpy(split.y).to(self.torch_device))

    def train_step(self, index: np.ndarray) -> None:
        x, y = self.data["train"]
        rows = torch.from_numpy(index).to(self.torch_device)
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(x[rows]), y[rows])
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
    def _eval(self, x: torch.Tensor) -> np.ndarray:
        self.model.eval()
        outputs = [self.model(x[i:i + PREDICT_BATCH]) for i in range(0, len(x), PREDICT_BATCH)]
        return torch.cat(outputs).cpu().numpy()

    def predict(self, split: str) -> np.ndarray:
        return self._eval(self.data[split][0])

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self._eval(torch.from_numpy(np.asarray(x, dtype=np.float32)).to(self.torch_device))

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
