"""MXNet process settings: threads, device choice, versions.

MXNet fixes its CPU thread pools when ``libmxnet`` loads: the engine's OpenMP
threads per operator come from OMP_NUM_THREADS (unset, MXNet takes half the
cores), OpenBLAS reads OPENBLAS_NUM_THREADS, and the number of engine workers
running CPU operators side by side from MXNET_CPU_WORKER_NTHREADS. So this
module imports mxnet only in ``configure``, after setting them.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from polybench import threads as thread_settings
from polybench.errors import PolybenchError
from polybench.frameworks.base import Runtime

if TYPE_CHECKING:  # mxnet loads in configure, after its thread settings
    import mxnet as mx


class MXNetRuntime(Runtime):
    name = "mxnet"

    def configure(self, threads: int, device: str) -> str:
        wanted = {
            **thread_settings.thread_environment(threads),
            # one engine worker: one operator at a time, `threads` OpenMP threads inside it
            "MXNET_CPU_WORKER_NTHREADS": str(thread_settings.INTER_OP_THREADS),
        }
        if "mxnet" not in sys.modules:
            os.environ.update(wanted)
        elif any(os.environ.get(name) != value for name, value in wanted.items()):
            raise PolybenchError(
                f"MXNet fixed its thread pools when it was imported (OMP_NUM_THREADS="
                f"{os.environ.get('OMP_NUM_THREADS')}); {threads} threads need a fresh process"
            )
        with warnings.catch_warnings():  # mxnet imports distutils; setuptools' shim then warns about sys.path
            warnings.filterwarnings("ignore", message="Module .* was already imported", category=UserWarning)
            import mxnet as mx
        thread_settings.limit_pools(threads)

        if device == "cpu":
            return "cpu"
        if mx.context.num_gpus() > 0:
            return "gpu(0)"
        if device == "gpu":
            raise PolybenchError(
                "--device gpu: MXNet sees no GPU here (requirements/mxnet.txt pins its CPU "
                "build); use --device cpu or auto"
            )
        return "cpu"

    def threads_used(self) -> dict:
        """MXNet reports neither count through its API: intra-op is the OpenMP pool it loaded
        (read back by threadpoolctl), inter-op its CPU engine workers (read at start-up)."""
        openmp = [pool["threads"] for pool in thread_settings.pools() if pool["api"] == "openmp"]
        return thread_settings.used(
            max(openmp) if openmp else None, int(os.environ.get("MXNET_CPU_WORKER_NTHREADS", "1"))
        )

    def seed(self, seed: int) -> None:
        import mxnet as mx

        mx.random.seed(seed)

    def versions(self) -> dict[str, str]:
        import mxnet as mx
        import numpy as np

        features = mx.runtime.Features()
        enabled = [
            name for name in ("CUDA", "CUDNN", "MKLDNN", "OPENMP", "BLAS_OPEN", "BLAS_MKL") if features.is_enabled(name)
        ]
        return {"mxnet": mx.__version__, "numpy": np.__version__, "mxnet_features": ",".join(enabled)}

    def device_of(self, name: str) -> mx.Context:
        """The MXNet context of a device name from ``configure``: "cpu" or "gpu(N)"."""
        import mxnet as mx

        return mx.gpu(int(name[4:-1])) if name.startswith("gpu") else mx.cpu()

    def matmul(self, device: str, size: int) -> Callable[[], object]:
        import mxnet as mx

        a = mx.nd.random.uniform(shape=(size, size), ctx=self.device_of(device))
        b = mx.nd.random.uniform(shape=(size, size), ctx=self.device_of(device))
        return lambda: mx.nd.dot(a, b).wait_to_read()

    def gpu_name(self, device: str) -> str | None:
        if not device.startswith("gpu"):
            return None
        import pynvml  # MXNet has no device-name query of its own

        pynvml.nvmlInit()
        name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(int(device[4:-1])))
        return name.decode() if isinstance(name, bytes) else str(name)


RUNTIME = MXNetRuntime()
