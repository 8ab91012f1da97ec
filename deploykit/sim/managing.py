"""Field management: server-side apply and the managedFields of every write.

Owns what kube-apiserver's field manager does (apimachinery
`util/managedfields/internal` on top of structured-merge-diff's `merge.Updater`):

- `apply`: merge an applied configuration into the live object, prune what
  the manager applied before and stops applying (unless someone else owns
  it), report conflicts with other managers (409) or take their fields
  (force), reset what the endpoint may not change (`status` on the main
  resource, `spec` on /status), default the result, and record the
  manager's `Apply` entry. An object without managedFields first gets its
  fields assigned to the `before-first-apply` manager.
- `update`: the managedFields bookkeeping of every other write (create, PUT,
  merge / strategic / JSON patch, /status, /scale): the writer's `Update`
  entry takes every changed field, silently; `managedFields: [{}]` resets
  tracking; at most 10 Update entries (the oldest merge into
  `ancient-changes`).
- `manager_name`: fieldManager, else the User-Agent's product, else `unknown`.
- kubectl's migration from client-side apply: an apply by manager `kubectl`
  may take fields it last applied client-side (per the
  `kubectl.kubernetes.io/last-applied-configuration` annotation, where the
  live value still matches) without conflict, and keeps that annotation in
  step with what it applies.

Entries are keyed as the real server keys them: (manager, operation,
apiVersion for Update only, subresource); they are encoded sorted (Apply
first, then by time, manager, apiVersion, subresource). Times are the `now`
passed in: a no-op apply keeps the previous time, so a caller sees "nothing
changed" as result == live.

Pure: no I/O, no clock, inputs never mutated, results are fresh copies.
Must not set uid, resourceVersion, generation or creationTimestamp (the
store's), check resourceVersion preconditions, or validate objects beyond
what apply itself rejects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from deploykit.sim import defaulting, fieldpaths, merging, statuses
from deploykit.sim.fieldpaths import FieldSet, Path
from deploykit.sim.typeinfo import DEDUCED_TYPE, MAP, Schemas, TypeRef

APPLY = "Apply"
UPDATE = "Update"
BEFORE_FIRST_APPLY = "before-first-apply"
KUBECTL = "kubectl"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
ANCIENT_CHANGES = "ancient-changes"
MAX_UPDATE_MANAGERS = 10
MAX_MANAGER_LENGTH = 128

# Never part of a manager's set (apimachinery stripmeta.go): exact paths, not prefixes.
_STRIPPED: FieldSet = frozenset(
    fieldpaths.parse_path(p)
    for p in (
        "apiVersion",
        "kind",
        "metadata",
        "metadata.name",
        "metadata.namespace",
        "metadata.creationTimestamp",
        "metadata.selfLink",
        "metadata.uid",
        "metadata.clusterName",
        "metadata.generation",
        "metadata.managedFields",
        "metadata.resourceVersion",
    )
)
# Written by the store, never by a client: an update keeps the live values.
_SYSTEM_METADATA = (
    "uid",
    "creationTimestamp",
    "generation",
    "resourceVersion",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
)
_STATUS: FieldSet = frozenset({fieldpaths.parse_path("status")})
_SPEC: FieldSet = frozenset({fieldpaths.parse_path("spec")})
_SPEC_AND_LABELS: FieldSet = frozenset({fieldpaths.parse_path("spec"), fieldpaths.parse_path("metadata.labels")})
# Status strategies of these kinds also keep the labels (pkg/registry/apps/*/strategy.go).
_LABELS_RESET_ON_STATUS = {("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("apps", "DaemonSet")}


class ApplyConflict(statuses.ApiError):
    """409: fields the apply would change are owned by other managers; `conflicts` lists (label, path)."""

    def __init__(self, conflicts: list[tuple[str, str]]) -> None:
        causes = [
            {"reason": "FieldManagerConflict", "message": f"conflict with {label}", "field": path}
            for label, path in conflicts
        ]
        super().__init__(409, "Conflict", _conflict_message(conflicts), {"causes": causes})
        self.conflicts = conflicts


def _conflict_message(conflicts: list[tuple[str, str]]) -> str:
    if len(conflicts) == 1:
        label, path = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {label}: {path}"
    lines: list[str] = []
    current = None
    for label, path in conflicts:
        if label != current:
            lines.append(f"conflicts with {label}:")
            current = label
        lines.append(f"- {path}")
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


def manager_name(field_manager: str | None, user_agent: str | None) -> str:
    """fieldManager, else the User-Agent before its first "/", else "unknown"."""
    if field_manager:
        return field_manager
    prefix = (user_agent or "").split("/", 1)[0][:MAX_MANAGER_LENGTH]
    return prefix or "unknown"


# --- managers ---------------------------------------------------------------------------------------

Identity = tuple[str, str, str, str]  # (manager, operation, apiVersion for Update else "", subresource)


@dataclass(slots=True)
class _Entry:
    fields: FieldSet
    api_version: str
    time: str | None


def _identity(manager: str, operation: str, api_version: str, subresource: str) -> Identity:
    return (manager, operation, api_version if operation == UPDATE else "", subresource)


def _identifier(identity: Identity) -> str:
    """The JSON identifier the real server keys managers by (and sorts conflict groups by)."""
    manager, operation, api_version, subresource = identity
    body = {"manager": manager, "operation": operation}
    if api_version:
        body["apiVersion"] = api_version
    if subresource:
        body["subresource"] = subresource
    return fieldpaths.go_json(body)


def _label(identity: Identity) -> str:
    manager, operation, api_version, subresource = identity
    label = json.dumps(manager, ensure_ascii=False)
    if subresource:
        label += f" with subresource {json.dumps(subresource, ensure_ascii=False)}"
    if operation == UPDATE:
        label += f" using {api_version}"
    return label


def _decode(entries: Any) -> dict[Identity, _Entry]:
    """The managers of a managedFields list; raises ValueError as DecodeManagedFields does."""
    managers: dict[Identity, _Entry] = {}
    if not entries:
        return managers
    if not isinstance(entries, list):
        raise ValueError("managedFields must be a list")
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"managed fields entry {position} must be an object")
        operation = entry.get("operation")
        if operation not in (APPLY, UPDATE):
            raise ValueError("operation must be `Apply` or `Update`")
        api_version = entry.get("apiVersion") or ""
        if not api_version:
            raise ValueError("apiVersion must not be empty")
        fields_type = entry.get("fieldsType") or ""
        if fields_type != "FieldsV1":
            if not fields_type:
                raise ValueError(f"missing fieldsType in managed fields entry {position}")
            raise ValueError(f"invalid fieldsType {fields_type!r} in managed fields entry {position}")
        identity = _identity(entry.get("manager") or "", operation, api_version, entry.get("subresource") or "")
        managers[identity] = _Entry(_decode_fields(entry.get("fieldsV1")), api_version, entry.get("time"))
    return managers


_DECODED: dict[str, FieldSet] = {}


def _decode_fields(fields_v1: Any) -> FieldSet:
    if fields_v1 is None:
        return fieldpaths.EMPTY
    # Stored objects are re-read on every write; their tries are few and stable, so cache by text.
    text = json.dumps(fields_v1, sort_keys=True, separators=(",", ":"))
    found = _DECODED.get(text)
    if found is None:
        found = fieldpaths.decode(fields_v1)
        if len(_DECODED) > 4096:
            _DECODED.clear()
        _DECODED[text] = found
    return found


def _encode(managers: dict[Identity, _Entry]) -> list[dict]:
    def order(item: tuple[Identity, _Entry]) -> tuple:
        (manager, operation, _, subresource), entry = item
        return (operation, entry.time or "", manager, entry.api_version, subresource)

    out = []
    for (manager, operation, _, subresource), entry in sorted(managers.items(), key=order):
        encoded: dict[str, Any] = {"manager": manager, "operation": operation, "apiVersion": entry.api_version}
        if entry.time:
            encoded["time"] = entry.time
        encoded["fieldsType"] = "FieldsV1"
        encoded["fieldsV1"] = fieldpaths.encode(entry.fields)
        if subresource:
            encoded["subresource"] = subresource
        out.append(encoded)
    return out


def _cap_update_managers(managers: dict[Identity, _Entry]) -> dict[Identity, _Entry]:
    """Merge the oldest Update entries into `ancient-changes` until at most 10 remain (capmanagers.go)."""
    updaters = [identity for identity in managers if identity[1] == UPDATE]
    if len(updaters) <= MAX_UPDATE_MANAGERS:
        return managers
    managers = dict(managers)
    updaters.sort(key=lambda i: (managers[i].time or "", _identifier(i)))
    first_of_version: dict[str, Identity] = {}
    length = len(updaters)
    for identity in updaters:
        if length <= MAX_UPDATE_MANAGERS:
            break
        entry = managers[identity]
        bucket = _identity(ANCIENT_CHANGES, UPDATE, entry.api_version, "")
        first = first_of_version.get(entry.api_version)
        if first is None:
            first_of_version[entry.api_version] = identity
            continue
        if bucket not in managers:
            managers[bucket] = managers.pop(first)
        managers[bucket] = _Entry(entry.fields | managers[bucket].fields, entry.api_version, entry.time)
        del managers[identity]
        length -= 1
    return managers


# --- objects -------------------------------------------------------------------------------------------


def _group_kind(obj: dict) -> tuple[str, str]:
    return (str(obj.get("apiVersion") or "").rpartition("/")[0], str(obj.get("kind") or ""))


def _gvk_string(api_version: Any, kind: Any) -> str:
    group, _, version = str(api_version or "").rpartition("/")
    return f"{group}/{version}, Kind={kind or ''}"


def _plural(kind: str) -> str:
    """The resource name of a kind, guessed as the API machinery's RESTMapper guesses it."""
    plural = kind.lower()
    if plural.endswith("ss") or plural.endswith("x"):
        plural += "es"
    elif plural.endswith("y") and plural[-2:-1] not in ("a", "e", "o", "u"):
        plural = plural[:-1] + "ies"
    elif not plural.endswith("s"):
        plural += "s"
    return plural


