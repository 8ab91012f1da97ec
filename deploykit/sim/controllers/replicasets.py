"""The ReplicaSet controller: keeps `spec.replicas` pods of the template running, and counts them.

Owns what kube-controller-manager's replicaset controller does: create the
missing pods from the template (generateName `<rs>-`, a controller
ownerReference, SuccessfulCreate events; a refused create gives FailedCreate
and the ReplicaFailure condition), delete the surplus ones in the real order
(unscheduled, pending, not ready, most restarts, newest first; SuccessfulDelete),
and write the status: replicas, fullyLabeledReplicas, readyReplicas,
availableReplicas (Ready for minReadySeconds) and observedGeneration. Pods
being deleted or finished do not count. Adopting orphans is not simulated.
"""

from __future__ import annotations

from typing import Any

from deploykit.sim.controllers import objects, reconciling, templates

Obj = dict[str, Any]
_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def deletion_order(pods: list[Obj]) -> list[Obj]:
    """Pods in the order a ReplicaSet deletes them when scaling down (ActivePodsWithRanks)."""
    def rank(pod: Obj) -> tuple[Any, ...]:
        status = pod.get("status") or {}
        ready = objects.condition(status, "Ready")
        ready_since = (ready or {}).get("lastTransitionTime") or ""
        return (bool((pod.get("spec") or {}).get("nodeName")), _PHASE_RANK.get(status.get("phase", ""), 0),
                objects.pod_ready(pod), _inverted(ready_since) if objects.pod_ready(pod) else "",
                -objects.restarts(pod), _inverted(pod["metadata"].get("creationTimestamp", "")))
    return sorted(pods, key=rank)


def _inverted(stamp: str) -> str:
    """Sorts newer timestamps first."""
    return "".join(chr(0x10FFFF - ord(ch)) for ch in stamp)


def replica_status(rs: Obj, pods: list[Obj], *, min_ready: float, now: float,
                   failure: Obj | None = None) -> Obj:
    """The status the controller writes for `rs` owning `pods` (active and not)."""
    active = [p for p in pods if objects.pod_active(p)]
    template_labels = ((rs.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    labeled = sum(1 for p in active if all((p["metadata"].get("labels") or {}).get(k) == v
                                           for k, v in template_labels.items()))
    ready = sum(1 for p in active if objects.pod_ready(p))
    available = sum(1 for p in active if objects.pod_available(p, min_ready, now))
    status: Obj = {"replicas": len(active), **objects.nonzero(fullyLabeledReplicas=labeled, readyReplicas=ready,
                                                               availableReplicas=available),
                   "observedGeneration": rs["metadata"].get("generation", 1)}
    conditions = [c for c in (rs.get("status") or {}).get("conditions") or () if c.get("type") != "ReplicaFailure"]
    if failure is not None:
        conditions.append(failure)
    if conditions:
        status["conditions"] = conditions
    return status


class ReplicaSets(reconciling.Controller):
    resource = ("apps", "v1", "replicasets")
    owned = (("", "v1", "pods"),)
    component = "replicaset-controller"

    def reconcile(self, namespace: str, name: str) -> float | None:
        rs = self.live(namespace, name)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            return None
        pods_rt = self.ctx.rt("", "v1", "pods")
        pods = objects.dependents(self.store, rs, pods_rt.key)
        active = [p for p in pods if objects.pod_active(p)]
        wanted = (rs.get("spec") or {}).get("replicas", 1)
        failure = None
        if len(active) < wanted:
            failure = self._create(rs, wanted - len(active))
        elif len(active) > wanted:
            for pod in deletion_order(active)[: len(active) - wanted]:
                self.delete_pod(rs, pod)
        if failure is None:
            current = objects.condition(rs.get("status"), "ReplicaFailure")
            failure = current if current is not None and len(active) < wanted else None
        rs = self.live(namespace, name) or rs
        pods = objects.dependents(self.store, rs, pods_rt.key)
        min_ready = self.timing.scaled((rs.get("spec") or {}).get("minReadySeconds") or 0)
        status = replica_status(rs, pods, min_ready=min_ready, now=self.ctx.now(), failure=failure)
        self.write_status(rs, status)
        if min_ready and status.get("readyReplicas", 0) > status.get("availableReplicas", 0):
            return min(min_ready, 1.0)
        return None

    def _create(self, rs: Obj, count: int) -> Obj | None:
        """Create `count` pods; the ReplicaFailure condition when the API refuses one."""
        template = (rs.get("spec") or {}).get("template") or {}
        for _ in range(count):
            refused = self.create_pod(rs, templates.pod_from_template(template, rs))
            if refused is not None:
                return {"type": "ReplicaFailure", "status": "True", "lastTransitionTime": self.api.now(),
                        "reason": "FailedCreate", "message": refused.message}
        return None


__all__ = ["ReplicaSets", "deletion_order", "replica_status"]
