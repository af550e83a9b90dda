"""Peak memory sampled while training runs: host RSS, and device memory through NVML.

A background thread samples every ``interval`` seconds, so the figure is the peak seen
during training, not one snapshot. NVML reports the device memory this process holds,
CUDA context included; it is read only when the run uses a GPU.
"""

from __future__ import annotations

import os
import threading

import psutil


class NvmlReader:
    """Device memory this process holds, summed over GPUs, read through NVML (pynvml)."""

    def __init__(self, nvml=None) -> None:
        if nvml is None:
            import pynvml as nvml
        self.nvml = nvml
        self.nvml.nvmlInit()
        self.pid = os.getpid()
        self.handles = [self.nvml.nvmlDeviceGetHandleByIndex(i) for i in range(self.nvml.nvmlDeviceGetCount())]

    def used_bytes(self) -> int:
        """Bytes of device memory held by this process now (0 if none)."""
        total = 0
        for handle in self.handles:
            for proc in self.nvml.nvmlDeviceGetComputeRunningProcesses(handle):
                if proc.pid == self.pid and proc.usedGpuMemory is not None:
                    total += int(proc.usedGpuMemory)
        return total

    def driver_version(self) -> str:
        """The NVIDIA driver's version string."""
        version = self.nvml.nvmlSystemGetDriverVersion()
        return version.decode() if isinstance(version, bytes) else str(version)


class PeakSampler:
    """Context manager sampling peak RSS (and NVML device memory if given a reader)."""

    def __init__(self, interval: float = 0.02, nvml: NvmlReader | None = None) -> None:
        self.interval = interval
        self.nvml = nvml
        self.process = psutil.Process()
        self.peak_rss_bytes = 0
        self.peak_nvml_bytes: int | None = None if nvml is None else 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="polybench-memory", daemon=True)

    def sample(self) -> None:
        """Take one sample now."""
        self.peak_rss_bytes = max(self.peak_rss_bytes, self.process.memory_info().rss)
        if self.nvml is not None:
            self.peak_nvml_bytes = max(self.peak_nvml_bytes or 0, self.nvml.used_bytes())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> PeakSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
