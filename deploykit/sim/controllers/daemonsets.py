"""The DaemonSet controller: one pod per eligible simulated node, rolling updates, status counts.

Owns what kube-controller-manager's daemonset controller does: for every
node the template's nodeSelector / node affinity admits, one pod pinned to
it by a `matchFields metadata.name` node affinity (the scheduler binds it),
with the `controller-revision-hash` and `pod-template-generation` labels and
the daemon tolerations; extra and misscheduled pods deleted, failed ones
replaced (FailedDaemonPod); RollingUpdate replaces old-revision pods within
maxUnavailable (default 1); OnDelete waits for the user. Status:
desiredNumberScheduled, currentNumberScheduled, numberMisscheduled,
numberReady, numberAvailable, numberUnavailable, updatedNumberScheduled,
observedGeneration. SuccessfulCreate / SuccessfulDelete events.
"""

from __future__ import annotations

from typing import Any

from deploykit.sim.controllers import events, nodes as nodes_mod, objects, reconciling, revisions, scheduling
from deploykit.sim.controllers import templates

Obj = dict[str, Any]
REVISION_LABEL = "controller-revision-hash"
GENERATION_LABEL = "pod-template-generation"
TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def pinned_node(pod: Obj) -> str | None:
    """The node a daemon pod is for: its nodeName, or the matchFields affinity the controller set."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return spec["nodeName"]
    terms = ((((spec.get("affinity") or {}).get("nodeAffinity") or {})
              .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or [])
    for term in terms:
        for field in term.get("matchFields") or ():
            if field.get("key") == "metadata.name" and field.get("values"):
                return field["values"][0]
    return None


def pin(spec: Obj, node: str) -> Obj:
    """Pod spec with a required node affinity on `node` (replacing the template's required terms)."""
    affinity = dict(spec.get("affinity") or {})
    node_affinity = dict(affinity.get("nodeAffinity") or {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [{"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": [node]}]}]}
    affinity["nodeAffinity"] = node_affinity
    tolerations = list(spec.get("tolerations") or [])
    tolerations += [t for t in TOLERATIONS if t not in tolerations]
    return dict(spec, affinity=affinity, tolerations=tolerations)


class DaemonSets(reconciling.Controller):
    resource = ("apps", "v1", "daemonsets")
    owned = (("", "v1", "pods"),)
    component = "daemonset-controller"

    def __init__(self, ctx: reconciling.Context, nodes: nodes_mod.Nodes) -> None:
        super().__init__(ctx)
        self.nodes = nodes
        self.history = revisions.History(ctx.api)
        self.pods_rt = ctx.rt("", "v1", "pods")

    def reconcile(self, namespace: str, name: str) -> float | None:
        ds = self.live(namespace, name)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            return None
        revision = self.history.current(ds)
        digest = (revision["metadata"].get("labels") or {}).get(revisions.HASH_LABEL, "")
        template = (ds.get("spec") or {}).get("template") or {}
        probe = {"spec": template.get("spec") or {}, "metadata": template.get("metadata") or {}}
        eligible = [n["metadata"]["name"] for n in self.nodes.all() if scheduling.node_matches(probe, n)]
        by_node: dict[str, list[Obj]] = {}
        stray: list[Obj] = []
        for pod in objects.dependents(self.store, ds, self.pods_rt.key):
            node = pinned_node(pod)
            if node in eligible:
                by_node.setdefault(node, []).append(pod)
            elif not pod["metadata"].get("deletionTimestamp"):
                stray.append(pod)
        for pod in stray:
            self.delete_pod(ds, pod)
        for node in eligible:
            pods = [p for p in by_node.get(node, []) if not p["metadata"].get("deletionTimestamp")]
            for pod in pods:
                if (pod.get("status") or {}).get("phase") == "Failed":
                    self.event(ds, events.WARNING, "FailedDaemonPod",
                               f"Found failed daemon pod {namespace}/{pod['metadata']['name']} on node {node}, "
                               f"will try to kill it")
                    self.delete_pod(ds, pod)
            pods = [p for p in pods if (p.get("status") or {}).get("phase") != "Failed"]
            if not pods and not by_node.get(node):
                self._create(ds, node, digest)
            for extra in sorted(pods, key=lambda p: p["metadata"].get("creationTimestamp", ""))[1:]:
                self.delete_pod(ds, extra)
        self._roll(ds, eligible, digest)
        self._write_status(ds, eligible, digest)
        self.history.trim(ds, keep={revision["metadata"]["name"]})
        return None

    def _roll(self, ds: Obj, eligible: list[str], digest: str) -> None:
        strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return
        budget = objects.int_or_percent((strategy.get("rollingUpdate") or {}).get("maxUnavailable", 1),
                                        len(eligible), round_up=True) or 1
        pods = [p for p in objects.dependents(self.store, ds, self.pods_rt.key) if pinned_node(p) in eligible]
        unavailable = len(eligible) - sum(1 for p in pods if objects.pod_active(p) and objects.pod_ready(p))
        old = [p for p in pods if objects.pod_active(p)
               and (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != digest]
        old.sort(key=lambda p: (objects.pod_ready(p), p["metadata"]["name"]))  # unavailable old pods go first
        for pod in old:
            if objects.pod_ready(pod):
                if unavailable >= budget:
                    break
                unavailable += 1
            self.delete_pod(ds, pod)

    def _create(self, ds: Obj, node: str, digest: str) -> None:
        template = (ds.get("spec") or {}).get("template") or {}
        pod = templates.pod_from_template(template, ds, extra_labels={
            REVISION_LABEL: digest, GENERATION_LABEL: str(ds["metadata"].get("generation", 1))})
        pod["spec"] = pin(pod["spec"], node)
        self.create_pod(ds, pod)

    def _write_status(self, ds: Obj, eligible: list[str], digest: str) -> None:
        pods = [p for p in objects.dependents(self.store, ds, self.pods_rt.key) if objects.pod_active(p)]
        scheduled = {pinned_node(p) for p in pods}
        on_eligible = [p for p in pods if pinned_node(p) in eligible]
        min_ready = self.timing.scaled((ds.get("spec") or {}).get("minReadySeconds") or 0)
        ready = sum(1 for p in on_eligible if objects.pod_ready(p))
        available = sum(1 for p in on_eligible if objects.pod_available(p, min_ready, self.ctx.now()))
        updated = sum(1 for p in on_eligible if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == digest)
        status: Obj = {"currentNumberScheduled": len(scheduled & set(eligible)),
                       "numberMisscheduled": len(scheduled - set(eligible)),
                       "desiredNumberScheduled": len(eligible), "numberReady": ready,
                       "observedGeneration": ds["metadata"].get("generation", 1)}
        status.update(objects.nonzero(updatedNumberScheduled=updated, numberAvailable=available,
                                      numberUnavailable=max(0, len(eligible) - available)))
        if (ds.get("status") or {}).get("collisionCount") is not None:
            status["collisionCount"] = ds["status"]["collisionCount"]
        self.write_status(ds, status)


__all__ = ["DaemonSets", "pin", "pinned_node"]
