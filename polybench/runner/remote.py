"""The part of a Ray run that executes on a node: one cell of the plan, run by the same
Runner as a local run (papermill, the framework's kernel, the time limit) in a scratch
folder, and sent back whole to the driver, which writes it into the run folder.

Each node needs the polybench checkout with its orchestrator environment (the Python that
runs ``ray start``); a framework's environment and kernel are built there on first use,
by the same ``kernels.ensure`` as locally, and the data CSVs are written beside that
checkout (from ``POLYBENCH_MNIST_MIRROR`` on the node, or downloaded).
"""

from __future__ import annotations

import dataclasses
import os
import platform
import tempfile
from pathlib import Path

import psutil

from polybench import PROJECT_ROOT, records
from polybench.runner import kernels, processes
from polybench.runner.runs import Plan, Runner

#: The custom Ray resource each node offers once: a CPU run holds the node's whole slot.
SLOT = "polybench_slot"
#: Set in the environment of a run's papermill process and kernel, so that the processes of
#: a run whose Ray worker died can be found on its node and stopped.
TOKEN_ENV = "POLYBENCH_RUN_TOKEN"


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a run executes: the node and the slot it holds there."""

    hostname: str
    node_id: str
    slot: str  # e.g. "polybench_slot@10.0.0.5" or "GPU 0@10.0.0.5"
    worker_pid: int

    def environment(self) -> dict:
        """What a record's ``environment`` says of the place."""
        return {"executor": "ray", "hostname": self.hostname, "slot": self.slot}


@dataclasses.dataclass(frozen=True)
class Message:
    """A note from a running task to the driver: ``kind`` is "placed" (with ``place``),
    "started" (the notebook starts now), "say" (a line for the terminal) or "epochs"
    (``rows``: the epoch rows so far)."""

    stem: str
    kind: str
    text: str = ""
    place: Place | None = None
    rows: tuple = ()


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a finished task returns: the record and the files of the run folder."""

    record: records.Record
    notebook: bytes | None
    log: str
    progress: str
    place: Place


class Reporter:
    """Sends a task's progress to the driver through a Ray queue."""

    def __init__(self, queue, key: records.RunKey) -> None:
        self.queue = queue
        self.key = key
        self.progress_path: Path | None = None
        self._rows = 0

    def post(self, kind: str, text: str = "", place: Place | None = None, rows: tuple = ()) -> None:
        self.queue.put(Message(self.key.stem, kind, text, place, rows))

    def say(self, text: str) -> None:
        """A line for the driver's terminal; new epoch rows travel with it."""
        self.post("say", text)
        if self.progress_path is not None:
            rows = records.read_progress(self.progress_path)
            if len(rows) != self._rows:
                self._rows = len(rows)
                self.post("epochs", rows=tuple(rows))


def here(device: str) -> Place:
    """The node and slot this task holds."""
    import ray

    context = ray.get_runtime_context()
    ip = ray.util.get_node_ip_address()
    gpus = ray.get_gpu_ids() if device == "gpu" else []
    slot = f"GPU {','.join(str(g) for g in gpus)}@{ip}" if gpus else f"{SLOT}@{ip}"
    return Place(platform.node(), context.get_node_id(), slot, os.getpid())


def run_cell(plan: Plan, key: records.RunKey, queue, token: str, data_dir: str | None) -> Outcome:
    """Run one cell on this node and return its outcome. ``data_dir`` None means this
    node's own checkout's data/."""
    from polybench.data.prepare import prepare

    reporter = Reporter(queue, key)
    place = here(plan.device)
    reporter.post("placed", place=place)
    plan = dataclasses.replace(plan, data_dir=Path(data_dir) if data_dir else PROJECT_ROOT / "data")
    kernels.ensure(key.framework, say=reporter.say)
    prepare([key.model], plan.data_dir, say=reporter.say)
    os.environ[TOKEN_ENV] = token
    try:
        with tempfile.TemporaryDirectory(prefix="polybench-ray-") as scratch:
            runner = Runner(plan, Path(scratch), say=reporter.say)
            reporter.progress_path = key.progress_path(scratch)
            reporter.post("started")
            record = runner.run_one(key)
            notebook = key.notebook_path(scratch)
            log = Path(scratch) / "logs" / f"{key.stem}.log"
            progress = key.progress_path(scratch)
            return Outcome(
                record,
                notebook.read_bytes() if notebook.is_file() else None,
                log.read_text(errors="replace") if log.is_file() else "",
                progress.read_text() if progress.is_file() else "",
                place,
            )
    finally:
        os.environ.pop(TOKEN_ENV, None)


def reap(token: str) -> int:
    """Kill the processes of the run marked ``token`` on this node (its papermill and kernel,
    left behind when the Ray worker that started them died); return how many were found."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get(TOKEN_ENV) == token:
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    for pid in found:
        processes.kill_tree(pid)
    return len(found)
