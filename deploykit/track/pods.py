"""Pure inspection of pod objects: fatal signals, readiness, the Secrets a pod can read.

A fatal signal ends the wait at once (unless the object tolerates some):
containers waiting with a reason that will not fix itself, init containers
that failed, pods that failed on their own, pods unschedulable for too long.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from deploykit.track.verdicts import PodProblem

FATAL_WAITING_REASONS = frozenset({
    "CrashLoopBackOff",
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
})


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for item in (obj.get("status") or {}).get("conditions") or []:
        if item.get("type") == kind:
            return item
    return None


def _terminated(status: Mapping[str, Any]) -> Mapping[str, Any]:
    for key in ("state", "lastState"):
        terminated = (status.get(key) or {}).get("terminated")
        if terminated and terminated.get("exitCode") is not None:
            return terminated
    return {}


def _terminated_exit(status: Mapping[str, Any]) -> int | None:
    terminated = _terminated(status)
    return int(terminated["exitCode"]) if terminated else None


def _container_problems(pod_name: str, statuses: list, *, init: bool, restart_never: bool) -> list[PodProblem]:
    problems = []
    for status in statuses or []:
        name = status.get("name")
        restarts = int(status.get("restartCount") or 0)
        waiting = (status.get("state") or {}).get("waiting") or {}
        terminated = (status.get("state") or {}).get("terminated") or {}
        if waiting.get("reason") in FATAL_WAITING_REASONS:
            terminated_before = _terminated(status)
            problems.append(PodProblem(
                pod=pod_name, container=name, reason=waiting["reason"], message=waiting.get("message", ""),
                exit_code=_terminated_exit(status), restarts=restarts, init_container=init,
                last_reason=terminated_before.get("reason") if terminated_before else None,
            ))
        elif init and terminated and terminated.get("exitCode") not in (None, 0) and restart_never:
            problems.append(PodProblem(
                pod=pod_name, container=name, reason=terminated.get("reason") or "Error",
                message="init container failed", exit_code=int(terminated["exitCode"]), restarts=restarts,
                init_container=True,
            ))
    return problems


def pod_problems(
    pod: Mapping[str, Any], *, now: datetime | None = None, unschedulable_after: float = 30.0,
    owned_by_job: bool = False,
) -> list[PodProblem]:
    """Every fatal signal on this pod right now."""
    name = (pod.get("metadata") or {}).get("name", "?")
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    restart_never = spec.get("restartPolicy") == "Never"
    problems = _container_problems(
        name, status.get("initContainerStatuses"), init=True, restart_never=restart_never or owned_by_job
    )
    problems += _container_problems(name, status.get("containerStatuses"), init=False, restart_never=restart_never)
    if status.get("phase") == "Failed" and not owned_by_job and not problems:
        exit_code = next(
            (code for cs in status.get("containerStatuses") or [] if (code := _terminated_exit(cs))), None
        )
        problems.append(PodProblem(
            pod=name, container=None, reason=status.get("reason") or "PodFailed",
            message=status.get("message", ""), exit_code=exit_code,
        ))
    scheduled = condition(pod, "PodScheduled")
    if scheduled and scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable":
        since = parse_time(scheduled.get("lastTransitionTime"))
        current = now or datetime.now(timezone.utc)
        if since is not None and (current - since).total_seconds() >= unschedulable_after:
            problems.append(PodProblem(
                pod=name, container=None, reason="Unschedulable", message=scheduled.get("message", ""),
            ))
    return problems


def pod_is_ready(pod: Mapping[str, Any]) -> bool:
    ready = condition(pod, "Ready")
    return bool(ready and ready.get("status") == "True")


def secret_names(pod: Mapping[str, Any]) -> list[str]:
    """The Secrets whose values the pod's containers can print: env and envFrom of every container (init and
    ephemeral too), secret and projected volumes, imagePullSecrets; in order, each once."""
    spec = pod.get("spec") or {}
    names: list[Any] = []
    for container in (*(spec.get("initContainers") or ()), *(spec.get("containers") or ()),
                      *(spec.get("ephemeralContainers") or ())):
        for source in container.get("envFrom") or ():
            names.append((source.get("secretRef") or {}).get("name"))
        for variable in container.get("env") or ():
            names.append(((variable.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name"))
    for volume in spec.get("volumes") or ():
        names.append((volume.get("secret") or {}).get("secretName"))
        for source in (volume.get("projected") or {}).get("sources") or ():
            names.append((source.get("secret") or {}).get("name"))
    for reference in spec.get("imagePullSecrets") or ():
        names.append(reference.get("name"))
    return list(dict.fromkeys(name for name in names if isinstance(name, str) and name))
