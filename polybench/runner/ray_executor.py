"""The Ray executor: each run of the plan is one Ray task that holds a whole benchmark slot.

A CPU run reserves the node's one ``polybench_slot`` (so no two runs share a node's cores),
a GPU run one GPU (``num_gpus=1``). Runs are never packed onto a node: a timing taken
while another run competes for the cores or the memory bus measures the neighbour too.
The task (polybench.runner.remote) runs the notebook on the node; its progress comes back
through a Ray queue and is printed here; its record, executed notebook and log come back
with its result and are written into the run folder here, atomically. A task whose worker
or node dies gets a failed record saying so, and the other runs go on.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import socket
import time
import uuid
from pathlib import Path

import ray
from ray.exceptions import (
    LocalRayletDiedError,
    NodeDiedError,
    OutOfMemoryError,
    RayError,
    RayTaskError,
    TaskCancelledError,
    WorkerCrashedError,
)
from ray.util.queue import Empty, Queue
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from polybench import PROJECT_ROOT, records
from polybench.atomic import atomic_write
from polybench.errors import UsageError
from polybench.records import now
from polybench.runner import remote
from polybench.runner.executors import Executor
from polybench.runner.runs import Runner, placed, run_label, summarize

POLL_SECONDS = 0.5
#: Past its time limit the node stops a run itself; the driver cancels the task only if
#: the node has not done so this long after the limit (a hung node).
GRACE_SECONDS = 60
#: How long an interrupted run gets to stop its kernel before its task is killed.
INTERRUPT_SECONDS = 20
START_HINT = "ray start --head --resources '{\"polybench_slot\": 1}'"


@dataclasses.dataclass
class Flight:
    """One submitted run: its task and what its messages said so far."""

    key: records.RunKey
    label: str  # "[2/8] torch echo eager seed 0"
    tag: str  # "[2/8]", before each of its progress lines
    ref: ray.ObjectRef
    token: str
    place: remote.Place | None = None
    started: str | None = None  # when the notebook started (ISO time)
    deadline: float | None = None  # time.monotonic() past which the driver cancels the task
    rows: list = dataclasses.field(default_factory=list)
    cancelled_for: str | None = None  # "timeout" or "interrupted" once the driver cancelled it


class RayExecutor(Executor):
    """Runs the plan's cells as Ray tasks on the cluster at ``address`` (default: RAY_ADDRESS,
    or the cluster ``ray start`` started on this machine). Connects at once, so that a missing
    cluster or slot is refused before anything is written."""

    def __init__(self, address: str | None, device: str) -> None:
        connect(address)
        try:
            check_resources(device)
        except BaseException:
            ray.shutdown()
            raise

    def run(self, runner: Runner, keys: list[records.RunKey]) -> list[records.Record]:
        try:
            return Dispatch(runner, keys).run()
        finally:
            ray.shutdown()


def cluster_address(address: str | None) -> str | None:
    """The address to join: the one given, RAY_ADDRESS, or the cluster `ray start` left on
    this machine; None when there is none."""
    if address or os.environ.get("RAY_ADDRESS"):
        return address or os.environ["RAY_ADDRESS"]
    from ray._private.services import canonicalize_bootstrap_address  # Ray's own discovery for "auto"

    try:
        return canonicalize_bootstrap_address("auto")
    except (ConnectionError, ValueError, RuntimeError):
        return None


def answers(address: str, timeout: float = 5.0) -> bool:
    """Whether something accepts connections at HOST:PORT (ray.init would wait for minutes)."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def connect(address: str | None) -> None:
    """Join the Ray cluster as a driver; a usage error (one line) when there is none."""
    target = cluster_address(address)
    if target is None:
        raise UsageError(
            f"no Ray cluster found on this machine and RAY_ADDRESS is not set; start one with "
            f"`{START_HINT}` or give its address with --ray-address HOST:PORT"
        )
    if not target.startswith("ray://") and not answers(target):
        raise UsageError(
            f"no Ray cluster at {target} (nothing answers there); start one with `{START_HINT}` "
            f"or give the head node's address with --ray-address HOST:PORT"
        )
    sigterm = signal.getsignal(signal.SIGTERM)  # ray.init installs its own; `polybench run` keeps its own
    try:
        ray.init(address=target, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UsageError(f"could not join the Ray cluster at {target}: {detail}") from None
    finally:
        signal.signal(signal.SIGTERM, sigterm)


def check_resources(device: str) -> None:
    """Refuse a cluster that has no slot of the kind the runs need."""
    need = "GPU" if device == "gpu" else remote.SLOT
    if ray.cluster_resources().get(need, 0) < 1:
        hint = "nodes with GPUs" if need == "GPU" else f"a node started with `{START_HINT}`"
        raise UsageError(f"the Ray cluster has no {need} resource, so no run could ever be scheduled; add {hint}")


def task_options(device: str) -> dict:
    """One whole slot per run: a GPU for GPU runs, the node's polybench_slot otherwise. No
    retries: a run whose worker died is recorded as failed, not silently run twice."""
    slot = {"num_gpus": 1} if device == "gpu" else {"resources": {remote.SLOT: 1}}
    return {"num_cpus": 0, "max_retries": 0, **slot}


def failure_reason(exc: RayError, place: remote.Place | None) -> str:
    """Why a task ended without an outcome, in a user's words."""
    node = f"node {place.hostname} ({place.slot})" if place else "its node"
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, (NodeDiedError, LocalRayletDiedError)):
        return f"the Ray node was lost: {node} died during the run"
    if isinstance(exc, OutOfMemoryError):
        return f"Ray's memory monitor killed the worker on {node}: {first}"
    if isinstance(exc, WorkerCrashedError):
        return f"the Ray worker running it on {node} died (killed, or out of memory)"
    if isinstance(exc, RayTaskError):
        cause = exc.cause if exc.cause is not None else exc
        return (
            f"the task raised on {node}: {type(cause).__name__}: {str(cause).strip().splitlines()[0]}"
            if str(cause).strip()
            else f"the task raised on {node}: {type(cause).__name__}"
        )
    return f"Ray reported {type(exc).__name__} on {node}: {first}"


