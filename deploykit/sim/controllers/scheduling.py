"""The scheduler: binds pending pods to simulated nodes, or reports why none fits.

Owns what kube-scheduler does for pods of `schedulerName: default-scheduler`
without a node: filter the nodes (nodeSelector, required node affinity with
matchExpressions and matchFields, the pod's PersistentVolumeClaims existing
and Bound, cpu / memory / pods requests against what is left on the node),
bind the pod to the least loaded fitting node through `pods/binding` (which
sets PodScheduled) and record `Scheduled`; when nothing fits, set PodScheduled
False / Unschedulable with the real message (`0/3 nodes are available: 3
node(s) didn't match Pod's node affinity/selector. preemption: ...`), record
`FailedScheduling`, and retry when nodes or claims change or after a while.
"""

from __future__ import annotations

import collections
import re
from typing import Any, Iterable

from deploykit.sim import store as store_mod
from deploykit.sim.controllers import events, nodes as nodes_mod, objects, reconciling

Obj = dict[str, Any]
SCHEDULER = "default-scheduler"
AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector"

_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")
_SUFFIX = {"": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
           "Ki": 2.0 ** 10, "Mi": 2.0 ** 20, "Gi": 2.0 ** 30, "Ti": 2.0 ** 40, "Pi": 2.0 ** 50, "Ei": 2.0 ** 60}


def quantity(value: Any) -> float:
    """A resource.Quantity (`500m`, `128Mi`, `2`) as a number; unreadable values count as 0."""
    match = _QUANTITY.match(str(value).strip())
    if not match or match.group(2) not in _SUFFIX:
        return 0.0
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def requests(pod: Obj) -> dict[str, float]:
    """The pod's effective requests: sum over app containers, at least the largest init container's."""
    spec = pod.get("spec") or {}
    total: dict[str, float] = collections.defaultdict(float)
    for container in spec.get("containers") or ():
        for name, value in ((container.get("resources") or {}).get("requests") or {}).items():
            total[name] += quantity(value)
    for container in spec.get("initContainers") or ():
        for name, value in ((container.get("resources") or {}).get("requests") or {}).items():
            total[name] = max(total[name], quantity(value))
    return dict(total)


