"""Kinds served from another kind's storage: events.k8s.io/v1 Event over core/v1 Event.

Owns the field mapping between the two Event shapes (regarding <->
involvedObject, note <-> message, reportingController <-> reportingComponent,
deprecatedSource / deprecatedFirstTimestamp / deprecatedLastTimestamp /
deprecatedCount <-> source / firstTimestamp / lastTimestamp / count), as the
real server's conversion does, so an event written through either API is
readable and watchable through both. Pure: dicts in, dicts out.
"""

from __future__ import annotations

from typing import Any

CORE_EVENTS = ("", "events")

# core/v1 field -> events.k8s.io/v1 field
_RENAMES = {
    "involvedObject": "regarding",
    "message": "note",
    "reportingComponent": "reportingController",
    "source": "deprecatedSource",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
}
_BACK = {v: k for k, v in _RENAMES.items()}


def to_events_v1(core: dict[str, Any]) -> dict[str, Any]:
    return _renamed(core, _RENAMES, api_version="events.k8s.io/v1")


def to_core(event: dict[str, Any]) -> dict[str, Any]:
    return _renamed(event, _BACK, api_version="v1")


def _renamed(event: dict[str, Any], names: dict[str, str], *, api_version: str) -> dict[str, Any]:
    out: dict[str, Any] = {"apiVersion": api_version, "kind": "Event"}
    out.update((names.get(key, key), value) for key, value in event.items() if key not in ("apiVersion", "kind"))
    return out
