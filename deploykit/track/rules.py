"""Status rules per kind, in the spirit of kstatus, with fast failure: pure functions.

`status_of(obj, related=...)` decides Ready / InProgress / Failed for one
object from the object itself and the objects it owns (the pods of its
current revision, its ReplicaSets). Stale status (observedGeneration behind
generation) is never taken as ready. No I/O: the tracker gathers `related`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from datetime import datetime
from typing import Any

from deploykit.frozen import frozen
from deploykit.track import custom, verdicts
from deploykit.track.pods import condition, pod_is_ready, pod_problems
from deploykit.track.settings import TrackSettings
from deploykit.track.verdicts import PodProblem, Verdict


@frozen
class Related:
    """What the tracker knows that belongs to the object: current-revision pods, ReplicaSets."""

    pods: Sequence[Mapping[str, Any]] = ()
    replica_sets: Sequence[Mapping[str, Any]] = ()


@frozen
class Context:
    settings: TrackSettings = field(default_factory=TrackSettings)
    now: datetime | None = None
    custom_rules: Sequence[custom.CustomRule] = ()


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _stale(obj: Mapping[str, Any]) -> Verdict | None:
    generation = (obj.get("metadata") or {}).get("generation")
    observed = (obj.get("status") or {}).get("observedGeneration")
    if generation is not None and (observed is None or _int(observed) < _int(generation)):
        return verdicts.in_progress(f"waiting for the controller to observe generation {generation}")
    return None


def _replica_failure(obj: Mapping[str, Any]) -> str | None:
    """'FailedCreate: <message>' when the object's ReplicaFailure condition is True (pods were refused)."""
    failure = condition(obj, "ReplicaFailure")
    if failure and failure.get("status") == "True":
        return f"{failure.get('reason', 'ReplicaFailure')}: {failure.get('message', '')}"
    return None


def _pod_failure(pods: Sequence[Mapping[str, Any]], *, replicas: int, ctx: Context, owned_by_job: bool = False
                 ) -> Verdict | None:
    problems: list[PodProblem] = []
    for pod in pods:
        problems += pod_problems(
            pod, now=ctx.now, unschedulable_after=ctx.settings.unschedulable_after, owned_by_job=owned_by_job
        )
    if not problems:
        return None
    allowed = ctx.settings.failures_allowed_per_replica * max(replicas, 1)
    if sum(p.attempts for p in problems) <= allowed:
        return None
    first = problems[0]
    return verdicts.failed(first.describe(), problems=tuple(problems))


def deployment(obj: Mapping[str, Any], related: Related, ctx: Context) -> Verdict:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    replicas = _int(spec.get("replicas"), 1)
    progressing = condition(obj, "Progressing")
    if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
        deadline = spec.get("progressDeadlineSeconds", 600)
        return verdicts.failed(f"progress deadline exceeded ({deadline}s): {progressing.get('message', '')}".rstrip(": "))
    if failure := _replica_failure(obj):
        return verdicts.failed(failure)
    for rs in related.replica_sets:
        if failure := _replica_failure(rs):
            return verdicts.failed(f"replicaset/{(rs.get('metadata') or {}).get('name')}: {failure}")
    pod_failure = _pod_failure(related.pods, replicas=replicas, ctx=ctx)
    if pod_failure:
        return pod_failure
    if stale := _stale(obj):
        return stale
    updated, total = _int(status.get("updatedReplicas")), _int(status.get("replicas"))
    available, ready_count = _int(status.get("availableReplicas")), _int(status.get("readyReplicas"))
    if related.replica_sets:
        # count the new revision's ready pods: the old ones being ready says nothing about this roll out
        ready_count = sum(1 for p in related.pods if pod_is_ready(p))
    progress = f"{min(ready_count, replicas)}/{replicas} ready"
    if updated < replicas:
        return verdicts.in_progress(f"{updated}/{replicas} replicas updated", progress)
    if total > updated:
        old = total - updated
        return verdicts.in_progress(f"{old} old replica{'s' if old != 1 else ''} pending termination", progress)
    if available < updated:
        return verdicts.in_progress(f"{available}/{replicas} replicas available", progress)
    return verdicts.ready(f"{available}/{replicas} replicas available", progress)


