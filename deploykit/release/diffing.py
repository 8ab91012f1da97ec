"""Field-level differences between two versions of a Kubernetes object, and who owns a field.

Owns the pure comparison the plan is built from: `normalized` strips what the
API server writes for itself (managedFields, resourceVersion, uid, generation,
timestamps, status), `changes` lists the leaves that differ as `FieldChange`s
with readable paths (`spec.template.spec.containers[name=web].image`), and
`owner_of` reads managedFields to name the field manager that owns a path.

Must not: talk to the cluster, or decide what is secret (the plan masks values).
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Mapping

from deploykit.frozen import frozen

# Written by the API server, never by a chart: ignored when comparing.
_SERVER_METADATA = frozenset({
    "managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink",
    "deletionTimestamp", "deletionGracePeriodSeconds",
})
# Keys that identify an item of a list the API server merges by key (containers by name, ports by port...).
_LIST_KEYS = ("name", "containerPort", "port", "mountPath", "devicePath", "ip", "type", "key")

_MISSING = object()


@frozen
class FieldChange:
    """One leaf that differs: its path, the value before and after (absent = None with `added`/`removed`)."""

    path: str
    before: Any = None
    after: Any = None
    added: bool = False
    removed: bool = False
    # Drift only: the field manager that owns the live value (from managedFields).
    manager: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {"path": self.path, "before": self.before, "after": self.after}
        if self.added:
            data["added"] = True
        if self.removed:
            data["removed"] = True
        if self.manager:
            data["manager"] = self.manager
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FieldChange":
        return cls(path=data["path"], before=data.get("before"), after=data.get("after"),
                   added=bool(data.get("added")), removed=bool(data.get("removed")), manager=data.get("manager"))


def normalized(obj: Mapping[str, Any] | None) -> dict[str, Any]:
    """The object as a chart author wrote it: server-written metadata and status removed."""
    if not obj:
        return {}
    result = {key: value for key, value in obj.items() if key != "status"}
    metadata = dict(result.get("metadata") or {})
    for key in _SERVER_METADATA:
        metadata.pop(key, None)
    result["metadata"] = metadata
    return result


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[FieldChange]:
    """Every leaf that differs between the two normalized objects, in document order."""
    return list(_walk(normalized(before), normalized(after), ()))


def _walk(before: Any, after: Any, path: tuple) -> Iterator[FieldChange]:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in [*before, *(k for k in after if k not in before)]:
            yield from _walk(before.get(key, _MISSING), after.get(key, _MISSING), path + (key,))
        return
    if isinstance(before, list) and isinstance(after, list):
        key = _list_key(before, after)
        if key is not None:
            old = {item[key]: item for item in before}
            new = {item[key]: item for item in after}
            for name in [*old, *(n for n in new if n not in old)]:
                yield from _walk(old.get(name, _MISSING), new.get(name, _MISSING), path + (f"[{key}={name}]",))
            return
        if len(before) == len(after):
            for index, (b, a) in enumerate(zip(before, after)):
                yield from _walk(b, a, path + (index,))
            return
    if before is _MISSING and after is _MISSING:
        return
    if before is _MISSING:
        yield FieldChange(format_path(path), None, after, added=True)
    elif after is _MISSING:
        yield FieldChange(format_path(path), before, None, removed=True)
    elif before != after or type(before) is not type(after):
        yield FieldChange(format_path(path), before, after)


def _list_key(before: list, after: list) -> str | None:
    """The key that names every item of both lists uniquely, if there is one."""
    items = [*before, *after]
    if not items or not all(isinstance(item, Mapping) for item in items):
        return None
    for key in _LIST_KEYS:
        if all(key in item and isinstance(item[key], (str, int)) for item in items):
            if len({item[key] for item in before}) == len(before) and len({item[key] for item in after}) == len(after):
                return key
    return None


def format_path(path: tuple) -> str:
    """('spec', 'containers', '[name=web]', 'image') -> 'spec.containers[name=web].image'."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and part.startswith("["):
            text += part
        else:
            text += ("." if text else "") + str(part)
    return text


def leaves(obj: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, value) of every leaf of a normalized object, with list items keyed as `changes` keys them."""
    if isinstance(obj, Mapping):
        if not obj and path:
            yield path, obj
        for key, value in obj.items():
            yield from leaves(value, path + (key,))
    elif isinstance(obj, list):
        key = _list_key(obj, obj)
        for index, item in enumerate(obj):
            yield from leaves(item, path + ((f"[{key}={item[key]}]",) if key else (index,)))
        if not obj and path:
            yield path, obj
    else:
        yield path, obj


def value_at(obj: Any, path: tuple) -> Any:
    """The value at a path from `leaves` (or `_MISSING`-like None sentinel via `has_path`)."""
    node = obj
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return _MISSING
            node = node[part]
        elif isinstance(part, str) and part.startswith("[") and "=" in part:
            key, _, wanted = part[1:-1].partition("=")
            if not isinstance(node, list):
                return _MISSING
            node = next((item for item in node if isinstance(item, Mapping) and str(item.get(key)) == wanted), _MISSING)
            if node is _MISSING:
                return _MISSING
        else:
            if not isinstance(node, Mapping) or part not in node:
                return _MISSING
            node = node[part]
    return node


def is_missing(value: Any) -> bool:
    return value is _MISSING


def owner_of(live: Mapping[str, Any], path: tuple) -> str | None:
    """The field manager whose managedFields entry owns `path` of the live object (the last one that does)."""
    found = None
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        fields = entry.get("fieldsV1")
        if isinstance(fields, Mapping) and _owns(fields, path, live):
            found = entry.get("manager")
    return found


def _owns(fields: Mapping[str, Any], path: tuple, live: Any) -> bool:
    node: Any = fields
    value: Any = live
    for part in path:
        if not isinstance(node, Mapping):
            return False
        if isinstance(part, str) and part.startswith("["):
            key, _, wanted = part[1:-1].partition("=")
            item = value_at(value, (part,)) if isinstance(value, list) else _MISSING
            match = next((k for k in node if k.startswith("k:") and _key_matches(k[2:], item)), None)
            if match is None:
                return False
            node, value = node[match], item
        elif isinstance(part, int):
            match = f"i:{part}"
            if match not in node:
                return False
            node, value = node[match], value[part] if isinstance(value, list) and part < len(value) else _MISSING
        else:
            match = f"f:{part}"
            if match not in node:
                return False
            node, value = node[match], value.get(part, _MISSING) if isinstance(value, Mapping) else _MISSING
    return True


def _key_matches(key_json: str, item: Any) -> bool:
    try:
        key = json.loads(key_json)
    except ValueError:
        return False
    return isinstance(key, Mapping) and isinstance(item, Mapping) and all(item.get(k) == v for k, v in key.items())
