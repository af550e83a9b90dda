"""Peak memory sampling: host RSS, and device memory through a faked NVML."""

from __future__ import annotations

import os
import threading
import time
import types

import numpy as np

from polybench.notebook import memory


class FakeNvml:
    """Two GPUs; this process holds memory on both, another process on the first."""

    def __init__(self):
        self.used = 100 * 2**20
        self.sampled = threading.Event()  # set when a sample has read the last GPU

    def nvmlInit(self):
        pass

    def nvmlDeviceGetCount(self):
        return 2

    def nvmlDeviceGetHandleByIndex(self, index):
        return index

    def nvmlDeviceGetComputeRunningProcesses(self, handle):
        me = types.SimpleNamespace(pid=os.getpid(), usedGpuMemory=self.used if handle == 0 else 2**20)
        other = types.SimpleNamespace(pid=os.getpid() + 1, usedGpuMemory=7 * 2**30)
        if handle == 1:
            self.sampled.set()
        return [me, other] if handle == 0 else [me]

    def wait_for_a_whole_sample(self) -> None:
        """Return once the sampler has read every GPU after this call began: of two samples that
        end after it, the second began after it."""
        for _ in range(2):
            self.sampled.clear()
            assert self.sampled.wait(timeout=10), "the sampler took no sample in 10 s"

    def nvmlSystemGetDriverVersion(self):
        return b"560.35.03"


def test_nvml_counts_this_process_only_on_every_gpu():
    reader = memory.NvmlReader(FakeNvml())
    assert reader.used_bytes() == 101 * 2**20
    assert reader.driver_version() == "560.35.03"


def test_sampler_keeps_the_peak_not_the_last_value():
    nvml = FakeNvml()
    with memory.PeakSampler(interval=0.005, nvml=memory.NvmlReader(nvml)) as sampler:
        nvml.used = 900 * 2**20
        nvml.wait_for_a_whole_sample()
        nvml.used = 10 * 2**20
        nvml.wait_for_a_whole_sample()  # the background thread has seen the lower value too
    assert sampler.peak_nvml_bytes == 901 * 2**20


def wait_until(condition, timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s"
        time.sleep(0.001)


def test_rss_peak_sees_memory_that_was_freed_during_training():
    with memory.PeakSampler(interval=0.005) as sampler:
        before = sampler.process.memory_info().rss
        block = np.ones(200 * 2**20 // 8)  # 200 MiB, touched
        wait_until(lambda: sampler.peak_rss_bytes >= before + 150 * 2**20)  # seen by the background thread
        del block
    assert sampler.process.memory_info().rss < sampler.peak_rss_bytes - 150 * 2**20  # freed, the peak kept
    assert sampler.peak_nvml_bytes is None  # no GPU reader: the GPU field stays null
