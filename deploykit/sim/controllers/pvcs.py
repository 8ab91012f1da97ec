"""PersistentVolumeClaims: bound to a simulated volume shortly after they are created.

Owns what the PV controller and a dynamic provisioner do together: after a
short delay, set `spec.volumeName` (`pvc-<uid>`) with the bind annotations,
then status phase Bound with the requested capacity and access modes.
`sim.deploykit.io/behavior: pending` keeps a claim Pending (a FailedBinding
event says why). No PersistentVolume objects exist: the simulator does not
serve that kind.
"""

from __future__ import annotations

from typing import Any

from deploykit.sim.controllers import behaviours, events, reconciling

Obj = dict[str, Any]


class Claims(reconciling.Controller):
    resource = ("", "v1", "persistentvolumeclaims")
    component = "persistentvolume-controller"

    def __init__(self, ctx: reconciling.Context) -> None:
        super().__init__(ctx)
        self._told: set[str] = set()

    def forget(self, uid: str) -> None:
        self._told.discard(uid)

    def reconcile(self, namespace: str, name: str) -> float | None:
        key = (namespace, name)
        pvc = self.live(namespace, name)
        if pvc is None or pvc["metadata"].get("deletionTimestamp") or \
                (pvc.get("status") or {}).get("phase") == "Bound":
            self.forget_delay(key)
            return None
        if "pending" in behaviours.object_tokens(pvc["metadata"].get("annotations")):
            uid = pvc["metadata"]["uid"]
            if uid not in self._told:
                self._told.add(uid)
                self.event(pvc, events.NORMAL, "FailedBinding",
                           "no persistent volumes available for this claim and no storage class is set")
            return None
        left = self.delay(key, self.timing.scaled(self.timing.bind_claim))
        if left is not None:
            return left
        spec = pvc.get("spec") or {}
        volume = spec.get("volumeName") or f"pvc-{pvc['metadata']['uid']}"
        if spec.get("volumeName") != volume:
            annotations = {**(pvc["metadata"].get("annotations") or {}), "pv.kubernetes.io/bind-completed": "yes",
                           "pv.kubernetes.io/bound-by-controller": "yes"}
            body = dict(pvc, metadata=dict(pvc["metadata"], annotations=annotations),
                        spec=dict(spec, volumeName=volume))
            pvc = self.api.update(self.rt, namespace, name, body, manager=self.manager).obj
        status = dict(pvc.get("status") or {}, phase="Bound",
                      accessModes=list(spec.get("accessModes") or ["ReadWriteOnce"]))
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        if storage:
            status["capacity"] = {"storage": storage}
        self.write_status(pvc, status)
        return None


__all__ = ["Claims"]
