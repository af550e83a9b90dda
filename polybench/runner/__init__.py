"""The runner layer: the run matrix, per-framework environments and kernels, and the
papermill executions that turn a plan into one record per run.

Its names are imported on first use, so that a framework's kernel can import a module of this
package (polybench.runner.processes) without the orchestrator's dependencies."""

from __future__ import annotations

import importlib

__all__ = ["Plan", "Runner", "default_run_dir", "epoch_line", "summarize"]


def __getattr__(name: str):
    """``Plan``, ``Runner`` and the other names of polybench.runner.runs (and that module), imported on first use."""
    if name in __all__:
        return getattr(importlib.import_module("polybench.runner.runs"), name)
    if name == "runs":
        return importlib.import_module("polybench.runner.runs")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