def _expression_matches(expr: Obj, labels: dict[str, str]) -> bool:
    key, op, values = expr.get("key", ""), expr.get("operator"), [str(v) for v in expr.get("values") or ()]
    present = key in labels
    if op == "In":
        return present and labels[key] in values
    if op == "NotIn":
        return not present or labels[key] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and values:
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def node_matches(pod: Obj, node: Obj) -> bool:
    """nodeSelector and required node affinity."""
    spec = pod.get("spec") or {}
    labels = node["metadata"].get("labels") or {}
    for key, value in (spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms")
    if not terms:
        return True
    fields = {"metadata.name": node["metadata"]["name"]}
    for term in terms:
        exprs, field_exprs = term.get("matchExpressions") or [], term.get("matchFields") or []
        if not exprs and not field_exprs:
            continue
        if all(_expression_matches(e, labels) for e in exprs) and all(
                _expression_matches(e, fields) for e in field_exprs):
            return True
    return False


def unschedulable_message(total: int, reasons: dict[str, int]) -> str:
    listed = ", ".join(f"{count} {reason}" if count else reason for reason, count in sorted(reasons.items()))
    preemption = ("No preemption victims found for incoming pod" if any(r.startswith("Insufficient")
                                                                         for r in reasons)
                  else "Preemption is not helpful for scheduling")
    return f"0/{total} nodes are available: {listed}. preemption: 0/{total} nodes are available: {total} {preemption}."


class Scheduler(reconciling.Controller):
    resource = ("", "v1", "pods")
    manager = "kube-scheduler"
    component = SCHEDULER

    def __init__(self, ctx: reconciling.Context, nodes: nodes_mod.Nodes) -> None:
        super().__init__(ctx)
        self.nodes = nodes
        self._waiting: set[reconciling.Key] = set()
        self._claims = ctx.rt("", "v1", "persistentvolumeclaims")

    def start(self) -> None:
        super().start()
        self._unsubscribe.append(self.store.subscribe(self._cluster_changed, self._claims.key))
        self._unsubscribe.append(self.store.subscribe(self._cluster_changed, ("", "nodes")))

    def _cluster_changed(self, event: store_mod.Event) -> None:
        for key in list(self._waiting):
            self.enqueue(key)

    def keys_for(self, event: store_mod.Event) -> Iterable[reconciling.Key]:
        meta, spec = event.obj["metadata"], event.obj.get("spec") or {}
        key = (meta.get("namespace", ""), meta["name"])
        if event.type == store_mod.DELETED:
            self._waiting.discard(key)
            if spec.get("nodeName") and self._waiting:
                self._cluster_changed(event)  # resources were freed
        elif event.type == store_mod.ADDED and not spec.get("nodeName") and \
                spec.get("schedulerName", SCHEDULER) == SCHEDULER:
            # Later changes of a pending pod (our own status writes among them) do not make it fit.
            self.enqueue_after(key, self.timing.scaled(self.timing.schedule))
        return ()

    def reconcile(self, namespace: str, name: str) -> float | None:
        key = (namespace, name)
        pod = self.live(namespace, name)
        if pod is None or (pod.get("spec") or {}).get("nodeName") or pod["metadata"].get("deletionTimestamp") \
                or objects.pod_terminal(pod):
            self._waiting.discard(key)
            return None
        candidates = self.nodes.all()
        reasons: dict[str, int] = collections.Counter()
        claim_problem = self._claim_problem(pod)
        fitting: list[Obj] = []
        if claim_problem is not None:
            reasons[claim_problem] = 0
        else:
            wanted = requests(pod)
            load = self._node_load() if wanted else {}
            for node in candidates:
                if not node_matches(pod, node):
                    reasons[AFFINITY_MISMATCH] += 1
                    continue
                short = self._insufficient(node, wanted, load.get(node["metadata"]["name"], {}))
                if short:
                    for resource in short:
                        reasons[f"Insufficient {resource}"] += 1
                    continue
                fitting.append(node)
        if fitting:
            self._waiting.discard(key)
            counts = self._pod_counts()
            node = min(fitting, key=lambda n: (counts.get(n["metadata"]["name"], 0), n["metadata"]["name"]))
            node_name = node["metadata"]["name"]
            bound = self.api.bind_pod(namespace, name, node_name)
            self.ctx.recorder.emit(bound, events.NORMAL, "Scheduled",
                                   f"Successfully assigned {namespace}/{name} to {node_name}",
                                   component=SCHEDULER, action="Binding")
            return None
        self._waiting.add(key)
        message = unschedulable_message(len(candidates), reasons)
        current = objects.condition(pod.get("status"), "PodScheduled")
        if current is None or (current.get("status"), current.get("reason"), current.get("message")) != (
                "False", "Unschedulable", message):
            new = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                   "lastTransitionTime": self.api.now(), "reason": "Unschedulable", "message": message}
            if current is not None and current.get("status") == "False" and current.get("lastTransitionTime"):
                new["lastTransitionTime"] = current["lastTransitionTime"]
            status = dict(pod.get("status") or {})
            status["conditions"] = objects.without_condition(list(status.get("conditions") or []),
                                                             "PodScheduled") + [new]
            pod = self.write_status(pod, status)
        self.ctx.recorder.emit(pod, events.WARNING, "FailedScheduling", message, component=SCHEDULER,
                               action="Scheduling")
        return self.timing.scaled(self.timing.unschedulable_retry)

    def _claim_problem(self, pod: Obj) -> str | None:
        namespace = pod["metadata"]["namespace"]
        for volume in (pod.get("spec") or {}).get("volumes") or ():
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.store.get(self._claims.key, namespace, claim)
            if pvc is None:
                return f'persistentvolumeclaim "{claim}" not found'
            if pvc["metadata"].get("deletionTimestamp"):
                return f'persistentvolumeclaim "{claim}" is being deleted'
            if (pvc.get("status") or {}).get("phase") != "Bound":
                return "pod has unbound immediate PersistentVolumeClaims"
        return None

    def _scheduled_pods(self) -> Iterable[Obj]:
        for pod in self.store.list(self.rt.key):
            if (pod.get("spec") or {}).get("nodeName") and not objects.pod_terminal(pod):
                yield pod

    def _pod_counts(self) -> dict[str, int]:
        return collections.Counter(p["spec"]["nodeName"] for p in self._scheduled_pods())

    def _node_load(self) -> dict[str, dict[str, float]]:
        load: dict[str, dict[str, float]] = {}
        for pod in self._scheduled_pods():
            used = load.setdefault(pod["spec"]["nodeName"], collections.defaultdict(float))
            for resource, amount in requests(pod).items():
                used[resource] += amount
            used["pods"] += 1
        return load

    def _insufficient(self, node: Obj, wanted: dict[str, float], used: dict[str, float]) -> list[str]:
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        short = []
        for resource, amount in sorted(wanted.items()):
            if resource not in allocatable:
                continue
            if used.get(resource, 0.0) + amount > quantity(allocatable[resource]):
                short.append(resource)
        if wanted and used.get("pods", 0) + 1 > quantity(allocatable.get("pods", 110)):
            short.append("pods")
        return short


__all__ = ["Scheduler", "node_matches", "quantity", "requests", "unschedulable_message"]
