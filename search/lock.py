"""One sweep process per run directory.

Two processes writing the same records and oracle state would duplicate
trials and corrupt the oracle. The lock file holds the owner's pid and
host; a lock whose process is gone (killed with -9, machine rebooted) is
stale and taken over, so a crash never blocks the resume.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from search.errors import SweepError

LOCK_NAME = "sweep.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class RunLock:
    def __init__(self, run_dir: str | Path):
        self.path = Path(run_dir) / LOCK_NAME
        self.held = False

    def acquire(self) -> None:
        me = json.dumps({"pid": os.getpid(), "host": socket.gethostname()})
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._check_holder()
                continue  # stale lock removed: try once more
            with os.fdopen(fd, "w") as fh:
                fh.write(me)
            self.held = True
            return
        raise SweepError(f"could not take the lock {self.path}; another process keeps creating it")

    def _check_holder(self) -> None:
        try:
            holder = json.loads(self.path.read_text() or "{}")
        except (OSError, json.JSONDecodeError):
            holder = {}
        pid, host = holder.get("pid"), holder.get("host")
        if isinstance(pid, int) and (host != socket.gethostname() or _alive(pid)):
            where = f" on {host}" if host != socket.gethostname() else ""
            raise SweepError(
                f"run directory {self.path.parent} is in use by another search.run (pid {pid}{where}); "
                f"wait for it to finish, or delete {self.path} if that process is gone"
            )
        self.path.unlink(missing_ok=True)  # stale: its process is gone

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
