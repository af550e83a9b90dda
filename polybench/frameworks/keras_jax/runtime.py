"""Keras on JAX, process settings: JAX's own (threads through the CPU affinity XLA's pool follows,
device choice, float32 precision; ``jax.runtime``), with Keras' seed and version, KERAS_BACKEND=jax
set before Keras loads, and JAX's device sync."""

from __future__ import annotations

from collections.abc import Iterable

from polybench.frameworks.keras_jax import FRAMEWORK

FRAMEWORK.apply_environment()  # KERAS_BACKEND=jax, before Keras is imported below

import jax  # noqa: E402

from polybench.frameworks.jax.runtime import JaxRuntime  # noqa: E402
from polybench.frameworks.tensorflow.backends import KerasRuntime  # noqa: E402


class KerasJaxRuntime(KerasRuntime, JaxRuntime):
    name = "keras-jax"
    jit_compiler = "xla"  # jit_compile=True: Keras' train step under jax.jit

    def versions(self) -> dict[str, str]:
        return {**self.keras_versions(), **self.jax_versions()}  # no flax or optax here

    def wait(self, values: Iterable) -> None:
        jax.block_until_ready(list(values))

    def peak_memory_bytes(self, device: str) -> int | None:
        """XLA's allocator peak on a GPU (one per process, never reset: it covers the data loaded
        before training too, as in the jax framework's runs)."""
        if not device.startswith("gpu"):
            return None
        stats = self.device_of(device).memory_stats() or {}
        return int(stats["peak_bytes_in_use"]) if "peak_bytes_in_use" in stats else None


RUNTIME = KerasJaxRuntime()
