"""What a record says about where and how it was measured."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
THREADS_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
#: Thread settings recorded as found (set by a framework's runtime, not by the runner).
RECORDED_THREAD_ENV = THREADS_ENV + ("MXNET_CPU_WORKER_NTHREADS",)
#: Libraries whose versions every record carries, beside the framework's own.
LIBRARIES = ("numpy", "pandas", "matplotlib", "psutil", "nvidia-ml-py", "ipykernel", "polybench")


def default_threads() -> int:
    """Threads every framework gets unless told otherwise: the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def thread_environment(threads: int) -> dict[str, str]:
    """Environment variables that fix the math libraries' thread pools to ``threads``."""
    return {name: str(threads) for name in THREADS_ENV}


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(root: Path = PROJECT_ROOT) -> str | None:
    """The project's git commit (with '+dirty' if the tree has changes), or None."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def package_versions(names: tuple[str, ...] = LIBRARIES) -> dict[str, str]:
    """Installed versions of the named distributions."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


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


def capture(threads: int, command: str | None = None) -> dict:
    """Host, Python, library versions, BLAS, thread settings and the command line."""
    return {
        "command": command,
        "blas": blas(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hostname": platform.node(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "thread_env": {name: os.environ.get(name) for name in RECORDED_THREAD_ENV},
        "versions": package_versions(),
        "commit": git_commit(),
        "executable": sys.executable,
    }
