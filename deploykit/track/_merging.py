"""Merge several watches (anything with events() and stop()) into one queue, one thread each."""

from __future__ import annotations

import queue
import threading
from typing import Any


class Merged:
    def __init__(self, watches: list[Any]) -> None:
        self._watches = watches
        self._queue: queue.Queue = queue.Queue()
        for watch in watches:
            threading.Thread(target=self._pump, args=(watch,), daemon=True).start()

    def _pump(self, watch: Any) -> None:
        try:
            for event in watch.events():
                self._queue.put(event)
        except BaseException as exc:  # handed to the tracker thread, raised there
            self._queue.put(exc)

    def next(self, timeout: float) -> Any | None:
        try:
            item = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def listed(self) -> bool:
        """Whether every watch has queued its initial list (watches without the flag count as listed)."""
        return all(watch.listed.is_set() for watch in self._watches if hasattr(watch, "listed"))

    def failing(self) -> tuple[float, str] | None:
        """The longest unbroken failure to reach the server among the watches: (seconds, last error), or None."""
        failures = [f for w in self._watches if hasattr(w, "failing") and (f := w.failing()) is not None]
        return max(failures, default=None)

    @property
    def resumes(self) -> int:
        return sum(getattr(w, "resumes", 0) for w in self._watches)

    @property
    def relists(self) -> int:
        return sum(getattr(w, "relists", 0) for w in self._watches)
