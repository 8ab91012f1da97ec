"""Which pods and ReplicaSets belong to a tracked object's current revision: pure.

Only the current revision's pods count: an old ReplicaSet's crashing pods are
not this deploy's failure, and their readiness is not this deploy's success.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from deploykit.track.rules import Related

REVISION = "deployment.kubernetes.io/revision"


def _uid(obj: Mapping[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("uid", "")


def owned_by(objects: Iterable[Mapping[str, Any]], owner_uid: str) -> list[Mapping[str, Any]]:
    return [
        obj for obj in objects
        if any(ref.get("uid") == owner_uid for ref in (obj.get("metadata") or {}).get("ownerReferences") or [])
    ]


def _revision(obj: Mapping[str, Any]) -> int:
    try:
        return int(((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def current_replica_set(deployment: Mapping[str, Any], replica_sets: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The ReplicaSet of the Deployment's current revision (the newest one if the revision is not yet written)."""
    if not replica_sets:
        return None
    wanted = _revision(deployment)
    for rs in replica_sets:
        if wanted and _revision(rs) == wanted:
            return rs
    return max(replica_sets, key=_revision)


def related_for(
    obj: Mapping[str, Any], *, pods: list[Mapping[str, Any]], replica_sets: list[Mapping[str, Any]]
) -> Related:
    """The Related objects of `obj` among the pods and ReplicaSets of its namespace."""
    kind, uid = obj.get("kind"), _uid(obj)
    if not uid:
        return Related()
    if kind == "Deployment":
        mine = owned_by(replica_sets, uid)
        current = current_replica_set(obj, mine)
        current_pods = owned_by(pods, _uid(current)) if current else []
        return Related(pods=current_pods, replica_sets=[current] if current else [])
    if kind == "StatefulSet":
        update_revision = (obj.get("status") or {}).get("updateRevision")
        mine = owned_by(pods, uid)
        if update_revision:
            mine = [p for p in mine
                    if ((p.get("metadata") or {}).get("labels") or {}).get("controller-revision-hash") == update_revision]
        return Related(pods=mine)
    if kind == "DaemonSet":
        generation = str((obj.get("metadata") or {}).get("generation", ""))
        mine = owned_by(pods, uid)
        current = [p for p in mine
                   if ((p.get("metadata") or {}).get("labels") or {}).get("pod-template-generation") == generation]
        return Related(pods=current or mine)
    if kind in ("ReplicaSet", "Job"):
        return Related(pods=owned_by(pods, uid))
    return Related()


def pod_owner_chain(pod: Mapping[str, Any], replica_sets_by_uid: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """UIDs of the pod's owners, and of their owners when the owner is a ReplicaSet."""
    chain = []
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        chain.append(ref.get("uid", ""))
        rs = replica_sets_by_uid.get(ref.get("uid", ""))
        if rs is not None:
            chain += [r.get("uid", "") for r in (rs.get("metadata") or {}).get("ownerReferences") or []]
    return chain
