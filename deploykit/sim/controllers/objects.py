"""Plain-dict helpers the simulated components share: owner references, conditions, pod states.

Owns the small rules every controller applies the way client-go's helpers
do: which object controls another (the ownerReference with controller: true),
building a controller reference, reading and setting status conditions while
keeping lastTransitionTime when the status does not change, whether a pod is
active, ready or available (Ready for minReadySeconds), int-or-percent
values and the dependents a controller owns (read from the store it is
given). Times are `deploykit.sim.times`. No writes, no API calls.
"""

from __future__ import annotations

import math
from typing import Any

from deploykit.sim import times

Obj = dict[str, Any]


# --- ownership ------------------------------------------------------------------------------------


def controller_of(obj: Obj) -> Obj | None:
    """The ownerReference marked controller: true, if any."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def controlled_by(obj: Obj, uid: str) -> bool:
    ref = controller_of(obj)
    return ref is not None and ref.get("uid") == uid


def controller_ref(owner: Obj) -> Obj:
    """The ownerReference a controller puts on what it creates (GC waits for it on foreground deletion)."""
    meta = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


# --- conditions -----------------------------------------------------------------------------------


def condition(status: Obj | None, kind: str) -> Obj | None:
    for cond in (status or {}).get("conditions") or ():
        if cond.get("type") == kind:
            return cond
    return None


def condition_true(status: Obj | None, kind: str) -> bool:
    cond = condition(status, kind)
    return cond is not None and cond.get("status") == "True"


def set_condition(conditions: list[Obj], new: Obj) -> list[Obj]:
    """`conditions` with `new` in place of the one of its type (SetDeploymentCondition's rules).

    Same status and reason: nothing changes (the old entry stays, times included). Same status,
    another reason: lastTransitionTime is kept. The changed condition moves to the end, as the
    controllers' filter-and-append does.
    """
    current = next((c for c in conditions if c.get("type") == new["type"]), None)
    if current is not None and current.get("status") == new["status"] and current.get("reason") == new.get("reason"):
        return conditions
    if current is not None and current.get("status") == new["status"] and "lastTransitionTime" in current:
        new = dict(new, lastTransitionTime=current["lastTransitionTime"])
    return [c for c in conditions if c.get("type") != new["type"]] + [new]


def without_condition(conditions: list[Obj], kind: str) -> list[Obj]:
    return [c for c in conditions if c.get("type") != kind]


# --- pods -----------------------------------------------------------------------------------------


def pod_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def pod_active(pod: Obj) -> bool:
    """Counted by workload controllers: not finished and not being deleted (FilterActivePods)."""
    return not pod_terminal(pod) and not pod["metadata"].get("deletionTimestamp")


def pod_ready(pod: Obj) -> bool:
    return condition_true(pod.get("status"), "Ready")


def pod_available(pod: Obj, min_ready_seconds: float, now: float) -> bool:
    """Ready, and for at least `min_ready_seconds` (already scaled to real seconds)."""
    cond = condition(pod.get("status"), "Ready")
    if cond is None or cond.get("status") != "True":
        return False
    if min_ready_seconds <= 0:
        return True
    since = times.parse(cond.get("lastTransitionTime"))
    return since is not None and since + min_ready_seconds <= now


def restarts(pod: Obj) -> int:
    return sum(int(c.get("restartCount") or 0) for c in (pod.get("status") or {}).get("containerStatuses") or ())


# --- values ---------------------------------------------------------------------------------------


def int_or_percent(value: Any, total: int, *, round_up: bool) -> int:
    """An IntOrString scaled against `total` (GetScaledValueFromIntOrPercent)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        try:
            percent = float(text[:-1])
        except ValueError:
            return 0
        exact = percent * total / 100.0
        return int(math.ceil(exact)) if round_up else int(math.floor(exact))
    try:
        return int(text)
    except ValueError:
        return 0


def nonzero(**fields: Any) -> Obj:
    """The fields whose value is not zero / empty, in order: the `omitempty` counters of workload statuses."""
    return {k: v for k, v in fields.items() if v}


def dependents(store: Any, owner: Obj, key: tuple[str, str]) -> list[Obj]:
    """Objects of collection `key` controlled by `owner` (through the store's owner index)."""
    uid = owner["metadata"].get("uid", "")
    out = []
    for dep_key, namespace, name in store.dependents(uid):
        if dep_key != key:
            continue
        obj = store.get(key, namespace, name)
        if obj is not None and controlled_by(obj, uid):
            out.append(obj)
    return out


__all__ = [
    "condition", "condition_true", "controlled_by", "controller_of", "controller_ref", "dependents",
    "int_or_percent", "nonzero", "pod_active", "pod_available", "pod_ready", "pod_terminal", "restarts",
    "set_condition", "without_condition",
]
