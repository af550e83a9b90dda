"""Thread counts every framework is given, and the BLAS NumPy runs on.

Low-level on purpose: framework runtimes, the notebook layer and the runner all use it.

What "threads" means, the same in every framework: ``threads`` intra-op threads (the
threads one operator may use: torch.set_num_threads, TensorFlow's intra-op pool, MXNet's
OpenMP threads, Chainer's NumPy BLAS), ONE inter-op thread (operators run one after the
other: torch's inter-op pool, TensorFlow's inter-op pool, MXNet's CPU engine workers;
Chainer never runs two at once), and every BLAS/OpenMP pool loaded in the process limited
to ``threads`` through threadpoolctl, then read back and recorded (``threads_used``).
"""

from __future__ import annotations

import os
from pathlib import Path

THREADS_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
#: Operators run side by side, in every framework (see the module docstring).
INTER_OP_THREADS = 1
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


def limit_pools(threads: int) -> None:
    """Limit every BLAS and OpenMP thread pool loaded in this process to ``threads``
    (threadpoolctl); call after the framework is imported, so its own pools are loaded."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)


def pools() -> list[dict]:
    """The BLAS and OpenMP pools loaded in this process, as threadpoolctl reads them back:
    library, API and thread count of each."""
    from threadpoolctl import threadpool_info

    return [
        {
            "library": info.get("internal_api"),
            "api": info.get("user_api"),
            "threads": info.get("num_threads"),
            "file": Path(info.get("filepath", "")).name,
        }
        for info in threadpool_info()
    ]


def used(intra_op: int | None, inter_op: int | None) -> dict:
    """What a framework actually runs with: its intra- and inter-op counts as it reports
    them, and the BLAS/OpenMP pools read back (the record's environment.threads_used)."""
    return {"intra_op": intra_op, "inter_op": inter_op, "pools": pools()}
