"""Moving field ownership from Helm's field manager to deploykit's, as client-go's csaupgrade does for kubectl.

An object Helm created or updated with client-side apply has its fields owned
by an `Update` entry of Helm's manager (`helm`, or the name of the program
Helm ran in); with server-side apply by an `Apply` entry. deploykit applies
with its own manager: left alone, those entries keep owning every field, so
a field the chart stops setting would stay in the cluster forever. The move
merges Helm's entries (and deploykit's own `Update` entry, written when the
ownership metadata changed) into one `Apply` entry of manager `deploykit`,
so that the next apply prunes what the chart no longer sets. The new list is
written with a JSON patch that also replaces `resourceVersion`, so the API
server refuses it (409) if the object changed since it was read.

Must not: talk to the cluster (adopting does).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from deploykit.release import ownership

HELM_MANAGER = "helm"
TARGET_MANAGER = "deploykit"
APPLY, UPDATE = "Apply", "Update"
# Helm writes this annotation on every object it manages: whoever owns it is Helm, whatever its manager's name.
_HELM_MARK = ("f:metadata", "f:annotations", f"f:{ownership.HELM_RELEASE_NAME}")

Identity = tuple[str, str]  # (manager, operation) of a main-resource entry


def helm_managers(live: Mapping[str, Any]) -> frozenset[Identity]:
    """The managedFields entries that are Helm's: manager `helm`, or the owner of Helm's release annotation."""
    found = set()
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict) or entry.get("subresource"):
            continue
        if entry.get("manager") == HELM_MANAGER or _owns(entry.get("fieldsV1"), _HELM_MARK):
            found.add((str(entry.get("manager")), str(entry.get("operation"))))
    return frozenset(found)


def _owns(fields: Any, path: tuple[str, ...]) -> bool:
    node = fields
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def union(left: Mapping[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    """The union of two fieldsV1 tries (every path owned by either)."""
    merged = {key: value for key, value in left.items()}
    for key, value in right.items():
        if key in merged and isinstance(merged[key], Mapping) and isinstance(value, Mapping):
            merged[key] = union(merged[key], value)
        else:
            merged.setdefault(key, value)
    return merged


def moved(entries: list[Mapping[str, Any]], *, sources: Collection[Identity], api_version: str,
          now: str) -> list[dict[str, Any]] | None:
    """`entries` with every source entry (and deploykit's own) merged into one deploykit Apply entry.

    None when there is nothing to move. Entries of subresources (status, scale) are never touched.
    """
    taken = set(sources) | {(TARGET_MANAGER, UPDATE), (TARGET_MANAGER, APPLY)}
    kept: list[dict[str, Any]] = []
    merged: dict[str, Any] = {}
    moving = 0
    position = None
    for entry in entries:
        identity = (str(entry.get("manager")), str(entry.get("operation")))
        if entry.get("subresource") or identity not in taken:
            kept.append(dict(entry))
            continue
        moving += identity != (TARGET_MANAGER, APPLY)
        merged = union(merged, entry.get("fieldsV1") or {})
        position = len(kept) if position is None else position
    if not moving:
        return None
    target = {"manager": TARGET_MANAGER, "operation": APPLY, "apiVersion": api_version, "time": now,
              "fieldsType": "FieldsV1", "fieldsV1": merged}
    kept.insert(position or 0, target)
    return kept


def patch(entries: list[dict[str, Any]], *, resource_version: str) -> list[dict[str, Any]]:
    """The JSON patch writing `entries`, refused by the server if the object is no longer at `resource_version`.

    `replace` of resourceVersion, not `test`: the API server then answers 409 Conflict, as for any stale write.
    """
    return [
        {"op": "replace", "path": "/metadata/managedFields", "value": entries},
        {"op": "replace", "path": "/metadata/resourceVersion", "value": resource_version},
    ]
