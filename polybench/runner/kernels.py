"""Per-framework virtual environments and their Jupyter kernels.

The frameworks' NumPy needs clash (MXNet 1.9.1 wants numpy 1.23.5, Chainer numpy<2,
TensorFlow and PyTorch newer ones), so each lives in its own environment under
``.venvs/<framework>`` (git-ignored; POLYBENCH_ENV_DIR moves it), with polybench
installed into it (editable) and a kernel ``polybench-<framework>`` registered where the
orchestrator's Jupyter finds it. A marker file, written last, records the requirement
files' hash: an interrupted or outdated setup is redone on the next use.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from polybench import PROJECT_ROOT
from polybench.errors import PolybenchError
from polybench.frameworks import check_framework

REQUIREMENTS = PROJECT_ROOT / "requirements"
_MARKER = "polybench-ready.json"
#: Requirement files installed first, each in its own pip call, and whether the
#: framework's own file then needs --no-build-isolation (chainer's sdist does).
BUILD_FIRST = {"chainer": ("chainer-build.txt", True)}


def env_root() -> Path:
    """The folder holding every framework's environment."""
    return Path(os.environ.get("POLYBENCH_ENV_DIR") or PROJECT_ROOT / ".venvs")


def env_dir(framework: str) -> Path:
    return env_root() / check_framework(framework)


def env_python(framework: str) -> Path:
    return env_dir(framework) / "bin" / "python"


def kernel_name(framework: str) -> str:
    return f"polybench-{check_framework(framework)}"


def kernel_dir(framework: str) -> Path:
    """Where the kernel spec is registered: the orchestrator's own prefix."""
    return Path(sys.prefix) / "share" / "jupyter" / "kernels" / kernel_name(framework)


def requirements_hash(framework: str) -> str:
    """Hash of every requirement file the environment is built from."""
    digest = hashlib.sha256()
    files = [REQUIREMENTS / "kernel.txt", REQUIREMENTS / f"{framework}.txt"]
    if framework in BUILD_FIRST:
        files.insert(0, REQUIREMENTS / BUILD_FIRST[framework][0])
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def is_ready(framework: str) -> bool:
    """Whether the environment and its kernel exist and match the requirement files."""
    marker = env_dir(framework) / _MARKER
    spec = kernel_dir(framework) / "kernel.json"
    if not (marker.is_file() and spec.is_file() and env_python(framework).exists()):
        return False
    try:
        built = json.loads(marker.read_text())
        argv0 = json.loads(spec.read_text())["argv"][0]
    except (ValueError, KeyError, IndexError):
        return False
    return built.get("requirements") == requirements_hash(framework) and Path(argv0) == env_python(framework)


def _step(command: list[str], log: Path, what: str) -> None:
    with open(log, "a") as f:
        f.write(f"\n$ {' '.join(map(str, command))}\n")
        f.flush()
        code = subprocess.call([str(c) for c in command], stdout=f, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    if code != 0:
        raise PolybenchError(f"setting up the environment failed while {what} (exit {code}); see {log}")


def setup(framework: str, say: Callable[[str], None] = print) -> Path:
    """Create or update the framework's environment and kernel; return its Python."""
    framework = check_framework(framework)
    target = env_dir(framework)
    target.mkdir(parents=True, exist_ok=True)
    log = target / "setup.log"
    (target / _MARKER).unlink(missing_ok=True)
    python = env_python(framework)
    start = time.monotonic()
    say(f"{framework}: building environment in {target} (log: {log})")
    if not python.exists():
        _step([sys.executable, "-m", "venv", target], log, "creating the virtual environment")
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
    no_isolation = []
    if framework in BUILD_FIRST:
        build_file, needs_no_isolation = BUILD_FIRST[framework]
        _step(pip + ["-r", REQUIREMENTS / build_file], log, f"installing requirements/{build_file}")
        no_isolation = ["--no-build-isolation"] if needs_no_isolation else []
    say(f"{framework}: installing requirements/{framework}.txt")
    _step(pip + no_isolation + ["-r", REQUIREMENTS / f"{framework}.txt"], log,
          f"installing requirements/{framework}.txt")
    _step(pip + ["--no-deps", "-e", PROJECT_ROOT], log, "installing polybench")
    _step([python, "-m", "ipykernel", "install", "--prefix", sys.prefix, "--name", kernel_name(framework),
           "--display-name", f"polybench ({framework})"], log, "registering the Jupyter kernel")
    version = import_check(framework)
    (target / _MARKER).write_text(json.dumps({"requirements": requirements_hash(framework),
                                              "version": version}) + "\n")
    say(f"{framework}: ready ({framework} {version}, kernel {kernel_name(framework)}, "
        f"{time.monotonic() - start:.0f} s)")
    return python


def ensure(framework: str, say: Callable[[str], None] = print) -> Path:
    """The framework's Python, setting the environment up first if it is not ready."""
    return env_python(framework) if is_ready(framework) else setup(framework, say)


def import_check(framework: str) -> str:
    """Import the framework inside its environment (its module bears its name); return its version."""
    name = check_framework(framework)
    done = subprocess.run([str(env_python(framework)), "-c", f"import {name}; print({name}.__version__)"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PolybenchError(f"{framework}: `import {name}` fails in {env_dir(framework)}: {last}; "
                             f"rebuild it with `polybench setup --framework {framework}`")
    return done.stdout.strip().splitlines()[-1]
