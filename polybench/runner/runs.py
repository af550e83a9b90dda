"""The run matrix -> one papermill-executed notebook per run -> one record per run.

Each run executes notebooks/<model>.ipynb in the framework's own kernel, in a fresh
process, under a time limit. A run that raises, diverges or runs out of time gets a
record saying so (with the epochs it finished) and the matrix goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import yaml

from polybench import PROJECT_ROOT, contention, frameworks, records, threads
from polybench.atomic import atomic_write
from polybench.notebook import machine, templates
from polybench.notebook.progress import epoch_line
from polybench.notebook.settings import RunSettings
from polybench.records import now
from polybench.runner import execute, kernels, processes
from polybench.specs import get_spec

POLL_SECONDS = 0.5
#: Notebook exception names that are not plain failures.
STATUS_BY_ERROR = {"DivergedError": "diverged", "UnsupportedError": "unsupported"}


@dataclasses.dataclass
class Plan:
    """What `polybench run` was asked to do."""

    frameworks: list[str]
    models: list[str]
    modes: list[str]
    seeds: list[int]
    profile: str = "full"
    device: str = "auto"
    threads: int = dataclasses.field(default_factory=threads.default_threads)
    epochs: int | None = None
    batch_size: int | None = None
    time_limit_s: float | None = None  # None: each profile's own limit
    data_dir: Path = PROJECT_ROOT / "data"
    command: str | None = None  # the command line, recorded with every run
    #: Named compiler options to run (None: the mode's default compilation).
    compiler_options: list[str | None] = dataclasses.field(default_factory=lambda: [None])

    def keys(self) -> list[records.RunKey]:
        """Every (model, framework, mode, seed, compiler option) run, framework-major so each
        kernel's environment is set up once."""
        return [
            records.RunKey(model, fw, mode, seed, option)
            for fw in self.frameworks
            for model in self.models
            for mode in frameworks.modes_for(fw, self.modes, model)
            for option in self.compiler_options
            for seed in self.seeds
        ]


def default_run_dir() -> Path:
    """results/<local timestamp>/"""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return PROJECT_ROOT / "results" / stamp


@contextlib.contextmanager
def _interrupt_after() -> Iterator[None]:
    """Hold a Ctrl-C (or a SIGTERM) that arrives inside the block until the block is done, then
    hand it to the handler it would have met.

    Only signals with a Python handler, in the main thread; anywhere else the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers = {
        signum: handler for signum in (signal.SIGINT, signal.SIGTERM) if callable(handler := signal.getsignal(signum))
    }
    caught: list[int] = []
    for signum in handlers:
        signal.signal(signum, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    if caught:
        handlers[caught[0]](caught[0], None)


def notebook_error(path: Path) -> tuple[str, str] | None:
    """(exception name, message) of the first failed cell in an executed notebook."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:
        return None
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return output.get("ename", "Error"), output.get("evalue", "")
    return None


def _last_line(path: Path) -> str:
    lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()] if path.is_file() else []
    return lines[-1] if lines else "no output"


