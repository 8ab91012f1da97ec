"""State that survives a restart: debounced, atomic JSON snapshots of the store.

Owns `<state dir>/state.json` (mode 0600): every object and the
resourceVersion counter, written at most every `delay` seconds after a change
(and at stop) through a temporary file, fsync and rename, so a crash leaves
the previous snapshot whole. Loading restores the objects and re-registers
CRDs before the server listens. Watch history does not survive: a watch that
resumes from an older resourceVersion gets 410 Gone and relists, as after an
etcd compaction. Secrets are kept as the API holds them (base64, not
encrypted), like an etcd without encryption at rest: point `--state` only at
a private directory. Must not change objects.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
from typing import Any

from deploykit.sim import store as store_mod

FILE = "state.json"
FORMAT = 1


class Snapshots:
    def __init__(self, store: store_mod.Store, directory: str | os.PathLike[str], *, delay: float = 0.5) -> None:
        self.store = store
        self.path = pathlib.Path(directory) / FILE
        self.delay = delay
        self._saved_writes = -1
        self._timer: asyncio.TimerHandle | None = None
        self._unsubscribe: Any = None
        self._saving: asyncio.Future[None] | None = None

    def load(self, api: Any) -> bool:
        """Restore the store from the snapshot if there is one; True if it was."""
        if not self.path.exists():
            return False
        try:
            snapshot = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"cannot read simulator state {self.path}: {exc}") from exc
        if snapshot.get("format") != FORMAT:
            raise RuntimeError(f"simulator state {self.path} has format {snapshot.get('format')}, expected {FORMAT}")
        self.store.restore(snapshot)
        for crd in self.store.list(("apiextensions.k8s.io", "customresourcedefinitions")):
            api.register_crd(crd)
        self._saved_writes = self.store.writes
        return True

    def start(self) -> None:
        self._unsubscribe = self.store.subscribe(self._changed)

    def _changed(self, event: store_mod.Event) -> None:
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self._saving is not None and not self._saving.done():
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._fire)
            return
        self._saving = asyncio.ensure_future(self.save())

    async def save(self) -> None:
        if self.store.writes == self._saved_writes:
            return
        snapshot = self.store.snapshot()  # stored objects are never mutated: safe to encode off-loop
        snapshot["format"] = FORMAT
        writes = self.store.writes
        await asyncio.get_running_loop().run_in_executor(None, write_atomically, self.path, snapshot)
        self._saved_writes = writes

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._saving is not None:
            await self._saving
        await self.save()


def write_atomically(path: pathlib.Path, snapshot: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(snapshot, fh, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
