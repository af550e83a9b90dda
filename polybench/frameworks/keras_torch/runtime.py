"""Keras on PyTorch, process settings: PyTorch's own (threads, device choice, float32 precision;
``torch.runtime``), with Keras' seed and version, KERAS_BACKEND=torch set before Keras loads, and
PyTorch's device sync. Keras takes PyTorch's device names ("cpu", "cuda:0") as they are: a
"cpu:0" would make Keras copy each new variable off its Parameter, which the integer state of
Dropout's seed generator does not survive."""

from __future__ import annotations

from collections.abc import Iterable

from polybench.frameworks.keras_torch import FRAMEWORK

FRAMEWORK.apply_environment()  # KERAS_BACKEND=torch, before Keras is imported below

import torch  # noqa: E402

from polybench.frameworks.tensorflow.backends import KerasRuntime  # noqa: E402
from polybench.frameworks.torch.runtime import TorchRuntime  # noqa: E402


class KerasTorchRuntime(KerasRuntime, TorchRuntime):
    name = "keras-torch"
    jit_compiler = "inductor"  # jit_compile=True: Keras wraps the train step in torch.compile

    def versions(self) -> dict[str, str]:
        return {**self.keras_versions(), **TorchRuntime.versions(self)}

    def wait(self, values: Iterable) -> None:
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()

    def reset_peak_memory(self, device: str) -> None:
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats(device)

    def peak_memory_bytes(self, device: str) -> int | None:
        if device.startswith("cuda"):
            return int(torch.cuda.max_memory_allocated(device))
        return None


RUNTIME = KerasTorchRuntime()
