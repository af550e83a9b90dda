"""Chainer process settings: threads, device choice, versions.

Chainer has no thread setting of its own: on the CPU it computes through NumPy, one
operator at a time, and an operator's threads are those of NumPy's BLAS. threadpoolctl
sets that pool here (the runner also exports OMP_NUM_THREADS and the like before the
kernel starts) and reads it back.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

with warnings.catch_warnings():
    # Chainer's import-time environment check loads pkg_resources, which warns that the editable
    # polybench install is "already imported" when its folder joins sys.path: noise in every notebook.
    warnings.filterwarnings("ignore", message="Module polybench was already imported", category=UserWarning)
    import chainer

from polybench import threads as thread_settings
from polybench.errors import PolybenchError
from polybench.frameworks.base import Runtime
from polybench.threads import blas

#: The run's device names. The CPU is named "cpu" as in every framework's records (the shared
#: experiment reads "cpu" as "no GPU to watch"); the Implementation computes on it as Chainer's
#: "@numpy" device (see ChainerRuntime.device_of). A GPU is Chainer's own "@cupy:0".
CPU = "cpu"
GPU = "@cupy:0"


class ChainerRuntime(Runtime):
    name = "chainer"

    def configure(self, threads: int, device: str) -> str:
        thread_settings.limit_pools(threads)
        if device == "cpu":
            return CPU
        if chainer.backends.cuda.available:
            return GPU
        if device == "gpu":
            raise PolybenchError("--device gpu: Chainer sees no CuPy GPU here; use --device cpu or auto")
        return CPU

    def threads_used(self) -> dict:
        blas_threads = [pool["threads"] for pool in thread_settings.pools() if pool["api"] == "blas"]
        return thread_settings.used(max(blas_threads) if blas_threads else None, 1)  # inter-op: NumPy runs one op

    def seed(self, seed: int) -> None:
        np.random.seed(seed)  # F.dropout draws its CPU masks from NumPy's global generator
        if chainer.backends.cuda.available:
            chainer.backends.cuda.cupy.random.seed(seed)

    def versions(self) -> dict[str, str]:
        cuda = chainer.backends.cuda
        return {
            "chainer": chainer.__version__,
            "numpy": np.__version__,
            "blas": blas() or "unknown",
            "cupy": cuda.cupy.__version__ if cuda.available else "none",
            "cudnn": str(cuda.libcudnn.getVersion()) if cuda.cudnn_enabled else "none",
            "ideep": "enabled" if chainer.backends.intel64.is_ideep_available() else "none",
        }

    def device_of(self, name: str) -> chainer.backend.Device:
        """The Chainer device of a run's device name: "cpu" is NumPy ("@numpy"), the rest
        ("@cupy:0") are Chainer's own specifiers."""
        return chainer.get_device("@numpy" if name == CPU else name)

    def matmul(self, device: str, size: int) -> Callable[[], object]:
        target = self.device_of(device)
        a, b = (target.send(np.random.default_rng(i).random((size, size), dtype=np.float32)) for i in (0, 1))

        def product() -> None:
            a @ b
            if target.xp is not np:
                target.device.synchronize()

        return product

    def gpu_name(self, device: str) -> str | None:
        if not device.startswith("@cupy"):
            return None
        cupy = chainer.backends.cuda.cupy
        return cupy.cuda.runtime.getDeviceProperties(self.device_of(device).device.id)["name"].decode()


RUNTIME = ChainerRuntime()
