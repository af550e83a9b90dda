"""What a record says about where and how it was measured."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from polybench import PROJECT_ROOT
from polybench.threads import RECORDED_THREAD_ENV, blas

#: Libraries whose versions every record carries, beside the framework's own.
LIBRARIES = ("numpy", "pandas", "matplotlib", "psutil", "nvidia-ml-py", "ipykernel", "polybench")


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
