"""The run directory's files as bytes on disk: atomic writes, JSON and CSV, and the error a failed write is.

Every file of the run directory (the manifest, the records, the tables) is
written through `atomic_write_text`, so a reader, a resume or a killed
sweep sees the old file or the new one, never half. Kept apart from what the
files mean (`records`, `manifest`), which both write through it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from rundir.errors import SweepError

TEMP_SUFFIX = ".tmp"  # atomic_write_text's temporary files: `.<name>.<random>.tmp`
RESUME_HINT = "; nothing was recorded as failed: free space (or fix the permissions) and rerun the same command to resume"


class RecordWriteError(SweepError):
    """A file of the run directory could not be written (disk full, no permission, a read-only disk).

    Exit status 1: the sweep ran but could not finish, and nothing was
    recorded because of it (an I/O error is never a run's result). Freeing
    space and rerunning the same command resumes it.
    """

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message, exit_code)


_FATAL_WRITE_ERROR: type | None = None


def make_write_errors_fatal(fatal: type[Exception]) -> None:
    """From now on a failed write raises a RecordWriteError that is also a `fatal`.

    search.sweep.oracles calls this with Keras Tuner's public
    `keras_tuner.errors.FatalError` as it loads; this module itself never
    imports Keras Tuner, so the report and the claims stay free of TensorFlow.
    """
    global _FATAL_WRITE_ERROR
    if _FATAL_WRITE_ERROR is None or not issubclass(_FATAL_WRITE_ERROR, fatal):
        _FATAL_WRITE_ERROR = type("RecordWriteError", (RecordWriteError, fatal), {"__module__": __name__})


def write_error(message: str) -> RecordWriteError:
    """The error for a failed write: a RecordWriteError, which inside a sweep
    is also a Keras Tuner `FatalError` (see make_write_errors_fatal).

    Keras Tuner turns any other exception out of `run_trial` or the oracle
    into a failed trial and goes on, so with a full disk it would mark each
    next trial done without a record (and never run it on resume). A
    FatalError it re-raises: the sweep stops with one line naming the file.
    """
    if _FATAL_WRITE_ERROR is None:  # no sweep in this process: reports, claims
        return RecordWriteError(message)
    return _FATAL_WRITE_ERROR(message)


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old or the new file, never half.

    A full disk raises RecordWriteError (a SweepError) naming the file; the
    previous version stays and no temporary file is left behind.
    """
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
        # mkstemp makes the file private (0600); records are shared with the
        # report's readers and, with workers on other machines, other users.
        os.fchmod(fd, 0o644)
        # backslashreplace: a file name that is not UTF-8 (surrogate escapes) is written escaped, never a crash
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise write_error(f"cannot write {path}: {exc.strerror or exc}{RESUME_HINT}") from None


def permission_hint(exc: OSError) -> str:
    import errno

    if exc.errno == errno.EROFS:
        return " (the disk is mounted read-only: choose another folder with --out)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return " (it needs write permission for this user: fix it with chmod u+w, or choose another folder with --out)"
    return ""


def clean(value: Any) -> Any:
    """JSON has no NaN/inf: store them as None (with the error saying why)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def to_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    if columns is None:
        columns = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue()


def write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(clean(data), indent=2, default=str))


def read_json(path: Path, regenerated: bool = False) -> Any:
    """The JSON in `path`; a missing or damaged file is one SweepError naming it. `regenerated`: the sweep
    writes this file again on its next run, so the way out is to delete it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"{path} does not exist (is {path.parent} a sweep run directory?)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        why = f"{exc.msg} (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) \
            else "not UTF-8"
        hint = (": the finished runs are safe in their records; delete it and rerun the same command, which "
                "writes it again" if regenerated else "")
        raise SweepError(f"{path} is not valid JSON ({why}){hint}") from None
