"""Deployment rollout arithmetic: surge and unavailability, replica counts, status and its conditions.

Owns the pure rules of kube-controller-manager's deployment controller
(`pkg/controller/deployment/util`): resolving maxSurge / maxUnavailable
against the replica count (percentages, rounding, the 0/0 fencepost), how far
a new ReplicaSet may scale up, how much old ones may scale down (unhealthy
pods first, never below the availability floor), proportional scaling when
replicas change mid-rollout, revisions, the status the controller writes
(observedGeneration, replicas, updatedReplicas, readyReplicas,
availableReplicas, unavailableReplicas, Available) and the Progressing
condition's rules (NewReplicaSetAvailable, ReplicaSetUpdated,
ProgressDeadlineExceeded). ReplicaSets are plain dicts; nothing here writes.
"""

from __future__ import annotations

from typing import Any

from deploykit.sim.controllers import objects

Obj = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
SKIPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY,
                                 DESIRED_REPLICAS, MAX_REPLICAS, "deprecated.deployment.rollback.to"})
MAX_INT32 = 2 ** 31 - 1

# Reasons of the Progressing and Available conditions.
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
FAILED_RS_CREATE = "ReplicaSetCreateError"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"


# --- counts ---------------------------------------------------------------------------------------


def spec_replicas(obj: Obj | None) -> int:
    if obj is None:
        return 0
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def _status(obj: Obj | None, field: str) -> int:
    return int(((obj or {}).get("status") or {}).get(field) or 0)


def replica_count(rss: list[Obj | None]) -> int:
    """Sum of spec.replicas (GetReplicaCountForReplicaSets)."""
    return sum(spec_replicas(rs) for rs in rss if rs is not None)


def actual_count(rss: list[Obj | None]) -> int:
    return sum(_status(rs, "replicas") for rs in rss)


def ready_count(rss: list[Obj | None]) -> int:
    return sum(_status(rs, "readyReplicas") for rs in rss)


def available_count(rss: list[Obj | None]) -> int:
    return sum(_status(rs, "availableReplicas") for rs in rss)


def active(rss: list[Obj]) -> list[Obj]:
    return [rs for rs in rss if spec_replicas(rs) > 0]


# --- strategy -------------------------------------------------------------------------------------


