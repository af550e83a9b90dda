"""PyTensor process settings: floatX, the compile directory, threads, versions.

PyTensor runs a compiled graph one op after another on the calling thread; the only threads
an op adds are those of the BLAS it calls (NumPy's and SciPy's OpenBLAS, which the Numba
linker's products call too). threadpoolctl sets those pools here and reads them back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import metadata

from polybench.frameworks.pytensor import FRAMEWORK

FRAMEWORK.apply_environment()  # floatX=float32, before PyTensor reads its flags on import
if os.environ.get("POLYBENCH_PYTENSOR_COMPILEDIR"):  # the runner's empty folder per run (cold compile)
    os.environ["PYTENSOR_FLAGS"] += f",base_compiledir={os.environ['POLYBENCH_PYTENSOR_COMPILEDIR']}"

import warnings  # noqa: E402 (after the flags)

import numpy as np  # noqa: E402
import pytensor  # noqa: E402
import pytensor.tensor as pt  # noqa: E402

from polybench import threads as thread_settings  # noqa: E402
from polybench.errors import PolybenchError  # noqa: E402
from polybench.frameworks.base import Runtime  # noqa: E402
from polybench.threads import blas  # noqa: E402

# A pip-installed PyTensor finds no BLAS to link its C code against and says so on the first
# compilation; its C products then call NumPy's BLAS (OpenBLAS) through NumPy's C API, which the
# record keeps as "blas_link". The warning would repeat that in every notebook.
warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS installation", category=UserWarning)


#: The PyTensor mode the models compile with unless a compiler option names another: Theano's C mode.
DEFAULT_MODE = "CVM"


class PyTensorRuntime(Runtime):
    name = "pytensor"

    def __init__(self) -> None:
        #: Seed of the dropout masks' generator (each Implementation makes its own).
        self.rng_seed = 0

    def configure(self, threads: int, device: str) -> str:
        thread_settings.limit_pools(threads)
        if device == "gpu":
            raise PolybenchError("--device gpu: polybench runs PyTensor on the CPU only; use --device cpu or auto")
        return "cpu"

    def threads_used(self) -> dict:
        blas_threads = [pool["threads"] for pool in thread_settings.pools() if pool["api"] == "blas"]
        return thread_settings.used(max(blas_threads) if blas_threads else None, 1)  # one op at a time

    def seed(self, seed: int) -> None:
        self.rng_seed = seed

    def versions(self) -> dict[str, str]:
        return {
            "pytensor": pytensor.__version__,
            "numba": metadata.version("numba"),
            "numpy": np.__version__,
            "scipy": metadata.version("scipy"),
            "blas": blas() or "unknown",
            "blas_link": pytensor.config.blas__ldflags or "NumPy C API",
            "floatX": pytensor.config.floatX,
            "cxx": pytensor.config.cxx or "none",
        }

    def matmul(self, device: str, size: int) -> Callable[[], object]:
        a = pytensor.shared(np.ones((size, size), np.float32))
        b = pytensor.shared(np.ones((size, size), np.float32))
        return pytensor.function([], pt.dot(a, b), mode=DEFAULT_MODE)  # compiled here, as the models compile


RUNTIME = PyTensorRuntime()
