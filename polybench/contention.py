"""What else used the machine while a run trained, and a verdict: quiet or busy.

A background thread reads, every ``INTERVAL`` seconds: the CPU time of every process
outside the run's own process tree (busy time from /proc/stat minus the run's own), the
load average, CPU pressure (/proc/pressure/cpu, ``some avg10``), steal time and the CPU
clock; on a GPU, NVML's other processes there and its throttle reasons. ``Sampler.summary``
turns that into the record's ``contention`` field and ``judge`` applies ``RULE``.

The run's own process tree is the sampled process (the run's kernel, or `polybench run`
itself before it starts), everything it started (compile workers count as the run's own),
and the processes that started it (the runner following its progress, papermill), these
last by their own CPU time only: their other children are other processes.

Only psutil and the standard library, so the kernel and the orchestrator both use it;
NVML (nvidia-ml-py) is imported when a GPU is watched.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path

import psutil

#: Other processes' CPU, in cores on average, above which a run was busy: a tenth of a core is
#: well above what an idle machine's daemons and kernel threads use, and low enough to catch a
#: job that ran beside the benchmark for a tenth of its time.
OTHERS_CORES_LIMIT = 0.10
#: CPU pressure (``some avg10``, % of the time at least one runnable task waited for a core)
#: above which a run was busy. A run using every core makes its own short waits (the memory
#: sampler's wake-ups, the kernel's I/O threads), so the limit sits well above those; a
#: quarter of the time waiting means the cores were oversubscribed, even by demand /proc/stat
#: cannot name (another container's).
PRESSURE_LIMIT = 25.0
#: ... and counts only beside other processes' CPU of at least this many cores: pressure also counts
#: the run's own threads waiting for each other (MXNet's engine threads beside OpenMP's took
#: shape_gen's Gluon loop to 29-33% with other processes at 0.01 cores and no steal, twice, on the
#: quiet 2-core machine of 2026-12-01), so alone it does not show that anything else ran.
PRESSURE_OTHERS_CORES = 0.05
#: Share of all CPU time stolen by the hypervisor above which a run was busy: stolen time
#: stretches every epoch by about that share, and 5% is half the 10% change `compare` calls real
#: without a noise estimate.
STEAL_LIMIT = 0.05
#: CPU seconds that two readings of /proc/stat (10 ms ticks) cannot tell apart: over a short
#: training the other processes' figure must exceed its limit by this much spread over the
#: training's seconds (a 0.1 s training would otherwise be busy for one tick of a daemon).
RESOLUTION_SECONDS = 0.02
RULE = (
    f"busy when, averaged over training, other processes used more than {OTHERS_CORES_LIMIT:.2f} of one "
    f"core (plus {RESOLUTION_SECONDS * 1000:.0f} ms of CPU over the training's seconds: /proc/stat's "
    f"resolution), or CPU pressure (some avg10) was above {PRESSURE_LIMIT:.0f}% while other processes used at "
    f"least {PRESSURE_OTHERS_CORES:.2f} of one core, or the hypervisor stole more "
    f"than {STEAL_LIMIT:.0%} of the CPU time, or another process ran on the run's GPU; quiet otherwise"
)
#: Seconds between readings; with many processes the sampler reads less often (COST_BUDGET).
INTERVAL = 0.5
#: Share of one core the sampler may spend reading (a process table scan costs ~20 µs a process).
COST_BUDGET = 0.01
#: How many of the busiest other processes a summary names, and the least CPU one must have used.
BUSIEST = 5
BUSIEST_MIN_CORES = 0.01
#: Intervals shorter than this do not count for the maximum (/proc/stat counts in 10 ms ticks).
MAX_MIN_SECONDS = 0.25
PRESSURE_FILE = Path("/proc/pressure/cpu")
#: NVML clock event (throttle) reason bits and their names; GPU idle is left out (normal between epochs).
THROTTLE_REASONS = {
    0x2: "applications_clocks_setting",
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x10: "sync_boost",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
    0x100: "display_clock_setting",
}


def judge(
    others_cpu_cores: float | None,
    cpu_pressure_some: float | None,
    steal_fraction: float | None,
    gpu_other_processes: list[str] | None = None,
    seconds: float | None = None,
) -> list[str]:
    """The reasons a run with these figures was busy, one line each (empty: quiet), by ``RULE``;
    ``seconds`` is how long the figures were taken over (None: long enough not to matter)."""
    reasons = []
    limit = OTHERS_CORES_LIMIT + (RESOLUTION_SECONDS / seconds if seconds else 0.0)
    if others_cpu_cores is not None and others_cpu_cores > limit:
        reasons.append(f"other processes used {others_cpu_cores:.2f} cores on average (limit {limit:.2f})")
    others_ran = others_cpu_cores is None or others_cpu_cores >= PRESSURE_OTHERS_CORES
    if cpu_pressure_some is not None and cpu_pressure_some > PRESSURE_LIMIT and others_ran:
        reasons.append(
            f"CPU pressure (some avg10) {cpu_pressure_some:.1f}% (limit {PRESSURE_LIMIT:.0f}%) "
            f"with other processes at {others_cpu_cores or 0:.2f} cores"
        )
    if steal_fraction is not None and steal_fraction > STEAL_LIMIT:
        reasons.append(f"the hypervisor stole {steal_fraction:.1%} of the CPU time (limit {STEAL_LIMIT:.0%})")
    if gpu_other_processes:
        reasons.append(f"other processes on the GPU: {', '.join(gpu_other_processes)}")
    return reasons


@dataclasses.dataclass(frozen=True)
class Proc:
    """One process as a reading saw it: parent, its own CPU seconds, and its ended children's."""

    ppid: int | None
    cpu: float
    reaped: float


