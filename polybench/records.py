"""Run records: one JSON file per (model, framework, mode, seed) run, written atomically.

A run folder holds records/*.json, notebooks/ (the executed notebooks), progress/ (one
JSON-lines file per run, appended per epoch), summary.csv, report.md and charts/*.png.

``Record`` is the one record type: the notebook (a finished run) and the runner (a run
that did not finish) build it, ``write_record`` writes it, and every reader goes through
``read_record``, which checks the schema version, the required fields, each field's type
and the status before anything else sees the data. A file that fails is named with the
reason; ``load_records`` sets such files aside so a report still covers the valid ones.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from pathlib import Path

from polybench.atomic import atomic_write
from polybench.errors import PolybenchError

#: Version of the record layout; a reader refuses records of a later version.
SCHEMA_VERSION = 2
#: Fields an older schema had and this one dropped, by the schema that dropped them. Reading an
#: older record leaves them out. 2: the do-nothing loop timing, replaced by the idiomatic mode.
RETIRED_FIELDS = {2: ("harness_seconds_per_batch",)}
STATUSES = ("ok", "failed", "timeout", "diverged", "unsupported")


class RecordError(PolybenchError):
    """A record file that cannot be used: unreadable, not JSON, or not a valid record."""

    def __init__(self, path: Path | None, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path is not None else reason)
        self.path = path
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class RunKey:
    """Identifies one run inside a run folder."""

    model: str
    framework: str
    mode: str
    seed: int

    @property
    def stem(self) -> str:
        """File name stem shared by the run's record, notebook and progress log."""
        return f"{self.model}__{self.framework}__{self.mode}__seed{self.seed}"

    def record_path(self, run_dir: Path) -> Path:
        return Path(run_dir) / "records" / f"{self.stem}.json"

    def notebook_path(self, run_dir: Path) -> Path:
        return Path(run_dir) / "notebooks" / f"{self.stem}.ipynb"

    def progress_path(self, run_dir: Path) -> Path:
        return Path(run_dir) / "progress" / f"{self.stem}.jsonl"


@dataclasses.dataclass(kw_only=True)
class Record:
    """One run's record, field for field as it is stored in its JSON file.

    Adding a field is one line here (with a default, so older records still read).
    ``environment`` is free-form: versions, hardware, threads, commit and whatever else
    describes where the run happened.
    """

    schema: int = SCHEMA_VERSION
    model: str
    framework: str
    mode: str
    seed: int
    profile: str
    device: str | None = None
    status: str
    error: str | None = None
    metric: str | None = None
    metric_higher_is_better: bool | None = None
    test_metric: float | None = None
    test_loss: float | None = None
    extra_metrics: dict[str, float | None] = dataclasses.field(default_factory=dict)
    target: float | None = None
    target_met: bool | None = None
    epochs_planned: int | None = None
    batch_size: int | None = None
    optimizer: dict | None = None
    train_samples: int | None = None
    epochs: list[dict] = dataclasses.field(default_factory=list)
    first_epoch_seconds: float | None = None
    steady_epoch_seconds: float | None = None
    samples_per_second: float | None = None
    train_seconds: float | None = None
    time_to_target_seconds: float | None = None
    #: Who ordered the training samples: the shared loop, or the idiomatic loop itself.
    shuffle: str | None = None
    flops_per_sample: float | None = None
    achieved_flops_per_second: float | None = None
    peak_flops_per_second: float | None = None
    peak_rss_bytes: int | None = None
    gpu_peak_framework_bytes: int | None = None
    gpu_peak_nvml_bytes: int | None = None
    gpu_name: str | None = None
    gpu_driver: str | None = None
    implementation_loc: int | None = None
    model_loc: int | None = None
    step_loc: int | None = None  # the shared step's module, or in mode idiomatic the framework's own loop's
    #: Parity figures measured in the run's kernel after training: the forward pass's largest
    #: difference from the NumPy reference and the first training losses (dropout off).
    parity: dict | None = None
    contention: dict | None = None
    environment: dict = dataclasses.field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def new(cls, key: RunKey, profile: str, status: str, **fields) -> Record:
        """A record of run ``key``; fields not given keep their defaults (None, empty)."""
        return cls(**dataclasses.asdict(key), profile=profile, status=status, **fields)

    @property
    def key(self) -> RunKey:
        return RunKey(self.model, self.framework, self.mode, self.seed)

    def validate(self) -> None:
        """Raise RecordError (path None) if a field has the wrong type or the status is unknown."""
        hints = _field_types()
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not _matches(value, hints[field.name]):
                raise RecordError(
                    None,
                    f"field {field.name!r} should be {_describe(hints[field.name])}, "
                    f"not {type(value).__name__} {_short(value)}",
                )
        if self.status not in STATUSES:
            raise RecordError(None, f"status {self.status!r} is not one of {', '.join(STATUSES)}")
        if self.status == "ok" and self.test_metric is None:
            raise RecordError(None, "status ok but no test_metric")

    def to_dict(self) -> dict:
        """The record as its JSON file holds it (NaN and infinities as null)."""
        self.validate()
        return _finite(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: object) -> Record:
        """Check a decoded JSON value and build the record; RecordError (path None) says why not."""
        if not isinstance(data, dict):
            raise RecordError(None, f"not a record (a JSON {type(data).__name__}, not an object)")
        schema = data.get("schema")
        if schema is None:
            raise RecordError(None, "no schema version")
        if type(schema) is not int or schema < 1:
            raise RecordError(None, f"schema version {_short(schema)} is not a positive whole number")
        if schema > SCHEMA_VERSION:
            raise RecordError(
                None,
                f"written by a newer polybench (record schema {schema}; this one reads up to "
                f"{SCHEMA_VERSION}); update polybench to read it",
            )
        retired = {name for version, fields in RETIRED_FIELDS.items() if schema < version for name in fields}
        data = {name: value for name, value in data.items() if name not in retired}
        names = {f.name for f in dataclasses.fields(cls)}
        missing = [f.name for f in dataclasses.fields(cls) if _required(f) and f.name not in data]
        if missing:
            raise RecordError(None, f"missing field(s) {', '.join(missing)}")
        unknown = sorted(set(data) - names)
        if unknown:
            raise RecordError(None, f"unknown field(s) {', '.join(unknown)}")
        return cls(**data)