def rolling(deployment: Obj) -> bool:
    return ((deployment.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"


def fenceposts(deployment: Obj) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as numbers (ResolveFenceposts): surge rounds up, unavailable down."""
    desired = spec_replicas(deployment)
    params = ((deployment.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    surge = objects.int_or_percent(params.get("maxSurge", "25%"), desired, round_up=True)
    unavailable = objects.int_or_percent(params.get("maxUnavailable", "25%"), desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(deployment: Obj) -> int:
    return fenceposts(deployment)[0] if rolling(deployment) else 0


def max_unavailable(deployment: Obj) -> int:
    desired = spec_replicas(deployment)
    if not rolling(deployment) or desired == 0:
        return 0
    return min(fenceposts(deployment)[1], desired)


def new_rs_replicas(deployment: Obj, all_rss: list[Obj], new_rs: Obj) -> int:
    """How many replicas the new ReplicaSet may have now (NewRSNewReplicas)."""
    desired = spec_replicas(deployment)
    if not rolling(deployment):
        return desired
    current = replica_count(all_rss)
    ceiling = desired + max_surge(deployment)
    if current >= ceiling:
        return spec_replicas(new_rs)
    grow = min(ceiling - current, desired - spec_replicas(new_rs))
    return spec_replicas(new_rs) + grow


def by_creation(rss: list[Obj]) -> list[Obj]:
    return sorted(rss, key=lambda rs: (rs["metadata"].get("creationTimestamp", ""), rs["metadata"]["name"]))


def _shrink_oldest_first(rss: list[Obj], budget: int, room: Any) -> list[tuple[Obj, int]]:
    """(ReplicaSet, new size) taking up to `room(rs)` replicas from each, oldest first, `budget` in all."""
    plan, done = [], 0
    for rs in by_creation(rss):
        if done >= budget:
            break
        replicas = spec_replicas(rs)
        cut = min(budget - done, room(rs)) if replicas else 0
        if cut <= 0:
            continue
        plan.append((rs, replicas - cut))
        done += cut
    return plan


def cleanup_unhealthy(old_rss: list[Obj], deployment: Obj, budget: int) -> list[tuple[Obj, int]]:
    """Old ReplicaSets scaled down by their unavailable pods first, within `budget` (cleanupUnhealthyReplicas)."""
    return _shrink_oldest_first(old_rss, budget, lambda rs: spec_replicas(rs) - _status(rs, "availableReplicas"))


def scale_down_old(all_rss: list[Obj], old_rss: list[Obj], deployment: Obj) -> list[tuple[Obj, int]]:
    """Old ReplicaSets scaled down while availability stays above the floor (scaleDownOldReplicaSetsForRollingUpdate)."""
    floor = spec_replicas(deployment) - max_unavailable(deployment)
    available = available_count(all_rss)
    if available <= floor:
        return []
    return _shrink_oldest_first(old_rss, available - floor, spec_replicas)


def old_scale_down_budget(all_rss: list[Obj], old_rss: list[Obj], new_rs: Obj, deployment: Obj) -> int:
    """How many old replicas may go now (reconcileOldReplicaSets' maxScaledDown)."""
    if replica_count(old_rss) == 0:
        return 0
    floor = spec_replicas(deployment) - max_unavailable(deployment)
    new_unavailable = spec_replicas(new_rs) - _status(new_rs, "availableReplicas")
    return replica_count(all_rss) - floor - new_unavailable


def saturated(deployment: Obj, rs: Obj | None) -> bool:
    if rs is None:
        return False
    desired = spec_replicas(deployment)
    annotated = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS)
    return annotated == str(desired) and spec_replicas(rs) == desired and _status(rs, "availableReplicas") == desired


def active_or_latest(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
    """The one ReplicaSet to scale when only one is active (FindActiveOrLatest), else None."""
    if new_rs is None and not old_rss:
        return None
    newest_first = list(reversed(by_creation(old_rss)))
    live = active(newest_first + ([new_rs] if new_rs is not None else []))
    if not live:
        return new_rs if new_rs is not None else newest_first[0]
    return live[0] if len(live) == 1 else None


def proportional(deployment: Obj, rss: list[Obj]) -> tuple[list[tuple[Obj, int]], str]:
    """New sizes of the active ReplicaSets when the Deployment's replicas change mid-rollout (scale)."""
    desired = spec_replicas(deployment)
    allowed = desired + max_surge(deployment) if desired > 0 else 0
    to_add = allowed - replica_count(rss)
    if to_add > 0:
        ordered = sorted(rss, key=lambda rs: (-spec_replicas(rs), _neg_time(rs)))
        operation = "up"
    elif to_add < 0:
        ordered = sorted(rss, key=lambda rs: (-spec_replicas(rs), rs["metadata"].get("creationTimestamp", "")))
        operation = "down"
    else:
        return [(rs, spec_replicas(rs)) for rs in rss], ""
    added, sizes = 0, []
    status_replicas = _status(deployment, "replicas")
    for rs in ordered:
        share = _proportion(rs, deployment, to_add, added, status_replicas)
        sizes.append([rs, spec_replicas(rs) + share])
        added += share
    if sizes:
        sizes[0][1] = max(0, sizes[0][1] + to_add - added)
    return [(rs, size) for rs, size in sizes], operation


def _neg_time(rs: Obj) -> str:
    return "".join(chr(0x10FFFF - ord(ch)) for ch in rs["metadata"].get("creationTimestamp", ""))


def _proportion(rs: Obj, deployment: Obj, to_add: int, added: int, status_replicas: int) -> int:
    replicas = spec_replicas(rs)
    if replicas == 0 or to_add == 0 or to_add == added:
        return 0
    desired = spec_replicas(deployment)
    if desired == 0:
        fraction = -replicas
    else:
        ceiling = desired + max_surge(deployment)
        try:
            annotated = int((rs["metadata"].get("annotations") or {}).get(MAX_REPLICAS, ""))
        except ValueError:
            annotated = status_replicas
        fraction = int(round(replicas * ceiling / annotated)) - replicas if annotated else 0
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


# --- revisions ------------------------------------------------------------------------------------


def revision(obj: Obj | None) -> int:
    try:
        return int(((obj or {}).get("metadata", {}).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def new_rs_annotations(deployment: Obj, rs: Obj, new_revision: int, *, exists: bool) -> dict[str, str] | None:
    """The ReplicaSet's annotations after SetNewReplicaSetAnnotations, or None when unchanged."""
    current = dict(rs["metadata"].get("annotations") or {})
    out = dict(current)
    for key, value in ((deployment["metadata"].get("annotations") or {})).items():
        if key not in SKIPPED_ANNOTATIONS:
            out[key] = value
    old = current.get(REVISION, "")
    try:
        old_int = int(old) if old else 0
    except ValueError:
        old_int = 0
    if old_int < new_revision:
        out[REVISION] = str(new_revision)
        if old:
            history = [h for h in out.get(REVISION_HISTORY, "").split(",") if h]
            out[REVISION_HISTORY] = ",".join(history + [old])
    if not exists:
        out[DESIRED_REPLICAS] = str(spec_replicas(deployment))
        out[MAX_REPLICAS] = str(spec_replicas(deployment) + max_surge(deployment))
    return None if out == current else out


def replicas_annotations(deployment: Obj, rs: Obj) -> dict[str, str]:
    out = dict(rs["metadata"].get("annotations") or {})
    out[DESIRED_REPLICAS] = str(spec_replicas(deployment))
    out[MAX_REPLICAS] = str(spec_replicas(deployment) + max_surge(deployment))
    return out


# --- status ---------------------------------------------------------------------------------------


def condition(kind: str, status: str, reason: str, message: str, now: str) -> Obj:
    return {"type": kind, "status": status, "lastUpdateTime": now, "lastTransitionTime": now, "reason": reason,
            "message": message}


def calculate_status(deployment: Obj, all_rss: list[Obj], new_rs: Obj | None, *, now: str) -> Obj:
    """calculateStatus: counts from the ReplicaSets, the Available condition, other conditions kept."""
    rss: list[Obj | None] = list(all_rss)
    available = available_count(rss)
    unavailable = max(0, replica_count(rss) - available)
    status: Obj = {"observedGeneration": deployment["metadata"].get("generation", 1), **objects.nonzero(
        replicas=actual_count(rss), updatedReplicas=actual_count([new_rs]), readyReplicas=ready_count(rss),
        availableReplicas=available, unavailableReplicas=unavailable)}
    conditions = list(((deployment.get("status") or {}).get("conditions")) or [])
    if available >= spec_replicas(deployment) - max_unavailable(deployment):
        conditions = objects.set_condition(conditions, condition(
            "Available", "True", MIN_AVAILABLE, "Deployment has minimum availability.", now))
    else:
        conditions = objects.set_condition(conditions, condition(
            "Available", "False", MIN_UNAVAILABLE, "Deployment does not have minimum availability.", now))
    status["conditions"] = conditions
    collisions = (deployment.get("status") or {}).get("collisionCount")
    if collisions is not None:
        status["collisionCount"] = collisions
    return status


def has_progress_deadline(deployment: Obj) -> bool:
    value = (deployment.get("spec") or {}).get("progressDeadlineSeconds")
    return value is not None and value != MAX_INT32


def complete(deployment: Obj, status: Obj) -> bool:
    desired = spec_replicas(deployment)
    return (status.get("updatedReplicas", 0) == desired and status.get("replicas", 0) == desired
            and status.get("availableReplicas", 0) == desired
            and status.get("observedGeneration", 0) >= deployment["metadata"].get("generation", 1))


def progressing(old: Obj, new: Obj) -> bool:
    def old_replicas(s: Obj) -> int:
        return s.get("replicas", 0) - s.get("updatedReplicas", 0)
    return (new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
            or new.get("readyReplicas", 0) > old.get("readyReplicas", 0)
            or new.get("availableReplicas", 0) > old.get("availableReplicas", 0)
            or old_replicas(new) < old_replicas(old))


__all__ = [
    "REVISION", "active", "active_or_latest", "calculate_status", "cleanup_unhealthy", "complete", "condition",
    "fenceposts", "has_progress_deadline", "max_surge", "max_unavailable", "new_rs_annotations", "new_rs_replicas",
    "old_scale_down_budget", "progressing", "proportional", "replica_count", "revision", "saturated",
    "scale_down_old", "spec_replicas",
]