def _metadata(obj: Any) -> dict:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta if isinstance(meta, dict) else {}


def _without_managed_fields(obj: dict) -> dict:
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    out = dict(obj)
    out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out


# Go's zero values of the built-in structs that are not pointers: an empty object of the kind
# has them, so a creator's entry owns `.` for maps created inside them but not for them.
_POD_TEMPLATE = {"metadata": {}, "spec": {"containers": None}}  # `containers` has no omitempty: null
_SKELETONS: dict[tuple[str, str], dict] = {
    ("apps", "Deployment"): {"spec": {"strategy": {}, "template": _POD_TEMPLATE}},
    ("apps", "ReplicaSet"): {"spec": {"template": _POD_TEMPLATE}},
    ("apps", "StatefulSet"): {"spec": {"template": _POD_TEMPLATE, "updateStrategy": {}}},
    ("apps", "DaemonSet"): {"spec": {"template": _POD_TEMPLATE, "updateStrategy": {}}},
    ("batch", "Job"): {"spec": {"template": _POD_TEMPLATE}},
    ("batch", "CronJob"): {"spec": {"jobTemplate": {"metadata": {}, "spec": {"template": _POD_TEMPLATE}}}},
    ("", "Pod"): {"spec": {"containers": None}},
}


def _skeleton(obj: dict, t: TypeRef, *, custom: bool) -> dict:
    """The empty object of a kind, as the real server starts a create from (custom resources: nothing)."""
    out: dict[str, Any] = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": {}}
    if custom:
        return out
    for name in ("spec", "status"):
        if name in t.fields and t.fields[name].kind == MAP:
            out[name] = {}
    out.update(defaulting.copy_json(_SKELETONS.get(_group_kind(obj), {})))
    return out


