"""The runner layer: the run matrix, per-framework environments and kernels, and the
papermill executions that turn a plan into one record per run."""

from polybench.runner.runs import Plan, Runner, default_run_dir, epoch_line, summarize

__all__ = ["Plan", "Runner", "default_run_dir", "epoch_line", "summarize"]
