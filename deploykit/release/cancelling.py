"""Cancelling a deploy with SIGTERM (a cancelled CI job) or SIGINT (Ctrl-C), in whichever thread it runs.

The deploy commands (upgrade, install, rollback, pipeline run) run inside
`handling()`. The first SIGTERM or SIGINT only marks the run cancelled: the
handler raises nothing, so no request, record write or report file is cut
in the middle. Each deploy, in the main thread or in a stage's worker
threads, stops at its next safe point (`check()`: the start of each phase,
after each group of applied objects, every turn of the tracker's loop, the
lock wait) by raising `Cancelled`; the engine then rolls back what it had
applied. A rollback runs `shielded()`: no safe point stops it. Later signals
are remembered but change nothing, so the rollback finishes even when a CI
sends SIGTERM again or SIGINT then SIGTERM (GitHub); only SIGKILL stops it,
and the next run recovers from that as from any kill. The command exits
128 + the first signal (`received()`).

Must not: print (a signal handler that writes can break a write under way) or
exit the process (the CLI does, once the rollback is over).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Cancelled(BaseException):
    """SIGTERM or SIGINT arrived while deploying (a cancelled CI job, Ctrl-C): roll back, then exit 128 + signum."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"cancelled by {name(signum)}")
        self.signum = signum

    @property
    def name(self) -> str:
        return name(self.signum)


def name(signum: int) -> str:
    """SIGTERM, SIGINT: how messages and reports name a signal."""
    return signal.Signals(signum).name


class _State:
    def __init__(self) -> None:
        self.signum: int | None = None  # the first signal; later ones change nothing
        self.local = threading.local()  # .shielded: depth of `shielded()` blocks in this thread


_state = _State()


def received() -> int | None:
    """The first signal that cancelled this run, if one did."""
    return _state.signum


def check() -> None:
    """A safe point: raise `Cancelled` if the run was cancelled, unless this thread is rolling back."""
    if _state.signum is not None and not getattr(_state.local, "shielded", 0):
        raise Cancelled(_state.signum)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """No safe point in this thread stops the block (a rollback, the records it writes)."""
    _state.local.shielded = getattr(_state.local, "shielded", 0) + 1
    try:
        yield
    finally:
        _state.local.shielded -= 1


def _on_signal(signum: int, _frame: Any) -> None:
    if _state.signum is None:
        _state.signum = signum


@contextlib.contextmanager
def handling() -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT cancel the run at its next safe point; the previous handlers after.

    Called from the main thread (the only one that may set handlers); elsewhere the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.signum = None  # a new run (tests run several in one process)
    previous = {signum: signal.signal(signum, _on_signal) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
