"""What an action did, as data: the result the CLI prints and reports serialize.

Owns `DeployResult` (install, upgrade and rollback), `Failure` (what failed:
object, pod, container, reason, exit code, last log lines), `Timer` (phase
timings) and the action's output seam `Say`. Every field is plain,
secret-free data (values were masked or fingerprinted before they got here).

Must not: print or talk to the cluster.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

from deploykit.frozen import frozen
from deploykit.release import killpoints
from deploykit.release.plans import Plan
from deploykit.track.tracking import ResourceResult, TrackResult

Say = Callable[[str], None]

DEPLOYED, UNCHANGED, ROLLED_BACK, CLEANED_UP, FAILED, ROLLBACK_FAILED, UNINSTALLED = (
    "deployed", "unchanged", "rolled-back", "cleaned-up", "failed", "rollback-failed", "uninstalled",
)


@frozen
class Failure:
    """Why a deploy failed, as precisely as tracking knows it."""

    phase: str  # plan, apply, pre-hooks, track, post-hooks, prune, cancelled
    reason: str
    object: str = ""
    pod: str = ""
    container: str = ""
    exit_code: int | None = None
    logs: tuple[str, ...] = ()

    @classmethod
    def from_track(cls, phase: str, result: TrackResult | None, fallback: str) -> "Failure":
        failed: ResourceResult | None = result.failed if result else None
        if failed is None:
            reason = "timed out" if result is not None and result.timed_out else fallback
            return cls(phase=phase, reason=reason)
        problem = failed.problems[0] if failed.problems else {}
        lines = tuple(line for source in failed.logs.values() for line in source)
        return cls(phase=phase, reason=failed.reason, object=failed.title, pod=problem.get("pod") or "",
                   container=problem.get("container") or "", exit_code=problem.get("exit_code"), logs=lines)

    @property
    def cancelled(self) -> bool:
        return self.phase == "cancelled"

    def describe(self) -> str:
        """`track: Deployment/web: CrashLoopBackOff ...`; a cancel's reason names it (`cancelled by SIGTERM during
        apply`), so its phase is not said twice."""
        where = f"{self.object}: " if self.object else ""
        return f"{where}{self.reason}" if self.cancelled else f"{self.phase}: {where}{self.reason}"

    def outcome(self) -> str:
        """What became of the attempt, after its name: `failed: track: ...`, or `cancelled by SIGTERM during apply`."""
        return self.describe() if self.cancelled else f"failed: {self.describe()}"


@dataclasses.dataclass
class DeployResult:
    release: str
    namespace: str
    action: str  # install, upgrade, rollback
    status: str = DEPLOYED
    revision: int | None = None  # the revision written (None: no-op)
    previous_revision: int | None = None  # the last deployed revision before this run
    restored_revision: int | None = None  # rollback after failure: the revision running again
    plan: Plan | None = None
    resources: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    hooks: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    failure: Failure | None = None
    rollback_error: str = ""
    deleted: list[str] = dataclasses.field(default_factory=list)
    created: list[str] = dataclasses.field(default_factory=list)
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    writes: int = 0
    # When the applied objects started to be tracked (UTC, ms): the origin of their `seconds` in `resources`.
    applied_at: str | None = None
    environment_url: str = ""  # see ownership.environment_url
    notes: str | None = None
    took_over_lock_from: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in (DEPLOYED, UNCHANGED)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(dataclasses.replace(self, plan=None))  # the plan's own form, not walked twice
        data["plan"] = self.plan.to_dict() if self.plan else None
        data["ok"] = self.ok
        return data


class Timer:
    """Seconds per named phase of an action."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        killpoints.reached(name)
        start = time.monotonic()
        try:
            yield
        finally:
            self.phases[name] = round(self.phases.get(name, 0.0) + time.monotonic() - start, 3)
