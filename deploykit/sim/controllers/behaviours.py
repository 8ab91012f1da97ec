"""Injected failures: what the `sim.deploykit.io/*` annotations ask the simulated cluster to do.

Owns parsing the annotations users put on pod templates (and on PVCs,
Services and Ingresses) into plain data the kubelet and controllers follow:

    sim.deploykit.io/behavior: crashloop          every app container exits 1 after a short run
    sim.deploykit.io/behavior: oom                exits 137, reason OOMKilled
    sim.deploykit.io/behavior: exit:3             exits 3 (run-to-completion pods end Failed, Jobs count it)
    sim.deploykit.io/behavior: exit-after:2s      how long the container runs before it exits
    sim.deploykit.io/behavior: imagepull-fail     ErrImagePull, then ImagePullBackOff
    sim.deploykit.io/behavior: never-ready        Running, never Ready (Unhealthy events)
    sim.deploykit.io/behavior: ready-after:3s     Ready 3 s after it started
    sim.deploykit.io/behavior: init-fail          the first init container exits 1
    sim.deploykit.io/behavior.<container>: ...    the same, for one container (app or init)
    sim.deploykit.io/logs: "line 1\\nline 2"       what every app container prints, each attempt
    sim.deploykit.io/logs.<container>: "..."      what one container prints
    sim.deploykit.io/behavior: pending            (PVC, LoadBalancer Service, Ingress) never bound / no address

A container told to exit (crashloop, oom, exit:N) never becomes Ready before
it does, unless `ready-after` says when. Tokens combine, separated by commas
or spaces (`crashloop, exit-after:1s`);
`{attempt}` in a log line becomes the attempt number (1 for the first run).
Unknown tokens are reported as problems (the kubelet turns them into a
Warning event) and otherwise ignored. Images whose registry host ends in
`.invalid` fail to pull too; that rule lives with the kubelet. Pure.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

PREFIX = "sim.deploykit.io/"
BEHAVIOR = PREFIX + "behavior"
LOGS = PREFIX + "logs"

CONTAINER_TOKENS = ("crashloop", "oom", "exit:N", "exit-after:DURATION", "imagepull-fail", "never-ready",
                    "ready-after:DURATION", "init-fail")
OBJECT_TOKENS = ("pending",)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclasses.dataclass(frozen=True)
class Container:
    """What one container does in the simulation."""

    exit_code: int | None = None  # None: runs until stopped (or exits 0 when the pod runs to completion)
    exit_reason: str | None = None  # the terminated reason instead of Error/Completed (OOMKilled)
    exit_after: float | None = None  # seconds it runs before exiting (None: the timing default)
    pull_fails: bool = False
    never_ready: bool = False
    ready_after: float | None = None
    logs: tuple[str, ...] = ()

    def lines(self, attempt: int) -> list[str]:
        """The log lines of one attempt (1-based), `{attempt}` filled in."""
        return [line.replace("{attempt}", str(attempt)) for line in self.logs]


def parse_duration(text: str) -> float:
    """`3s`, `500ms`, `1m30s`, `1.5s` or a bare number of seconds -> seconds. Raises ValueError."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    position, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(text) or not text:
        raise ValueError(f"{text!r} is not a duration (examples: 3s, 500ms, 1m30s)")
    return total


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[,\s]+", text.strip()) if t]


def _apply(token: str, fields: dict[str, Any]) -> None:
    """Fold one container token into `fields`; raise ValueError when it is not one."""
    name, _, arg = token.partition(":")
    if name == "crashloop" and not arg:
        fields["exit_code"], fields["exit_reason"] = 1, None
    elif name == "oom" and not arg:
        fields["exit_code"], fields["exit_reason"] = 137, "OOMKilled"
    elif name == "exit" and arg:
        try:
            code = int(arg)
        except ValueError:
            raise ValueError(f"exit:{arg}: the exit code must be a whole number") from None
        if not 0 <= code <= 255:
            raise ValueError(f"exit:{arg}: the exit code must be between 0 and 255")
        fields["exit_code"], fields["exit_reason"] = code, None
    elif name == "exit-after" and arg:
        fields["exit_after"] = parse_duration(arg)
    elif name == "imagepull-fail" and not arg:
        fields["pull_fails"] = True
    elif name == "never-ready" and not arg:
        fields["never_ready"] = True
    elif name == "ready-after" and arg:
        fields["ready_after"] = parse_duration(arg)
    else:
        raise ValueError(f"unknown behaviour {token!r} (known: {', '.join(CONTAINER_TOKENS)})")


def _log_lines(text: Any) -> tuple[str, ...]:
    if not isinstance(text, str) or not text:
        return ()
    # A literal backslash-n in a YAML plain scalar is as likely as a real newline: both separate lines.
    return tuple(text.replace("\\n", "\n").rstrip("\n").split("\n"))


def for_container(annotations: dict[str, Any] | None, name: str, *, init: bool = False,
                  first_init: bool = False) -> tuple[Container, list[str]]:
    """The behaviour of container `name` from pod annotations, and the problems found in them.

    Pod-wide `behavior` and `logs` apply to app containers; `init-fail` in the pod-wide annotation
    makes the first init container exit 1; `behavior.<name>` and `logs.<name>` apply to that
    container, init or not, and win over the pod-wide ones.
    """
    annotations = annotations or {}
    fields: dict[str, Any] = {}
    problems: list[str] = []
    pod_wide = annotations.get(BEHAVIOR)
    if isinstance(pod_wide, str):
        for token in _tokens(pod_wide):
            if token == "init-fail":
                if init and first_init:
                    fields["exit_code"], fields["exit_reason"] = 1, None
                continue
            if token in OBJECT_TOKENS:
                continue
            try:
                scratch: dict[str, Any] = {}
                _apply(token, scratch)
            except ValueError as exc:
                if not init:  # report each problem once per pod, from its app containers
                    problems.append(f"{BEHAVIOR}: {exc}")
                continue
            if not init:
                fields.update(scratch)
    own = annotations.get(f"{BEHAVIOR}.{name}")
    if isinstance(own, str):
        for token in _tokens(own):
            try:
                _apply(token, fields)
            except ValueError as exc:
                problems.append(f"{BEHAVIOR}.{name}: {exc}")
    logs = annotations.get(f"{LOGS}.{name}")
    if logs is None and not init:
        logs = annotations.get(LOGS)
    fields["logs"] = _log_lines(logs)
    return Container(**fields), problems


def object_tokens(annotations: dict[str, Any] | None) -> set[str]:
    """The behaviour tokens of a non-pod object (PVC, Service, Ingress): {"pending"} or empty."""
    text = (annotations or {}).get(BEHAVIOR)
    return {t for t in _tokens(text) if t in OBJECT_TOKENS} if isinstance(text, str) else set()


__all__ = ["BEHAVIOR", "LOGS", "Container", "for_container", "object_tokens", "parse_duration"]
