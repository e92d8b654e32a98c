"""How many CPU threads one run's arithmetic uses, pinned because the count changes the numbers.

TensorFlow's CPU kernels (Eigen) share a reduction among the intra-op
threads, and another share adds in another order. On the digits demo (24
runs) one run ended a validation image apart: 0.87744 with 1 thread (as
each of 2 workers on 2 cores had), 0.87465 with 2 (one process), the
same with every repeat. So a sweep fixes its count once (sweep.json's
`threads`, search.sweep.thread_plan), and each process that trains its
runs pins its backend to it before the backend's first operation.

A backend that is already running cannot change its count (TensorFlow's
eager context, XLA's client): `pin` then returns the count it runs with,
and the caller decides whether that may train.
"""

from __future__ import annotations

import os
import re

import keras


def machine_cores() -> int:
    """The cores this process may run on: what TensorFlow's default thread count is."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def environment(threads: int) -> dict[str, str]:
    """Variables that give a process started with them `threads` intra-op threads
    in every backend (its own operations, OpenMP's and XLA's)."""
    return {"OMP_NUM_THREADS": str(threads), "TF_NUM_INTRAOP_THREADS": str(threads), "TF_NUM_INTEROP_THREADS": "1",
            "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={threads}"}


def pin(threads: int) -> int:
    """Ask this process's backend for `threads` intra-op threads; return the count it runs with.

    That is `threads` unless the backend has already started (an earlier
    sweep or model in this process) with another count.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
        except RuntimeError:  # "cannot be modified after initialization"
            pass
    elif backend == "torch":
        import torch
        torch.set_num_threads(threads)
    elif backend == "jax" and not _jax_started():
        os.environ["XLA_FLAGS"] = environment(threads)["XLA_FLAGS"]  # read once, when JAX starts its backend
    return in_use()


def _jax_started() -> bool:
    """Whether JAX has started its backends (its flags are read then, and no longer). JAX has no public
    question for it: a JAX without the private one is taken as not started, and setting the flags then
    is harmless; `in_use` still reports the count JAX runs with."""
    try:
        from jax._src import xla_bridge
    except ImportError:
        return False
    started = getattr(xla_bridge, "backends_are_initialized", None)
    return bool(started()) if callable(started) else False


def in_use() -> int:
    """The intra-op threads this process's backend runs (or will run) with."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        return tf.config.threading.get_intra_op_parallelism_threads() or _from_env("TF_NUM_INTRAOP_THREADS")
    if backend == "torch":
        import torch
        return torch.get_num_threads()
    match = re.search(r"intra_op_parallelism_threads=(\d+)", os.environ.get("XLA_FLAGS", ""))
    return int(match.group(1)) if match else machine_cores()


def _from_env(name: str) -> int:
    """TensorFlow's default: the variable when it is a positive count, else every core."""
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else machine_cores()
