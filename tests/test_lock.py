"""Two sweeps on one run directory: exactly one runs; a dead holder's lock is free at once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rundir.errors import SweepError
from rundir.lock import LOCK_NAME, RunLock

ROOT = Path(__file__).resolve().parents[1]

# A process that takes the lock on argv[1], says "ran" or "refused: ...", and
# holds the lock for argv[2] seconds. With argv[3], it first says "ready" and
# waits for that file to appear, so that two of them try at the same moment.
# `rundir.lock` needs no TensorFlow, so these start in a fraction of a second.
HOLD = """
import os, sys, time
from rundir.errors import SweepError
from rundir.lock import RunLock
if len(sys.argv) > 3:
    print("ready", flush=True)
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.001)
try:
    with RunLock(sys.argv[1]):
        print("ran", flush=True)
        time.sleep(float(sys.argv[2]))
except SweepError as exc:
    print("refused:", exc, flush=True)
"""


def _hold(run_dir: Path, seconds: float, go: Path | None = None) -> subprocess.Popen:
    args = [str(run_dir), str(seconds)] + ([str(go)] if go else [])
    return subprocess.Popen([sys.executable, "-c", HOLD, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)


def _wait_for_line(proc: subprocess.Popen) -> str:
    return proc.stdout.readline().strip()


def test_second_process_is_refused_with_the_holders_pid(tmp_path):
    holder = _hold(tmp_path, 60)
    try:
        assert _wait_for_line(holder) == "ran"
        with pytest.raises(SweepError, match=rf"is in use by another search.run \(pid {holder.pid}\)"):
            RunLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()


def test_lock_of_a_killed_process_is_free_at_once(tmp_path):
    holder = _hold(tmp_path, 60)
    assert _wait_for_line(holder) == "ran"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (tmp_path / LOCK_NAME).exists()  # the dead holder's name is left behind...
    with RunLock(tmp_path) as lock:  # ...but the kernel freed its lock
        assert lock.held
    assert not (tmp_path / LOCK_NAME).exists()


def test_lock_is_released_after_an_error(tmp_path):
    with pytest.raises(RuntimeError):
        with RunLock(tmp_path):
            raise RuntimeError("trial crashed")
    assert not (tmp_path / LOCK_NAME).exists()
    with RunLock(tmp_path) as lock:
        assert lock.held


def test_two_processes_started_together_exactly_one_runs(tmp_path):
    """20 races of two processes on one fresh run directory: never both, never neither."""
    for attempt in range(20):
        run_dir, go = tmp_path / f"race{attempt}", tmp_path / f"go{attempt}"
        procs = [_hold(run_dir, 1.0, go), _hold(run_dir, 1.0, go)]
        assert [_wait_for_line(p) for p in procs] == ["ready", "ready"]
        go.touch()
        lines = [p.communicate(timeout=60)[0].strip() for p in procs]
        ran = [line for line in lines if line == "ran"]
        assert len(ran) == 1, f"attempt {attempt}: {lines}"
        refused = next(line for line in lines if line != "ran")
        assert refused.startswith("refused: run directory") and "in use by another search.run" in refused, refused


def test_a_lock_held_in_this_process_refuses_a_second_holder(tmp_path):
    with RunLock(tmp_path):
        started = time.monotonic()
        with pytest.raises(SweepError, match="in use by another search.run"):
            RunLock(tmp_path).acquire()
        assert time.monotonic() - started < 5  # refused, not waited for
