"""Thread counts every framework is given, and the BLAS NumPy runs on.

Low-level on purpose: framework runtimes, the notebook layer and the runner all use it.
"""

from __future__ import annotations

import os

THREADS_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
#: Thread settings recorded as found (set by a framework's runtime, not by the runner).
RECORDED_THREAD_ENV = THREADS_ENV + ("MXNET_CPU_WORKER_NTHREADS",)


def default_threads() -> int:
    """Threads every framework gets unless told otherwise: the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def thread_environment(threads: int) -> dict[str, str]:
    """Environment variables that fix the math libraries' thread pools to ``threads``."""
    return {name: str(threads) for name in THREADS_ENV}


def blas() -> str | None:
    """The BLAS library NumPy was built with, as NumPy reports it."""
    import numpy as np

    try:  # NumPy >= 1.25
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{info.get('name')} {info.get('version', '')}".strip()
    except (TypeError, KeyError):
        pass
    config = np.__config__  # older NumPy keeps distutils-style info
    for name in ("blas_ilp64_opt_info", "blas_opt_info"):
        libraries = (getattr(config, "get_info", lambda _: {})(name) or {}).get("libraries")
        if libraries:
            return ",".join(libraries)
    return None
