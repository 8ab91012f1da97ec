"""The controller pattern: keys queued from store changes, reconciled on the loop, timers for delays.

Owns what every simulated controller shares: the `Context` (internal API,
timing, event recorder, log book), subscribing to the store collections a
controller cares about and turning each change into the key of the object to
reconcile (an owned object's change wakes its controlling owner), a
de-duplicating queue drained on the next loop iteration (never inside the
store's notification, which must not write), delayed re-queues for the
timers of the simulation (readiness delays, back-off, progress deadlines),
and keeping a controller alive when one reconcile fails: API conflicts are
retried shortly, anything else is logged and retried later. Level-triggered:
`reconcile` looks at the current state and does the next step, so running it
too often is harmless.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any, Iterable

from deploykit.sim import statuses
from deploykit.sim import store as store_mod
from deploykit.sim.controllers import events, logs, objects
from deploykit.sim.controllers import timing as timing_mod

log = logging.getLogger("deploykit.sim")

Key = tuple[str, str]  # (namespace, name)
CONFLICT_RETRY = 0.02
ERROR_RETRY = 1.0


@dataclasses.dataclass
class Context:
    """What every simulated component works with."""

    api: Any
    timing: timing_mod.Timing
    recorder: events.Recorder
    logbook: logs.LogBook

    def now(self) -> float:
        return self.api.clock()

    def rt(self, group: str, version: str, plural: str) -> Any:
        rt = self.api.registry.lookup(group, version, plural)
        assert rt is not None, (group, version, plural)
        return rt


class Controller:
    """Base of the simulated controllers; subclasses set `resource` and write `reconcile`."""

    resource: tuple[str, str, str] = ("", "v1", "pods")  # (group, version, plural) of the reconciled objects
    owned: tuple[tuple[str, str, str], ...] = ()  # collections whose objects wake their controlling owner
    manager = "kube-controller-manager"
    component = "controller"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.api = ctx.api
        self.store = ctx.api.store
        self.timing = ctx.timing
        self.rt = ctx.rt(*self.resource)
        self._pending: dict[Key, None] = {}
        self._scheduled = False
        self._timers: dict[Key, tuple[float, asyncio.TimerHandle]] = {}
        self._unsubscribe: list[Any] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = False
        self._due: dict[Key, float] = {}

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._unsubscribe.append(self.store.subscribe(self._observe, self.rt.key))
        for group, version, plural in self.owned:
            self._unsubscribe.append(self.store.subscribe(self._observe, self.ctx.rt(group, version, plural).key))
        for obj in self.store.list(self.rt.key):
            meta = obj["metadata"]
            self.enqueue((meta.get("namespace", ""), meta["name"]))

    def stop(self) -> None:
        self._stopped = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        for _, handle in self._timers.values():
            handle.cancel()
        self._timers.clear()

    # --- queueing -------------------------------------------------------------------------------------

    def _observe(self, event: store_mod.Event) -> None:
        # Runs inside the store's write: it may only queue, and must never fail the writer.
        try:
            if event.type == store_mod.DELETED and event.key == self.rt.key:
                self.forget(event.obj["metadata"].get("uid", ""))
            for key in self.keys_for(event):
                self.enqueue(key)
        except Exception:  # noqa: BLE001
            log.exception("%s: observing a change failed", self.component)

    def keys_for(self, event: store_mod.Event) -> Iterable[Key]:
        """Keys to reconcile after a change: the object itself, or the owner it names as controller."""
        meta = event.obj["metadata"]
        if event.key == self.rt.key:
            yield meta.get("namespace", ""), meta["name"]
            return
        ref = objects.controller_of(event.obj)
        if ref is not None and ref.get("kind") == self.rt.kind:
            yield meta.get("namespace", ""), ref["name"]

    def enqueue(self, key: Key) -> None:
        if self._stopped:
            return
        self._pending[key] = None
        if not self._scheduled and self._loop is not None:
            self._scheduled = True
            self._loop.call_soon(self._drain)

    def enqueue_after(self, key: Key, delay: float) -> None:
        """Reconcile `key` again in `delay` real seconds (the earliest of several requests wins)."""
        if self._stopped or self._loop is None:
            return
        if delay <= 0:
            self.enqueue(key)
            return
        when = self._loop.time() + delay
        current = self._timers.get(key)
        if current is not None:
            if current[0] <= when:
                return
            current[1].cancel()
        self._timers[key] = (when, self._loop.call_at(when, self._fire, key))

    def _fire(self, key: Key) -> None:
        self._timers.pop(key, None)
        self.enqueue(key)

    def _drain(self) -> None:
        self._scheduled = False
        batch, self._pending = list(self._pending), {}
        for key in batch:
            if self._stopped:
                return
            try:
                again = self.reconcile(*key)
            except statuses.ApiError as exc:
                if exc.code not in (404, 409):
                    log.warning("%s: %s/%s: %s", self.component, key[0], key[1], exc.message)
                again = CONFLICT_RETRY if exc.code == 409 else ERROR_RETRY
            except Exception:  # noqa: BLE001 - a controller must survive its own bugs
                log.exception("%s: reconciling %s/%s failed", self.component, *key)
                again = ERROR_RETRY
            if again is not None:
                self.enqueue_after(key, again)

    # --- the work ------------------------------------------------------------------------------------

    def reconcile(self, namespace: str, name: str) -> float | None:
        """Move the object one step towards its spec; return real seconds until it must look again."""
        raise NotImplementedError

    def forget(self, uid: str) -> None:
        """An object of `resource` is gone for good: drop what the controller remembers about it."""

    # --- helpers --------------------------------------------------------------------------------------

    def live(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.store.get(self.rt.key, namespace, name)

    def write_status(self, obj: dict[str, Any], status: dict[str, Any], *,
                     metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """PUT obj/status with `status` (and changed annotations where the kind allows); no-op when equal."""
        if obj.get("status") == status and metadata is None:
            return obj
        body = dict(obj, status=status)
        if metadata is not None:
            body["metadata"] = metadata
        meta = obj["metadata"]
        result = self.api.update(self.rt, meta.get("namespace"), meta["name"], body, manager=self.manager,
                                 subresource="status")
        return result.obj

    def delay(self, key: Key, seconds: float) -> float | None:
        """Real seconds left before acting on `key`, counted from the first call; None once they passed."""
        now = self.ctx.now()
        due = self._due.setdefault(key, now + seconds)
        if due > now:
            return due - now
        del self._due[key]
        return None

    def delaying(self, key: Key) -> bool:
        return key in self._due

    def forget_delay(self, key: Key) -> None:
        self._due.pop(key, None)

    def event(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> None:
        self.ctx.recorder.emit(obj, type_, reason, message, component=self.component)

    def create_pod(self, owner: dict[str, Any], pod: dict[str, Any]) -> statuses.ApiError | None:
        """Create one of `owner`'s pods and record SuccessfulCreate, or FailedCreate and return the refusal."""
        try:
            created = self.api.create(self.ctx.rt("", "v1", "pods"), owner["metadata"]["namespace"], pod,
                                      manager=self.manager).obj
        except statuses.ApiError as exc:
            self.event(owner, events.WARNING, "FailedCreate", f"Error creating: {exc.message}")
            return exc
        self.event(owner, events.NORMAL, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return None

    def delete_pod(self, owner: dict[str, Any], pod: dict[str, Any]) -> bool:
        """Delete one of `owner`'s pods (gracefully) and record SuccessfulDelete; False if it was gone."""
        meta = pod["metadata"]
        try:
            self.api.delete(self.ctx.rt("", "v1", "pods"), meta["namespace"], meta["name"])
        except statuses.ApiError:
            return False
        self.event(owner, events.NORMAL, "SuccessfulDelete", f"Deleted pod: {meta['name']}")
        return True


__all__ = ["Context", "Controller"]