def process_table() -> tuple[dict[int, Proc], dict[int, psutil.Process]]:
    """Every readable process now: (pid -> Proc, pid -> its psutil.Process, for names)."""
    table, handles = {}, {}
    for proc in psutil.process_iter(["ppid", "cpu_times"]):
        times = proc.info["cpu_times"]
        if times is None:  # not ours to read
            continue
        reaped = times.children_user + times.children_system
        table[proc.pid] = Proc(proc.info["ppid"], times.user + times.system, reaped)
        handles[proc.pid] = proc
    return table, handles


def own_processes(table: dict[int, Proc], root: int) -> tuple[set[int], set[int]]:
    """(``root`` and every process below it, the processes above it) in ``table``."""
    children: dict[int | None, list[int]] = {}
    for pid, proc in table.items():
        children.setdefault(proc.ppid, []).append(pid)
    tree, stack = set(), [root]
    while stack:
        pid = stack.pop()
        if pid not in tree:
            tree.add(pid)
            stack.extend(children.get(pid, ()))
    above, pid = set(), table[root].ppid if root in table else None
    while pid in table and pid not in tree and pid not in above:
        above.add(pid)
        pid = table[pid].ppid
    return tree, above


def own_cpu_seconds(table: dict[int, Proc], tree: set[int], above: set[int]) -> float:
    """CPU seconds of the run's own processes: the tree's with their ended children's (a compile
    worker's time moves into its parent's when it ends), and the processes above by their own only."""
    return sum(table[p].cpu + table[p].reaped for p in tree if p in table) + sum(
        table[p].cpu for p in above if p in table
    )


def busy_seconds(times) -> float:
    """CPU seconds, over all cores, that /proc/stat counts as busy (guest time is inside user)."""
    return times.user + times.nice + times.system + getattr(times, "irq", 0.0) + getattr(times, "softirq", 0.0)


def all_seconds(times) -> float:
    """CPU seconds over all cores, idle and stolen included."""
    return busy_seconds(times) + times.idle + getattr(times, "iowait", 0.0) + getattr(times, "steal", 0.0)


def cpu_pressure(path: Path = PRESSURE_FILE) -> float | None:
    """/proc/pressure/cpu's ``some avg10`` (%), None where the kernel has no pressure stall information."""
    try:
        for line in path.read_text().splitlines():
            if line.startswith("some "):
                return float(dict(field.split("=") for field in line.split()[1:])["avg10"])
    except (OSError, ValueError, KeyError):
        return None
    return None


