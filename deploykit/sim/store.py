"""The object store: every object, one resourceVersion counter, change history and subscribers.

Owns the objects (plain dicts, never mutated once stored: writers store a new
dict), the global resourceVersion counter, a bounded history of changes per
collection (for watches that resume from a resourceVersion, and the 410 Gone
when that version is older than the history), the uid and owner indexes, and
synchronous change notification to subscribers.

It must not validate, default or decide anything: the write path
(`deploykit.sim.api`) does, and calls `put` / `remove` once it has a final
object. Everything runs on the server's event loop thread, so there are no
locks; call it from that thread only (controllers are tasks on that loop).

Collections are keyed by `(group, plural)`; cluster-scoped objects have the
namespace "". A subscriber is a callable taking an `Event`; it runs inside
`put` / `remove`, so it must be quick and must not write to the store (queue
the work instead).
"""

from __future__ import annotations

import collections
import json
from typing import Any, Callable, Iterable, NamedTuple

Key = tuple[str, str]
ObjectId = tuple[Key, str, str]  # (collection, namespace, name)

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
DEFAULT_HISTORY = 4096


class Event(NamedTuple):
    type: str
    key: Key
    obj: dict[str, Any]
    old: dict[str, Any] | None
    rv: int


class Expired(Exception):
    """A resourceVersion older than the kept history was asked for."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


Subscriber = Callable[[Event], None]


def encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class Store:
    def __init__(self, *, history: int = DEFAULT_HISTORY) -> None:
        self._history_size = history
        self._rv = 0
        self._objects: dict[Key, dict[tuple[str, str], dict[str, Any]]] = {}
        self._encoded: dict[ObjectId, tuple[dict[str, Any], bytes]] = {}
        self._history: dict[Key, collections.deque[Event]] = {}
        self._compacted: dict[Key, int] = {}
        self._subscribers: dict[Key | None, list[Subscriber]] = {}
        self._by_uid: dict[str, ObjectId] = {}
        self._owned: dict[str, set[ObjectId]] = {}
        self.writes = 0  # bumps on every change: persistence uses it to know it has work

    # --- reads ---------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, key: Key, namespace: str, name: str) -> dict[str, Any] | None:
        bucket = self._objects.get(key)
        return bucket.get((namespace, name)) if bucket else None

    def list(self, key: Key, namespace: str | None = None) -> list[dict[str, Any]]:
        """Objects of a collection in the real server's order: by namespace, then name."""
        bucket = self._objects.get(key)
        if not bucket:
            return []
        ids = sorted(bucket) if namespace is None else sorted(k for k in bucket if k[0] == namespace)
        return [bucket[i] for i in ids]

    def encoded(self, key: Key, obj: dict[str, Any]) -> bytes:
        """The JSON of a stored object, encoded once per version (lists and watches reuse it)."""
        meta = obj["metadata"]
        oid = (key, meta.get("namespace", ""), meta["name"])
        cached = self._encoded.get(oid)
        if cached is not None and cached[0] is obj:
            return cached[1]
        raw = encode(obj)
        if self.get(*oid) is obj:
            self._encoded[oid] = (obj, raw)
        return raw

    def keys(self) -> list[Key]:
        return [k for k, bucket in self._objects.items() if bucket]

    def in_namespace(self, namespace: str) -> Iterable[tuple[Key, dict[str, Any]]]:
        for key, bucket in list(self._objects.items()):
            for (ns, _), obj in list(bucket.items()):
                if ns == namespace:
                    yield key, obj

    def by_uid(self, uid: str) -> ObjectId | None:
        return self._by_uid.get(uid)

    def dependents(self, owner_uid: str) -> list[ObjectId]:
        """Objects whose ownerReferences name `owner_uid`."""
        return sorted(self._owned.get(owner_uid, ()))

    # --- writes --------------------------------------------------------------

    def put(self, key: Key, obj: dict[str, Any]) -> dict[str, Any]:
        """Store `obj` (a new dict) with the next resourceVersion; notify. Returns the stored object."""
        meta = obj["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        bucket = self._objects.setdefault(key, {})
        old = bucket.get((namespace, name))
        self._rv += 1
        meta["resourceVersion"] = str(self._rv)
        bucket[(namespace, name)] = obj
        oid = (key, namespace, name)
        self._encoded.pop(oid, None)
        self._index(oid, old, obj)
        self._record(Event(MODIFIED if old is not None else ADDED, key, obj, old, self._rv))
        return obj

    def remove(self, key: Key, namespace: str, name: str) -> dict[str, Any] | None:
        """Delete an object for good; the DELETED event carries a new resourceVersion."""
        bucket = self._objects.get(key)
        if not bucket or (namespace, name) not in bucket:
            return None
        old = bucket.pop((namespace, name))
        oid = (key, namespace, name)
        self._encoded.pop(oid, None)
        self._index(oid, old, None)
        self._rv += 1
        gone = dict(old)
        gone["metadata"] = dict(old["metadata"], resourceVersion=str(self._rv))
        self._record(Event(DELETED, key, gone, old, self._rv))
        return gone

    def _index(self, oid: ObjectId, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        for obj, add in ((old, False), (new, True)):
            if obj is None:
                continue
            meta = obj["metadata"]
            uid = meta.get("uid")
            if uid:
                if add:
                    self._by_uid[uid] = oid
                elif self._by_uid.get(uid) == oid:
                    del self._by_uid[uid]
            for ref in meta.get("ownerReferences") or ():
                owner = ref.get("uid")
                if not owner:
                    continue
                if add:
                    self._owned.setdefault(owner, set()).add(oid)
                else:
                    owned = self._owned.get(owner)
                    if owned is not None:
                        owned.discard(oid)
                        if not owned:
                            del self._owned[owner]

    def _record(self, event: Event) -> None:
        self.writes += 1
        history = self._history.get(event.key)
        if history is None:
            history = self._history[event.key] = collections.deque(maxlen=self._history_size)
        if len(history) == history.maxlen:
            self._compacted[event.key] = history[0].rv
        history.append(event)
        for subscriber in self._subscribers.get(event.key, []) + self._subscribers.get(None, []):
            subscriber(event)

    # --- history and subscribers ---------------------------------------------

    def events_since(self, key: Key, rv: int) -> list[Event]:
        """Changes of a collection after `rv`; raises Expired if the history no longer reaches back."""
        compacted = self._compacted.get(key, 0)
        if rv < compacted:
            raise Expired(rv, compacted + 1)
        history = self._history.get(key)
        if not history or history[-1].rv <= rv:
            return []
        return [e for e in history if e.rv > rv]

    def subscribe(self, subscriber: Subscriber, key: Key | None = None) -> Callable[[], None]:
        """Call `subscriber` on every change of collection `key` (None: all). Returns an unsubscribe."""
        self._subscribers.setdefault(key, []).append(subscriber)

        def unsubscribe() -> None:
            subs = self._subscribers.get(key, [])
            if subscriber in subs:
                subs.remove(subscriber)

        return unsubscribe

    # --- snapshots (persistence) --------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "resourceVersion": self._rv,
            "collections": [
                {"group": key[0], "plural": key[1], "objects": list(bucket.values())}
                for key, bucket in self._objects.items()
                if bucket
            ],
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Load a snapshot into an empty store without events (history starts at the snapshot)."""
        self._rv = int(snapshot.get("resourceVersion", 0))
        for collection in snapshot.get("collections", []):
            key = (collection["group"], collection["plural"])
            bucket = self._objects.setdefault(key, {})
            for obj in collection["objects"]:
                meta = obj["metadata"]
                oid = (key, meta.get("namespace", ""), meta["name"])
                bucket[oid[1:]] = obj
                self._index(oid, None, obj)
            self._compacted[key] = self._rv
