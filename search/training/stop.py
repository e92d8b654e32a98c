"""Stopping a sweep on a signal, at a safe point, so that no run is recorded as failed by it.

A Python signal handler that raises runs wherever the interpreter happens
to be. Inside TensorFlow's tracing of a model's first step that exception
is replaced by another (`SystemError`, "Nesting violated for default stack
of FuncGraph"), the run is recorded as failed, and TensorFlow's graph
stack can stay broken for every later run of the process (issue 40).

So the first SIGINT or SIGTERM only records that a stop was asked
(`request`). The project's own code then raises `Interrupted` at the next
safe point: between two batches or epochs (`search.training.callbacks.
StopAtSafePoint`), before a run starts, after a model is built, between
rounds. No Keras here: the command line installs the handlers before it
loads a backend.
Any exception that surfaces while a stop is pending is taken for the
interrupt, never for the run's failure (`raise_if_pending`). A second
signal stops at once, as the default handlers do.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import Iterator

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal's number, as a shell reports it

_pending: int | None = None


class Interrupted(KeyboardInterrupt):
    """A stop asked by SIGINT (Ctrl-C) or SIGTERM (a scheduler, `kill`), raised at a safe point."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def terminated(self) -> bool:
        return self.signum == signal.SIGTERM

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.signum, 130)


def request(signum: int) -> None:
    """Record a stop (the signal handler's whole job on a first signal)."""
    global _pending
    _pending = signum


def pending() -> int | None:
    """The signal of the stop asked for, or None."""
    return _pending


def clear() -> None:
    global _pending
    _pending = None


def check() -> None:
    """A safe point: raise `Interrupted` if a stop was asked."""
    if _pending is not None:
        raise Interrupted(_pending)


def raise_if_pending(exc: BaseException) -> None:
    """In an `except` of a run: an exception that surfaced while a stop was pending is the interrupt (a signal
    landing in TensorFlow comes out as some other error), so raise `Interrupted` instead of failing the run."""
    if _pending is not None:
        raise Interrupted(_pending) from exc


def _handle(signum, frame) -> None:
    if _pending is not None:  # the second signal: stop now
        raise Interrupted(signum)
    request(signum)
    name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    print(f"\n{name}: stopping at the next safe point (between batches); finished runs are kept. "
          f"{name} again stops at once.", file=sys.stderr, flush=True)


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """SIGINT and SIGTERM recorded, not raised, while the block runs (main thread only); the handlers it
    found come back after it. A stop still pending when the block ends is dropped: a signal after the
    sweep's work is done changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    clear()
    previous = {s: signal.signal(s, _handle) for s in EXIT_CODES}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        clear()
