"""Keep TensorFlow's native start-up lines off the console.

Importing TensorFlow prints, from C++ straight to file descriptor 2 and
before any Python logging exists:

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:... cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
    I0000 00:00:... cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use ...
    To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow ...

`TF_CPP_MIN_LOG_LEVEL=3`, `ABSL_MIN_LOG_LEVEL` and `GRPC_VERBOSITY` were
measured (TensorFlow 2.21): none of them removes these lines, because absl
writes them before it reads its flags. So `native_startup_filtered` points
fd 2 at a temporary file while the import runs, then writes back every line
that is not one of these known notices: a real error during the import
still reaches the user.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from typing import Iterator

# Start-up notices, each matched on its own line. Anything else is kept.
NOISE = (
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$"),
    re.compile(r"^[IW]\d{4} [\d:.]+\s+\d+ (cudart_stub|cpu_feature_guard|cuda_fft|cuda_dnn|cuda_blas|"
               r"cuda_executor|port)\.cc:\d+\] "),
    re.compile(r"^To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\.$"),
    re.compile(r"^E0000 00:00:[\d.]+\s+\d+ cuda_(dnn|fft|blas)\.cc:\d+\] Unable to register cu(DNN|FFT|BLAS) factory"),
    re.compile(r"^oneDNN custom operations are on\."),
)


def is_noise(line: str) -> bool:
    return any(p.search(line) for p in NOISE)


def keep(text: str) -> str:
    """`text` without the start-up notices."""
    return "".join(line for line in text.splitlines(keepends=True) if not is_noise(line.rstrip("\n")))


@contextlib.contextmanager
def native_startup_filtered() -> Iterator[None]:
    """Run the block with fd 2 captured; replay what it wrote, less the notices."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (an embedding host): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = keep(capture.read().decode("utf-8", "replace"))
            if text:
                sys.stderr.write(text)
                sys.stderr.flush()


def quiet_native_logs() -> None:
    """TensorFlow's C++ log lines after start-up (CUDA probing, oneDNN notices) off the console; real
    errors still surface as Python exceptions. The one place the level is set: `search` calls it as it
    loads, before anything can import TensorFlow. A level the user set is kept."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def quiet_retracing() -> None:
    """Each run's model traces its own functions; TensorFlow's "retracing" warning about that is expected
    in a sweep and says nothing the user can act on."""
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def import_backend_quietly() -> None:
    """Import Keras Tuner (and with it Keras and its backend) without the start-up notices."""
    with native_startup_filtered():
        import keras_tuner  # noqa: F401