def _reset_prefixes(obj: dict, subresource: str, has_status_subresource: bool, custom: bool) -> FieldSet:
    """What this endpoint may not change (the strategy's reset fields)."""
    if not subresource:
        return _STATUS if has_status_subresource else fieldpaths.EMPTY
    if subresource == "status":
        if custom:
            return frozenset((fieldpaths.field(k),) for k in obj if k not in ("apiVersion", "kind", "metadata", "status")) | _SPEC
        return _SPEC_AND_LABELS if _group_kind(obj) in _LABELS_RESET_ON_STATUS else _SPEC
    return fieldpaths.EMPTY


def _restore(obj: dict, live: dict | None, resets: FieldSet, *, custom_status: bool) -> dict:
    """`obj` with the reset fields and the system metadata taken from `live` (shallow copy)."""
    out = dict(obj)
    meta = dict(_metadata(out))
    out["metadata"] = meta
    live_meta = _metadata(live) if live is not None else {}
    for path in resets:
        container, live_container, name = out, live or {}, path[-1][2:]
        if len(path) == 2:
            container, live_container = meta, live_meta
        if isinstance(live_container, dict) and name in live_container:
            container[name] = live_container[name]
        else:
            container.pop(name, None)
    if custom_status and live is not None:
        for name in list(meta):
            if name != "managedFields":
                meta.pop(name)
        meta.update({k: v for k, v in live_meta.items() if k != "managedFields"})
    if live is not None:
        for name in _SYSTEM_METADATA:
            if name in live_meta:
                meta[name] = live_meta[name]
            else:
                meta.pop(name, None)
    return out


