"""Bounds on one render: how long it may take and how much text its templates may produce.

Owns `RenderLimits` (defaults: 60 s, 64 MiB of text per release), the
watchdog that stops a render past its deadline, and the output budget that
every template's output (Jinja's `concat`) and every `*` of a string or list
are held to.

The deadline costs nothing while templates run: no check in every loop
iteration, which would slow every render. A timer thread raises
`RenderTimeout` in the rendering thread when the deadline passes (CPython's
PyThreadState_SetAsyncExc, delivered between two bytecodes, so any Jinja loop
stops). It cannot interrupt one long C call; the output budget bounds the
ones a template can make (`'x' * 10**10` is refused before it is made).
The stops derive from BaseException so that no `except Exception` in Jinja
or a helper swallows them; the render turns them into a located problem.

Must not: read flags or the environment (the release layer does), or print.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from deploykit.frozen import frozen

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024
# Output is measured per batch of chunks: a few hundred chunks of a loop, not each one.
_BATCH = 256


@frozen
class RenderLimits:
    """How long one render may take (seconds) and how many characters its templates may produce in all."""

    timeout: float = DEFAULT_TIMEOUT
    max_output: int = DEFAULT_MAX_OUTPUT


class RenderStopped(BaseException):
    """A render went past one of its limits; `message` says which."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class RenderTimeout(RenderStopped):
    """Raised in the rendering thread by the watchdog when the deadline passes."""


class OutputTooLarge(RenderStopped):
    """The templates produced, or were about to make, more text than the output limit."""


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def refuse(self, size: int, what: str) -> None:
        if self.used + size > self.limit:
            raise OutputTooLarge(f"{what} more than {self.limit:,} characters, the render output limit")


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("deploykit_render_budget", default=None)


def concat(chunks: Iterable[str]) -> str:
    """Jinja's `concat` ("".join) held to the render's output budget; a generator is measured as it runs."""
    if type(chunks) is list:
        # A macro's or block's buffer: made already, and measured with the output of the template using it.
        return "".join(chunks)
    budget = _budget.get()
    if budget is None:
        return "".join(chunks)
    iterator = iter(chunks)
    head = list(itertools.islice(iterator, _BATCH))
    # Most templates end within one batch: then this costs little more than "".join.
    text = "".join(head) if len(head) < _BATCH else "".join(_measured(head, iterator, budget))
    if len(text) > budget.limit - budget.used:
        budget.refuse(len(text), "the templates rendered")
    return text


def _measured(head: list[str], chunks: Iterator[str], budget: _Budget) -> Iterator[str]:
    batch = head
    size = 0
    while batch:
        text = "".join(batch)
        size += len(text)
        budget.refuse(size, "the templates rendered")
        yield text
        batch = list(itertools.islice(chunks, _BATCH))


def check_repeat(left: Any, right: Any) -> None:
    """Refuse `text * n` (or `list * n`) whose result would not fit the output budget, before it is made."""
    budget = _budget.get()
    if budget is None:
        return
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) and not isinstance(count, bool):
            size = len(sequence) * count
            if size > budget.limit - budget.used:
                raise OutputTooLarge(
                    f"`*` would make a {type(sequence).__name__} of {size:,} "
                    f"{'characters' if isinstance(sequence, str) else 'items'}, above the render output limit "
                    f"({budget.limit:,} characters)"
                )


def charge(size: int, *, template: str) -> None:
    """Count a template's output against the release's budget."""
    budget = _budget.get()
    if budget is not None:
        if budget.used + size > budget.limit:
            budget.refuse(size, f"with {template}, the templates rendered")
        budget.used += size


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    import ctypes  # only when a render runs past its time: most processes never need it

    # None drops an exception set but not yet delivered.
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception is not None else None
    )


class _Watchdog:
    """Raises RenderTimeout in the thread that armed it, unless disarmed before `timeout` seconds."""

    def __init__(self, timeout: float) -> None:
        self.thread_id = threading.get_ident()
        self.lock = threading.Lock()
        self.armed = True
        self.fired = False
        self.timer = threading.Timer(timeout, self._fire)
        self.timer.daemon = True

    def _fire(self) -> None:
        with self.lock:
            if self.armed:
                self.fired = True
                _raise_in(self.thread_id, RenderTimeout)

    def disarm(self) -> None:
        self.timer.cancel()
        with self.lock:
            self.armed = False
            if self.fired:
                _raise_in(self.thread_id, None)


@contextmanager
def bounded(limits: RenderLimits) -> Iterator[None]:
    """Run a render under `limits`: RenderTimeout past the deadline, OutputTooLarge past the output budget.

    A RenderTimeout arrives bare (the watchdog cannot give it a message): the caller says what the limit was.
    """
    token = _budget.set(_Budget(limits.max_output))
    watchdog = _Watchdog(limits.timeout)
    watchdog.timer.start()
    try:
        yield
    finally:
        watchdog.disarm()
        _budget.reset(token)
