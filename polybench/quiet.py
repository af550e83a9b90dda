"""`polybench run`'s look at the machine before it starts: say when it is busy, wait for it
to be quiet if asked (``--wait-quiet``), and warn when ``--threads`` asks for more cores than
are free. The rule is contention's, read over ``LOOK_SECONDS``."""

from __future__ import annotations

import time
from collections.abc import Callable

from polybench import contention, threads
from polybench.errors import PolybenchError

#: Seconds each look at the machine reads it for.
LOOK_SECONDS = 1.5
#: How long ``--wait-quiet`` without a figure waits, in seconds.
DEFAULT_WAIT_SECONDS = 600.0
#: Seconds between the progress lines of a wait.
PROGRESS_EVERY = 10.0
#: How many of the busiest other processes a line names.
NAMED = 3

Look = Callable[[], dict]


def busy_line(summary: dict) -> str:
    """One line: why the machine is busy and the busiest other processes."""
    named = "; ".join(summary["busiest"][:NAMED]) or "no single process stands out"
    return f"{'; '.join(summary['reasons'])} (busiest: {named})"


def wait_until_quiet(limit_s: float, say: Callable[[str], None], look: Look, clock=time.monotonic) -> dict:
    """Look until a look says quiet and return it; PolybenchError (exit 1: the command was right,
    the machine was not ready) once ``limit_s`` seconds have gone by without one."""
    start = clock()
    said_at = None
    while True:
        summary = look()
        waited = clock() - start
        if summary["verdict"] == "quiet":
            if said_at is not None:
                say(f"the machine is quiet after {waited:.0f} s; starting")
            return summary
        if waited >= limit_s:
            raise PolybenchError(
                f"the machine stayed busy for {limit_s:g} s of --wait-quiet: {busy_line(summary)}; "
                "stop those processes or wait longer (--wait-quiet SECONDS)"
            )
        if said_at is None or waited - said_at >= PROGRESS_EVERY:
            say(f"waiting for a quiet machine ({waited:.0f} of {limit_s:g} s): {busy_line(summary)}")
            said_at = waited


def free_cores(summary: dict, cores: int) -> int:
    """Cores other processes left free, to the nearest whole core."""
    return max(0, int(cores - (summary["others_cpu_cores"] or 0.0) + 0.5))


def look_before_run(
    threads_asked: int | None,
    wait_quiet_s: float | None,
    say: Callable[[str], None] = print,
    look: Look | None = None,
) -> dict:
    """Look at the machine before a run: one line if it is busy (the run goes on), or with
    ``wait_quiet_s`` wait for it to be quiet; one warning line if ``threads_asked`` (an explicit
    --threads) is above the cores that are free. Returns the last look's summary."""
    look = look or (lambda: contention.look(LOOK_SECONDS))
    if wait_quiet_s is not None:
        summary = wait_until_quiet(wait_quiet_s, say, look)
    else:
        summary = look()
        if summary["verdict"] == "busy":
            say(f"the machine is busy: {busy_line(summary)}; going on, but its timings may not be trusted")
    cores = threads.default_threads()
    free = free_cores(summary, cores)
    if threads_asked is not None and threads_asked > free:
        say(
            f"warning: --threads {threads_asked} but {free} of {cores} cores are free "
            f"(other processes use {summary['others_cpu_cores'] or 0:.2f}); the run's threads will wait for cores"
        )
    return summary
