"""Run records: one JSON file per (model, framework, mode, seed) run, written atomically.

A run folder holds records/*.json, notebooks/ (the executed notebooks), progress/ (one
JSON-lines file per run, appended per epoch), summary.csv, report.md and charts/*.png.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

from polybench.atomic import atomic_write

SCHEMA_VERSION = 1
STATUSES = ("ok", "failed", "timeout", "diverged", "unsupported")


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


def empty_record(key: RunKey, profile: str) -> dict:
    """A record with every field present; measured fields start as None."""
    return {
        "schema": SCHEMA_VERSION,
        **dataclasses.asdict(key),
        "profile": profile,
        "device": None,
        "status": None,
        "error": None,
        "metric": None,
        "metric_higher_is_better": None,
        "test_metric": None,
        "test_loss": None,
        "extra_metrics": {},
        "target": None,
        "target_met": None,
        "epochs_planned": None,
        "batch_size": None,
        "optimizer": None,
        "train_samples": None,
        "epochs": [],
        "first_epoch_seconds": None,
        "steady_epoch_seconds": None,
        "samples_per_second": None,
        "train_seconds": None,
        "time_to_target_seconds": None,
        "harness_seconds_per_batch": None,
        "flops_per_sample": None,
        "achieved_flops_per_second": None,
        "peak_flops_per_second": None,
        "peak_rss_bytes": None,
        "gpu_peak_framework_bytes": None,
        "gpu_peak_nvml_bytes": None,
        "gpu_name": None,
        "gpu_driver": None,
        "implementation_loc": None,
        "model_loc": None,
        "step_loc": None,
        # Measured in the kernel after training: forward_max_abs_diff (against the spec's NumPy
        # reference), forward_reference_scale, first_losses (seed-0 weights, dropout off), seconds.
        "parity": None,
        "environment": {},
        "started_at": None,
        "finished_at": None,
    }


def _finite(value):
    """``value`` with every NaN or infinity replaced by None, so the file is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_record(path: Path, record: dict) -> None:
    """Write ``record`` as JSON atomically (readers never see a partial file)."""
    if record.get("status") not in STATUSES:
        raise ValueError(f"record status {record.get('status')!r} is not one of {STATUSES}")
    with atomic_write(Path(path), "w") as f:
        json.dump(_finite(record), f, indent=2, allow_nan=False)
        f.write("\n")


def read_record(path: Path) -> dict:
    """One record file."""
    return json.loads(Path(path).read_text())


def read_records(run_dirs: list[Path]) -> list[dict]:
    """Every record in the run folders, in file-name order."""
    records = []
    for run_dir in run_dirs:
        for path in sorted((Path(run_dir) / "records").glob("*.json")):
            records.append(read_record(path))
    return records


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
