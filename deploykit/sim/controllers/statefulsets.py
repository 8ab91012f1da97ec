"""The StatefulSet controller: ordinal pods in order, their claims, revisions and rolling updates.

Owns what kube-controller-manager's statefulset controller does: pods
`<name>-0 .. <name>-(n-1)` with hostname / subdomain, the labels
`controller-revision-hash`, `statefulset.kubernetes.io/pod-name` and
`apps.kubernetes.io/pod-index`, one PersistentVolumeClaim per
volumeClaimTemplate and ordinal (`<claim>-<name>-<i>`); OrderedReady creates
one pod at a time and waits for it to be Running and Ready (Parallel does
not), scale-down deletes from the highest ordinal; failed pods are replaced;
RollingUpdate replaces pods of an old revision from the highest ordinal down
(respecting partition), one at a time; OnDelete waits for the user. Status:
observedGeneration, replicas, readyReplicas, currentReplicas,
updatedReplicas, availableReplicas, currentRevision, updateRevision,
collisionCount.
"""

from __future__ import annotations

from typing import Any

from deploykit.sim import statuses
from deploykit.sim.controllers import events, objects, reconciling, revisions, templates

Obj = dict[str, Any]
REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def ordinal(set_name: str, pod: Obj) -> int | None:
    name = pod["metadata"]["name"]
    prefix, _, index = name.rpartition("-")
    if prefix != set_name or not index.isdigit():
        return None
    return int(index)


