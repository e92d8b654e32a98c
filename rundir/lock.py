"""One sweep process per run directory.

Two processes writing the same records and oracle state would duplicate
trials and corrupt the oracle. The lock is an operating-system lock on
`.lock` (the `filelock` package): the kernel releases it when its process
dies, however it dies, so a crash never blocks the resume, and two
processes can never both hold it. No file's content or age decides who
holds it, so there is no stale-lock guess to race on.

Beside it, `sweep.lock` names the holder (pid and host) while it holds the
lock, only so that a refused second process can say who is running.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import filelock

from rundir.errors import SweepError

LOCK_NAME = "sweep.lock"  # the holder's pid and host, present while a sweep runs
OS_LOCK_NAME = ".lock"  # the file the operating-system lock is taken on


class RunLock:
    def __init__(self, run_dir: str | Path):
        self.root = Path(run_dir)
        self.path = self.root / LOCK_NAME
        self._lock = filelock.FileLock(str(self.root / OS_LOCK_NAME), timeout=0)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except filelock.Timeout:
            raise SweepError(self._refusal()) from None
        except OSError as exc:  # a read-only disk, no permission: the lock file cannot be made
            raise SweepError(f"cannot take the lock {self.root / OS_LOCK_NAME}: {exc.strerror or exc} (the run "
                             f"directory needs write permission: choose another folder with --out)") from None
        try:
            self.path.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
        except OSError as exc:
            self._lock.release()
            raise SweepError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def _refusal(self) -> str:
        """Who holds the lock, read from `sweep.lock` (which the holder may still be writing)."""
        holder: dict = {}
        deadline = time.monotonic() + 1.0
        while not holder and time.monotonic() < deadline:
            try:
                holder = json.loads(self.path.read_text() or "{}")
            except (OSError, json.JSONDecodeError):
                time.sleep(0.05)
        pid, host = holder.get("pid"), holder.get("host")
        who = f" (pid {pid}{f' on {host}' if host and host != socket.gethostname() else ''})" if pid else ""
        return (f"run directory {self.root} is in use by another search.run{who}; "
                "wait for it to finish or stop it, then rerun to resume")

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self._lock.release()

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