def cpu_mhz() -> float | None:
    """The CPU clock in MHz now (psutil, else /proc/cpuinfo's mean), None where neither says."""
    try:
        freq = psutil.cpu_freq()
    except (OSError, NotImplementedError):
        freq = None
    if freq is not None and freq.current:
        return float(freq.current)
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    mhz = [float(line.split(":")[1]) for line in lines if line.startswith("cpu MHz")]
    return sum(mhz) / len(mhz) if mhz else None


class GpuWatch:
    """Other processes on the run's GPUs and the throttle reasons seen, read through NVML."""

    def __init__(self, nvml=None) -> None:
        if nvml is None:
            import pynvml as nvml
        self.nvml = nvml
        self.nvml.nvmlInit()
        self.handles = [self.nvml.nvmlDeviceGetHandleByIndex(i) for i in range(self.nvml.nvmlDeviceGetCount())]
        self.others: dict[int, str] = {}
        self.reasons: set[str] = set()

    def read(self, own: set[int]) -> None:
        """Note the processes outside ``own`` on the GPUs the run holds (every GPU where NVML
        shows none of ``own``, as in a container) and the throttle reasons now. What a GPU
        cannot tell (NVML's "not supported", as under MIG) is left out, never an error."""
        failure = getattr(self.nvml, "NVMLError", OSError)
        try:
            held = {i: self._pids(h) for i, h in enumerate(self.handles)}
        except failure:
            return
        mine = [i for i, pids in held.items() if pids & own] or list(held)
        for i in mine:
            for pid in held[i] - own:
                self.others.setdefault(pid, f"{_name(pid)} (pid {pid}) on GPU {i}")
            try:
                self.reasons.update(self._reasons(self.handles[i]))
            except failure:
                pass

    def _pids(self, handle) -> set[int]:
        listed = self.nvml.nvmlDeviceGetComputeRunningProcesses(handle)
        listed += self.nvml.nvmlDeviceGetGraphicsRunningProcesses(handle)
        return {int(p.pid) for p in listed}

    def _reasons(self, handle) -> list[str]:
        get = getattr(self.nvml, "nvmlDeviceGetCurrentClocksEventReasons", None) or (
            self.nvml.nvmlDeviceGetCurrentClocksThrottleReasons
        )
        bits = int(get(handle))
        return [name for bit, name in THROTTLE_REASONS.items() if bits & bit]


def _name(pid: int, handle: psutil.Process | None = None) -> str:
    try:
        return (handle or psutil.Process(pid)).name()
    except psutil.Error:
        return "ended"


@dataclasses.dataclass
class Reading:
    """One look at the machine."""

    at: float
    cpu: object  # psutil.cpu_times()
    own: float
    load: float
    pressure: float | None
    mhz: float | None


