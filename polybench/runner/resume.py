"""A run folder's plan (plan.json) and resuming a folder whose runs did not all finish.

`polybench run` writes the plan into the run folder before the first run starts, so that
a folder left by Ctrl-C, a lost node or a full disk says what it was meant to hold.
``--resume DIR`` checks that the command asks for the same plan, keeps every cell whose
record says it finished, and runs the rest: cells with no record, an unreadable one, or a
failed or timed-out run.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from polybench import records
from polybench.atomic import atomic_write
from polybench.errors import UsageError
from polybench.runner.runs import Plan

PLAN_FILE = "plan.json"
#: The plan fields a resumed folder must share: the matrix and everything that changes a
#: measurement. The time limit, the data folder and the command line may differ (a rerun
#: of timed-out cells with a longer --time-limit is a resume of the same plan).
IDENTITY = (
    "frameworks",
    "models",
    "modes",
    "compiler_options",
    "seeds",
    "profile",
    "device",
    "threads",
    "epochs",
    "batch_size",
)
#: What a plan stored before a field existed meant by it.
BEFORE = {"compiler_options": [None]}
#: Statuses that end a cell: a resume keeps them. Diverged and unsupported are results of
#: the plan (the same seed diverges again); failed and timeout are what a resume reruns.
FINISHED = ("ok", "diverged", "unsupported")
#: The command-line option that sets each identity field, for the refusal message.
OPTIONS = {
    "frameworks": "--framework",
    "models": "--model",
    "modes": "--mode",
    "compiler_options": "--compiler-option",
    "seeds": "--seeds",
    "profile": "--profile",
    "device": "--device",
    "threads": "--threads",
    "epochs": "--epochs",
    "batch_size": "--batch-size",
}


def plan_dict(plan: Plan) -> dict:
    """The plan as JSON-ready values."""
    return {name: str(value) if isinstance(value, Path) else value for name, value in dataclasses.asdict(plan).items()}


def write_plan(plan: Plan, run_dir: Path) -> Path:
    """Write ``plan.json`` into the run folder (atomically); return its path."""
    path = Path(run_dir) / PLAN_FILE
    with atomic_write(path, "w") as f:
        json.dump(plan_dict(plan), f, indent=2)
        f.write("\n")
    return path


def read_plan(run_dir: Path) -> dict:
    """The plan stored in a run folder; a usage error when there is none to resume."""
    path = Path(run_dir) / PLAN_FILE
    if not Path(run_dir).is_dir():
        raise UsageError(f"--resume {run_dir}: no such run folder")
    try:
        stored = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(
            f"--resume {run_dir}: the folder has no {PLAN_FILE}, so it was not made by "
            f"`polybench run` (or by a version before --resume); choose a new --out"
        ) from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"--resume {run_dir}: {PLAN_FILE} is unreadable ({exc}); choose a new --out") from None
    if not isinstance(stored, dict):
        raise UsageError(f"--resume {run_dir}: {PLAN_FILE} does not hold a plan; choose a new --out")
    return stored


def check_same_plan(plan: Plan, run_dir: Path) -> None:
    """Refuse (one line, exit 2) when the folder was made by a plan that differs from ``plan``."""
    stored, asked = read_plan(run_dir), plan_dict(plan)
    differences = [
        f"{OPTIONS[name]} {_shown(stored.get(name, BEFORE.get(name)))} there, {_shown(asked[name])} here"
        for name in IDENTITY
        if stored.get(name, BEFORE.get(name)) != asked[name]
    ]
    if differences:
        raise UsageError(
            f"--resume {run_dir}: the folder was made by another plan ({'; '.join(differences)}); "
            f"repeat its options (see {Path(run_dir) / PLAN_FILE}) or choose a new --out"
        )


def _shown(value) -> str:
    if isinstance(value, list):
        return ",".join("default" if v is None else str(v) for v in value)
    return "default" if value is None else str(value)


def finished(key: records.RunKey, run_dir: Path, profile: str) -> bool:
    """Whether the cell has a readable record of this profile whose status ends it."""
    try:
        record = records.read_record(key.record_path(run_dir))
    except (OSError, records.RecordError):  # missing, unreadable or invalid: run it again
        return False
    return record.status in FINISHED and record.profile == profile


def to_run(plan: Plan, run_dir: Path) -> list[records.RunKey]:
    """The plan's cells a resume must run, in plan order."""
    return [key for key in plan.keys() if not finished(key, run_dir, plan.profile)]
