"""Per-step probes: where a training step's time goes, measured by a tool and kept as a report input.

A probe times forms of one (framework, model) training step back to back, the forms taking
turns within each repeat so that a busy spell hits all of them: the shared loop's step, the
framework's own loop's step (mode idiomatic), and variants that change one thing between the
two. ``tools/loop_forms.py`` and ``tools/jax_step_forms.py`` write one with ``--out RUN_FOLDER``
into the run folder's ``probes/``; the report reads them there and, for a cell whose shared
loop is slower than the framework's own loop, states the probe's figures as the measured cause
(or shows that per step the two loops do not differ).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from polybench.atomic import atomic_write

FOLDER = "probes"
SCHEMA = 1
#: The two loops a form can be; any other form is a variant of one of them.
LOOPS = ("shared", "idiomatic")


@dataclasses.dataclass(frozen=True)
class Form:
    """One way of running the step, and its milliseconds per step, one figure per repeat."""

    name: str
    loop: str | None  # "shared", "idiomatic", or None for a variant
    what: str  # what this form does (or changes against the loops)
    ms: tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class Probe:
    """One probe of one (framework, model): its forms, and the machine it ran on."""

    framework: str
    model: str
    tool: str  # the command that took it
    taken_at: str  # UTC, ISO 8601
    cpu: str
    steps: str  # how many steps one figure covers, in words
    contention: dict  # contention.Sampler.summary() over the whole probe
    forms: tuple[Form, ...]
    commit: str | None = None  # the checkout's commit the probe timed

    def loop(self, name: str) -> Form | None:
        """The form that is the shared or the idiomatic loop's step, if the probe has one."""
        return next((form for form in self.forms if form.loop == name), None)

    @property
    def busy(self) -> bool:
        return self.contention.get("verdict") == "busy"

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Probe:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"schema {data.get('schema')!r}, expected {SCHEMA}")
        forms = tuple(Form(f["name"], f["loop"], f["what"], tuple(float(v) for v in f["ms"])) for f in data["forms"])
        for form in forms:
            if form.loop is not None and form.loop not in LOOPS:
                raise ValueError(f"form {form.name}: loop {form.loop!r} is none of {', '.join(LOOPS)}")
            if not form.ms:
                raise ValueError(f"form {form.name} has no figures")
        fields = {f.name for f in dataclasses.fields(cls)} - {"forms", "commit"}
        return cls(**{name: data[name] for name in fields}, forms=forms, commit=data.get("commit"))


def write(probe: Probe, run_dir: Path) -> Path:
    """Write ``probe`` into ``run_dir``/probes/ (whole or not at all); return its path."""
    folder = Path(run_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stamp = probe.taken_at.replace(":", "").replace("-", "")[:13]
    path = folder / f"{stamp}-{probe.framework}-{probe.model}.json"
    with atomic_write(path, "w") as f:
        json.dump(probe.to_dict(), f, indent=1)
    return path


def read_all(run_dirs: list[Path]) -> tuple[list[Probe], list[str]]:
    """The probes in the run folders, oldest first, and one line per probe file left out (why)."""
    found, left_out = [], []
    for run_dir in run_dirs:
        for path in sorted((Path(run_dir) / FOLDER).glob("*.json")):
            try:
                found.append(Probe.from_dict(json.loads(path.read_text())))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                left_out.append(f"{path}: {exc}")
    return sorted(found, key=lambda p: p.taken_at), left_out


def now() -> str:
    """The current UTC time as a probe's ``taken_at``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
