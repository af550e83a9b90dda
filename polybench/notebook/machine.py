"""What a record says about where and how it was measured."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from polybench import PROJECT_ROOT
from polybench.threads import RECORDED_THREAD_ENV, blas

#: The file `polybench setup` writes last into a framework's environment (its lock and hash).
READY_MARKER = "polybench-ready.json"
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
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
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


def installed_packages() -> dict[str, str]:
    """Every distribution installed in this interpreter's environment, name -> version, sorted."""
    found = {
        dist.metadata["Name"].lower().replace("_", "-"): dist.version
        for dist in metadata.distributions()
        if dist.metadata["Name"]
    }
    return dict(sorted(found.items()))


def environment_lock() -> dict:
    """The lock this interpreter's environment was installed from, as its ready marker says
    (written by `polybench setup`), with every installed package; {} outside such an environment."""
    marker = Path(sys.prefix) / READY_MARKER
    try:
        built = json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}
    return {"lock": built.get("lock"), "lock_hash": built.get("lock_hash"), "packages": installed_packages()}


def capture(threads: int, command: str | None = None) -> dict:
    """Host, Python, library versions, BLAS, thread settings and the command line; inside a
    framework's environment also its lock hash and every installed package with its version."""
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
        **environment_lock(),
    }
