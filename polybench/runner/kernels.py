"""Per-framework virtual environments and their Jupyter kernels.

The frameworks' NumPy needs clash (MXNet 1.9.1 wants numpy 1.23.5, Chainer numpy<2,
TensorFlow and PyTorch newer ones), so each lives in its own environment under
``.venvs/<framework>`` (git-ignored; POLYBENCH_ENV_DIR moves it), with polybench
made importable in it (a .pth file naming the checkout) and a kernel ``polybench-<framework>``
registered where the orchestrator's Jupyter finds it. The environment is synced by uv from the
framework's lock (requirements/locks/, see polybench.locks) with every hash required, so it
holds exactly the locked packages and a tampered or different file is refused. A marker file,
written last, records the lock's hash: an interrupted or outdated setup is redone on the next use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from polybench import PROJECT_ROOT, locks
from polybench.errors import PolybenchError
from polybench.frameworks import DECLARED, check_framework
from polybench.notebook.machine import READY_MARKER as MARKER


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


def env_locks(framework: str) -> list[Path]:
    """The lock files the environment is installed from, in order (build requirements first)."""
    framework = check_framework(framework)
    first = [locks.BUILD_FIRST[framework]] if framework in locks.BUILD_FIRST else []
    return [locks.lock_path(name) for name in [*first, framework]]


def lock_hash(framework: str) -> str:
    """Hash of the lock files the environment is installed from (its ready marker holds it)."""
    paths = env_locks(framework)
    for path in paths:
        if not path.is_file():
            raise PolybenchError(
                f"{framework}: lock file {path} is missing; generate it with `python -m polybench.locks`"
            )
    return locks.file_hash(paths)


def is_ready(framework: str) -> bool:
    """Whether the environment and its kernel exist and were installed from today's lock files."""
    marker = env_dir(framework) / MARKER
    spec = kernel_dir(framework) / "kernel.json"
    if not (marker.is_file() and spec.is_file() and env_python(framework).exists()):
        return False
    try:
        built = json.loads(marker.read_text())
        kernel = json.loads(spec.read_text())
        argv0, variables = kernel["argv"][0], kernel.get("env") or {}
    except (ValueError, KeyError, IndexError, TypeError):
        return False
    locked = built.get("lock_hash") == lock_hash(framework) or bool(built.get("adopted"))
    return locked and Path(argv0) == env_python(framework) and variables == DECLARED[framework].environment


#: How uv and pip begin the lines that say why they failed (the last one is the most specific).
_REASONS = ("error:", "cause:", "Caused by:", "ERROR:")


