"""Lock files: every package of an environment, transitive ones included, with exact versions
and sha256 hashes.

The human-edited requirements stay the source: ``requirements/<name>.txt``. Each lock,
``requirements/locks/<name>.txt``, is generated from it by ``uv pip compile`` for Python 3.11 on
Linux x86-64, against PyPI plus the local wheel folders (``wheel_folders``: PyTorch's CPU build is
not on PyPI, whose Linux torch is the CUDA build with some 3 GB of CUDA libraries). A lock's
header records the sha256 of its source files, so a lock that no longer matches its source is
found without any network (``stale``). Regenerate every lock with::

    python -m polybench.locks            # or --check: exit 1 if a lock is stale; --upgrade: newest versions

Locks: ``base`` (the orchestrator: requirements/base.txt, ray.txt and test.txt), one per framework of
``FRAMEWORKS``, and the build requirements a framework installs first (``BUILD_FIRST``). Adding
an environment is adding its requirement file and running the command above.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from polybench import PROJECT_ROOT
from polybench.atomic import atomic_write
from polybench.errors import PolybenchError
from polybench.frameworks import FRAMEWORKS

REQUIREMENTS = PROJECT_ROOT / "requirements"
LOCKS = REQUIREMENTS / "locks"
ORCHESTRATOR = "base"
#: Requirement files a framework installs before its own lock, and whether its own packages are
#: then built without build isolation (chainer 7.8.1 is an sdist needing setuptools<70).
BUILD_FIRST = {"chainer": "chainer-build", "dynet": "dynet-build"}
#: Environments outside the registry that a tool installs from a lock: DyNet 2.1.2 built from its
#: sdist by tools/dynet_build.sh (not yet a framework: tools/dynet_mnist.py checks it).
TOOL_ENVIRONMENTS = ("dynet",)
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-manylinux_2_28"
#: Where wheels that PyPI does not carry are looked for when POLYBENCH_FIND_LINKS is unset.
DEFAULT_WHEEL_FOLDERS = ("/opt/wheels",)
_SOURCES_LINE = "# sources-sha256: "
_INCLUDE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)\s+(\S+)", re.M)


def lock_names() -> list[str]:
    """Every lock: the orchestrator's, then each framework's (and tool environment's) build
    requirements and its own."""
    names = [ORCHESTRATOR]
    for framework in (*FRAMEWORKS, *TOOL_ENVIRONMENTS):
        names += [BUILD_FIRST[framework], framework] if framework in BUILD_FIRST else [framework]
    return names


def inputs(name: str) -> list[Path]:
    """The requirement files a lock is compiled from (the files they include are read too)."""
    if name == ORCHESTRATOR:  # the tests cover the optional Ray executor, so its lock holds Ray
        return [REQUIREMENTS / "base.txt", REQUIREMENTS / "ray.txt", REQUIREMENTS / "test.txt"]
    first = [REQUIREMENTS / f"{BUILD_FIRST[name]}.txt"] if name in BUILD_FIRST else []
    return first + [REQUIREMENTS / f"{name}.txt"]


def sources(name: str) -> list[Path]:
    """The lock's input files and every file they include with -r/-c, each once, in order."""
    seen: list[Path] = []
    pending = list(inputs(name))
    while pending:
        path = pending.pop(0).resolve()
        if path in seen:
            continue
        if not path.is_file():
            raise PolybenchError(f"lock {name!r}: requirement file {path} does not exist")
        seen.append(path)
        pending += [path.parent / ref for ref in _INCLUDE.findall(path.read_text())]
    return seen


def sources_hash(name: str) -> str:
    """sha256 over the lock's source files (names and contents) and the target it is resolved for."""
    digest = hashlib.sha256(f"python {PYTHON_VERSION} {PLATFORM}\n".encode())
    for path in sources(name):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def lock_path(name: str) -> Path:
    return LOCKS / f"{name}.txt"


def shown(path: Path) -> str:
    """A path as messages show it: relative to the checkout when it lies inside."""
    path = Path(path)
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def recorded_sources_hash(name: str) -> str | None:
    """The sources hash written in the lock's header, or None without a lock (or header)."""
    path = lock_path(name)
    if not path.is_file():
        return None
    for line in path.read_text().splitlines():
        if line.startswith(_SOURCES_LINE):
            return line[len(_SOURCES_LINE) :].strip()
    return None


def stale(name: str) -> bool:
    """Whether the lock is missing or was generated from other requirement files than today's."""
    return recorded_sources_hash(name) != sources_hash(name)


def file_hash(paths: list[Path]) -> str:
    """sha256 over the named files' contents: what an environment's ready marker and records carry."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def wheel_folders() -> list[str]:
    """Extra places to find wheels PyPI does not carry: POLYBENCH_FIND_LINKS (folders or URLs of
    pages of links, separated by spaces), else those of DEFAULT_WHEEL_FOLDERS that exist."""
    named = os.environ.get("POLYBENCH_FIND_LINKS")
    if named is not None:
        return named.split()
    return [folder for folder in DEFAULT_WHEEL_FOLDERS if Path(folder).is_dir()]


def uv() -> str:
    """The uv binary installed with the orchestrator (requirements/base.txt pins it)."""
    try:
        from uv import find_uv_bin
    except ImportError:
        raise PolybenchError(
            "uv is not installed in this environment: reinstall polybench "
            "(pip install -e .) to get the version requirements/base.txt pins"
        ) from None
    return find_uv_bin()


def uv_options() -> list[str]:
    """Options every uv call shares: no user or system uv configuration, the wheel folders."""
    options = ["--no-config"]
    for folder in wheel_folders():
        options += ["--find-links", folder]
    return options


def compile_lock(name: str, upgrade: bool = False) -> Path:
    """Resolve the lock ``name`` from its requirement files with uv and write it (atomically),
    keeping the versions it already pins where the requirements allow (``upgrade``: the newest)."""
    header = [
        f"# Lock for requirements/{', requirements/'.join(p.name for p in inputs(name))}: every package "
        f"with its hashes, for Python {PYTHON_VERSION} on {PLATFORM}.",
        "# Generated by `python -m polybench.locks`; edit the requirement files, not this one.",
        f"{_SOURCES_LINE}{sources_hash(name)}",
    ]
    command = [
        uv(),
        "pip",
        "compile",
        "--quiet",
        *uv_options(),
        "--generate-hashes",
        "--no-header",
        "--python-version",
        PYTHON_VERSION,
        "--python-platform",
        PLATFORM,
        *[str(p.relative_to(PROJECT_ROOT)) for p in inputs(name)],
    ]
    if name in BUILD_FIRST:  # its sdist's metadata is built with the build requirements' versions
        command += ["--build-constraints", str((REQUIREMENTS / f"{BUILD_FIRST[name]}.txt").relative_to(PROJECT_ROOT))]
    path = lock_path(name)
    with tempfile.TemporaryDirectory() as scratch:
        # uv keeps the versions an existing output file pins unless a requirement moves them, so
        # changing one requirement changes only the packages it needs; `upgrade` resolves afresh.
        output = Path(scratch) / path.name
        if path.is_file() and not upgrade:
            shutil.copyfile(path, output)
        command += ["--output-file", str(output)]
        done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise PolybenchError(f"resolving the {name} lock failed: {last}")
        body = output.read_text()
    with atomic_write(path, "w") as f:
        f.write("\n".join(header) + "\n" + body)
    return path


def main(argv: list[str] | None = None) -> int:
    """Regenerate the stale locks (all with --all), or with --check only list them (exit 1 if any)."""
    parser = argparse.ArgumentParser(prog="python -m polybench.locks", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "names", nargs="*", help=f"locks to regenerate (default: the stale ones; all: {', '.join(lock_names())})"
    )
    parser.add_argument("--all", action="store_true", help="regenerate every lock, stale or not")
    parser.add_argument("--upgrade", action="store_true", help="resolve afresh: newest versions allowed")
    parser.add_argument("--check", action="store_true", help="only report stale locks; exit 1 if there are any")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in lock_names()]
    if unknown:
        print(f"unknown lock {unknown[0]!r} (choose from: {', '.join(lock_names())})", file=sys.stderr)
        return 2
    chosen = args.names or lock_names()
    if args.check:
        outdated = [name for name in chosen if stale(name)]
        for name in outdated:
            print(f"stale: {shown(lock_path(name))} (run `python -m polybench.locks`)")
        return 1 if outdated else 0
    names = [name for name in chosen if args.all or args.names or stale(name)]
    for name in names:
        print(f"{name}: resolving ...", flush=True)
        print(f"{name}: wrote {shown(compile_lock(name, upgrade=args.upgrade))}")
    if not names:
        print("every lock matches its requirement files")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except PolybenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
