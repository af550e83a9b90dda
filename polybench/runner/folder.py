"""The run folder: made writable up front, and held by one `polybench run` at a time.

Two runs writing the same folder would overwrite each other's records and notebooks, so
a run holds an exclusive ``flock`` on ``.polybench.lock`` inside it for as long as it
runs; the operating system releases it when the process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from polybench.errors import PolybenchError, UsageError

LOCK_NAME = ".polybench.lock"


def writable(folder: Path, option: str = "--out") -> Path:
    """Create ``folder`` if needed and check that files can be made in it; a UsageError
    naming ``option`` says why not."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".polybench-probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"{option} {folder}: cannot write there ({exc.strerror or exc}); choose a folder you can write to"
        ) from None
    return folder


@contextlib.contextmanager
def locked(run_dir: Path) -> Iterator[Path]:
    """Hold the run folder (created if needed) for one run; PolybenchError if another holds it."""
    run_dir = writable(run_dir)
    with open(run_dir / LOCK_NAME, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            raise PolybenchError(
                f"another `polybench run` (pid {holder}) is writing to {run_dir}; wait for it "
                f"to finish or choose another --out"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        try:
            yield run_dir
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