class StatefulSets(reconciling.Controller):
    resource = ("apps", "v1", "statefulsets")
    owned = (("", "v1", "pods"),)
    component = "statefulset-controller"

    def __init__(self, ctx: reconciling.Context) -> None:
        super().__init__(ctx)
        self.history = revisions.History(ctx.api)
        self.pods_rt = ctx.rt("", "v1", "pods")
        self.claims_rt = ctx.rt("", "v1", "persistentvolumeclaims")

    def reconcile(self, namespace: str, name: str) -> float | None:
        sts = self.live(namespace, name)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            return None
        spec = sts.get("spec") or {}
        update = self.history.current(sts)
        update_name = update["metadata"]["name"]
        current_name = (sts.get("status") or {}).get("currentRevision") or update_name
        replicas = spec.get("replicas", 1)
        ordered = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
        strategy = spec.get("updateStrategy") or {}
        partition = int(((strategy.get("rollingUpdate") or {}).get("partition")) or 0)
        pods = {}
        for pod in objects.dependents(self.store, sts, self.pods_rt.key):
            index = ordinal(name, pod)
            if index is not None:
                pods[index] = pod
        self._step(sts, pods, replicas=replicas, ordered=ordered, update=update, current_name=current_name,
                   rolling=strategy.get("type", "RollingUpdate") == "RollingUpdate", partition=partition)
        pods = {ordinal(name, p): p for p in objects.dependents(self.store, sts, self.pods_rt.key)
                if ordinal(name, p) is not None}
        self._write_status(sts, pods, replicas=replicas, update_name=update_name, current_name=current_name)
        self.history.trim(sts, keep={update_name, current_name} | {
            (p["metadata"].get("labels") or {}).get(REVISION_LABEL, "") for p in pods.values()})
        return None

    def _step(self, sts: Obj, pods: dict[int, Obj], *, replicas: int, ordered: bool, update: Obj, current_name: str,
              rolling: bool, partition: int) -> None:
        """One step towards the spec: create, replace failed, scale down, roll; OrderedReady waits between."""
        for index in range(replicas):
            pod = pods.get(index)
            if pod is None:
                self._create(sts, index, update=update, current_name=current_name, partition=partition)
                if ordered:
                    return
                continue
            if objects.pod_terminal(pod) and (pod.get("status") or {}).get("phase") == "Failed" and \
                    not pod["metadata"].get("deletionTimestamp"):
                self._delete(sts, pod)
                if ordered:
                    return
                continue
            if ordered and (pod["metadata"].get("deletionTimestamp") or not objects.pod_ready(pod)):
                return
        condemned = sorted((i for i in pods if i >= replicas), reverse=True)
        for index in condemned:
            pod = pods[index]
            if not pod["metadata"].get("deletionTimestamp"):
                self._delete(sts, pod)
            if ordered:
                return
        if not rolling:
            return
        if any(p["metadata"].get("deletionTimestamp") or not objects.pod_ready(p) for i, p in pods.items()
               if i < replicas):
            return
        for index in range(replicas - 1, partition - 1, -1):
            pod = pods.get(index)
            if pod is not None and (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != \
                    update["metadata"]["name"]:
                self._delete(sts, pod)
                return

    def _create(self, sts: Obj, index: int, *, update: Obj, current_name: str, partition: int) -> None:
        name, namespace = sts["metadata"]["name"], sts["metadata"]["namespace"]
        pod_name = f"{name}-{index}"
        spec = sts.get("spec") or {}
        revision = update["metadata"]["name"] if index >= partition else current_name
        template = spec.get("template") or {}
        if revision != update["metadata"]["name"]:
            old = self.store.get(self.history.rt.key, namespace, revision)
            if old is not None:
                template = {k: v for k, v in old["data"]["spec"]["template"].items() if k != "$patch"}
        volumes = [v for v in (template.get("spec") or {}).get("volumes") or ()]
        for claim in spec.get("volumeClaimTemplates") or ():
            claim_name = f"{claim['metadata']['name']}-{name}-{index}"
            self._ensure_claim(sts, claim, claim_name, pod_name)
            volumes = [v for v in volumes if v.get("name") != claim["metadata"]["name"]]
            volumes.append({"name": claim["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim_name}})
        changes: Obj = {"hostname": pod_name}
        if spec.get("serviceName"):
            changes["subdomain"] = spec["serviceName"]
        if volumes:
            changes["volumes"] = volumes
        pod = templates.pod_from_template(template, sts, name=pod_name, spec_changes=changes, extra_labels={
            REVISION_LABEL: revision, POD_NAME_LABEL: pod_name, POD_INDEX_LABEL: str(index)})
        try:
            self.api.create(self.pods_rt, namespace, pod, manager=self.manager)
        except statuses.ApiError as exc:
            if exc.code != 409:
                self.event(sts, events.WARNING, "FailedCreate",
                           f"create Pod {pod_name} in StatefulSet {name} failed error: {exc.message}")
            return
        self.event(sts, events.NORMAL, "SuccessfulCreate", f"create Pod {pod_name} in StatefulSet {name} successful")

    def _ensure_claim(self, sts: Obj, claim: Obj, claim_name: str, pod_name: str) -> None:
        namespace = sts["metadata"]["namespace"]
        if self.store.get(self.claims_rt.key, namespace, claim_name) is not None:
            return
        meta = dict(claim.get("metadata") or {})
        labels = {**(meta.get("labels") or {}), **((sts.get("spec") or {}).get("selector") or {}).get("matchLabels", {})}
        body = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim_name, "namespace": namespace, "labels": labels,
                             **({"annotations": meta["annotations"]} if meta.get("annotations") else {})},
                "spec": dict(claim.get("spec") or {})}
        try:
            self.api.create(self.claims_rt, namespace, body, manager=self.manager)
        except statuses.ApiError as exc:
            if exc.code != 409:
                self.event(sts, events.WARNING, "FailedCreate",
                           f"create Claim {claim_name} for Pod {pod_name} in StatefulSet {sts['metadata']['name']} "
                           f"failed error: {exc.message}")
            return
        self.event(sts, events.NORMAL, "SuccessfulCreate",
                   f"create Claim {claim_name} Pod {pod_name} in StatefulSet {sts['metadata']['name']} success")

    def _delete(self, sts: Obj, pod: Obj) -> None:
        try:
            self.api.delete(self.pods_rt, pod["metadata"]["namespace"], pod["metadata"]["name"])
        except statuses.ApiError:
            return
        self.event(sts, events.NORMAL, "SuccessfulDelete",
                   f"delete Pod {pod['metadata']['name']} in StatefulSet {sts['metadata']['name']} successful")

    def _write_status(self, sts: Obj, pods: dict[int, Obj], *, replicas: int, update_name: str,
                      current_name: str) -> None:
        live = [p for p in pods.values() if not p["metadata"].get("deletionTimestamp")]
        counted = [p for p in live if not objects.pod_terminal(p)]
        min_ready = self.timing.scaled((sts.get("spec") or {}).get("minReadySeconds") or 0)

        def revision(p: Obj) -> str:
            return (p["metadata"].get("labels") or {}).get(REVISION_LABEL, "")

        ready = sum(1 for p in counted if objects.pod_ready(p))
        available = sum(1 for p in counted if objects.pod_available(p, min_ready, self.ctx.now()))
        updated = sum(1 for p in counted if revision(p) == update_name)
        current = sum(1 for p in counted if revision(p) == current_name)
        if updated == replicas and ready == replicas and len(counted) == replicas:
            current_name, current = update_name, updated
        status: Obj = {"observedGeneration": sts["metadata"].get("generation", 1), "replicas": len(counted),
                       **objects.nonzero(readyReplicas=ready, currentReplicas=current, updatedReplicas=updated)}
        status.update(currentRevision=current_name, updateRevision=update_name,
                      collisionCount=(sts.get("status") or {}).get("collisionCount", 0), availableReplicas=available)
        self.write_status(sts, status)


__all__ = ["StatefulSets", "ordinal"]
