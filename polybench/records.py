"""Run records: one JSON file per (model, framework, mode, seed) run, written atomically.

A run folder holds records/*.json, notebooks/ (the executed notebooks), progress/ (one
JSON-lines file per run, appended per epoch), summary.csv, report.md and charts/*.png.

``Record`` is the one record type, a pydantic model: the notebook (a finished run) and the
runner (a run that did not finish) build it, ``write_record`` writes it, and every reader
goes through ``read_record``, which checks the schema version, the required fields, each
field's type (strictly: a bool is never a number, no unknown field) and the status, and
returns a ``Record``. A file that fails is named with a one-line reason; ``load_records``
sets such files aside so a report still covers the valid ones. Records of older schemas
still read. The record's JSON Schema, for readers using other tools, is generated into
docs/record.schema.json by ``python -m polybench.records --schema docs/record.schema.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from polybench.atomic import atomic_write
from polybench.errors import PolybenchError

#: Version of the record layout; a reader refuses records of a later version and reads older ones.
#: 2: the idiomatic mode replaced the do-nothing loop timing. 3: typed epochs, parity, compiler
#: and contention.
SCHEMA_VERSION = 3
#: Fields an older schema had and a later one dropped, by the schema that dropped them. Reading an
#: older record leaves them out. 2: the do-nothing loop timing, replaced by the idiomatic mode.
RETIRED_FIELDS = {2: ("harness_seconds_per_batch",)}
STATUSES = ("ok", "failed", "timeout", "diverged", "unsupported")
#: Where the record's JSON Schema is kept in the repository, and the command that writes it.
SCHEMA_FILE = Path("docs") / "record.schema.json"
SCHEMA_COMMAND = f"python -m polybench.records --schema {SCHEMA_FILE.as_posix()}"


def now() -> str:
    """The current UTC time in ISO 8601 (a record's started_at and finished_at)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


class RecordError(PolybenchError):
    """A record file that cannot be used: unreadable, not JSON, or not a valid record."""

    def __init__(self, path: Path | None, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path is not None else reason)
        self.path = path
        self.reason = reason


def mode_label(mode: str, compiler_option: str | None) -> str:
    """How files and reports name a mode run with a compiler option: "graph+xla" ("graph" without)."""
    return f"{mode}+{compiler_option}" if compiler_option else mode


@dataclasses.dataclass(frozen=True)
class RunKey:
    """Identifies one run inside a run folder."""

    model: str
    framework: str
    mode: str
    seed: int
    #: A named compiler option of the mode (frameworks' ``compiler_options``), None for its default.
    compiler_option: str | None = None

    @property
    def stem(self) -> str:
        """File name stem shared by the run's record, notebook and progress log."""
        return f"{self.model}__{self.framework}__{mode_label(self.mode, self.compiler_option)}__seed{self.seed}"

    def record_path(self, run_dir: Path) -> Path:
        return Path(run_dir) / "records" / f"{self.stem}.json"

    def notebook_path(self, run_dir: Path) -> Path:
        return Path(run_dir) / "notebooks" / f"{self.stem}.ipynb"

    def progress_path(self, run_dir: Path) -> Path:
        return Path(run_dir) / "progress" / f"{self.stem}.jsonl"


class _Part(BaseModel):
    """A strictly typed part of a record: no unknown field, no bool for a number, NaN and
    infinities written as null."""

    model_config = ConfigDict(
        strict=True, extra="forbid", ser_json_inf_nan="null", validate_assignment=True, protected_namespaces=()
    )


class Epoch(_Part):
    """One epoch's figures (a run cut short may lack some; a diverged one has null losses)."""

    epoch: int
    train_loss: float | None = None
    val_loss: float | None = None
    val_metric: float | None = None
    seconds: float | None = None


class Parity(_Part):
    """Parity figures measured in the run's kernel after training, off its clock: the forward
    pass's largest difference from the NumPy reference and the first training losses (dropout off)."""

    forward_max_abs_diff: float | None = None
    forward_reference_scale: float | None = None
    first_losses: list[float | None] = Field(default_factory=list)
    seconds: float | None = None


class Compiler(_Part):
    """What compiled the run's train step, in one vocabulary for every framework: ``name`` is
    "none" (eager) or the compiler each framework package declares ("inductor", "xla",
    "tf.function", "hybridize", "chainer.static_graph", ...); ``options`` the settings it was given."""

    name: str
    options: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class Contention(_Part):
    """What else used the machine while the run trained, and the verdict on it (README states
    the rule; ``rule`` repeats it as applied)."""

    verdict: Literal["quiet", "busy"]
    reasons: list[str] = Field(default_factory=list)
    rule: str
    samples: int
    seconds: float
    others_cpu_cores: float | None = None
    others_cpu_cores_max: float | None = None
    load_average: float | None = None
    cpu_pressure_some: float | None = None
    steal_fraction: float | None = None
    cpu_mhz: float | None = None
    busiest: list[str] = Field(default_factory=list)
    gpu_other_processes: list[str] | None = None
    gpu_throttle_reasons: list[str] | None = None
    #: What the figures cover: "training" (the notebook's own sampler, the epochs' seconds) or
    #: "run" (the runner's, over the kernel's whole life, for a run that did not finish).
    span: Literal["training", "run"] = "training"


class Record(_Part):
    """One run's record, field for field as it is stored in its JSON file.

    Adding a field is one line here (with a default, so older records still read).
    ``environment`` is free-form: versions, hardware, threads, commit and whatever else
    describes where the run happened.
    """

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    schema_version: int = Field(SCHEMA_VERSION, alias="schema", ge=1, le=SCHEMA_VERSION)
    model: str
    framework: str
    mode: str
    seed: int
    #: The named compiler option the run was asked for (None: the mode's default compilation).
    compiler_option: str | None = None
    profile: str
    device: str | None = None
    status: Literal["ok", "failed", "timeout", "diverged", "unsupported"]
    error: str | None = None
    metric: str | None = None
    metric_higher_is_better: bool | None = None
    test_metric: float | None = None
    test_loss: float | None = None
    extra_metrics: dict[str, float | None] = Field(default_factory=dict)
    target: float | None = None
    target_met: bool | None = None
    epochs_planned: int | None = None
    batch_size: int | None = None
    optimizer: dict[str, str | float | None] | None = None
    train_samples: int | None = None
    epochs: list[Epoch] = Field(default_factory=list)
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
    parity: Parity | None = None
    #: What compiled the train step (None: not recorded, as in records before schema 3).
    compiler: Compiler | None = None
    #: What else used the machine during training (None: not measured, as before schema 3).
    contention: Contention | None = None
    environment: dict[str, Any] = Field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None

    def __init__(self, **fields: Any) -> None:
        try:
            super().__init__(**fields)
        except ValidationError as exc:
            raise RecordError(None, _reason(exc)) from None

    @model_validator(mode="after")
    def _finished_runs_have_a_metric(self) -> Record:
        if self.status == "ok" and self.test_metric is None:
            raise ValueError("status ok but no test_metric")
        return self

    @classmethod
    def new(cls, key: RunKey, profile: str, status: str, **fields: Any) -> Record:
        """A record of run ``key``; fields not given keep their defaults (None, empty)."""
        return cls(**dataclasses.asdict(key), profile=profile, status=status, **fields)

    @property
    def mode_label(self) -> str:
        """The mode as reports name the cell: "graph", or "graph+xla" with a compiler option."""
        return mode_label(self.mode, self.compiler_option)

    @property
    def key(self) -> RunKey:
        return RunKey(self.model, self.framework, self.mode, self.seed, self.compiler_option)

    def to_dict(self) -> dict:
        """The record as its JSON file holds it (NaN and infinities as null)."""
        return json.loads(self.model_dump_json())

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
        return cls(**{name: value for name, value in data.items() if name not in retired})


def _reason(exc: ValidationError) -> str:
    """A ValidationError as one line: the missing or unknown fields, else the first wrong one."""
    errors = exc.errors(include_url=False)
    missing = [str(e["loc"][0]) for e in errors if e["type"] == "missing" and len(e["loc"]) == 1]
    if missing:
        return f"missing field(s) {', '.join(missing)}"
    unknown = [str(e["loc"][-1]) for e in errors if e["type"] == "extra_forbidden"]
    if unknown:
        return f"unknown field(s) {', '.join(unknown)}"
    error = errors[0]
    loc = error["loc"]
    if len(errors) > 1 and all(e["loc"][:-1] == loc[:-1] for e in errors):  # no member of a union fits
        loc, error = loc[:-1], {**error, "msg": "Input fits none of the types allowed there"}
    if error["type"] == "value_error":
        return error["msg"].removeprefix("Value error, ")
    if loc == ("status",):
        return f"status {_short(error['input'])} is not one of {', '.join(STATUSES)}"
    got = f"{type(error['input']).__name__} {_short(error['input'])}"
    if error["type"] in ("list_type", "dict_type", "model_type"):
        got = type(error["input"]).__name__
    field = Record.model_fields.get(str(loc[0])) if len(loc) == 1 else None
    if field is not None:
        return f"field {loc[0]!r} should be {_describe(field.annotation)}, not {got}"
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    return f"field {path!r}: {error['msg'].lower()}, not {got}"


def _describe(hint: object) -> str:
    """An annotation as a reader writes it: int, float | None, list[dict] (a record part is a dict)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return " | ".join(_describe(arg) for arg in args)
    if origin is Literal:
        return "str"
    if origin is not None:
        return f"{origin.__name__}[{', '.join(_describe(arg) for arg in args)}]"
    if hint is type(None):
        return "None"
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return "dict"
    return getattr(hint, "__name__", str(hint))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def write_record(path: Path, record: Record | dict) -> None:
    """Write ``record`` as JSON atomically (readers never see a partial file). A dict is
    first checked as a record read from a file would be; RecordError says what is wrong."""
    data = (record if isinstance(record, Record) else Record.from_dict(record)).to_dict()
    with atomic_write(Path(path), "w") as f:
        json.dump(data, f, indent=2, allow_nan=False)
        f.write("\n")


def read_record(path: Path) -> Record:
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
        return Record.from_dict(data)
    except RecordError as exc:
        raise RecordError(path, exc.reason) from None


@dataclasses.dataclass(frozen=True)
class LeftOut:
    """A record file a reader set aside, and why."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def load_records(run_dirs: list[Path]) -> tuple[list[Record], list[LeftOut]]:
    """Every valid record in the run folders, in file-name order, and the files left out."""
    valid, left_out = [], []
    for run_dir in run_dirs:
        for path in sorted((Path(run_dir) / "records").glob("*.json")):
            try:
                valid.append(read_record(path))
            except RecordError as exc:
                left_out.append(LeftOut(path, exc.reason))
    return valid, left_out


def read_records(run_dirs: list[Path]) -> list[Record]:
    """Every valid record in the run folders (``load_records`` also says which were left out)."""
    return load_records(run_dirs)[0]


def latest(recs: list[Record]) -> tuple[list[Record], list[Record]]:
    """Split records into the latest one per (model, framework, mode and compiler option, seed, profile), by
    ``finished_at``, and the older ones it supersedes: a rerun of a cell in another run
    folder replaces the earlier result instead of counting as one more seed."""
    newest: dict[tuple, Record] = {}
    superseded = []
    for record in recs:
        key = (record.model, record.framework, record.mode_label, record.seed, record.profile)
        if key in newest:
            older, newer = sorted((newest[key], record), key=lambda r: r.finished_at or "")
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


def json_schema() -> str:
    """The record's JSON Schema (draft 2020-12) as the text docs/record.schema.json holds."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"Generated from polybench.records.Record by `{SCHEMA_COMMAND}`; do not edit.",
        **Record.model_json_schema(by_alias=True),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m polybench.records --schema [PATH]``: print the JSON Schema, or write it to PATH."""
    parser = argparse.ArgumentParser(prog="python -m polybench.records", description=main.__doc__)
    parser.add_argument("--schema", nargs="?", const="-", metavar="PATH", required=True, help="where to write it")
    args = parser.parse_args(argv)
    if args.schema == "-":
        sys.stdout.write(json_schema())
    else:
        with atomic_write(Path(args.schema), "w") as f:
            f.write(json_schema())
    return 0


if __name__ == "__main__":
    sys.exit(main())