def _finish(obj: Any, live: dict | None, resets: FieldSet, *, t: TypeRef, custom: bool, subresource: str) -> dict:
    """Go round trip, reset fields and system metadata from live, defaults: the object as the store keeps it."""
    cleaned = merging.stored_form(obj, t, omit_empty_maps=not custom)
    if not isinstance(cleaned, dict):
        cleaned = {}
    restored = _restore(cleaned, live, resets, custom_status=custom and subresource == "status")
    return defaulting.apply_defaults(restored)


def _type_for(schemas: Schemas, obj: dict) -> TypeRef:
    found = schemas.type_of(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""))
    if found is None:
        # An unknown kind is kept whole: a granular map of deduced values.
        return DEDUCED_TYPE
    return found


class _Conflicts(Exception):
    """Fields other managers own that an apply would change, per manager."""

    def __init__(self, by_manager: dict[Identity, FieldSet]) -> None:
        super().__init__("apply conflicts")
        self.by_manager = by_manager

    def error(self) -> ApplyConflict:
        ordered = []
        for identity in sorted(self.by_manager, key=_identifier):
            label = _label(identity)
            ordered.extend((label, fieldpaths.path_string(p)) for p in fieldpaths.sorted_paths(self.by_manager[identity]))
        return ApplyConflict(ordered)


def _remove_owned(
    managers: dict[Identity, _Entry], comparison: merging.Comparison, skip: Identity | None, force: bool
) -> dict[Identity, _Entry]:
    """Every other manager loses what changed (conflicts: only with force) and what was removed."""
    changed = comparison.modified | comparison.added
    conflicts = {}
    for identity, entry in managers.items():
        if identity == skip:
            continue
        taken = entry.fields & changed
        if taken:
            conflicts[identity] = taken
    if conflicts and not force:
        raise _Conflicts(conflicts)
    removed = comparison.removed
    out: dict[Identity, _Entry] = {}
    for identity, entry in managers.items():
        fields = entry.fields
        if identity != skip:
            if identity in conflicts:
                fields = fields - conflicts[identity]
            if removed:
                fields = fields - removed
        if fields:
            out[identity] = entry if fields is entry.fields else _Entry(fields, entry.api_version, entry.time)
    return out


