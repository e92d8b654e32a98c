"""--workers N: Keras Tuner's chief/worker engine on the loopback address.

These start real worker processes (each imports Keras), so they use a tiny
sweep: 4 configurations x 1 seed x 2 epochs of a small CNN on 16 px images.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from search.sweep import keras_tuner_private as kt_private
from search.sweep.distributed import Address, device_share, requeue_trial_of
from search.sweep.prepare import prepare
from search.study import run_study as run_sweep
from rundir.errors import SweepError
from rundir.records import MACHINE, RunDirectory
from search.training.threads import machine_cores
from search.sweep.spec import load_sweep_file
from conftest import ROOT, make_image_folder, write_sweep

SWEEP = """
sweep = Sweep(
    name="par",
    data=ImageFolder({data!r}, validation_split=0.25, seed=1),
    hypermodel=DigitsCNN,
    image_size=16,
    space={{"pooling_1": ["max", "avg"], "pooling_2": ["max", "avg"]}},
    tuner="grid",
    epochs={epochs},
    seeds=1,
)
"""
PLANNED = 4


@pytest.fixture
def sweep_file(tmp_path: Path) -> Path:
    data = make_image_folder(tmp_path / "images", classes=("a", "b", "c"), per_class=24, size=16)
    return write_sweep(tmp_path / "par.py", SWEEP.format(data=str(data), epochs=2))


def _start(sweep_file: Path, out: Path, workers: int = 2) -> subprocess.Popen:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    parallel = ["--workers", str(workers)] if workers else []
    return subprocess.Popen([sys.executable, "-m", "search.run", str(sweep_file), *parallel, "--out", str(out)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _configs(records) -> list[tuple]:
    return sorted(tuple(sorted((k, v) for k, v in r.hyperparameters.items() if k.startswith(("pooling", "dropout"))))
                  for r in records)


def _worker_pid(parent: int, worker_id: str) -> int | None:
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and worker_id.encode() in argv:
            return int(proc.name)
    return None


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_two_workers_run_every_trial_once_and_match_a_single_process_run(sweep_file, tmp_path):
    proc = _start(sweep_file, tmp_path / "parallel")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    parallel = RunDirectory(tmp_path / "parallel").read_runs()

    assert len(parallel) == PLANNED and all(r.status == "completed" for r in parallel)
    assert len(set(_configs(parallel))) == PLANNED  # each configuration exactly once
    assert {r.worker for r in parallel} == {"w1", "w2"}, [r.worker for r in parallel]
    assert "chief: 2 workers on 127.0.0.1:" in err
    report = Path(out.strip().splitlines()[-1])
    assert report.name == "report.html" and report.exists()
    assert "<th>worker</th>" in report.read_text(encoding="utf-8")  # the trials table says who ran what

    single = run_sweep(prepare(load_sweep_file(sweep_file)), tmp_path / "single", quiet=True)
    assert _configs(single.records) == _configs(parallel)
    a, b = (pd.read_csv(d / "trials.csv") for d in (tmp_path / "single", tmp_path / "parallel"))
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    assert sorted(p.name for p in (tmp_path / "single").iterdir()) == sorted(
        p.name for p in (tmp_path / "parallel").iterdir())
    run = parallel[0]
    files = {p.name for p in (tmp_path / "parallel" / "trials" / run.trial_id).iterdir()}
    assert files == {"seed_0.json", "seed_0_history.csv", "seed_0_predictions.csv"}

    # Resumed in one process, the sweep keeps its workers' thread count, so a run trained again there gives
    # the same numbers (a thread count of its own used to change 1 run in 24 on the digits demo).
    threads = json.loads((tmp_path / "parallel" / "sweep.json").read_text())["threads"]
    assert threads == max(1, machine_cores() // 2) and {r.threads for r in parallel} == {threads}
    directory = RunDirectory(tmp_path / "parallel")
    for record in parallel[:2]:
        directory.write_run(replace(record, status="failed", failure=MACHINE, error="lost to the machine"))
    again = _start(sweep_file, tmp_path / "parallel", workers=0)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0 and "retrying: trial" in err, err[-3000:]
    for before, after in zip(parallel[:2], directory.read_runs()[:2]):
        assert after.worker == "main" and after.threads == threads and after.started > before.started
        assert [e["val_loss"] for e in after.history] == [e["val_loss"] for e in before.history]


def test_a_killed_worker_trial_is_rerun_and_the_sweep_resumes(sweep_file, tmp_path):
    out_dir = tmp_path / "run"
    records = RunDirectory(out_dir)
    proc = _start(sweep_file, out_dir)
    try:
        # Kill w2 while it is training: its record says running.
        held = _wait_for(lambda: next((r for r in records.read_runs() if r.worker == "w2" and r.status == "running"),
                                      None), 240, "worker w2 to start a run")
        pid = _worker_pid(proc.pid, "w2")
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-3000:]
    assert f"worker w2 killed by SIGKILL; trial {held.trial_id} goes back to the queue" in err

    runs = records.read_runs()
    assert len(runs) == PLANNED and all(r.status == "completed" for r in runs)
    assert len(set(_configs(runs))) == PLANNED
    rerun = records.read_run(held.trial_id, held.seed)
    assert rerun.worker != "w2" and rerun.started >= held.started

    # Rerunning the finished sweep (here in one process) trains nothing again.
    again = _start(sweep_file, out_dir, workers=0)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-3000:]
    assert [(r.trial_id, r.finished) for r in records.read_runs()] == [(r.trial_id, r.finished) for r in runs]


def test_a_killed_chief_stops_its_workers_and_the_rerun_finishes(sweep_file, tmp_path):
    out_dir = tmp_path / "run"
    records = RunDirectory(out_dir)
    proc = _start(sweep_file, out_dir, workers=1)  # one worker shows it; each more costs a Keras start-up
    try:
        _wait_for(lambda: sum(r.status == "completed" for r in records.read_runs()) >= 2, 240, "two finished runs")
        workers = [_worker_pid(proc.pid, "w1")]
        assert workers[0] is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Workers notice their chief is gone instead of waiting on it.
        _wait_for(lambda: all(p is None or not Path(f"/proc/{p}").exists() or
                              "Z" in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
                              for p in workers), 30, "the workers to exit")
    finally:
        proc.kill()
    before = {(r.trial_id, r.seed): r.finished for r in records.read_runs() if r.status == "completed"}
    assert before

    again = _start(sweep_file, out_dir, workers=0)  # the rerun, in one process
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-3000:]
    runs = records.read_runs()
    assert len(runs) == PLANNED and all(r.status == "completed" for r in runs)
    assert len(set(_configs(runs))) == PLANNED
    after = {(r.trial_id, r.seed): r.finished for r in runs}
    assert {k: after[k] for k in before} == before  # finished runs were reused, not trained again


def test_requeue_gives_a_dead_workers_trial_to_the_next_worker(sweep_file, tmp_path):
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    hp.Choice("pooling_1", ["max", "avg"])
    oracle = keras_tuner.oracles.GridSearchOracle(objective="val_accuracy", hyperparameters=hp)
    kt_private.set_project_dir(oracle, tmp_path, "tuner")
    held = oracle.create_trial("w1")
    assert requeue_trial_of(oracle, "w1") == held.trial_id
    assert "w1" not in oracle.ongoing_trials and "w1" not in oracle.tuner_ids
    assert oracle.create_trial("w2").trial_id == held.trial_id
    assert requeue_trial_of(oracle, "w9") is None


def test_device_share_gives_the_sweeps_cpu_threads_and_splits_gpus():
    cpu = device_share(0, 2, gpus=0, cpu_threads=3)
    assert cpu["OMP_NUM_THREADS"] == cpu["TF_NUM_INTRAOP_THREADS"] == "3"
    assert device_share(3, 4, gpus=2, cpu_threads=1)["CUDA_VISIBLE_DEVICES"] == "1"
    one_gpu = device_share(1, 4, gpus=1, cpu_threads=1)
    assert "CUDA_VISIBLE_DEVICES" not in one_gpu and float(one_gpu["XLA_PYTHON_CLIENT_MEM_FRACTION"]) < 0.25


@pytest.mark.parametrize("argv, message", [
    (["--workers", "-1"], "--workers must be 0 or more"),
    (["--worker", "localhost:1", "--workers", "2"], "cannot be combined"),
    (["--worker-id", "x"], "use it with --worker"),
    (["--chief", "nowhere"], "--chief wants HOST:PORT"),
])
def test_bad_parallel_flags_are_one_line_errors(sweep_file, tmp_path, capsys, argv, message):
    from search.run import main

    assert main([str(sweep_file), "--out", str(tmp_path / "o"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_worker_without_a_chief_says_so():
    from search.sweep import distributed
    with pytest.raises(SweepError, match="no chief answered at 127.0.0.1:9"):
        distributed.wait_for_chief(Address("127.0.0.1", 9), timeout=1)


def test_a_chief_serves_a_worker_started_by_hand(sweep_file, tmp_path):
    """The several-machines set-up, both ends on this machine: --chief and --worker."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out_dir = tmp_path / "run"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    common = [sys.executable, "-m", "search.run", str(sweep_file), "--out", str(out_dir), "--max-trials", "3"]
    chief = subprocess.Popen([*common, "--chief", f"127.0.0.1:{port}", "--no-report"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        worker = subprocess.run([*common, "--worker", f"127.0.0.1:{port}", "--worker-id", "box-1"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=300)
        assert worker.returncode == 0, worker.stderr[-3000:]
        _, err = chief.communicate(timeout=120)
    finally:
        chief.kill()
    assert chief.returncode == 0, err[-3000:]
    runs = RunDirectory(out_dir).read_runs()
    assert len(runs) == 3 and {r.worker for r in runs} == {"box-1"} and all(r.status == "completed" for r in runs)
    assert "[box-1]" in err and "worker done: 3 runs" in worker.stderr
