"""What tracking concludes about one object: plain data, no I/O."""

from __future__ import annotations

import enum
from dataclasses import field

from deploykit.frozen import frozen


class Phase(str, enum.Enum):
    READY = "Ready"
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"


@frozen
class PodProblem:
    """A fatal signal seen on a pod: which pod and container, why, and how often it happened."""

    pod: str
    container: str | None
    reason: str
    message: str = ""
    exit_code: int | None = None
    restarts: int = 0
    init_container: bool = False
    last_reason: str | None = None  # why the last attempt ended (Error, OOMKilled...)

    @property
    def attempts(self) -> int:
        """How many failures this problem stands for (a crash loop counts each restart)."""
        return max(1, self.restarts)

    def describe(self) -> str:
        where = f"pod/{self.pod}" + (f" container {self.container}" if self.container else "")
        if self.init_container:
            where += " (init)"
        text = f"{where}: {self.reason}"
        if self.last_reason and self.last_reason not in (self.reason, "Error"):
            text += f" (last attempt {self.last_reason})"
        if self.exit_code is not None:
            text += f", exit code {self.exit_code}"
        if self.restarts:
            text += f", {self.restarts} restart{'s' if self.restarts != 1 else ''}"
        if self.message:
            text += f": {self.message}"
        return text


@frozen
class Verdict:
    """The status of one object: its phase, a human reason, progress text, and the pod problems behind a failure."""

    phase: Phase
    reason: str
    progress: str = ""
    problems: tuple[PodProblem, ...] = field(default_factory=tuple)

    @property
    def ready(self) -> bool:
        return self.phase is Phase.READY

    @property
    def failed(self) -> bool:
        return self.phase is Phase.FAILED


def ready(reason: str, progress: str = "") -> Verdict:
    return Verdict(Phase.READY, reason, progress)


def in_progress(reason: str, progress: str = "") -> Verdict:
    return Verdict(Phase.IN_PROGRESS, reason, progress)


def failed(reason: str, progress: str = "", problems: tuple[PodProblem, ...] = ()) -> Verdict:
    return Verdict(Phase.FAILED, reason, progress, problems)
