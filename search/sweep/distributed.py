"""Several trials at once, on Keras Tuner's own chief/worker engine.

Keras Tuner already distributes a search: a chief serves the oracle over gRPC
(`OracleServicer`) and workers, told where by `KERASTUNER_ORACLE_IP/PORT` and
who they are by `KERASTUNER_TUNER_ID`, pull trials from it (`OracleClient`).
This module only owns the processes around that engine:

- `serve_oracle` starts Keras Tuner's servicer for the chief's oracle;
- `LocalWorkers` starts N `python -m search.run --worker` processes on the
  loopback address, each with its share of the machine, and notices when one
  dies, so that its trial goes back to the oracle's retry queue
  (`requeue_trial_of`) and a replacement takes over;
- `RecordWatcher` turns the records the workers write into the run directory
  into one combined progress display.

Workers write their records straight into the shared run directory (each run
has its own file, written atomically), so the chief's report and a resume see
exactly what a single-process run would have left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

from rundir.errors import SweepError
from rundir.records import RunDirectory, RunRecord
from search.training import threads

LOOPBACK = "127.0.0.1"
CHIEF_PID_ENV = "SEARCH_CHIEF_PID"


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str, flag: str) -> "Address":
        host, sep, port = text.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise SweepError(f"{flag} wants HOST:PORT (for example 10.0.0.5:8000), got {text!r}")
        return cls(host, int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def worker_environment(address: Address, worker_id: str) -> dict[str, str]:
    """The variables Keras Tuner reads to make a tuner a worker of a chief."""
    return {
        "KERASTUNER_TUNER_ID": worker_id,
        "KERASTUNER_ORACLE_IP": address.host,
        "KERASTUNER_ORACLE_PORT": str(address.port),
    }


# -- the chief ----------------------------------------------------------------


@dataclass
class OracleServer:
    server: object  # grpc.Server
    servicer: object  # keras_tuner OracleServicer
    address: Address

    @property
    def stop_triggered(self) -> bool:
        """True once the oracle has told some worker that the search is over."""
        return bool(self.servicer.stop_triggered)

    def stop(self) -> None:
        self.server.stop(grace=2).wait()


def serve_oracle(oracle, host: str, port: int = 0) -> OracleServer:
    """Serve `oracle` with Keras Tuner's own gRPC servicer; port 0 picks a free one."""
    import grpc

    from search.sweep import keras_tuner_private as kt_private
    # One thread, as in Keras Tuner's start_server: oracle calls are serialised anyway.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    servicer = kt_private.oracle_servicer(oracle)
    kt_private.add_servicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if not bound:
        raise SweepError(f"cannot listen on {host}:{port} for workers (address in use or not this machine's)")
    server.start()
    return OracleServer(server, servicer, Address(host, bound))


class RoundOracle:
    """What the chief serves: the current round's oracle, and a wait between rounds.

    A round's grid oracle says STOPPED once its grid is handed out, and
    Keras Tuner's worker loop exits on STOPPED. Until the chief has decided
    from the records whether another round of seeds follows, a worker is
    told IDLE instead (it asks again half a second later, see
    PatientClient), and then gets the next round's trials from the oracle
    `switch` installs. Only `finish` lets STOPPED through.
    """

    def __init__(self, oracle):
        self._oracle = oracle
        self._lock = threading.Lock()
        self._handed_out = False  # the current round's oracle has said STOPPED to some worker
        self.finished = False  # no round follows: STOPPED reaches the workers

    def __getattr__(self, name):
        return getattr(self._oracle, name)

    def create_trial(self, tuner_id):
        from keras_tuner.engine.trial import TrialStatus

        with self._lock:
            trial = self._oracle.create_trial(tuner_id)
            if trial.status == TrialStatus.STOPPED and not self.finished:
                self._handed_out = True
                trial.status = TrialStatus.IDLE
            return trial

    def round_over(self) -> bool:
        """Every trial of the current round handed out and ended (none running, none to retry)."""
        from search.sweep import keras_tuner_private as kt_private
        with self._lock:
            oracle = self._oracle
            return (not self.finished and self._handed_out and not oracle.ongoing_trials
                    and not kt_private.retry_queue(oracle))

    def switch(self, oracle) -> None:
        """Serve the next round's oracle."""
        with self._lock:
            self._oracle, self._handed_out = oracle, False

    def finish(self) -> None:
        """No round follows: workers get STOPPED and exit."""
        with self._lock:
            self.finished = True


def search_finished(oracle) -> bool:
    """Keras Tuner's own test for a chief to exit (its private `exit_chief`,
    restated on public attributes): nothing running, no worker registered."""
    return not oracle.ongoing_trials and not oracle.tuner_ids


def requeue_trial_of(oracle, worker_id: str) -> str | None:
    """Give a dead worker's trial back to the oracle's retry queue.

    This is what Keras Tuner itself does with every running trial when an
    oracle is reloaded after a crash; here it happens while the others go on.
    Runs already finished for that trial are reused from disk, the
    interrupted one is trained again.
    """
    from keras_tuner import synchronized

    from search.sweep import keras_tuner_private as kt_private
    @synchronized
    def requeue(oracle, worker_id):
        oracle.tuner_ids.discard(worker_id)
        trial = oracle.ongoing_trials.pop(worker_id, None)
        if trial is None:
            return None
        kt_private.requeue(oracle, trial.trial_id)
        oracle.save()
        return trial.trial_id

    return requeue(oracle, worker_id)


# -- a worker ---------------------------------------------------------------------


