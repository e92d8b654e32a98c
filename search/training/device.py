"""Which backend and device a sweep runs on, said in words for the records."""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator

# Keras dtype policies a sweep may train under. mixed_float16 is left out:
# it needs loss scaling and is slow on CPUs; bf16 has float32's range.
PRECISIONS = ("float32", "mixed_bfloat16")


def backend() -> str:
    import keras

    return keras.backend.backend()


def describe_device() -> str:
    """E.g. 'GPU: NVIDIA H100 80GB HBM3' or 'CPU: x86_64, 2 cores'."""
    name = backend()
    try:
        if name == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"GPU: {details.get('device_name', gpus[0].name)} (x{len(gpus)})"
        elif name == "jax":
            import jax

            devices = jax.devices()
            if devices and devices[0].platform != "cpu":
                return f"GPU: {devices[0].device_kind} (x{len(devices)})"
        elif name == "torch":
            import torch

            if torch.cuda.is_available():
                return f"GPU: {torch.cuda.get_device_name(0)} (x{torch.cuda.device_count()})"
    except Exception:  # device discovery is informative only
        pass
    return f"CPU: {platform.machine()}, {os.cpu_count()} cores"


def gpu_count() -> int:
    """GPUs the backend sees, so that parallel workers can share them out."""
    name = backend()
    try:
        if name == "tensorflow":
            import tensorflow as tf

            return len(tf.config.list_physical_devices("GPU"))
        if name == "jax":
            import jax

            return sum(d.platform == "gpu" for d in jax.devices())
        if name == "torch":
            import torch

            return torch.cuda.device_count()
    except Exception:  # no usable GPU runtime: share the CPU
        pass
    return 0


def allow_gpu_memory_growth() -> None:
    """Let TensorFlow take GPU memory as needed, as the articles do, so that
    several trials or workers can share one GPU."""
    if backend() != "tensorflow":
        return
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialised; growth cannot change now
            pass


@contextlib.contextmanager
def precision(policy: str) -> Iterator[None]:
    """Keras' global dtype policy while one run's model is built and trained.

    "mixed_bfloat16" computes in bfloat16 and keeps float32 weights: faster
    where the processor has bf16 units (AVX512_BF16 or AMX CPUs, recent
    GPUs), no faster elsewhere. The global policy is put back afterwards so
    nothing else in the process (the default build, a report) is affected.
    """
    import keras

    before = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)
