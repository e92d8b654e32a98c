"""Two sweeps on one run directory: the second is refused; a dead owner's lock is taken over."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from search.errors import SweepError
from search.lock import LOCK_NAME, RunLock


def test_second_process_is_refused_with_the_holders_pid(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": holder.pid, "host": os.uname().nodename}))
        with pytest.raises(SweepError, match=rf"is in use by another search.run \(pid {holder.pid}\)"):
            RunLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()


def test_stale_lock_of_a_killed_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename}))
    with RunLock(tmp_path) as lock:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    assert not (tmp_path / LOCK_NAME).exists()


def test_lock_is_released_after_an_error(tmp_path):
    with pytest.raises(RuntimeError):
        with RunLock(tmp_path):
            raise RuntimeError("trial crashed")
    assert not (tmp_path / LOCK_NAME).exists()