def wait_for_chief(address: Address, timeout: float = 300.0) -> None:
    """Fail with one line if no chief answers, instead of Keras Tuner's hour-long wait."""
    import grpc

    channel = grpc.insecure_channel(str(address))
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        raise SweepError(f"no chief answered at {address} within {timeout:.0f} s; start it first with "
                         f"--chief {address}, or check the address and firewall") from None
    finally:
        channel.close()


class PatientClient:
    """Keras Tuner's worker loop asks again at once while the oracle answers
    IDLE (the last trials are running elsewhere); this asks twice a second,
    so an idle worker does not spin a core the busy ones need."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def create_trial(self, tuner_id):
        trial = self._client.create_trial(tuner_id)
        if trial.status == "IDLE":
            time.sleep(0.5)
        return trial


# -- local worker processes ----------------------------------------------------


def device_share(index: int, workers: int, gpus: int, cpu_threads: int) -> dict[str, str]:
    """Environment giving worker `index` (0-based) its share of the machine.

    Several GPUs: one worker per GPU in turn (CUDA_VISIBLE_DEVICES). One GPU:
    the workers share it, TensorFlow growing its memory as needed and JAX
    taking a fraction each instead of its default 75%. CPU only: the
    sweep's `cpu_threads` per run (search.sweep.thread_plan), which at the
    sweep's start were the cores shared among its workers.
    """
    env: dict[str, str] = {}
    if gpus > 1:
        env["CUDA_VISIBLE_DEVICES"] = str(index % gpus)
    sharing = workers if gpus <= 1 else -(-workers // gpus)
    if gpus >= 1:
        env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        env["XLA_PYTHON_CLIENT_MEM_FRACTION"] = f"{0.9 / sharing:.3f}"
    else:
        env.update(threads.environment(cpu_threads))
    return env


@dataclass
class WorkerProcess:
    worker_id: str
    process: subprocess.Popen
    reported: bool = False  # its death has been dealt with


@dataclass
class LocalWorkers:
    """N worker processes on this machine, each `python -m search.run --worker`."""

    command: list[str]  # the search.run arguments shared by every worker
    address: Address
    count: int
    cpu_threads: int  # each run's intra-op threads: sweep.json's `threads`
    gpus: int = 0
    restarts_left: int = 0
    workers: list[WorkerProcess] = field(default_factory=list)
    _next: int = 0

    def __post_init__(self):
        self.restarts_left = self.count

    def start(self) -> None:
        for _ in range(self.count):
            self.spawn()

    def spawn(self) -> WorkerProcess:
        index = self._next
        self._next += 1
        worker_id = f"w{index + 1}"
        env = dict(os.environ)
        env.update(worker_environment(self.address, worker_id))
        env.update(device_share(index, self.count, self.gpus, self.cpu_threads))
        env[CHIEF_PID_ENV] = str(os.getpid())
        argv = [sys.executable, "-m", "search.run", *self.command,
                "--worker", str(self.address), "--worker-id", worker_id, "--quiet"]
        # Their own session: Ctrl-C reaches the chief only, which then stops
        # them (a worker interrupted while still importing would print a traceback).
        process = subprocess.Popen(argv, env=env, start_new_session=True)
        worker = WorkerProcess(worker_id, process)
        self.workers.append(worker)
        return worker

    def alive(self) -> list[WorkerProcess]:
        return [w for w in self.workers if w.process.poll() is None]

    def newly_dead(self) -> list[WorkerProcess]:
        """Workers that ended badly since the last call (killed or crashed)."""
        dead = []
        for w in self.workers:
            code = w.process.poll()
            if code is not None and code != 0 and not w.reported:
                w.reported = True
                dead.append(w)
        return dead

    def failed_codes(self) -> list[tuple[str, int]]:
        return [(w.worker_id, w.process.returncode) for w in self.workers
                if w.process.returncode not in (None, 0)]

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every live worker to stop, then make sure it has."""
        for w in self.alive():
            try:
                w.process.send_signal(signal.SIGTERM)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for w in self.workers:
            try:
                w.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                w.process.kill()
                w.process.wait()


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def exit_with_chief() -> None:
    """In a local worker: end this process when the chief that started it is gone.

    Otherwise a chief killed with SIGKILL would leave workers waiting an hour
    (Keras Tuner's gRPC timeout) for an oracle that no longer exists.
    """
    chief = os.environ.get(CHIEF_PID_ENV)
    if not chief:
        return

    def watch():
        while True:
            if os.getppid() != int(chief):
                os._exit(3)
            time.sleep(1.0)

    threading.Thread(target=watch, daemon=True, name="chief-watch").start()


# -- combined progress -----------------------------------------------------------


@dataclass
class RecordWatcher:
    """Finished run records appearing in a run directory, each reported once.

    Only files whose modification time changed are parsed, so polling a
    sweep of thousands of runs stays cheap.
    """

    records: RunDirectory
    _seen: dict[Path, float] = field(default_factory=dict)
    _done: set[tuple[str, int]] = field(default_factory=set)

    def new_finished(self) -> list[RunRecord]:
        fresh = []
        for path in self.records.record_paths():
            try:
                mtime = path.stat().st_mtime_ns
            except OSError:
                continue
            if self._seen.get(path) == mtime:
                continue
            self._seen[path] = mtime
            record = self.records.read_record(path)
            if record is None or record.status not in ("completed", "failed"):
                continue
            key = record.key
            if key not in self._done:
                self._done.add(key)
                fresh.append(record)
        return fresh
