"""Watches that never give a false verdict: list, then watch from the list's resourceVersion,
resume from the last seen resourceVersion when the server closes the stream, relist on
410 Gone and emit the difference as events. Consumers see every state change of every
object or, after a relist, its latest state.

"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.kube.requesting import Http, LineStream
from deploykit.kube.resources import ResourceType


@frozen
class WatchEvent:
    type: str  # ADDED | MODIFIED | DELETED
    object: dict
    resource: ResourceType


def _rv(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("resourceVersion", "")


def _uid(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}"


class _Gone(Exception):
    """The resourceVersion to resume from is too old: relist."""


class ResumableWatch:
    """List + watch of one resource type in one namespace (or all), with resume and relist."""

    def __init__(
        self,
        http: Http,
        resource: ResourceType,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        server_timeout: int = 60,
        reconnect_delay: float = 0.05,
    ) -> None:
        self.http = http
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.server_timeout = server_timeout
        self.reconnect_delay = reconnect_delay
        self.resumes = 0
        self.relists = 0
        self._known: dict[str, dict] = {}
        self._stream: LineStream | None = None
        self._stopped = threading.Event()
        # Set once the initial list has been handed out: a consumer judging state waits for it.
        self.listed = threading.Event()
        # While the server does not answer: since when (time.monotonic) and the last error, for `failing()`.
        self._failing_since: float | None = None
        self._last_error = ""

    def _selectors(self) -> dict[str, Any]:
        return {"labelSelector": self.label_selector, "fieldSelector": self.field_selector}

    def _relist(self) -> tuple[str, list[WatchEvent]]:
        answer = self.http.request(
            "GET", self.resource.collection_path(self.namespace), query=self._selectors()
        ) or {}
        current = {_uid(item): _with_kind(item, self.resource) for item in answer.get("items", [])}
        events: list[WatchEvent] = []
        for uid, obj in current.items():
            before = self._known.get(uid)
            if before is None:
                events.append(WatchEvent("ADDED", obj, self.resource))
            elif _rv(before) != _rv(obj):
                events.append(WatchEvent("MODIFIED", obj, self.resource))
        for uid, obj in self._known.items():
            if uid not in current:
                events.append(WatchEvent("DELETED", obj, self.resource))
        self._known = current
        return (answer.get("metadata") or {}).get("resourceVersion", ""), events

    def _watch_once(self, resource_version: str) -> Iterator[tuple[str, WatchEvent | None]]:
        query = {
            "watch": "true",
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": self.server_timeout,
            **self._selectors(),
        }
        try:
            stream = self.http.open_stream(
                self.resource.collection_path(self.namespace), query=query, read_timeout=self.server_timeout + 10
            )
        except errors.KubeError as exc:
            if exc.status == 410:
                raise _Gone() from exc
            raise
        self._stream = stream
        self._failing_since = None
        if self._stopped.is_set():
            stream.close()
        for line in stream:
            kind, obj = line.get("type"), line.get("object") or {}
            if kind == "ERROR":
                if obj.get("code") == 410:
                    raise _Gone()
                raise errors.KubeError(obj.get("message", "watch error"), status=obj.get("code"), reason=obj.get("reason"))
            if kind == "BOOKMARK":
                yield _rv(obj), None
                continue
            obj = _with_kind(obj, self.resource)
            if kind == "DELETED":
                self._known.pop(_uid(obj), None)
            else:
                self._known[_uid(obj)] = obj
            yield _rv(obj), WatchEvent(kind, obj, self.resource)

    def events(self, *, since: str | None = None) -> Iterator[WatchEvent]:
        """Every event until stop(): first the current objects as ADDED, then changes.

        With `since` (a resourceVersion), skip the initial list and watch from there; if that
        version has expired (410 Gone) the watch relists and reports the difference.
        """
        if since is None:
            resource_version, initial = self._relist()
            yield from initial
        else:
            resource_version = since
        self.listed.set()
        while not self._stopped.is_set():
            try:
                for resource_version_seen, event in self._watch_once(resource_version):
                    if resource_version_seen:
                        resource_version = resource_version_seen
                    if event is not None:
                        yield event
                    if self._stopped.is_set():
                        return
                self.resumes += 1
            except _Gone:
                self.relists += 1
                resource_version, changed = self._relist()
                yield from changed
            except errors.KubeError as exc:
                if self._stopped.is_set():
                    return
                self.resumes += 1
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                self._last_error = exc.message
                # back off while the server is away (a restarting API server is not hammered), at most 1 s
                time.sleep(min(1.0, max(self.reconnect_delay, time.monotonic() - self._failing_since)))

    def failing(self) -> tuple[float, str] | None:
        """(seconds, last error) while reconnecting has failed without a break; None when the stream is up."""
        since = self._failing_since
        return None if since is None else (time.monotonic() - since, self._last_error)

    def stop(self) -> None:
        self._stopped.set()
        if self._stream is not None:
            self._stream.close()


def _with_kind(obj: dict, resource: ResourceType) -> dict:
    # list items come without apiVersion/kind on a real server
    if "kind" not in obj:
        obj = {"apiVersion": resource.api_version, "kind": resource.kind, **obj}
    return obj
