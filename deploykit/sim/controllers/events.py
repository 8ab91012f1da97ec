"""Events as the real components record them: reason, message, source, involvedObject, repeat counting.

Owns writing core/v1 Events (the simulator serves events.k8s.io/v1 from the
same storage) the way client-go's recorders do: the kubelet and the
controllers name an event `<object>.<hex nanoseconds>`, fill `source`,
`reportingComponent` / `reportingInstance`, `firstTimestamp`,
`lastTimestamp` and `count`, and bump `count`, `lastTimestamp` and `series`
when the same event repeats (BackOff, Unhealthy, FailedScheduling) instead of
writing a new one; the scheduler writes the newer shape (`eventTime`,
`action`, no `source`). `involvedObject` carries kind, name, namespace, uid,
apiVersion, resourceVersion and the container's fieldPath, which is what
`kubectl describe` and `kubectl get events --field-selector` select on.
Events older than the real API server's one-hour TTL are removed.

Recording never fails the caller: an event that cannot be written (its
namespace is terminating, say) is dropped, as the real recorders drop it.
Runs on the loop thread.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Any, Callable

from deploykit.sim import statuses, times

log = logging.getLogger("deploykit.sim")

NORMAL, WARNING = "Normal", "Warning"
TTL = 3600.0  # kube-apiserver --event-ttl
_REMEMBERED = 4096  # aggregation keys kept, like the recorders' LRU cache

Obj = dict[str, Any]


class Recorder:
    def __init__(self, api: Any, *, clock: Callable[[], float] = time.time) -> None:
        self.api = api
        self.clock = clock
        self.rt = api.registry.lookup("", "v1", "events")
        self._recent: collections.OrderedDict[tuple[Any, ...], tuple[str, str]] = collections.OrderedDict()
        self._sweeper: asyncio.TimerHandle | None = None
        self._serial = 0

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        self._schedule_sweep()

    def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    def _schedule_sweep(self) -> None:
        self._sweeper = asyncio.get_running_loop().call_later(60.0, self._sweep)

    def _sweep(self) -> None:
        cutoff = self.clock() - TTL
        for event in self.api.store.list(self.rt.key):
            last = times.parse(event.get("lastTimestamp") or event.get("eventTime")
                                      or event["metadata"].get("creationTimestamp"))
            if last is not None and last < cutoff:
                meta = event["metadata"]
                try:
                    self.api.delete(self.rt, meta["namespace"], meta["name"])
                except statuses.ApiError:
                    pass
        self._schedule_sweep()

    # --- recording ------------------------------------------------------------------------------------

    def emit(self, obj: Obj, type_: str, reason: str, message: str, *, component: str, host: str | None = None,
             field_path: str | None = None, action: str | None = None) -> None:
        """Record that `component` saw `reason` on `obj` (a repeat bumps the earlier event's count).

        `action` marks the newer events API shape the scheduler uses (eventTime, action, no source).
        """
        try:
            self._emit(obj, type_, reason, message, component=component, host=host, field_path=field_path,
                       action=action)
        except statuses.ApiError as exc:
            log.debug("event %s on %s dropped: %s", reason, obj["metadata"].get("name"), exc.message)

    def _emit(self, obj: Obj, type_: str, reason: str, message: str, *, component: str, host: str | None,
              field_path: str | None, action: str | None) -> None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        key = (component, host, meta.get("uid"), field_path, type_, reason, message)
        now = self.clock()
        remembered = self._recent.get(key)
        if remembered is not None:
            live = self.api.store.get(self.rt.key, *remembered)
            if live is not None:
                self._recent.move_to_end(key)
                self._repeat(live, now, component=component)
                return
        involved: Obj = {"kind": obj.get("kind"), "namespace": meta.get("namespace"), "name": meta["name"],
                         "uid": meta.get("uid"), "apiVersion": obj.get("apiVersion"),
                         "resourceVersion": meta.get("resourceVersion")}
        if not meta.get("namespace"):
            del involved["namespace"]
        if field_path:
            involved["fieldPath"] = field_path
        self._serial += 1
        name = f"{meta['name']}.{time.time_ns() + self._serial:x}"
        body: Obj = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": namespace},
                     "involvedObject": involved, "reason": reason, "message": message, "type": type_}
        if action is None:
            stamp = times.rfc3339(now)
            body.update(source={"component": component, **({"host": host} if host else {})},
                        firstTimestamp=stamp, lastTimestamp=stamp, count=1, eventTime=None,
                        reportingComponent=component, reportingInstance=host or "")
        else:
            body.update(source={}, firstTimestamp=None, lastTimestamp=None, eventTime=times.rfc3339_micro(now),
                        action=action, reportingComponent=component,
                        reportingInstance=f"{component}-{host}" if host else component)
        self.api.create(self.rt, namespace, body, manager=_manager(component))
        self._recent[key] = (namespace, name)
        if len(self._recent) > _REMEMBERED:
            self._recent.popitem(last=False)

    def _repeat(self, live: Obj, now: float, *, component: str) -> None:
        count = int((live.get("series") or {}).get("count") or live.get("count") or 1) + 1
        new = dict(live, series={"count": count, "lastObservedTime": times.rfc3339_micro(now)})
        if live.get("eventTime") is None or live.get("count") is not None:
            new.update(count=count, lastTimestamp=times.rfc3339(now))
        meta = live["metadata"]
        self.api.update(self.rt, meta["namespace"], meta["name"], new, manager=_manager(component))


def _manager(component: str) -> str:
    """The field manager of a component's writes (every controller runs in kube-controller-manager)."""
    if component == "kubelet":
        return "kubelet"
    if component == "default-scheduler":
        return "kube-scheduler"
    return "kube-controller-manager"


__all__ = ["NORMAL", "WARNING", "Recorder"]
