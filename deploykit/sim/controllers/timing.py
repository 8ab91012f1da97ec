"""How fast the simulated cluster moves: the delays of each step and the speed that scales them all.

Owns the durations the simulated components wait between steps (scheduling,
image pull, container start, readiness, how long a failing container runs,
the kubelet's and the job controller's back-off) at speed 1, and `speed`,
which divides every one of them: speed 10 turns the kubelet's 10 s crash
back-off into 1 s. The defaults make a 3-replica Deployment Available in about
half a second. Durations users write (`ready-after:3s`, progressDeadlineSeconds,
minReadySeconds, activeDeadlineSeconds, grace periods) are scaled too.
Timestamps written into objects stay wall-clock time. Pure data.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Timing:
    speed: float = 1.0
    schedule: float = 0.02  # pod created -> bound to a node
    sandbox: float = 0.03  # bound -> pod IP, ContainerCreating
    pull: float = 0.15  # Pulling -> Pulled (first pull of an image on a node)
    create: float = 0.05  # Pulled -> Created, Started
    ready: float = 0.2  # Started -> Ready (a readiness probe's first success)
    run: float = 0.5  # how long a container that exits (crashloop, exit:N, Jobs) runs
    sync: float = 0.05  # the kubelet's pause between seeing an exit and acting on it
    stop: float = 0.1  # SIGTERM -> container gone (capped by the pod's grace period)
    backoff: float = 10.0  # kubelet restart and image pull back-off: 10 s, 20 s, 40 s ...
    backoff_max: float = 300.0
    job_backoff: float = 10.0  # job controller: delay before replacing a failed pod, doubling
    job_backoff_max: float = 360.0
    probe_period: float = 10.0  # readiness probe period (never-ready pods report Unhealthy at this rate)
    unschedulable_retry: float = 5.0  # scheduler retry of an unschedulable pod without cluster changes
    load_balancer: float = 0.1  # Service type LoadBalancer / Ingress -> address in status
    bind_claim: float = 0.05  # PersistentVolumeClaim -> Bound

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"speed must be greater than 0, not {self.speed}")

    def scaled(self, seconds: float) -> float:
        """Simulated seconds -> real seconds to wait."""
        return max(0.0, seconds) / self.speed


__all__ = ["Timing"]
