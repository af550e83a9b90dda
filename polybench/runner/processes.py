"""Process trees: stopping one, and making sure none outlives `polybench run`.

A run is a chain of processes: `polybench run` (or a Ray worker) starts the papermill
process (polybench.runner.execute), which starts the framework's kernel, which may start
processes of its own (compile workers, data loaders). When `polybench run` is killed outright
(SIGKILL: nothing of it runs any more), the chain must still end:

- the papermill process dies with its parent: on Linux the kernel sends it SIGKILL the moment
  its parent is gone (PR_SET_PDEATHSIG, ``die_with_parent``); elsewhere a thread polls;
- the kernel runs ``watch_parent``, a thread that notices its parent (the papermill process)
  is gone and kills everything the kernel started, then the kernel itself.

This module imports only the standard library and psutil, so that a framework's kernel
environment can import it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

#: How often a watchdog looks at its parent (a system call: nothing a run's timing notices).
WATCH_SECONDS = 0.5
#: prctl(2) option: the signal this process gets when the thread that started it ends.
PR_SET_PDEATHSIG = 1


def kill_tree(pid: int, include_root: bool = True, timeout: float = 10) -> None:
    """SIGKILL a process (unless ``include_root`` is False) and everything it started, and wait
    up to ``timeout`` seconds for them to be gone."""
    import psutil

    try:
        root = psutil.Process(pid)
        family = root.children(recursive=True) + ([root] if include_root else [])
    except psutil.NoSuchProcess:
        return
    for proc in family:
        try:
            proc.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=timeout)


def _set_parent_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent ends; False where prctl(2)
    is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int) -> None:
    """End this process (and with it, through the kernel's watchdog, everything it started) as
    soon as ``parent_pid``, its parent, ends; at once if it already has.

    The parent must have started this process from its main thread: Linux signals the
    death of the starting thread, not of the whole process."""
    if not _set_parent_death_signal(signal.SIGKILL):
        watch_parent(parent_pid)
    elif os.getppid() != parent_pid:  # the parent ended before the signal was armed
        os.kill(os.getpid(), signal.SIGKILL)


def end_own_tree() -> None:
    """Kill every process this one started, its process group where it leads one (which
    holds those whose parent already ended), then this process."""
    kill_tree(os.getpid(), include_root=False, timeout=2)
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)  # this process is in its own group: it ends here
    os.kill(os.getpid(), signal.SIGKILL)


def watch_parent(parent_pid: int) -> threading.Thread:
    """Start a daemon thread that ends this process and everything it started once its
    parent is no longer ``parent_pid`` (the parent ended and the process was re-parented)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(WATCH_SECONDS)
        end_own_tree()

    thread = threading.Thread(target=watch, name="polybench-parent-watch", daemon=True)
    thread.start()
    return thread