def _record_update(
    managers: dict[Identity, _Entry],
    before: dict,
    after: dict,
    *,
    identity: Identity,
    api_version: str,
    resets: FieldSet,
    now: str,
    t: TypeRef,
) -> dict[Identity, _Entry]:
    """managedfieldsupdater + SMD Update: the writer takes every changed field from everyone."""
    comparison = merging.compare(before, after, t).excluding(resets)
    managers = _remove_owned(managers, comparison, None, True)  # force: an update never conflicts
    taken = (frozenset(comparison.modified) | frozenset(comparison.added)) - _STRIPPED
    if taken:
        previous = managers.get(identity)
        fields = taken | previous.fields if previous else taken
        managers[identity] = _Entry(fields, api_version, now)
    return _cap_update_managers(managers)


def _with_managed_fields(obj: dict, managers: dict[Identity, _Entry]) -> dict:
    meta = obj.setdefault("metadata", {})
    if managers:
        meta["managedFields"] = _encode(managers)
    else:
        meta.pop("managedFields", None)
    return obj


def _is_reset_request(entries: Any) -> bool:
    return isinstance(entries, list) and (not entries or (len(entries) == 1 and entries[0] == {}))


# --- update --------------------------------------------------------------------------------------------


def update(
    live: dict | None,
    new: dict,
    *,
    manager: str,
    subresource: str | None,
    has_status_subresource: bool,
    now: str,
    schemas: Schemas,
) -> dict:
    """A non-apply write (create with live=None, PUT, patch result, /status, /scale).

    Returns `new` defaulted, with what the endpoint may not change taken from
    `live` (status on the main resource, spec on /status, system metadata),
    and managedFields updated: an Update entry (manager, apiVersion,
    subresource) takes every changed field silently. `managedFields: []` or
    `[{}]` in `new` clears tracking; other managedFields in `new` are kept if
    they decode (main resource only). Equal to `live` when nothing changed.
    """
    subresource = subresource or ""
    api_version = str(new.get("apiVersion") or (live or {}).get("apiVersion") or "")
    t = _type_for(schemas, new)
    custom = schemas.is_custom(api_version, str(new.get("kind") or ""))
    resets = _reset_prefixes(new, subresource, has_status_subresource, custom)
    result = _finish(_without_managed_fields(new), live, resets, t=t, custom=custom, subresource=subresource)
    requested = _metadata(new).get("managedFields")
    reset_tracking = not subresource and _is_reset_request(requested)
    managers: dict[Identity, _Entry] = {}
    if not reset_tracking:
        try:
            managers = _decode(requested) if not subresource and requested else {}
        except ValueError:
            managers = {}
        if not managers and live is not None:
            try:
                managers = _decode(_metadata(live).get("managedFields"))
            except ValueError:
                managers = {}
    if not managers and live is not None:
        # An existing object nobody tracks stays untracked until its first apply (skipnonapplied.go).
        return result
    before = _without_managed_fields(live) if live is not None else _skeleton(result, t, custom=custom)
    try:
        managers = _record_update(
            managers,
            before,
            result,
            identity=_identity(manager or "unknown", UPDATE, api_version, subresource),
            api_version=api_version,
            resets=resets,
            now=now,
            t=t,
        )
    except merging.TypedError:
        # The real server drops managedFields it cannot compute (UpdateNoErrors); validation judges the object.
        return result
    return _with_managed_fields(result, managers)


# --- apply ---------------------------------------------------------------------------------------------


