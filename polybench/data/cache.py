"""Parsed CSV arrays cached beside the CSV, rebuilt when the CSV changes.

The cache ``name.cache.npz`` sits next to ``name.csv`` and records the CSV's size and
modification time (nanoseconds) and the parser's tag; any difference rebuilds it.
Writes are atomic, so concurrent runs never read a half-written cache.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from polybench.atomic import atomic_write
from polybench.errors import DataError

_KEY = "__cache_key__"


def cache_path(csv_path: Path) -> Path:
    """Where the parsed arrays of ``csv_path`` are cached."""
    return csv_path.with_name(csv_path.stem + ".cache.npz")


def _key(csv_path: Path, tag: str) -> str:
    st = csv_path.stat()
    return f"{tag}|{st.st_size}|{st.st_mtime_ns}"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def load_cached(
    csv_path: Path, parse: Callable[[Path], dict[str, np.ndarray]], tag: str, notice: Callable[[str], None] = _stderr
) -> dict[str, np.ndarray]:
    """Arrays parsed from ``csv_path`` by ``parse``, from the cache when it is current.

    ``tag`` names the parser and its version: changing it invalidates old caches. A cache
    that cannot be read is rebuilt, with a line through ``notice`` saying so.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DataError(f"{csv_path}: missing; run `polybench data` to write it")
    key = _key(csv_path, tag)
    cached = cache_path(csv_path)
    if cached.is_file():
        try:
            with np.load(cached, allow_pickle=False) as npz:
                if str(npz[_KEY]) == key:
                    return {name: npz[name] for name in npz.files if name != _KEY}
        except Exception as exc:  # noqa: BLE001 - a damaged file fails anywhere in zipfile or NumPy's header
            # parser (BadZipFile, EOFError, TokenError, ...); the CSV is the source, so rebuild from it
            notice(
                f"data: the cache {cached} is unreadable ({type(exc).__name__}: {exc}); rebuilding it "
                f"from {csv_path.name}"
            )
    arrays = parse(csv_path)
    with atomic_write(cached, "wb") as f:
        np.savez(f, **arrays, **{_KEY: np.array(key)})
    return arrays
