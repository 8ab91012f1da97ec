"""Pod status as the kubelet writes it: container statuses, phase and conditions from container states.

Owns the kubelet's view of each container (`ContainerRun`: state, lastState,
restartCount, ready, started, IDs) and turning the runs of a pod into the
status the kubelet sends: containerStatuses / initContainerStatuses in the
real field order, the phase (`getPhase`: Pending while waiting or
initializing, Running while any container runs or restarts, Succeeded /
Failed once everything stopped for good), the conditions
PodReadyToStartContainers, Initialized, Ready, ContainersReady with their real
reasons and messages (`containers with unready status: [app]`, PodCompleted),
and lastTransitionTime kept while a condition's status does not change.
PodScheduled and the fields other components own are carried over. Pure.
"""

from __future__ import annotations

import dataclasses
from typing import Any

Obj = dict[str, Any]


@dataclasses.dataclass
class ContainerRun:
    """The kubelet's record of one container of a pod, across its restarts."""

    name: str
    image: str
    init: bool = False
    state: Obj = dataclasses.field(default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}})
    last_state: Obj = dataclasses.field(default_factory=dict)
    ready: bool = False
    started: bool = False
    restart_count: int = 0
    image_id: str = ""
    container_id: str = ""
    image_ref: str = ""  # the image as the runtime reports it (docker.io/library/nginx:1.25)

    @property
    def running(self) -> bool:
        return "running" in self.state

    @property
    def terminated(self) -> Obj | None:
        return self.state.get("terminated")

    def succeeded(self) -> bool:
        return self.terminated is not None and self.terminated.get("exitCode") == 0

    def entry(self) -> Obj:
        out: Obj = {"name": self.name, "state": self.state, "lastState": self.last_state, "ready": self.ready,
                    "restartCount": self.restart_count, "image": self.image_ref or self.image,
                    "imageID": self.image_id}
        if self.container_id:
            out["containerID"] = self.container_id
        out["started"] = self.started
        return out

    def adopt(self, entry: Obj) -> None:
        """Take over what a status written earlier says (a simulator restarted from saved state)."""
        self.state = entry.get("state") or self.state
        self.last_state = entry.get("lastState") or {}
        self.ready = bool(entry.get("ready"))
        self.started = bool(entry.get("started"))
        self.restart_count = int(entry.get("restartCount") or 0)
        self.image_id = entry.get("imageID") or ""
        self.container_id = entry.get("containerID") or ""
        self.image_ref = entry.get("image") or ""


def phase(restart_policy: str, init: list[ContainerRun], app: list[ContainerRun], *, terminating: bool = False) -> str:
    """The pod phase from its containers (the kubelet's getPhase).

    `terminating`: the pod is being deleted and its containers were stopped for good, so a stopped
    pod ends Succeeded or Failed whatever its restart policy.
    """
    policy = "Never" if terminating else restart_policy
    for run in init:
        if run.succeeded():
            continue
        if run.terminated is not None and policy == "Never":
            return "Failed"
        return "Pending"
    running = waiting = stopped = succeeded = 0
    for run in app:
        if run.running:
            running += 1
        elif run.terminated is not None:
            stopped += 1
            if run.succeeded():
                succeeded += 1
        elif run.last_state.get("terminated") is not None:
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _condition(kind: str, ok: bool, now: str, live: Obj | None, *, reason: str | None = None,
               message: str | None = None) -> Obj:
    status = "True" if ok else "False"
    since = live.get("lastTransitionTime") if live and live.get("status") == status else None
    cond: Obj = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": since or now}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def _names(runs: list[ContainerRun]) -> str:
    return "[" + " ".join(r.name for r in runs) + "]"


def build(live: Obj, *, restart_policy: str, init: list[ContainerRun], app: list[ContainerRun], sandbox: bool,
          host_ip: str | None, pod_ip: str | None, start_time: str | None, now: str,
          terminating: bool = False) -> Obj:
    """The status the kubelet writes for a pod whose live status is `live` (fields it does not own kept)."""
    current = {c.get("type"): c for c in live.get("conditions") or ()}
    pod_phase = phase(restart_policy, init, app, terminating=terminating)
    terminal = pod_phase in ("Succeeded", "Failed")
    pending_init = [r for r in init if not r.succeeded()]
    if terminal:
        done_reason = "PodCompleted" if pod_phase == "Succeeded" else "PodFailed"
        initialized = _condition("Initialized", not pending_init, now, current.get("Initialized"),
                                 reason="PodCompleted" if not pending_init else "ContainersNotInitialized",
                                 message=None if not pending_init else f"containers with incomplete status: "
                                                                       f"{_names(pending_init)}")
        ready = _condition("Ready", False, now, current.get("Ready"), reason=done_reason)
        containers_ready = _condition("ContainersReady", False, now, current.get("ContainersReady"),
                                      reason=done_reason)
    else:
        if pending_init:
            initialized = _condition("Initialized", False, now, current.get("Initialized"),
                                     reason="ContainersNotInitialized",
                                     message=f"containers with incomplete status: {_names(pending_init)}")
        else:
            initialized = _condition("Initialized", True, now, current.get("Initialized"))
        unready = [r for r in app if not r.ready]
        message = f"containers with unready status: {_names(unready)}" if unready else None
        reason = "ContainersNotReady" if unready else None
        ready = _condition("Ready", not unready, now, current.get("Ready"), reason=reason, message=message)
        containers_ready = _condition("ContainersReady", not unready, now, current.get("ContainersReady"),
                                      reason=reason, message=message)
    conditions = [_condition("PodReadyToStartContainers", sandbox and not terminal, now,
                             current.get("PodReadyToStartContainers")),
                  initialized, ready, containers_ready]
    if "PodScheduled" in current:
        conditions.append(current["PodScheduled"])
    conditions += [c for t, c in current.items() if t not in (
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")]
    status: Obj = {"phase": pod_phase, "conditions": conditions}
    for field in ("message", "reason", "nominatedNodeName"):
        if field in live:
            status[field] = live[field]
    if host_ip:
        status["hostIP"] = host_ip
        status["hostIPs"] = [{"ip": host_ip}]
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    if start_time:
        status["startTime"] = start_time
    if init:
        status["initContainerStatuses"] = [r.entry() for r in init]
    status["containerStatuses"] = [r.entry() for r in app]
    for field, value in live.items():
        if field not in status and field not in ("hostIP", "hostIPs", "podIP", "podIPs", "startTime",
                                                 "initContainerStatuses", "containerStatuses"):
            status[field] = value
    return status


__all__ = ["ContainerRun", "build", "phase"]