class Dispatch:
    """Submits the runs, relays their progress and writes what comes back."""

    run_cell = ray.remote(remote.run_cell)
    reap = ray.remote(remote.reap)

    def __init__(self, runner: Runner, keys: list[records.RunKey]) -> None:
        self.runner = runner
        self.keys = keys
        self.say = runner.say
        self.results: dict[records.RunKey, records.Record] = {}
        self.flights: dict[str, Flight] = {}  # by key stem
        default_data = Path(runner.plan.data_dir).resolve() == (PROJECT_ROOT / "data").resolve()
        self.data_dir = None if default_data else str(Path(runner.plan.data_dir).resolve())

    def run(self) -> list[records.Record]:
        """Every key's record, in the order of ``keys``."""
        here = ray.get_runtime_context().get_node_id()
        self.queue = Queue(
            actor_options={"num_cpus": 0, "scheduling_strategy": NodeAffinitySchedulingStrategy(here, soft=True)}
        )
        try:
            self.submit_all()
            try:
                self.follow()
            except KeyboardInterrupt:
                self.interrupt()
                raise
        finally:
            self.queue.shutdown()
        return [self.results[key] for key in self.keys]

    def submit_all(self) -> None:
        options = task_options(self.runner.plan.device)
        for number, key in enumerate(self.keys, start=1):
            label = run_label(key, number, len(self.keys))
            unsupported = self.runner.unsupported(key)
            if unsupported is not None:
                self.finish(key, label, placed(unsupported, {"executor": "ray", "slot": None}))
                continue
            token = uuid.uuid4().hex
            ref = self.run_cell.options(**options).remote(self.runner.plan, key, self.queue, token, self.data_dir)
            self.flights[key.stem] = Flight(key, label, f"[{number}/{len(self.keys)}]", ref, token)
        if self.flights:
            kind = "GPU" if self.runner.plan.device == "gpu" else remote.SLOT
            self.say(
                f"ray: {len(self.flights)} run(s) submitted, one at a time per {kind} "
                f"({int(ray.cluster_resources().get(kind, 0))} in the cluster)"
            )

    def follow(self) -> None:
        """Relay progress and collect results until every task has ended."""
        while self.flights:
            by_ref = {flight.ref: flight for flight in self.flights.values()}
            ready, _ = ray.wait(list(by_ref), num_returns=1, timeout=POLL_SECONDS)
            self.relay()
            for ref in ready:
                self.collect(by_ref[ref])
            self.enforce_deadlines()

    def relay(self) -> None:
        """Print what the tasks said since the last call; keep their places and epoch rows."""
        while True:
            try:
                message = self.queue.get_nowait()
            except Empty:
                return
            flight = self.flights.get(message.stem)
            if flight is None:
                continue
            if message.kind == "placed":
                flight.place = message.place
            elif message.kind == "started":
                flight.started = now()
                flight.deadline = time.monotonic() + self.runner.time_limit(flight.key) + GRACE_SECONDS
                where = f" on {flight.place.hostname} ({flight.place.slot})" if flight.place else ""
                self.say(f"{flight.label}: started{where}")
            elif message.kind == "epochs":
                flight.rows = list(message.rows)
            else:
                self.say(f"    {flight.tag} {message.text.strip()}")

    def collect(self, flight: Flight, timeout: float | None = None) -> None:
        """Write a finished task's record and files, or the failed record of a task that died."""
        del self.flights[flight.key.stem]
        try:
            outcome = ray.get(flight.ref, timeout=timeout)
        except RayError as exc:
            self.finish(flight.key, flight.label, self.lost(flight, exc))
            return
        write_files(self.runner.run_dir, flight.key, outcome)
        self.finish(flight.key, flight.label, placed(outcome.record, outcome.place.environment()))

    def lost(self, flight: Flight, exc: RayError) -> records.Record:
        """The record of a task that ended without an outcome; its leftover processes are stopped."""
        self.clean_up(flight)
        limit = self.runner.time_limit(flight.key)
        if flight.cancelled_for == "timeout":
            status, reason = (
                "timeout",
                (
                    f"stopped after the {limit:.0f} s time limit ({len(flight.rows)} epochs "
                    f"done); the node did not stop it, so the driver cancelled the task"
                ),
            )
        elif flight.cancelled_for == "interrupted" or isinstance(exc, TaskCancelledError):
            status, reason = "failed", "interrupted by the user"
        else:
            status, reason = "failed", failure_reason(exc, flight.place)
        record = self.runner.failure(flight.key, status, reason, flight.rows, flight.started or now())
        place = flight.place.environment() if flight.place else {"executor": "ray", "hostname": None, "slot": None}
        return placed(record, place)

    def clean_up(self, flight: Flight) -> None:
        """Stop the papermill and kernel processes a dead worker left on its node."""
        if flight.place is None:
            return
        strategy = NodeAffinitySchedulingStrategy(flight.place.node_id, soft=False)
        try:
            ray.get(
                self.reap.options(num_cpus=0, max_retries=0, scheduling_strategy=strategy).remote(flight.token),
                timeout=60,
            )
        except RayError:
            pass  # the node is gone, and its processes with it

    def finish(self, key: records.RunKey, label: str, record: records.Record) -> None:
        self.results[key] = self.runner.save(key, record)
        self.say(f"{label}: {summarize(self.results[key])}")

    def enforce_deadlines(self) -> None:
        for flight in self.flights.values():
            if flight.deadline is not None and time.monotonic() > flight.deadline and not flight.cancelled_for:
                flight.cancelled_for = "timeout"
                ray.cancel(flight.ref, force=True)

    def interrupt(self) -> None:
        """Ctrl-C: stop every run in flight (each kills its kernel), record the ones that had
        started as interrupted; the ones still waiting for a slot stay missing, for --resume."""
        self.relay()  # a task's "placed" message may still be queued: it has started all the same
        started = [f for f in self.flights.values() if f.place is not None]
        for flight in self.flights.values():
            flight.cancelled_for = "interrupted"
            ray.cancel(flight.ref)  # a KeyboardInterrupt in the task: the Runner kills its kernel
        refs = [f.ref for f in started]
        done, stuck = ray.wait(refs, num_returns=len(refs), timeout=INTERRUPT_SECONDS) if refs else ([], [])
        for ref in stuck:
            ray.cancel(ref, force=True)
        self.relay()
        for flight in started:
            self.collect(flight, timeout=10)  # a run that ended meanwhile keeps its record
        self.flights.clear()


def write_files(run_dir: Path, key: records.RunKey, outcome: remote.Outcome) -> None:
    """The executed notebook, the log and the progress rows of a run, into the run folder."""
    if outcome.notebook is not None:
        with atomic_write(key.notebook_path(run_dir), "wb") as f:
            f.write(outcome.notebook)
    with atomic_write(Path(run_dir) / "logs" / f"{key.stem}.log", "w") as f:
        f.write(outcome.log)
    with atomic_write(key.progress_path(run_dir), "w") as f:
        f.write(outcome.progress)
