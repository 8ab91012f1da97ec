"""How tracking looks while it runs: one line-oriented stream (CI), or a live table on a TTY.

Printers only format; the caller's `write` decides where lines go (the CLI's
redacting stdout). Nothing here talks to the cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from deploykit.track.verdicts import PodProblem, Verdict


class Printer(Protocol):
    def progress(self, name: str, verdict: Verdict) -> None: ...
    def warning_event(self, subject: str, reason: str, message: str) -> None: ...
    def log_line(self, pod: str, container: str, line: str) -> None: ...
    def failure(self, name: str, verdict: Verdict, logs: dict[str, list[str]]) -> None: ...
    def done(self, ok: bool, summary: str) -> None: ...


class LinePrinter:
    """Plain lines with the elapsed time: what CI logs show."""

    def __init__(self, write: Callable[[str], None], *, clock: Callable[[], float] = time.monotonic) -> None:
        self.write = write
        self.clock = clock
        self.start = clock()

    def _line(self, text: str) -> None:
        self.write(f"[{self.clock() - self.start:6.1f}s] {text}")

    def progress(self, name: str, verdict: Verdict) -> None:
        progress = f" {verdict.progress}" if verdict.progress else ""
        self._line(f"{name}{progress}: {verdict.phase.value}: {verdict.reason}")

    def warning_event(self, subject: str, reason: str, message: str) -> None:
        self._line(f"Warning {reason} {subject}: {message}")

    def log_line(self, pod: str, container: str, line: str) -> None:
        self.write(f"  {pod}/{container} | {line}")

    def failure(self, name: str, verdict: Verdict, logs: dict[str, list[str]]) -> None:
        self._line(f"FAILED {name}: {verdict.reason}")
        others = [p for p in verdict.problems if p.describe() != verdict.reason]
        if others:
            self.write("  also:")
        for problem in others[:5]:
            self.write(f"  - {problem.describe()}")
        for source, lines in logs.items():
            self.write(f"  last log lines of {source}:")
            for line in lines:
                self.write(f"    {line}")

    def done(self, ok: bool, summary: str) -> None:
        self._line(("OK: " if ok else "tracking failed: ") + summary)


class TablePrinter(LinePrinter):
    """On a TTY: a table of resources redrawn in place, with events and logs scrolling above it."""

    def __init__(self, write: Callable[[str], None], *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(write, clock=clock)
        self.rows: dict[str, Verdict] = {}
        self.drawn = 0

    def _erase(self) -> None:
        if self.drawn:
            self.write(f"\x1b[{self.drawn}A\x1b[J" + "\x1b[1A")
            self.drawn = 0

    def _draw(self) -> None:
        width = max((len(n) for n in self.rows), default=10)
        lines = [f"{'RESOURCE'.ljust(width)}  {'STATUS':<10}  PROGRESS"]
        for name, verdict in self.rows.items():
            lines.append(f"{name.ljust(width)}  {verdict.phase.value:<10}  {verdict.progress or verdict.reason}")
        self.write("\n".join(lines))
        self.drawn = len(lines)

    def progress(self, name: str, verdict: Verdict) -> None:
        self._erase()
        self.rows[name] = verdict
        self._draw()

    def _above(self, emit: Callable[[], None]) -> None:
        self._erase()
        emit()
        self._draw()

    def warning_event(self, subject: str, reason: str, message: str) -> None:
        self._above(lambda: LinePrinter.warning_event(self, subject, reason, message))

    def log_line(self, pod: str, container: str, line: str) -> None:
        self._above(lambda: LinePrinter.log_line(self, pod, container, line))

    def failure(self, name: str, verdict: Verdict, logs: dict[str, list[str]]) -> None:
        self.drawn = 0
        LinePrinter.failure(self, name, verdict, logs)


def problem_sources(problems: tuple[PodProblem, ...]) -> list[tuple[str, str | None, bool]]:
    """(pod, container, previous) whose logs explain a failure; crash loops read the crashed attempt."""
    seen, sources = set(), []
    for problem in problems:
        key = (problem.pod, problem.container)
        if key in seen or problem.container is None and problem.reason == "Unschedulable":
            continue
        seen.add(key)
        sources.append((problem.pod, problem.container, problem.reason == "CrashLoopBackOff" or problem.restarts > 0))
    return sources[:3]
