"""JAX process settings: threads, device choice, versions, and the seed of the dropout masks.

XLA's CPU client sizes its intra-op thread pool (the ``XLAEigen`` threads that run every
compiled computation) from the CPUs the process may run on, when the backend starts; jaxlib
has no flag for the count (``intra_op_parallelism_threads`` in XLA_FLAGS is ignored), and
``--xla_cpu_multi_thread_eigen=false`` only keeps Eigen's own kernels single-threaded. So the
run's thread count is set by narrowing the process' CPU affinity to that many CPUs before the
backend starts; the record's intra-op count is the number of XLA pool threads actually running.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import metadata

import jax
import jax.numpy as jnp

from polybench import threads as thread_settings
from polybench.errors import PolybenchError
from polybench.frameworks.base import Runtime


def xla_pool_threads() -> int:
    """How many threads of XLA's CPU intra-op pool this process runs (threads named *XLAEigen*)."""
    count = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm") as f:
                count += "XLAEigen" in f.read()
        except OSError:
            continue  # the thread ended meanwhile
    return count


class JaxRuntime(Runtime):
    name = "jax"

    def __init__(self) -> None:
        #: Seed of the dropout masks' nnx.Rngs stream (JAX has no global generator).
        self.rng_seed = 0
        self.threads: int | None = None

    def configure(self, threads: int, device: str) -> str:
        if self.threads is not None and self.threads != threads:
            raise PolybenchError(
                f"JAX's backend already runs {self.threads} threads; cannot set {threads} threads in this process"
            )
        if self.threads is None:  # before the backend starts: configure is the first to touch it
            cpus = sorted(os.sched_getaffinity(0))
            if threads < len(cpus):
                os.sched_setaffinity(0, cpus[:threads])  # XLA's CPU pool takes this many threads
            self.threads = threads
        thread_settings.limit_pools(threads)  # BLAS/OpenMP pools a library brings (XLA's own is above)
        if device == "cpu":
            jax.config.update("jax_platforms", "cpu")
        # On a GPU: allocate as needed instead of taking 75% of the GPU's memory at start, so the
        # process' device memory (NVML) measures the run; and float32 products in float32, not
        # TF32 (JAX's default precision on GPUs allows it), as in the other frameworks.
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
        jax.config.update("jax_default_matmul_precision", "highest")
        try:
            gpus = jax.devices("gpu")
        except RuntimeError:  # no GPU backend installed or no GPU visible
            gpus = []
        if device == "gpu" and not gpus:
            raise PolybenchError(
                "--device gpu: JAX sees no GPU here (the jax[cuda] plugin and a CUDA GPU are "
                "needed); use --device cpu or auto"
            )
        chosen = gpus[0] if gpus and device != "cpu" else jax.devices("cpu")[0]
        jax.config.update("jax_default_device", chosen)
        return f"{chosen.platform}:{chosen.id}"

    def threads_used(self) -> dict:
        """Intra-op: the XLA CPU pool threads running (counted); inter-op: None, as XLA has no
        separate inter-op pool to set or read (independent ops of a compiled step share the
        intra-op pool)."""
        return thread_settings.used(xla_pool_threads(), None)

    def seed(self, seed: int) -> None:
        self.rng_seed = seed

    def versions(self) -> dict[str, str]:
        import flax  # the model library and the optimizer of this framework (Keras on JAX has neither)
        import optax

        return {**self.jax_versions(), "flax": flax.__version__, "optax": optax.__version__}

    def jax_versions(self) -> dict[str, str]:
        """JAX's versions and the settings that matter to results."""
        return {
            "jax": jax.__version__,
            "jaxlib": metadata.version("jaxlib"),
            "xla_cpu_pool_threads": str(xla_pool_threads()),
            "default_matmul_precision": str(jax.config.jax_default_matmul_precision),
            "gpu_preallocate": os.environ.get("XLA_PYTHON_CLIENT_PREALLOCATE", "true"),
        }

    def device_of(self, name: str) -> jax.Device:
        """The jax.Device a "platform:id" name from ``configure`` stands for."""
        platform, index = name.split(":")
        return jax.devices(platform)[int(index)]

    def matmul(self, device: str, size: int) -> Callable[[], object]:
        target = self.device_of(device)
        a = jax.device_put(jnp.ones((size, size), jnp.float32), target)
        b = jax.device_put(jnp.ones((size, size), jnp.float32), target)
        product = jax.jit(jnp.matmul)  # compiled on the first (warm-up) call
        return lambda: product(a, b).block_until_ready()

    def gpu_name(self, device: str) -> str | None:
        return self.device_of(device).device_kind if device.startswith("gpu") else None


RUNTIME = JaxRuntime()