def apply(
    live: dict | None,
    config: dict,
    *,
    manager: str,
    force: bool,
    subresource: str | None,
    has_status_subresource: bool,
    now: str,
    schemas: Schemas,
    api_version: str | None = None,
    kind: str | None = None,
) -> dict:
    """Server-side apply of `config` by `manager` onto `live` (None: the object is created).

    Returns the would-be object: merged, pruned, reset fields kept from
    `live`, defaulted, managedFields updated, uid/resourceVersion/generation/
    creationTimestamp as in `live`. A no-op apply returns an object equal to
    `live` (the manager's time is kept). `api_version`/`kind` are the
    endpoint's (default: live's); a body of another kind is a 400.

    Raises ApplyConflict (409) or `statuses.ApiError`: 400 for a body of the wrong
    kind or with managedFields, 409 for a uid that does not match, 500 for a
    body that does not fit the schema (as the real server answers).
    """
    subresource = subresource or ""
    _check_config(live, config, api_version=api_version, kind=kind)
    t = _type_for(schemas, config)
    errors = merging.validate(config, t)
    if errors:
        raise statuses.ApiError(500, "", _typed_error("failed to create typed patch object", config, errors))
    api = str(config.get("apiVersion") or "")
    custom = schemas.is_custom(api, str(config.get("kind") or ""))
    resets = _reset_prefixes(config if live is None else {**live, **config}, subresource, has_status_subresource, custom)

    try:
        managers = _decode(_metadata(live).get("managedFields")) if live is not None else {}
    except ValueError as exc:
        raise statuses.ApiError(500, "", f"failed to decode managed fields: {exc}") from exc
    live_obj = _without_managed_fields(live) if live is not None else {}
    if live is not None and not managers:
        try:
            managers = _record_update(
                {},
                _skeleton(live_obj, t, custom=custom),
                live_obj,
                identity=_identity(BEFORE_FIRST_APPLY, UPDATE, api, subresource),
                api_version=api,
                resets=resets,
                now=now,
                t=t,
            )
        except merging.TypedError as exc:
            raise statuses.ApiError(500, "", f"failed to create manager for existing fields: {exc}") from exc

    def applied_with(force_now: bool) -> dict:
        return _apply_managed(live, live_obj, config, managers, manager=manager, force=force_now, subresource=subresource,
                              resets=resets, custom=custom, api=api, now=now, t=t)

    try:
        result = applied_with(force)
    except _Conflicts as conflicts:
        # kubectl's first server-side apply over its own client-side applies (lastappliedmanager.go).
        remaining = _conflicts_not_explained_by_last_applied(conflicts, live_obj, manager, t)
        if remaining:
            raise _Conflicts(remaining).error() from None
        result = applied_with(True)
    if manager == KUBECTL and _last_applied(live_obj) is not None:
        # Keep kubectl's client-side apply annotation in step (lastappliedupdater.go).
        annotations = result["metadata"].setdefault("annotations", {})
        annotations[LAST_APPLIED] = _last_applied_text(config)
    return result


def _apply_managed(
    live: dict | None,
    live_obj: dict,
    config: dict,
    managers: dict[Identity, _Entry],
    *,
    manager: str,
    force: bool,
    subresource: str,
    resets: FieldSet,
    custom: bool,
    api: str,
    now: str,
    t: TypeRef,
) -> dict:
    """SMD's Updater.Apply plus what the field manager layers add: merge, prune, conflicts, reset, default."""
    try:
        merged = merging.merge(live_obj, config, t)
        applier = _identity(manager or "unknown", APPLY, "", subresource)
        applied = fieldpaths.without_prefixes(merging.field_set(config, t), resets)
        previous = managers.get(applier)
        sets = {identity: entry.fields for identity, entry in managers.items()}
        sets[applier] = applied
        pruned = _prune(merged, sets, previous.fields if previous else fieldpaths.EMPTY, applied, t)
        comparison = merging.compare(live_obj, pruned, t).excluding(resets)
    except merging.TypedError as exc:
        raise statuses.ApiError(500, "", _typed_error("failed to merge", config, exc.errors)) from exc
    managers = _remove_owned(managers, comparison, applier, force)

    result = _finish(pruned, live, resets, t=t, custom=custom, subresource=subresource)
    unchanged = live is not None and result == live_obj
    owned = applied - _STRIPPED
    if owned:
        time = previous.time if (unchanged and previous is not None and previous.time) else now
        managers[applier] = _Entry(owned, api, time)
    else:
        managers.pop(applier, None)
    return _with_managed_fields(result, managers)


