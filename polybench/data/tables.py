"""The shared loader: CSV -> column arrays (cached) -> each spec's rendered splits.

Every framework reads its data through ``load_splits``, so all of them see the same
bytes rendered by the same NumPy code.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from polybench.atomic import atomic_write
from polybench.data.cache import load_cached
from polybench.errors import DataError
from polybench.specs.base import Columns, GeneratedSpec, Spec, Split

_CACHE_TAG = "table-v1"


def _dtype(columns: Columns):
    return str if columns.dtype == "str" else np.dtype(columns.dtype)


FIX = "rewrite it with `polybench data --force`"


def first_bad_line(path: Path, schema: dict[str, Columns]) -> str:
    """Where and how the CSV departs from ``schema``: the first line with the wrong number of
    values or a value that is not a number where one is due (read row by row: slow, so only
    used once a fast parse has failed)."""
    expected = [name for group in schema.values() for name in group.names]
    numeric = [group.dtype != "str" for group in schema.values() for _ in group.names]
    with open(path, newline="") as f:
        for number, row in enumerate(csv.reader(f), start=1):
            if number == 1:
                if row != expected:
                    return "line 1: the header does not match the spec's columns"
                continue
            if len(row) != len(expected):
                return f"line {number}: {len(row)} values, expected {len(expected)}"
            for name, value, is_number in zip(expected, row, numeric, strict=True):
                if is_number:
                    try:
                        float(value)
                    except ValueError:
                        return f"line {number}: {name} is {value[:20]!r}, not a number"
    return "a value does not fit its column's type"


def parse_table(path: Path, schema: dict[str, Columns], rows: int | None = None) -> dict[str, np.ndarray]:
    """Parse a CSV with a header into one array per schema group (text as fixed-width str).
    With ``rows``, the file must hold exactly that many data rows. A file that does not fit
    raises DataError naming the file, the first bad line and the fix."""
    import pandas as pd

    expected = [name for group in schema.values() for name in group.names]
    dtypes = {name: _dtype(group) for group in schema.values() for name in group.names}
    try:
        frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, engine="c")
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise DataError(f"{path}: {first_bad_line(path, schema)}; {FIX}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text CSV; {FIX}") from None
    if list(frame.columns) != expected:
        raise DataError(f"{path}: line 1: the header does not match the spec's columns; {FIX}")
    if rows is not None and len(frame) != rows:
        raise DataError(f"{path}: {len(frame)} data rows, expected {rows} (truncated?); {FIX}")
    arrays = {}
    for group_name, group in schema.items():
        block = frame[list(group.names)].to_numpy()
        if group.dtype == "str":
            block = block.astype(str)
        arrays[group_name] = block[:, 0].copy() if len(group.names) == 1 else np.ascontiguousarray(block)
    return arrays


def read_table(path: Path, schema: dict[str, Columns], rows: int | None = None) -> dict[str, np.ndarray]:
    """The CSV's column groups, from the cache beside it when that is current."""
    tag = _CACHE_TAG + "|" + "|".join(f"{k}:{v.dtype}:{len(v.names)}" for k, v in schema.items()) + f"|{rows}"
    return load_cached(Path(path), lambda p: parse_table(p, schema, rows), tag)


def write_table(path: Path, schema: dict[str, Columns], columns: dict[str, np.ndarray]) -> None:
    """Write column groups as a CSV with a header, atomically."""
    import pandas as pd

    data = {}
    for group_name, group in schema.items():
        block = np.asarray(columns[group_name])
        block = block.reshape(len(block), -1)
        for i, name in enumerate(group.names):
            data[name] = block[:, i]
    with atomic_write(Path(path), "w", newline="") as f:
        pd.DataFrame(data).to_csv(f, index=False, lineterminator="\n")


def write_generated(spec: GeneratedSpec, data_dir: Path, force: bool = False) -> list[Path]:
    """Write a generated spec's train/val/test CSVs (missing ones, or all with ``force``)."""
    paths = {split: Path(data_dir) / name for split, (name, _) in spec.split_sources().items()}
    if not force and all(p.is_file() for p in paths.values()):
        return []
    for split, columns in spec.generate_splits().items():
        write_table(paths[split], spec.schema, columns)
    return list(paths.values())


def load_splits(spec: Spec, data_dir: Path) -> dict[str, Split]:
    """The spec's "train", "val" and "test" splits, rendered from the data folder's CSVs."""
    splits = {}
    expected = spec.csv_rows()
    for split, (name, rows) in spec.split_sources().items():
        columns = read_table(Path(data_dir) / name, spec.schema, expected.get(name))
        splits[split] = spec.render({group: array[rows] for group, array in columns.items()})
    return splits