class Sampler:
    """Context manager: reads the machine from entry to exit in a background thread, then
    ``summary()`` gives the record's ``contention`` field."""

    def __init__(self, root: int | None = None, interval: float = INTERVAL, gpu: GpuWatch | None = None) -> None:
        self.root = os.getpid() if root is None else root
        self.interval = interval
        self.gpu = gpu
        self.readings: list[Reading] = []
        self.others: list[tuple[float, float]] = []  # (seconds, other processes' CPU seconds) per interval
        self.own_ever: set[int] = set()
        self.first_cpu: dict[int, float] = {}  # other processes' CPU seconds when first seen
        self.last_cpu: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="polybench-contention", daemon=True)

    def read(self) -> None:
        """Take one reading now."""
        table, handles = process_table()
        tree, above = own_processes(table, self.root)
        own = tree | above
        self.own_ever |= own
        first = not self.readings
        for pid, proc in table.items():
            if pid in own:
                continue
            self.first_cpu.setdefault(pid, proc.cpu if first else 0.0)
            if pid not in self.names and proc.cpu > self.first_cpu[pid]:
                self.names[pid] = _name(pid, handles[pid])
            self.last_cpu[pid] = proc.cpu
        reading = Reading(
            time.monotonic(), psutil.cpu_times(), own_cpu_seconds(table, tree, above), os.getloadavg()[0],
            cpu_pressure(), cpu_mhz(),
        )  # fmt: skip
        if self.readings:
            before = self.readings[-1]
            busy = busy_seconds(reading.cpu) - busy_seconds(before.cpu)
            self.others.append((reading.at - before.at, max(0.0, busy - max(0.0, reading.own - before.own))))
        self.readings.append(reading)
        if self.gpu is not None:
            self.gpu.read(own)

    def _run(self) -> None:
        wait = self.interval
        while not self._stop.wait(wait):
            spent = time.thread_time()
            self.read()
            wait = max(self.interval, (time.thread_time() - spent) / COST_BUDGET)

    def __enter__(self) -> Sampler:
        self.read()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.read()

    @property
    def seconds(self) -> float:
        """Seconds from the first reading to the last."""
        return self.readings[-1].at - self.readings[0].at if len(self.readings) > 1 else 0.0

    @property
    def own_cpu_seconds(self) -> float:
        """CPU seconds the run's own processes used from the first reading to the last."""
        return self.readings[-1].own - self.readings[0].own if self.readings else 0.0

    def other_cores(self) -> dict[int, float]:
        """Each other process seen: the CPU it used from the first reading to the last, in cores."""
        seconds = self.seconds or 1.0
        return {
            pid: (self.last_cpu[pid] - first) / seconds
            for pid, first in self.first_cpu.items()
            if pid not in self.own_ever
        }

    def busiest(self) -> list[str]:
        """The other processes that used the most CPU, "name (pid N): 0.93 cores", busiest first."""
        top = sorted(((cores, pid) for pid, cores in self.other_cores().items() if cores >= BUSIEST_MIN_CORES))
        return [f"{self.names.get(pid, 'ended')} (pid {pid}): {cores:.2f} cores" for cores, pid in top[::-1][:BUSIEST]]

    def summary(self) -> dict:
        """The figures and the verdict, as the record's ``contention`` field holds them."""
        readings = self.readings
        if not self.others:
            others = others_max = steal = None
        else:
            others = sum(cpu for _, cpu in self.others) / max(self.seconds, 1e-9)
            long_enough = [cpu / s for s, cpu in self.others if s >= MAX_MIN_SECONDS]
            others_max = max(long_enough) if long_enough else others
            total = all_seconds(readings[-1].cpu) - all_seconds(readings[0].cpu)
            stolen = getattr(readings[-1].cpu, "steal", 0.0) - getattr(readings[0].cpu, "steal", 0.0)
            steal = stolen / total if total > 0 else None
        pressure = _mean([r.pressure for r in readings])
        gpu_others = sorted(self.gpu.others.values()) if self.gpu is not None else None
        reasons = judge(others, pressure, steal, gpu_others, seconds=self.seconds)
        return {
            "verdict": "busy" if reasons else "quiet",
            "reasons": reasons,
            "rule": RULE,
            "samples": len(readings),
            "seconds": round(self.seconds, 3),
            "others_cpu_cores": _round(others),
            "others_cpu_cores_max": _round(others_max),
            "load_average": _round(_mean([r.load for r in readings])),
            "cpu_pressure_some": _round(pressure),
            "steal_fraction": _round(steal, 4),
            "cpu_mhz": _round(_mean([r.mhz for r in readings]), 1),
            "busiest": self.busiest(),
            "gpu_other_processes": gpu_others,
            "gpu_throttle_reasons": sorted(self.gpu.reasons) if self.gpu is not None else None,
        }


def look(seconds: float = 1.5, root: int | None = None) -> dict:
    """Read the machine for ``seconds`` (from ``root``'s point of view, default this process) and
    summarize, as a run's record would."""
    sampler = Sampler(root)
    with sampler:
        time.sleep(seconds)
    return sampler.summary()


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