def stateful_set(obj: Mapping[str, Any], related: Related, ctx: Context) -> Verdict:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    replicas = _int(spec.get("replicas"), 1)
    pod_failure = _pod_failure(related.pods, replicas=replicas, ctx=ctx)
    if pod_failure:
        return pod_failure
    if stale := _stale(obj):
        return stale
    ready_count = _int(status.get("readyReplicas"))
    progress = f"{ready_count}/{replicas} ready"
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") == "OnDelete":
        return verdicts.ready("update strategy OnDelete: pods are replaced when deleted", progress)
    if ready_count < replicas:
        return verdicts.in_progress(f"{ready_count}/{replicas} replicas ready", progress)
    partition = _int((strategy.get("rollingUpdate") or {}).get("partition"))
    updated = _int(status.get("updatedReplicas"))
    if partition:
        if updated < replicas - partition:
            return verdicts.in_progress(f"{updated}/{replicas - partition} replicas updated (partition {partition})",
                                        progress)
        return verdicts.ready(f"partitioned roll out done ({updated} updated)", progress)
    if updated < replicas or status.get("currentRevision") != status.get("updateRevision"):
        return verdicts.in_progress(f"{updated}/{replicas} replicas updated", progress)
    return verdicts.ready(f"{ready_count}/{replicas} replicas ready", progress)


def daemon_set(obj: Mapping[str, Any], related: Related, ctx: Context) -> Verdict:
    status = obj.get("status") or {}
    desired = _int(status.get("desiredNumberScheduled"))
    pod_failure = _pod_failure(related.pods, replicas=desired, ctx=ctx)
    if pod_failure:
        return pod_failure
    if stale := _stale(obj):
        return stale
    updated, available = _int(status.get("updatedNumberScheduled")), _int(status.get("numberAvailable"))
    ready_count = _int(status.get("numberReady"))
    progress = f"{ready_count}/{desired} ready"
    if updated < desired:
        return verdicts.in_progress(f"{updated}/{desired} pods updated", progress)
    if available < desired:
        return verdicts.in_progress(f"{available}/{desired} pods available", progress)
    return verdicts.ready(f"{available}/{desired} pods available", progress)


def replica_set(obj: Mapping[str, Any], related: Related, ctx: Context) -> Verdict:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    replicas = _int(spec.get("replicas"), 1)
    if failure := _replica_failure(obj):
        return verdicts.failed(failure)
    pod_failure = _pod_failure(related.pods, replicas=replicas, ctx=ctx)
    if pod_failure:
        return pod_failure
    if stale := _stale(obj):
        return stale
    available, ready_count = _int(status.get("availableReplicas")), _int(status.get("readyReplicas"))
    progress = f"{ready_count}/{replicas} ready"
    if available < replicas:
        return verdicts.in_progress(f"{available}/{replicas} replicas available", progress)
    return verdicts.ready(f"{available}/{replicas} replicas available", progress)


def job(obj: Mapping[str, Any], related: Related, ctx: Context) -> Verdict:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    completions = _int(spec.get("completions"), 1)
    progress = f"{_int(status.get('succeeded'))}/{completions} succeeded"
    failed_condition = condition(obj, "Failed")
    if failed_condition and failed_condition.get("status") == "True":
        problems = tuple(p for pod in related.pods for p in pod_problems(pod, now=ctx.now, owned_by_job=False))
        reason = failed_condition.get("reason", "Failed")
        message = failed_condition.get("message", "")
        return verdicts.failed(f"job failed: {reason}" + (f": {message}" if message else ""), progress, problems)
    complete = condition(obj, "Complete")
    if complete and complete.get("status") == "True":
        return verdicts.ready("job complete", progress)
    pod_failure = _pod_failure(related.pods, replicas=_int(spec.get("parallelism"), 1), ctx=ctx, owned_by_job=True)
    if pod_failure:
        return pod_failure
    if spec.get("suspend"):
        return verdicts.in_progress("job is suspended", progress)
    return verdicts.in_progress(f"{_int(status.get('active'))} pods active", progress)