def _step(command: list, log: Path, what: str) -> None:
    """Run one set-up command with its output appended to ``log``; a failure is one line naming
    the log and the command's own reason (e.g. uv's hash mismatch)."""
    with open(log, "a") as f:
        f.write(f"\n$ {' '.join(map(str, command))}\n")
        f.flush()
        start = f.tell()
        code = subprocess.call([str(c) for c in command], stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if code != 0:
        with open(log, errors="replace") as f:
            f.seek(start)
            reasons = [ln.strip() for ln in f if ln.strip().startswith(_REASONS)]
        why = f": {reasons[-1].split(':', 1)[1].strip()}" if reasons else ""
        raise PolybenchError(f"setting up the environment failed while {what} (exit {code}){why}; see {log}")


def setup(framework: str, say: Callable[[str], None] = print) -> Path:
    """Create or update the framework's environment from its lock, and its kernel; return its Python."""
    framework = check_framework(framework)
    target = env_dir(framework)
    target.mkdir(parents=True, exist_ok=True)
    log = target / "setup.log"
    (target / MARKER).unlink(missing_ok=True)
    expected = lock_hash(framework)
    python = env_python(framework)
    start = time.monotonic()
    say(f"{framework}: building environment in {target} (log: {log})")
    uv = [locks.uv()]
    if not python.exists():
        _step(
            uv + ["venv", "--no-config", "--allow-existing", "--python", sys.executable, target],
            log,
            "creating the virtual environment",
        )
    *build_first, own = env_locks(framework)
    hashed = [*locks.uv_options(), "--require-hashes", "--python", python]
    no_isolation = []
    for build_lock in build_first:
        _step(
            uv + ["pip", "install", *hashed, "--no-deps", "-r", build_lock],
            log,
            f"installing {locks.shown(build_lock)}",
        )
        no_isolation = ["--no-build-isolation"]  # the sdist builds with the locked build requirements
    say(f"{framework}: installing {locks.shown(own)}")
    # sync: exactly the locked packages, anything else in the environment is removed
    _step(uv + ["pip", "sync", *hashed, *no_isolation, own], log, f"installing {locks.shown(own)}")
    _link_project(python)
    _register_kernel(framework, python, log)
    version = import_check(framework)
    (target / MARKER).write_text(json.dumps({"lock": own.stem, "lock_hash": expected, "version": version}) + "\n")
    module, took = DECLARED[framework].import_name, time.monotonic() - start
    say(f"{framework}: ready ({module} {version}, kernel {kernel_name(framework)}, {took:.0f} s)")
    return python


def adopt(framework: str, interpreter: Path, say: Callable[[str], None] = print) -> Path:
    """Make the framework's environment a virtual environment on top of ``interpreter``, a Python
    that already has the framework (a machine image's, with no package index to install from),
    and its kernel. Nothing is installed and no lock applies: the marker names the interpreter,
    and the records list the packages that were actually there."""
    framework = check_framework(framework)
    if not interpreter.is_file():
        raise PolybenchError(f"--python {interpreter}: no such interpreter; give the path of a Python executable")
    target = env_dir(framework)
    target.mkdir(parents=True, exist_ok=True)
    log = target / "setup.log"
    (target / MARKER).unlink(missing_ok=True)
    say(f"{framework}: adopting {interpreter} as the environment {target} (no lock; log: {log})")
    _step([interpreter, "-m", "venv", "--clear", "--without-pip", target], log, "creating the virtual environment")
    python = env_python(framework)
    # The interpreter may itself be a virtual environment, whose packages a venv made from it
    # would not see (--system-site-packages reaches only its base): add its site folders, with
    # their own .pth files, to the new environment.
    adopted_sites = _python_says(interpreter, "import site; print('\\n'.join(site.getsitepackages()))").splitlines()
    lines = [f"import site; site.addsitedir({folder!r})" for folder in adopted_sites]
    (_site_packages(python) / "polybench-adopted.pth").write_text("\n".join(lines) + "\n")
    _link_project(python)
    _register_kernel(framework, python, log)
    version = import_check(framework)
    marker = {"lock": None, "lock_hash": None, "version": version, "adopted": str(interpreter)}
    (target / MARKER).write_text(json.dumps(marker) + "\n")
    module = DECLARED[framework].import_name
    say(f"{framework}: ready ({module} {version} from {interpreter}, kernel {kernel_name(framework)})")
    return python


def _register_kernel(framework: str, python: Path, log: Path) -> None:
    """Register the environment's kernel where the orchestrator's Jupyter finds it, with the
    environment variables the framework declares (Keras' backend)."""
    _step(
        [
            python,
            "-m",
            "ipykernel",
            "install",
            "--prefix",
            sys.prefix,
            "--name",
            kernel_name(framework),
            "--display-name",
            f"polybench ({framework})",
            *[part for item in DECLARED[framework].environment.items() for part in ("--env", *item)],
        ],
        log,
        "registering the Jupyter kernel",
    )


def _python_says(python: Path, code: str) -> str:
    """What ``python -c code`` prints, stripped."""
    done = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL
    )
    return done.stdout.strip()


def _site_packages(python: Path) -> Path:
    """The environment's site-packages folder."""
    return Path(_python_says(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])"))


def _link_project(python: Path) -> None:
    """Make this checkout importable in the environment: a .pth file in its site-packages (what an
    editable install amounts to, without building anything or adding a package the lock lacks)."""
    (_site_packages(python) / "polybench.pth").write_text(f"{PROJECT_ROOT}\n")


def ensure(framework: str, say: Callable[[str], None] = print) -> Path:
    """The framework's Python, setting the environment up first if it is not ready."""
    return env_python(framework) if is_ready(framework) else setup(framework, say)


def import_check(framework: str) -> str:
    """Import the framework inside its environment (the module it declares, with the environment
    variables it declares: Keras loads its backend on import); return the module's version."""
    name = DECLARED[check_framework(framework)].import_name
    done = subprocess.run(
        [str(env_python(framework)), "-c", f"import {name}; print({name}.__version__)"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **DECLARED[framework].environment},
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PolybenchError(
            f"{framework}: `import {name}` fails in {env_dir(framework)}: {last}; "
            f"rebuild it with `polybench setup --framework {framework}`"
        )
    return done.stdout.strip().splitlines()[-1]
