"""Make sure the CSVs the chosen models read exist, and their parsed caches are warm."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from polybench.data import mnist, tables
from polybench.specs import get_spec
from polybench.specs.base import GeneratedSpec


def prepare(
    models: list[str],
    data_dir: Path,
    mnist_mirror: Path | None = None,
    force: bool = False,
    say: Callable[[str], None] = print,
) -> None:
    """Write missing CSVs (all of them with ``force``) and parse each once into its cache,
    so that no notebook pays for parsing."""
    specs = [get_spec(m) for m in models]
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if any(spec.dataset == "mnist" for spec in specs):
        start = time.monotonic()
        source = mnist_mirror or mnist.mirror_from_env()
        written = mnist.write_csvs(data_dir, mnist_mirror, force=force)
        if written:
            origin = f"mirror {source}" if source else "download"
            say(
                f"data: wrote {', '.join(p.name for p in written)} from the {origin} ({time.monotonic() - start:.0f} s)"
            )
    for spec in specs:
        if isinstance(spec, GeneratedSpec):
            start = time.monotonic()
            written = tables.write_generated(spec, data_dir, force=force)
            if written:
                say(f"data: generated {', '.join(p.name for p in written)} ({time.monotonic() - start:.0f} s)")
    for spec in specs:
        start = time.monotonic()
        tables.load_splits(spec, data_dir)
        elapsed = time.monotonic() - start
        if elapsed > 1:
            say(f"data: parsed {', '.join(spec.csv_files())} into the cache ({elapsed:.0f} s)")
