"""Watch streams: ADDED / MODIFIED / DELETED / BOOKMARK / ERROR events over chunked HTTP.

Owns the watch semantics of the real server: start from a resourceVersion
(replaying the store's history), or with synthetic ADDED events for the
current objects when no resourceVersion (or "0") is given or
`sendInitialEvents=true` asks for them (then a bookmark marks their end);
410 Expired as an in-stream ERROR when the history no longer reaches back;
label / field selector filtering, where an object that stops matching is
DELETED and one that starts matching is ADDED; `timeoutSeconds`; periodic
bookmarks; closing watches early (a fault option); Table events for
`kubectl get -w`. Must not change objects.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from aiohttp import web

from deploykit.sim import resources, selectors, statuses, tables
from deploykit.sim import store as store_mod

DEFAULT_TIMEOUT = 1800.0


@dataclasses.dataclass
class Options:
    bookmark_interval: float = 30.0
    close_after: float | None = None  # fault: end every watch after this many seconds


class Filter:
    """Namespace, label and field selection of one watch."""

    def __init__(self, rt: resources.ResourceType, namespace: str | None, label_selector: str | None,
                 field_selector: str | None, view: Any = None) -> None:
        self.namespace = namespace if rt.namespaced and namespace else None
        self.labels = selectors.parse_labels(label_selector)
        self.fields = selectors.parse_fields(field_selector, key=(rt.group, rt.plural), custom=rt.custom)
        self.view = view  # the served form field selectors look at (events.k8s.io over core Events)

    def matches(self, obj: dict[str, Any] | None) -> bool:
        if obj is None:
            return False
        meta = obj["metadata"]
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        if not self.labels.empty and not self.labels.matches(meta.get("labels")):
            return False
        return self.fields.empty or self.fields.matches(self.view(obj) if self.view else obj)

    def translate(self, event: store_mod.Event) -> str | None:
        """The event type this watcher sees for a store change, or None to skip it."""
        if event.type == store_mod.DELETED:
            return store_mod.DELETED if self.matches(event.obj) else None
        now = self.matches(event.obj)
        before = event.old is not None and self.matches(event.old)
        if now:
            return store_mod.MODIFIED if before else store_mod.ADDED
        return store_mod.DELETED if before else None


def _encode_event(kind: str, raw_object: bytes) -> bytes:
    return b'{"type":"' + kind.encode() + b'","object":' + raw_object + b"}\n"


async def serve(request: web.Request, *, api: Any, rt: resources.ResourceType, namespace: str | None,
                table: bool, options: Options) -> web.StreamResponse:
    q = request.query
    selection = Filter(rt, namespace, q.get("labelSelector"), q.get("fieldSelector"),
                       view=(lambda o: api.served(rt, o)) if rt.storage else None)
    try:
        timeout = float(q.get("timeoutSeconds") or DEFAULT_TIMEOUT)
    except ValueError:
        raise statuses.bad_request(f"invalid timeoutSeconds: {q.get('timeoutSeconds')}") from None
    if options.close_after is not None:
        timeout = min(timeout, options.close_after)
    bookmarks = q.get("allowWatchBookmarks", "").lower() in ("true", "1")
    initial_events = q.get("sendInitialEvents", "").lower() == "true"
    rv_param = q.get("resourceVersion") or ""
    store: store_mod.Store = api.store
    queue: asyncio.Queue[store_mod.Event] = asyncio.Queue()
    unsubscribe = store.subscribe(queue.put_nowait, rt.key)
    try:
        first: list[tuple[str, dict[str, Any]]] = []
        error: statuses.ApiError | None = None
        start_rv = store.resource_version
        if rv_param in ("", "0") or initial_events:
            first = [(store_mod.ADDED, o) for o in api.list_objects(rt, namespace) if selection.matches(o)]
        else:
            try:
                since = int(rv_param)
            except ValueError:
                raise statuses.bad_request(f"invalid resource version: {rv_param}") from None
            try:
                for event in store.events_since(rt.key, since):
                    kind = selection.translate(event)
                    if kind:
                        first.append((kind, event.obj))
                start_rv = max(since, start_rv)
            except store_mod.Expired as exc:
                error = statuses.expired(str(exc))
        response = web.StreamResponse(headers={"Content-Type": "application/json", "Cache-Control": "no-cache"})
        response.enable_chunked_encoding()
        try:
            await response.prepare(request)
            writer = _Writer(response, api, rt, table)
            if error is not None:
                await response.write(_encode_event("ERROR", store_mod.encode(error.status())))
                return response
            for kind, obj in first:
                await writer.send(kind, obj)
            if initial_events:
                await writer.bookmark(start_rv, initial_end=True)
            await _pump(queue, selection, writer, timeout=timeout, bookmarks=bookmarks,
                        interval=options.bookmark_interval)
        except ConnectionResetError:
            pass  # the client closed its watch (Ctrl-C on `kubectl get -w`): the usual way a watch ends
        return response
    finally:
        unsubscribe()


async def _pump(queue: asyncio.Queue[store_mod.Event], selection: Filter, writer: "_Writer", *, timeout: float,
                bookmarks: bool, interval: float) -> None:
    deadline = time.monotonic() + timeout
    next_bookmark = time.monotonic() + interval
    last_rv = 0
    while True:
        now = time.monotonic()
        if now >= deadline:
            return
        wait = deadline - now
        if bookmarks:
            wait = min(wait, max(0.0, next_bookmark - now))
        try:
            event = await asyncio.wait_for(queue.get(), timeout=wait)
        except asyncio.TimeoutError:
            if bookmarks and time.monotonic() >= next_bookmark:
                await writer.bookmark(max(last_rv, writer.api.store.resource_version))
                next_bookmark = time.monotonic() + interval
            continue
        # Send what is already queued too, without going back to the timer for each event.
        while True:
            last_rv = event.rv
            kind = selection.translate(event)
            if kind:
                await writer.send(kind, event.obj)
            if queue.empty():
                break
            event = queue.get_nowait()


class _Writer:
    def __init__(self, response: web.StreamResponse, api: Any, rt: resources.ResourceType, table: bool) -> None:
        self.response = response
        self.api = api
        self.rt = rt
        self.table = table
        self._columns_sent = False

    async def send(self, kind: str, obj: dict[str, Any]) -> None:
        if self.table:
            body = tables.table(self.rt, [self.api.served(self.rt, obj)], now=self.api.clock(),
                                include_object="PartialObjectMetadata")
            if self._columns_sent:
                body["columnDefinitions"] = None
            self._columns_sent = True
            raw = store_mod.encode(body)
        elif obj.get("apiVersion") == self.rt.api_version:
            raw = self.api.store.encoded(self.rt.key, obj)
        else:
            raw = store_mod.encode(self.api.served(self.rt, obj))
        await self.response.write(_encode_event(kind, raw))

    async def bookmark(self, rv: int, *, initial_end: bool = False) -> None:
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        if self.table:
            obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
                   "columnDefinitions": None, "rows": None}
        else:
            obj = {"kind": self.rt.kind, "apiVersion": self.rt.api_version, "metadata": meta}
        await self.response.write(_encode_event("BOOKMARK", store_mod.encode(obj)))
