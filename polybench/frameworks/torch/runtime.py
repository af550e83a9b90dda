"""PyTorch process settings: threads, device choice, versions."""

from __future__ import annotations

from collections.abc import Callable

import torch

from polybench import threads as thread_settings
from polybench.errors import PolybenchError
from polybench.frameworks.base import Runtime


class TorchRuntime(Runtime):
    name = "torch"

    def configure(self, threads: int, device: str) -> str:
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(thread_settings.INTER_OP_THREADS)
        except RuntimeError:
            pass  # already fixed once parallel work has started in this process (threads_used shows it)
        thread_settings.limit_pools(threads)
        if device == "cpu":
            return "cpu"
        if torch.cuda.is_available():
            # float32 stays float32 on the GPU, as on the CPU and in the other frameworks: no TF32
            # in matrix products or in cuDNN's convolutions (PyTorch allows it there by default).
            torch.set_float32_matmul_precision("highest")
            torch.backends.cudnn.allow_tf32 = False
            return "cuda:0"
        if device == "gpu":
            raise PolybenchError("--device gpu: PyTorch sees no CUDA GPU here; use --device cpu or auto")
        return "cpu"

    def threads_used(self) -> dict:
        return thread_settings.used(torch.get_num_threads(), torch.get_num_interop_threads())

    def seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def versions(self) -> dict[str, str]:
        return {
            "torch": torch.__version__,
            "cuda": torch.version.cuda or "none",
            "cudnn": str(torch.backends.cudnn.version()) if torch.cuda.is_available() else "none",
            "float32_matmul_precision": torch.get_float32_matmul_precision(),
            "cudnn_allow_tf32": str(torch.backends.cudnn.allow_tf32) if torch.cuda.is_available() else "none",
        }

    def device_of(self, name: str) -> torch.device:
        return torch.device(name)

    def matmul(self, device: str, size: int) -> Callable[[], object]:
        a = torch.rand(size, size, device=device)
        b = torch.rand(size, size, device=device)
        return lambda: (a @ b).sum().item()  # reading the result back waits for the device

    def gpu_name(self, device: str) -> str | None:
        return torch.cuda.get_device_name(device) if device.startswith("cuda") else None


RUNTIME = TorchRuntime()
