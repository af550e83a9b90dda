"""The shared loader: CSV -> column arrays (cached) -> each spec's rendered splits.

Every framework reads its data through ``load_splits``, so all of them see the same
bytes rendered by the same NumPy code.
"""

from __future__ import annotations

import csv
import warnings
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
    values, a value that is not a number where one is due, or an integer outside its column's
    type (read row by row: slow, so only used once a fast parse has failed)."""
    expected = [name for group in schema.values() for name in group.names]
    types = [np.dtype(group.dtype) if group.dtype != "str" else None for group in schema.values() for _ in group.names]
    with open(path, newline="") as f:
        for number, row in enumerate(csv.reader(f), start=1):
            if number == 1:
                if row != expected:
                    return "line 1: the header does not match the spec's columns"
                continue
            if len(row) != len(expected):
                return f"line {number}: {len(row)} values, expected {len(expected)}"
            for name, value, dtype in zip(expected, row, types, strict=True):
                problem = _value_problem(value, dtype)
                if problem:
                    return f"line {number}: {name} is {value[:20]!r}, {problem}"
    return "a value does not fit its column's type"


def _value_problem(value: str, dtype: np.dtype | None) -> str | None:
    """What is wrong with one CSV value for a column of ``dtype`` (None: text, anything goes)."""
    if dtype is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return "not a number"
    if dtype.kind in "iu":
        if not number.is_integer():
            return "not an integer"
        if not np.iinfo(dtype).min <= int(number) <= np.iinfo(dtype).max:
            return f"outside the range of {dtype}"
    return None


def parse_table(path: Path, schema: dict[str, Columns], rows: int | None = None) -> dict[str, np.ndarray]:
    """Parse a CSV with a header into one array per schema group (text as fixed-width str).
    With ``rows``, the file must hold exactly that many data rows. A file that does not fit
    raises DataError naming the file, the first bad line and the fix."""
    expected = [name for group in schema.values() for name in group.names]
    try:
        if _header(path) != expected:
            raise DataError(f"{path}: line 1: the header does not match the spec's columns; {FIX}")
        integer_type = _one_integer_type(schema)
        if integer_type is not None:
            groups = _split_columns(_integers(path, integer_type, len(expected)), schema)
        else:
            groups = _with_pandas(path, schema)
    except UnicodeDecodeError:  # before ValueError, its base class
        raise DataError(f"{path}: not a text CSV; {FIX}") from None
    except (ValueError, TypeError, OverflowError, DeprecationWarning):
        raise DataError(f"{path}: {first_bad_line(path, schema)}; {FIX}") from None
    count = len(next(iter(groups.values())))
    if rows is not None and count != rows:
        raise DataError(f"{path}: {count} data rows, expected {rows} (truncated?); {FIX}")
    return groups


def _header(path: Path) -> list[str]:
    """The column names on the CSV's first line."""
    with open(path, encoding="utf-8", newline="") as f:
        return next(csv.reader([f.readline()]), [])


def _one_integer_type(schema: dict[str, Columns]) -> np.dtype | None:
    """The integer type every column of ``schema`` holds (MNIST's uint8), or None."""
    names = {group.dtype for group in schema.values()}
    if len(names) != 1 or "str" in names:
        return None
    dtype = np.dtype(names.pop())
    return dtype if dtype.kind in "iu" else None


def _integers(path: Path, dtype: np.dtype, width: int) -> np.ndarray:
    """The data rows of a CSV whose columns all hold integers of ``dtype``, as one (rows, width)
    block, read by NumPy's own C parser: MNIST's 60,000 rows of 785 values in a fraction of the
    time pandas' C parser takes, with NumPy 1.23 and 2.x alike.

    NumPy 1.x reads an integer too large for a narrow type modulo its range (300 as uint8 is 44)
    and an int32 overflow as int32's minimum, where NumPy 2 refuses both: narrow types are read
    as int32 and their range is checked, so that every NumPy refuses a bad value."""
    read_as = np.dtype(np.int32) if dtype.itemsize < 4 else dtype
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # NumPy 1.x reads "1.5" as 1, with this warning
        warnings.simplefilter("ignore", UserWarning)  # "input contained no data": a header-only file
        block = np.loadtxt(path, dtype=read_as, delimiter=",", skiprows=1, comments=None, ndmin=2, encoding="utf-8")
    if block.size == 0:
        return np.empty((0, width), dtype=dtype)
    if block.shape[1] != width:
        raise ValueError(f"{block.shape[1]} values per row, expected {width}")
    if read_as != dtype:
        limits = np.iinfo(dtype)
        if block.min() < limits.min or block.max() > limits.max:
            raise OverflowError(f"a value outside the range of {dtype}")
        block = block.astype(dtype)
    return block


def _split_columns(block: np.ndarray, schema: dict[str, Columns]) -> dict[str, np.ndarray]:
    """A (rows, columns) block cut into the schema's groups: (rows,) for one column, (rows, k) for several."""
    groups, start = {}, 0
    for group_name, group in schema.items():
        part = block[:, start : start + len(group.names)]
        groups[group_name] = part[:, 0].copy() if len(group.names) == 1 else np.ascontiguousarray(part)
        start += len(group.names)
    return groups


def _with_pandas(path: Path, schema: dict[str, Columns]) -> dict[str, np.ndarray]:
    """The schema's groups of a CSV with text, floating-point or mixed columns, read by pandas' C parser."""
    import pandas as pd

    dtypes = {name: _dtype(group) for group in schema.values() for name in group.names}
    frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, engine="c")
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
