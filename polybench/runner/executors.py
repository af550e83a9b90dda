"""Executors decide where the runs of a plan happen: here, one after another, or on a Ray
cluster, one run per benchmark slot. Either way every run leaves its record, executed
notebook and log in the same run folder, and its record says where it ran
(``environment.executor``, ``environment.hostname``, ``environment.slot``)."""

from __future__ import annotations

import abc

from polybench import records
from polybench.errors import UsageError
from polybench.runner.runs import Runner

EXECUTORS = ("local", "ray")
#: How to add Ray to an install of polybench.
RAY_INSTALL = "pip install -e .[ray]"


class Executor(abc.ABC):
    """Runs a list of the plan's cells into the runner's folder and returns their records."""

    @abc.abstractmethod
    def run(self, runner: Runner, keys: list[records.RunKey]) -> list[records.Record]:
        """Run every key (each in a fresh kernel process), keep going past failures, and return
        one record per key, in the order of ``keys``."""


class LocalExecutor(Executor):
    """This machine, one run at a time: nothing else competes for its cores."""

    def run(self, runner: Runner, keys: list[records.RunKey]) -> list[records.Record]:
        return runner.run_all(keys)


def make_executor(name: str, ray_address: str | None = None, device: str = "auto") -> Executor:
    """The executor called ``name``, ready to run; ``ray_address`` is only for the ray executor,
    which joins its cluster here and checks that it offers a slot for ``device`` runs."""
    if name not in EXECUTORS:
        raise UsageError(f"unknown executor {name!r} (choose from: {', '.join(EXECUTORS)})")
    if name == "local":
        if ray_address:
            raise UsageError("--ray-address needs --executor ray")
        return LocalExecutor()
    try:
        from polybench.runner.ray_executor import RayExecutor  # imports ray, which the local executor never needs
    except ModuleNotFoundError as exc:
        if exc.name != "ray" and not (exc.name or "").startswith("ray."):
            raise
        raise UsageError(f"--executor ray needs Ray, an optional extra: install it with `{RAY_INSTALL}`") from None
    return RayExecutor(ray_address, device)