def _required(field: dataclasses.Field) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


_TYPES: dict[str, object] = {}


def _field_types() -> dict[str, object]:
    """Each Record field's resolved annotation (computed once)."""
    if not _TYPES:
        _TYPES.update(typing.get_type_hints(Record))
    return _TYPES


def _matches(value: object, hint: object) -> bool:
    """Whether a JSON-decoded ``value`` fits the annotation ``hint`` (bool is never a number)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_matches(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is list:
        return isinstance(value, list) and all(_matches(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
    return isinstance(value, hint)


def _describe(hint: object) -> str:
    """An annotation as a reader writes it: int, float | None, list[dict]."""
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "").replace("NoneType", "None")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _finite(value):
    """``value`` with every NaN or infinity replaced by None, so the file is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_record(path: Path, record: Record | dict) -> None:
    """Write ``record`` as JSON atomically (readers never see a partial file). A dict is
    first checked as a record read from a file would be; RecordError says what is wrong."""
    data = (record if isinstance(record, Record) else Record.from_dict(record)).to_dict()
    with atomic_write(Path(path), "w") as f:
        json.dump(data, f, indent=2, allow_nan=False)
        f.write("\n")


def read_record(path: Path) -> dict:
    """One record file, checked against ``Record``; RecordError names the file and the reason."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(path, f"unreadable ({getattr(exc, 'strerror', None) or exc})") from None
    if not text.strip():
        raise RecordError(path, "empty file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(
            path, f"not valid JSON, truncated or edited ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    try:
        return Record.from_dict(data).to_dict()
    except RecordError as exc:
        raise RecordError(path, exc.reason) from None


@dataclasses.dataclass(frozen=True)
class LeftOut:
    """A record file a reader set aside, and why."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def load_records(run_dirs: list[Path]) -> tuple[list[dict], list[LeftOut]]:
    """Every valid record in the run folders, in file-name order, and the files left out."""
    valid, left_out = [], []
    for run_dir in run_dirs:
        for path in sorted((Path(run_dir) / "records").glob("*.json")):
            try:
                valid.append(read_record(path))
            except RecordError as exc:
                left_out.append(LeftOut(path, exc.reason))
    return valid, left_out


def read_records(run_dirs: list[Path]) -> list[dict]:
    """Every valid record in the run folders (``load_records`` also says which were left out)."""
    return load_records(run_dirs)[0]


def latest(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split records into the latest one per (model, framework, mode, seed, profile), by
    ``finished_at``, and the older ones it supersedes: a rerun of a cell in another run
    folder replaces the earlier result instead of counting as one more seed."""
    newest: dict[tuple, dict] = {}
    superseded = []
    for record in records:
        key = (record["model"], record["framework"], record["mode"], record["seed"], record["profile"])
        if key in newest:
            older, newer = sorted((newest[key], record), key=lambda r: r.get("finished_at") or "")
            superseded.append(older)
            newest[key] = newer
        else:
            newest[key] = record
    return list(newest.values()), superseded


def read_progress(path: Path) -> list[dict]:
    """The epoch rows appended to a progress log so far (a torn last line is skipped)."""
    rows = []
    if Path(path).is_file():
        for line in Path(path).read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return rows