class Runner:
    """Executes a Plan into a run folder, reporting progress through ``say``."""

    def __init__(self, plan: Plan, run_dir: Path, say: Callable[[str], None] = print) -> None:
        self.plan = plan
        self.run_dir = Path(run_dir)
        self.say = say

    def settings(self, key: records.RunKey) -> RunSettings:
        """The settings of one run, as its notebook will receive them."""
        return RunSettings(
            key.model,
            key.framework,
            key.mode,
            self.plan.profile,
            key.seed,
            self.plan.device,
            self.plan.threads,
            self.plan.epochs,
            self.plan.batch_size,
            str(self.plan.data_dir),
            str(key.record_path(self.run_dir)),
            str(key.progress_path(self.run_dir)),
            self.plan.command,
            key.compiler_option,
        )

    def time_limit(self, key: records.RunKey) -> float:
        return self.plan.time_limit_s or get_spec(key.model).profile(self.plan.profile).time_limit_s

    def run_all(self, keys: list[records.RunKey] | None = None) -> list[records.Record]:
        """Run ``keys`` (default: every key of the plan) here, one at a time; return the records."""
        keys = self.plan.keys() if keys is None else keys
        results = []
        for number, key in enumerate(keys, start=1):
            label = run_label(key, number, len(keys))
            record = self.unsupported(key)
            if record is None:
                kernels.ensure(key.framework, say=self.say)
                self.say(f"{label}: started")
                record = self.run_one(key)
            record = self.save(key, placed(record, LOCAL_PLACE))
            self.say(f"{label}: {summarize(record)}")
            results.append(record)
        return results

    def unsupported(self, key: records.RunKey) -> records.Record | None:
        """The unsupported record of a cell the framework does not run (no implementation of the
        model, or a mode it declares unsupported), with the reason; None if it runs it."""
        reason = frameworks.unsupported_reason(key.framework, key.model, key.mode)
        return None if reason is None else self.failure(key, "unsupported", reason, [], now())

    def run_one(self, key: records.RunKey) -> records.Record:
        """Execute one notebook in its own papermill process; return its record."""
        started = now()
        for path in (key.record_path(self.run_dir), key.progress_path(self.run_dir)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
        key.notebook_path(self.run_dir).parent.mkdir(parents=True, exist_ok=True)
        params_file = self.run_dir / "params" / f"{key.stem}.yaml"
        params_file.parent.mkdir(parents=True, exist_ok=True)
        log = self.run_dir / "logs" / f"{key.stem}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        kernel_exit = self.run_dir / "logs" / f"{key.stem}.kernel-exit.json"
        kernel_exit.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "polybench.runner.execute",
            str(templates.notebook_path(key.model)),
            str(key.notebook_path(self.run_dir)),
            "--kernel",
            kernels.kernel_name(key.framework),
            "--parameters",
            str(params_file),
            "--cwd",
            str(PROJECT_ROOT),
            "--kernel-exit",
            str(kernel_exit),
            "--runner-pid",
            str(os.getpid()),
        ]
        env = {**os.environ, **threads.thread_environment(self.plan.threads)}
        env.pop("MPLBACKEND", None)  # the kernel draws inline, into the executed notebook
        # Our kernel specs first, before any same-named kernel in the user's Jupyter folders.
        env["JUPYTER_PATH"] = os.pathsep.join(
            filter(None, [str(kernels.kernel_dir(key.framework).parent.parent), env.get("JUPYTER_PATH")])
        )
        limit = self.time_limit(key)
        proc = None
        # From the moment the run leaves a trace (its parameters file) a Ctrl-C ends it with a
        # record saying so, so that --resume knows it did not finish.
        try:
            with atomic_write(params_file, "w") as f:
                f.write(yaml.safe_dump(self.settings(key).parameters()))
            # Compilers that keep a cache across processes get an empty one per run (see
            # Framework.compile_cache_env).
            with open(log, "w") as log_file, tempfile.TemporaryDirectory(prefix="polybench-compile-cache-") as cache:
                env.update(dict.fromkeys(frameworks.DECLARED[key.framework].compile_cache_env, cache))
                try:
                    with _interrupt_after():  # never a started child whose pid we do not know
                        proc = subprocess.Popen(
                            command,
                            stdout=log_file,
                            stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL,
                            env=env,
                            start_new_session=True,
                        )
                    # What else used the machine while the kernel ran: a record the notebook writes
                    # keeps its own figures over training; one the runner writes (a timeout, a
                    # crash) keeps these, taken over the kernel's whole life.
                    with contention.Sampler(root=proc.pid) as watch:
                        timed_out = self._follow(proc, key, limit)
                    watched = watch.summary() | {"span": "run"}
                except BaseException:
                    if proc is not None:
                        processes.kill_tree(proc.pid)  # before its compile cache is removed under it
                    raise
        except BaseException as exc:
            if not self._wrote_valid_record(key):  # a finished run interrupted on its way out keeps its record
                reason = (
                    "interrupted by the user"
                    if isinstance(exc, KeyboardInterrupt)
                    else f"polybench stopped: {type(exc).__name__}: {exc}"
                )
                self.save(key, self.failure(key, "failed", reason, self._progress(key), started))
            raise
        progress = self._progress(key)
        if timed_out:
            record = self.failure(
                key,
                "timeout",
                f"stopped after the {limit:.0f} s time limit ({len(progress)} epochs done)",
                progress,
                started,
                watched,
            )
        elif proc.returncode != 0 and execute.death(kernel_exit):
            record = self.failure(
                key,
                "failed",
                f"the kernel died: {execute.death(kernel_exit)}, after {len(progress)} epoch(s)",
                progress,
                started,
                watched,
            )
        elif proc.returncode != 0:
            ename, evalue = notebook_error(key.notebook_path(self.run_dir)) or ("KernelError", _last_line(log))
            status = STATUS_BY_ERROR.get(ename, "failed")
            record = self.failure(key, status, f"{ename}: {evalue}".strip(), progress, started, watched)
        elif key.record_path(self.run_dir).is_file():
            try:
                return records.read_record(key.record_path(self.run_dir))
            except records.RecordError as exc:
                record = self.failure(
                    key, "failed", f"the notebook wrote an invalid record: {exc.reason}", progress, started, watched
                )
        else:
            record = self.failure(
                key, "failed", "the notebook finished without writing its record", progress, started, watched
            )
        return self.save(key, record)

    def _wrote_valid_record(self, key: records.RunKey) -> bool:
        """Whether this run's notebook has written a valid record (run_one removes any older one first)."""
        try:
            records.read_record(key.record_path(self.run_dir))
        except (OSError, records.RecordError):
            return False
        return True

    def save(self, key: records.RunKey, record: records.Record) -> records.Record:
        """Write a record the runner made; return it as written (strict JSON: NaN -> None)."""
        path = key.record_path(self.run_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        records.write_record(path, record)
        return records.read_record(path)

    def _progress(self, key: records.RunKey) -> list[dict]:
        return records.read_progress(key.progress_path(self.run_dir))

    def _follow(self, proc: subprocess.Popen, key: records.RunKey, limit: float) -> bool:
        """Wait for the process, echoing new epochs; kill it past ``limit``. True if it timed out."""
        deadline = time.monotonic() + limit
        shown = 0
        while True:
            finished = proc.poll() is not None
            rows = self._progress(key)
            for row in rows[shown:]:
                self.say("    " + epoch_line(row, get_spec(key.model).metric.name))
            shown = len(rows)
            if finished:
                return False
            if time.monotonic() > deadline:
                processes.kill_tree(proc.pid)
                proc.wait()
                return True
            time.sleep(POLL_SECONDS)

    def failure(
        self,
        key: records.RunKey,
        status: str,
        error: str,
        progress: list[dict],
        started: str,
        watched: dict | None = None,
    ) -> records.Record:
        """The record of a run that did not finish: what is known, plus its epochs so far and,
        where the runner watched the kernel, what else used the machine meanwhile."""
        spec = get_spec(key.model)
        return records.Record.new(
            key,
            self.plan.profile,
            status,
            error=error,
            device=self.plan.device,
            metric=spec.metric.name,
            metric_higher_is_better=spec.metric.higher_is_better,
            target=spec.metric.target,
            target_met=False,
            epochs=[{k: v for k, v in row.items() if k != "epochs"} for row in progress],
            environment=machine.capture(self.plan.threads, self.plan.command),
            started_at=started,
            finished_at=now(),
            contention=watched,
        )


#: Where a local run executes: this machine, one run at a time (no slot to name).
LOCAL_PLACE = {"executor": "local", "slot": None}


def placed(record: records.Record, place: dict) -> records.Record:
    """``record`` with where it ran (executor, slot) added to its environment."""
    return record.model_copy(update={"environment": {**record.environment, **place}})


def run_label(key: records.RunKey, number: int, total: int) -> str:
    """ "[3/8] torch echo eager seed 0": how progress lines name a run."""
    mode = f"{key.mode} ({key.compiler_option})" if key.compiler_option else key.mode
    return f"[{number}/{total}] {key.framework} {key.model} {mode} seed {key.seed}"


def summarize(record: records.Record) -> str:
    """One line: the status and, for a finished run, its test figure against the target."""
    if record.status != "ok":
        return f"{record.status.upper()}: {record.error}"
    met = "met" if record.target_met else "not met"
    return (
        f"ok, test {record.metric} {record.test_metric:.4f} (target {record.target} {met}), "
        f"{record.train_seconds:.1f} s training"
    )
