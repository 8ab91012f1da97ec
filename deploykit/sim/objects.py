"""What the server owns in an object: metadata stamping, generation, status reset, field order, Scale views.

Pure functions over plain dicts, shared by the write path (`api`): a new
object's uid / creationTimestamp / generation, what an update carries over
from the live object, when `metadata.generation` moves (per the kind's
strategy), which part a main-resource or `/status` write may change, the
autoscaling/v1 Scale view, the field order the real server writes. No store,
no clock (the caller passes `now`), no I/O.
"""

from __future__ import annotations

from typing import Any

from deploykit.sim import resources, selectors, strategies


def strip_server_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k not in ("resourceVersion", "selfLink")}


def reset_status(rt: resources.ResourceType, new: dict[str, Any], live: dict[str, Any] | None,
                  subresource: str | None) -> dict[str, Any]:
    """Main resource may not change status (when status is a subresource); /status may not change spec."""
    if subresource == "status":
        out = dict(new)
        for field in list(out):
            if field not in ("apiVersion", "kind", "metadata", "status"):
                del out[field]
        for field, value in (live or {}).items():
            if field not in ("apiVersion", "kind", "metadata", "status"):
                out[field] = value
        meta = dict(out["metadata"])
        live_meta = (live or {}).get("metadata") or {}
        # The Deployment status strategy resets labels but lets annotations through: the deployment
        # controller writes its revision annotation with the status.
        for field in ("labels", "finalizers", "ownerReferences") if rt.kind == "Deployment" \
                else ("finalizers", "ownerReferences"):
            if field in live_meta:
                meta[field] = live_meta[field]
            else:
                meta.pop(field, None)
        out["metadata"] = meta
        return out
    if rt.status and subresource is None:
        out = dict(new)
        if live is not None:
            if "status" in live:
                out["status"] = live["status"]
            else:
                out.pop("status", None)
        else:
            status = strategies.initial_status(rt, new)
            if status is None:
                out.pop("status", None)
            else:
                out["status"] = status
        return out
    return new


def generation(rt: resources.ResourceType, live: dict[str, Any], new: dict[str, Any], *,
               subresource: str | None = None) -> int | None:
    """metadata.generation after `live` becomes `new`, as the kind's registry strategy moves it.

    Writes to /status never move it (the status strategies leave generation alone), even when they
    change annotations, as the deployment controller's revision annotation does.
    """
    old_gen = live["metadata"].get("generation")
    if rt.generation == resources.GEN_NONE or subresource == "status":
        return old_gen
    old_gen = old_gen or 1
    if rt.generation == resources.GEN_CONTENT:
        strip = ("metadata", "status")
        changed = {k: v for k, v in live.items() if k not in strip} != {
            k: v for k, v in new.items() if k not in strip
        }
    else:
        changed = live.get("spec") != new.get("spec")
        if rt.generation == resources.GEN_SPEC_ANNOTATIONS and not changed:
            changed = (live["metadata"].get("annotations") or {}) != (new["metadata"].get("annotations") or {})
    return old_gen + 1 if changed else old_gen


def stamp_new(rt: resources.ResourceType, obj: dict[str, Any], *, uid: str, now: str) -> dict[str, Any]:
    """A new object's server-owned metadata: uid, creationTimestamp, generation 1 (if the kind has one)."""
    meta = strip_server_meta(obj["metadata"])
    for field in ("deletionTimestamp", "deletionGracePeriodSeconds"):
        meta.pop(field, None)
    meta["uid"] = uid
    meta["creationTimestamp"] = now
    if rt.generation != resources.GEN_NONE:
        meta["generation"] = 1
    else:
        meta.pop("generation", None)
    return dict(obj, metadata=meta)


def carry_meta(rt: resources.ResourceType, live: dict[str, Any], new: dict[str, Any], *,
               subresource: str | None = None) -> dict[str, Any]:
    """An update keeps what only the server sets (uid, creationTimestamp, deletion marks) and moves generation."""
    live_meta = live["metadata"]
    meta = dict(new["metadata"])
    for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "namespace",
                  "name"):
        if field in live_meta:
            meta[field] = live_meta[field]
        else:
            meta.pop(field, None)
    meta.pop("selfLink", None)
    meta["resourceVersion"] = live_meta.get("resourceVersion")
    out = dict(new, metadata=meta)
    moved = generation(rt, live, out, subresource=subresource)
    if moved is None:
        meta.pop("generation", None)
    else:
        meta["generation"] = moved
    return out


def scale_view(rt: resources.ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """The autoscaling/v1 Scale view of an object."""
    assert rt.scale is not None
    meta = obj["metadata"]
    spec_replicas = get_path(obj, rt.scale.spec_replicas)
    status_replicas = get_path(obj, rt.scale.status_replicas)
    selector = get_path(obj, rt.scale.label_selector) if rt.scale.label_selector else None
    if isinstance(selector, dict):
        selector = selectors.to_string(selector)
    status: dict[str, Any] = {"replicas": status_replicas or 0}
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                     if k in meta},
        "spec": {"replicas": spec_replicas or 0} if spec_replicas is not None else {},
        "status": status,
    }


_TOP = ("apiVersion", "kind", "metadata")
_META_ORDER = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
               "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
               "finalizers", "managedFields")


def ordered(obj: dict[str, Any]) -> dict[str, Any]:
    """Fields in the order the real server writes them, so output reads the same (apiVersion, kind first)."""
    meta = obj["metadata"]
    ordered_meta = {k: meta[k] for k in _META_ORDER if k in meta}
    if len(ordered_meta) != len(meta):
        ordered_meta.update((k, v) for k, v in meta.items() if k not in ordered_meta)
    out = {k: obj[k] for k in _TOP if k in obj}
    out["metadata"] = ordered_meta
    out.update((k, v) for k, v in obj.items() if k not in out and k != "status")
    if "status" in obj:
        out["status"] = obj["status"]
    return out


def get_path(obj: dict[str, Any], path: str | None) -> Any:
    current: Any = obj
    for part in (path or "").strip(".").split("."):
        if not part:
            continue
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    parts = path.strip(".").split(".")
    current = obj
    for part in parts[:-1]:
        nxt = current.get(part)
        nxt = dict(nxt) if isinstance(nxt, dict) else {}
        current[part] = nxt
        current = nxt
    current[parts[-1]] = value
