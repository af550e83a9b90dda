"""TensorFlow process settings: threads, device choice, versions."""

from __future__ import annotations

import os
from collections.abc import Callable

from polybench.frameworks.tensorflow import FRAMEWORK

# Before TensorFlow loads (the registry imports this module before any model module): Keras 3
# on the TensorFlow backend whatever KERAS_BACKEND the process inherited, and no INFO/WARNING
# lines from the C++ runtime (oneDNN notices and the like); errors still come through.
FRAMEWORK.apply_environment()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from polybench import threads as thread_settings  # noqa: E402
from polybench.errors import PolybenchError  # noqa: E402
from polybench.frameworks.base import Runtime  # noqa: E402


class TensorFlowRuntime(Runtime):
    name = "tensorflow"

    def configure(self, threads: int, device: str) -> str:
        threading = tf.config.threading
        wanted = (threads, thread_settings.INTER_OP_THREADS)
        if (threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads()) != wanted:
            try:
                threading.set_intra_op_parallelism_threads(wanted[0])
                threading.set_inter_op_parallelism_threads(wanted[1])
            except RuntimeError:  # TensorFlow fixes them when its first op runs
                raise PolybenchError(
                    f"TensorFlow is already running with other thread counts; cannot set "
                    f"{threads} threads in this process"
                ) from None
        thread_settings.limit_pools(threads)
        gpus = tf.config.list_physical_devices("GPU")
        if device == "gpu" and not gpus:
            raise PolybenchError("--device gpu: TensorFlow sees no GPU here; use --device cpu or auto")
        if device == "cpu" or not gpus:
            if gpus:
                tf.config.set_visible_devices([], "GPU")  # keep TensorFlow off the GPU entirely
            return "/CPU:0"
        for gpu in gpus:  # allocate as needed, so the memory figures show what TensorFlow uses
            tf.config.experimental.set_memory_growth(gpu, True)
        return "/GPU:0"

    def threads_used(self) -> dict:
        threading = tf.config.threading
        return thread_settings.used(
            threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads()
        )

    def seed(self, seed: int) -> None:
        keras.utils.set_random_seed(seed)  # Keras' dropout masks (and TensorFlow's global seed)

    def versions(self) -> dict[str, str]:
        build = tf.sysconfig.get_build_info()
        return {
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "cuda": build.get("cuda_version") or "none",
            "cudnn": build.get("cudnn_version") or "none",
        }

    def matmul(self, device: str, size: int) -> Callable[[], object]:
        with tf.device(device):
            a = tf.random.uniform((size, size))
            b = tf.random.uniform((size, size))

        def product() -> float:
            with tf.device(device):
                return float(tf.reduce_sum(tf.matmul(a, b)))  # reading the result back waits for the device

        return product

    def shared_modules(self) -> tuple[str, ...]:
        return ("polybench.frameworks.tensorflow.keras_common", self.step_module())

    def gpu_name(self, device: str) -> str | None:
        if "GPU" not in device.upper():
            return None
        gpu = tf.config.list_physical_devices("GPU")[int(device.rsplit(":", 1)[1])]
        return tf.config.experimental.get_device_details(gpu).get("device_name")


RUNTIME = TensorFlowRuntime()