def _last_applied(obj: dict) -> str | None:
    annotations = _metadata(obj).get("annotations")
    value = annotations.get(LAST_APPLIED) if isinstance(annotations, dict) else None
    return value if isinstance(value, str) and value else None


def _last_applied_text(config: dict) -> str:
    """The annotation as kubectl's client-side apply writes it: sorted compact JSON and a newline."""
    body = dict(config)
    meta = dict(_metadata(config))
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    body["metadata"] = meta
    return fieldpaths.go_json(_sorted_keys(body)) + "\n"


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def _conflicts_not_explained_by_last_applied(
    conflicts: _Conflicts, live_obj: dict, manager: str, t: TypeRef
) -> dict[Identity, FieldSet]:
    """The conflicts left once fields kubectl itself last applied client-side (and unchanged since) are allowed."""
    text = _last_applied(live_obj) if manager == KUBECTL else None
    if text is None:
        return conflicts.by_manager
    try:
        last = json.loads(text)
        if not isinstance(last, dict) or last.get("apiVersion") != live_obj.get("apiVersion") or merging.validate(last, t):
            return conflicts.by_manager
        differing = merging.compare(last, live_obj, t)
        allowed = merging.field_set(last, t) - differing.modified - differing.added - differing.removed
    except (ValueError, merging.TypedError):
        return conflicts.by_manager
    remaining = {identity: fields - allowed for identity, fields in conflicts.by_manager.items()}
    return {identity: fields for identity, fields in remaining.items() if fields}


def _check_config(live: dict | None, config: Any, *, api_version: str | None, kind: str | None) -> None:
    """What apply refuses before typing the body: not an object, another kind, managedFields, another uid."""
    if not isinstance(config, dict):
        raise statuses.bad_request("the body of an apply patch must be an object")
    expected = (api_version or (live or {}).get("apiVersion"), kind or (live or {}).get("kind"))
    got = (config.get("apiVersion"), config.get("kind"))
    if expected[0] is not None and got != expected:
        raise statuses.bad_request(f"invalid object type: {_gvk_string(*got)}")
    config_meta = config.get("metadata")
    if config_meta is not None and not isinstance(config_meta, dict):
        raise statuses.bad_request("metadata must be an object")
    if (config_meta or {}).get("managedFields") is not None:
        raise statuses.bad_request("metadata.managedFields must be nil")
    _check_uid(live, config)


def _check_uid(live: dict | None, config: dict) -> None:
    uid = _metadata(config).get("uid")
    if not uid:
        return
    live_uid = _metadata(live).get("uid") if live is not None else ""
    if uid == live_uid:
        return
    group, kind = _group_kind(config)
    raise statuses.uid_mismatch(group, _plural(kind), _metadata(config).get("name") or "", uid, live_uid or "")


def _typed_error(what: str, config: dict, errors: list[str]) -> str:
    meta = _metadata(config)
    where = f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"
    text = errors[0] if len(errors) == 1 else "\n".join(["errors:"] + ["  " + e for e in errors])
    return f"{what} ({where}; {_gvk_string(config.get('apiVersion'), config.get('kind'))}): {text}"


def _prune(merged: Any, sets: dict[Identity, FieldSet], last: FieldSet, applied: FieldSet, t: TypeRef) -> Any:
    """Remove what the applier applied last time and no longer does, unless someone owns it.

    structured-merge-diff removes the previous set, then adds back every
    field some manager owns and every field the applier never owned; the
    net effect is removing (last - owned), struct fields counting as owned
    when anything under them is.
    """
    if not last or last <= applied:
        return merged
    owned: set[Path] = set()
    for fields in sets.values():
        owned |= fields
    candidates = merging.named_members(last, t) - merging.named_members(frozenset(owned), t)
    if not candidates:
        return merged
    return merging.remove(merged, candidates, t)
