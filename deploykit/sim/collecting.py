"""Garbage collection and namespace deletion, driven by the store's own change events.

Owns what kube-controller-manager's garbage collector and namespace controller
do: when an owner is gone, delete dependents whose owners are all gone
(background propagation); for an owner deleted with Foreground propagation
(finalizer `foregroundDeletion`), delete its dependents first and then the
owner; for a terminating namespace, delete everything in it and then the
namespace itself (objects with finalizers keep it Terminating until they go).

Work is queued from store events and run on the loop right after, through the
internal API (`api.delete`, `api.remove_finalizer`), so clients see the same
events and resourceVersions as on a real cluster. Must not be called from
other threads.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any, Callable

from deploykit.sim import statuses
from deploykit.sim import store as store_mod

FOREGROUND = "foregroundDeletion"
NAMESPACES = ("", "namespaces")


class Collector:
    def __init__(self, api: Any) -> None:
        self.api = api
        self._pending: collections.deque[tuple[str, Any]] = collections.deque()
        self._scheduled = False
        self._unsubscribe: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._unsubscribe = self.api.store.subscribe(self._observe)
        for ns in self.api.store.list(NAMESPACES):  # a restored state may hold a terminating namespace
            if ns["metadata"].get("deletionTimestamp"):
                self._queue("namespace", ns["metadata"]["name"])

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # --- observing (inside store writes: only queue) ---------------------------------

    def _observe(self, event: store_mod.Event) -> None:
        meta = event.obj["metadata"]
        if event.type == store_mod.DELETED:
            if meta.get("uid"):
                self._queue("orphans", meta["uid"])
            for ref in meta.get("ownerReferences") or ():
                if ref.get("uid"):
                    self._queue("foreground", ref["uid"])
            namespace = meta.get("namespace")
            if namespace:
                self._queue("namespace", namespace)
            return
        if event.key == NAMESPACES and meta.get("deletionTimestamp"):
            self._queue("namespace", meta["name"])
        elif meta.get("deletionTimestamp") and FOREGROUND in (meta.get("finalizers") or ()):
            self._queue("foreground", meta.get("uid"))

    def _queue(self, kind: str, arg: Any) -> None:
        self._pending.append((kind, arg))
        if not self._scheduled and self._loop is not None:
            self._scheduled = True
            self._loop.call_soon(self._drain)

    # --- work -------------------------------------------------------------------------

    def _drain(self) -> None:
        self._scheduled = False
        seen: set[tuple[str, Any]] = set()
        while self._pending:
            item = self._pending.popleft()
            if item in seen:
                continue
            seen.add(item)
            kind, arg = item
            try:
                if kind == "orphans":
                    self._collect_dependents(arg)
                elif kind == "foreground":
                    self._finish_foreground(arg)
                elif kind == "namespace":
                    self._empty_namespace(arg)
            except statuses.ApiError:
                continue  # raced with another writer; the next event retries

    def _rt(self, key: store_mod.Key) -> Any:
        return self.api.registry.by_key(key)

    def _collect_dependents(self, owner_uid: str) -> None:
        store = self.api.store
        for key, namespace, name in store.dependents(owner_uid):
            obj = store.get(key, namespace, name)
            rt = self._rt(key)
            if obj is None or rt is None:
                continue
            owners = [r.get("uid") for r in obj["metadata"].get("ownerReferences") or []]
            if any(store.by_uid(uid) is not None for uid in owners if uid and uid != owner_uid):
                continue
            if obj["metadata"].get("deletionTimestamp"):
                continue
            self.api.delete(rt, namespace, name, propagation="Background")

    def _finish_foreground(self, owner_uid: str | None) -> None:
        if not owner_uid:
            return
        store = self.api.store
        where = store.by_uid(owner_uid)
        if where is None:
            return
        owner = store.get(*where)
        if owner is None or FOREGROUND not in (owner["metadata"].get("finalizers") or ()):
            return
        remaining = store.dependents(owner_uid)
        for key, namespace, name in remaining:
            obj = store.get(key, namespace, name)
            rt = self._rt(key)
            if obj is not None and rt is not None and not obj["metadata"].get("deletionTimestamp"):
                self.api.delete(rt, namespace, name, propagation="Foreground")
        if not store.dependents(owner_uid):
            owner_rt = self._rt(where[0])
            if owner_rt is not None:
                self.api.remove_finalizer(owner_rt, owner, FOREGROUND)

    def _empty_namespace(self, namespace: str) -> None:
        store = self.api.store
        ns = store.get(NAMESPACES, "", namespace)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        for key, obj in list(store.in_namespace(namespace)):
            rt = self._rt(key)
            if rt is None or obj["metadata"].get("deletionTimestamp"):
                continue
            self.api.delete(rt, namespace, obj["metadata"]["name"], propagation="Background")
        # Objects with finalizers hold the namespace; their DELETED events bring us back here.
        if not any(True for _ in store.in_namespace(namespace)):
            self.api.finalize_namespace(namespace)
