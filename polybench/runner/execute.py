"""Execute one notebook with papermill and say how its kernel ended.

The runner starts this module in a fresh process per run (``python -m
polybench.runner.execute``). It runs papermill in-process with a kernel manager that
keeps the kernel process's exit status, so that a kernel killed by a signal (SIGKILL,
a segfault) is told apart from a notebook that raised: that status is written as JSON to
``--kernel-exit`` before the process exits with status 1.

No process of a run outlives `polybench run` (polybench.runner.processes): this process dies
with the one that started it (``--runner-pid``), and the kernel runs a watchdog that ends it and
everything it started once this process is gone.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path

import papermill
import yaml
from jupyter_client import AsyncKernelManager
from nbclient.exceptions import DeadKernelError

from polybench.atomic import atomic_write
from polybench.runner import processes


class WatchedKernelManager(AsyncKernelManager):
    """A kernel manager that remembers the first exit status seen of its kernel process, and
    starts the kernel with a watchdog on this process (its parent)."""

    died_with: int | None = None

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        """The kernel's command line, with the watchdog that ends the kernel's process tree once
        this process is gone, in place of ipykernel's own, which ends the kernel alone."""
        watchdog = f"__import__('polybench.runner.processes').runner.processes.watch_parent({os.getpid()});"
        hooks = ["--IPKernelApp.parent_handle=0", f"--IPKernelApp.exec_lines={watchdog}"]
        return super().format_kernel_cmd([*(extra_arguments or []), *hooks])

    async def is_alive(self) -> bool:
        """Whether the kernel process runs; the first exit status seen is kept in ``died_with``."""
        if self.has_kernel and self.provisioner is not None and WatchedKernelManager.died_with is None:
            WatchedKernelManager.died_with = await self.provisioner.poll()
        return await super().is_alive()


def death(kernel_exit: Path) -> str | None:
    """How the kernel died, from the file ``main`` wrote ("killed by signal 9 (SIGKILL)"); None if
    it did not die."""
    try:
        status = json.loads(Path(kernel_exit).read_text())["exit_status"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if isinstance(status, int) and status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = "unknown signal"
        return f"killed by signal {-status} ({name})"
    return f"exited with status {status}" if status is not None else "exited"


def main(argv: list[str] | None = None) -> int:
    """Execute the notebook; on a dead kernel write its exit status to ``--kernel-exit``."""
    parser = argparse.ArgumentParser(prog="python -m polybench.runner.execute")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--parameters", required=True, help="YAML file of the notebook's parameters")
    parser.add_argument("--cwd", required=True)
    parser.add_argument("--kernel-exit", required=True, help="where to write the exit status of a dead kernel")
    parser.add_argument("--runner-pid", type=int, help="the process that started this one: end when it ends")
    args = parser.parse_args(argv)
    if args.runner_pid is not None:
        processes.die_with_parent(args.runner_pid)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parameters = yaml.safe_load(Path(args.parameters).read_text())
    try:
        papermill.execute_notebook(
            args.input,
            args.output,
            parameters=parameters,
            kernel_name=args.kernel,
            cwd=args.cwd,
            progress_bar=False,
            kernel_manager_class=WatchedKernelManager,
        )
    except DeadKernelError:
        status = WatchedKernelManager.died_with
        with atomic_write(Path(args.kernel_exit), "w") as f:
            json.dump({"exit_status": status}, f)
        print(f"the kernel died (exit status {status})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