def pod(obj: Mapping[str, Any], related: Related, ctx: Context) -> Verdict:
    status = obj.get("status") or {}
    phase = status.get("phase") or "Pending"
    if phase == "Succeeded":
        return verdicts.ready("pod succeeded", "completed")
    problems = pod_problems(obj, now=ctx.now, unschedulable_after=ctx.settings.unschedulable_after)
    if problems:
        restarts = sum(p.attempts for p in problems)
        if restarts > ctx.settings.failures_allowed_per_replica or phase == "Failed":
            return verdicts.failed(problems[0].describe(), phase, tuple(problems))
    if phase == "Failed":
        return verdicts.failed(f"pod failed: {status.get('reason') or ''} {status.get('message') or ''}".strip(), phase)
    if phase == "Running" and pod_is_ready(obj):
        return verdicts.ready("pod is running and ready", "ready")
    return verdicts.in_progress(f"pod is {phase.lower()}", phase)


def persistent_volume_claim(obj: Mapping[str, Any], related: Related, ctx: Context) -> Verdict:
    phase = (obj.get("status") or {}).get("phase") or "Pending"
    if phase == "Bound":
        return verdicts.ready("claim is bound", phase)
    if phase == "Lost":
        return verdicts.failed("claim lost its volume", phase)
    return verdicts.in_progress("claim is pending", phase)


def service(obj: Mapping[str, Any], related: Related, ctx: Context) -> Verdict:
    spec = obj.get("spec") or {}
    if spec.get("type") != "LoadBalancer" or not ctx.settings.wait_for_load_balancer:
        return verdicts.ready("service exists")
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        address = ingress[0].get("ip") or ingress[0].get("hostname") or "assigned"
        return verdicts.ready(f"load balancer address {address}")
    return verdicts.in_progress("waiting for a load balancer address")


def custom_resource_definition(obj: Mapping[str, Any], related: Related, ctx: Context) -> Verdict:
    names = condition(obj, "NamesAccepted")
    if names and names.get("status") == "False":
        return verdicts.failed(f"names not accepted: {names.get('message', '')}")
    established = condition(obj, "Established")
    if established and established.get("status") == "True":
        return verdicts.ready("established")
    return verdicts.in_progress("waiting for the CRD to be established")


def by_conditions(obj: Mapping[str, Any], related: Related, ctx: Context) -> Verdict:
    """Any kind: standard conditions (Stalled, Ready, Available, Reconciling), else ready on creation."""
    stalled = condition(obj, "Stalled")
    if stalled and stalled.get("status") == "True":
        return verdicts.failed(f"stalled: {stalled.get('reason', '')} {stalled.get('message', '')}".strip())
    if stale := _stale(obj) if (obj.get("status") or {}).get("observedGeneration") is not None else None:
        return stale
    reconciling = condition(obj, "Reconciling")
    if reconciling and reconciling.get("status") == "True":
        return verdicts.in_progress(f"reconciling: {reconciling.get('message', '')}".rstrip(": "))
    for kind in ("Ready", "Available"):
        found = condition(obj, kind)
        if found is None:
            continue
        if found.get("status") == "True":
            return verdicts.ready(f"{kind} condition is True")
        detail = " ".join(x for x in (found.get("reason"), found.get("message")) if x)
        return verdicts.in_progress(f"{kind} condition is {found.get('status')}" + (f": {detail}" if detail else ""))
    return verdicts.ready("exists")


Rule = Callable[[Mapping[str, Any], Related, Context], Verdict]

RULES: dict[tuple[str, str], Rule] = {
    ("apps", "Deployment"): deployment,
    ("apps", "StatefulSet"): stateful_set,
    ("apps", "DaemonSet"): daemon_set,
    ("apps", "ReplicaSet"): replica_set,
    ("batch", "Job"): job,
    ("", "Pod"): pod,
    ("", "PersistentVolumeClaim"): persistent_volume_claim,
    ("", "Service"): service,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): custom_resource_definition,
}


def status_of(obj: Mapping[str, Any], *, related: Related | None = None, ctx: Context | None = None) -> Verdict:
    """The verdict for one live object."""
    ctx = ctx or Context()
    related = related or Related()
    group = (obj.get("apiVersion") or "").rpartition("/")[0]
    kind = obj.get("kind", "")
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        return verdicts.in_progress("being deleted")
    for rule in ctx.custom_rules:
        if rule.matches(group, kind):
            return rule.evaluate(obj)
    return RULES.get((group, kind), by_conditions)(obj, related, ctx)
