"""Per-resource tracking settings read from annotations: pure parsing with clear errors.

    deploykit.io/track: "false"                      do not wait for this object
    deploykit.io/failures-allowed-per-replica: "2"   tolerate N fatal signals per replica (default 0)
    deploykit.io/no-activity-timeout: "90s"          fail when nothing changes for this long
    deploykit.io/timeout: "10m"                      this object's own deadline
    deploykit.io/unschedulable-after: "30s"          how long a pod may stay unschedulable
    deploykit.io/wait-for-load-balancer: "false"     a LoadBalancer Service is ready without an address
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from deploykit import errors
from deploykit.frozen import frozen

PREFIX = "deploykit.io/"
_DURATION = re.compile(r"^\s*(?:(\d+)h)?\s*(?:(\d+)m(?!s))?\s*(?:(\d+(?:\.\d+)?)s)?\s*$")


def parse_duration(text: str, *, what: str) -> float:
    """'90s', '5m', '1h30m', '2.5s' or a bare number of seconds -> seconds."""
    text = str(text).strip()
    try:
        return float(text)
    except ValueError:
        pass
    match = _DURATION.match(text)
    if not text or not match or not any(match.groups()):
        raise errors.UsageError(f"{what}: {text!r} is not a duration", hint="write it like 90s, 5m or 1h30m")
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


@frozen
class TrackSettings:
    track: bool = True
    failures_allowed_per_replica: int = 0
    no_activity_timeout: float | None = None
    timeout: float | None = None
    unschedulable_after: float = 30.0
    wait_for_load_balancer: bool = True


def _bool(value: str, *, what: str) -> bool:
    lowered = str(value).strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise errors.UsageError(f"{what}: {value!r} is not true or false")


def settings_for(obj: Mapping[str, Any], *, defaults: TrackSettings | None = None) -> TrackSettings:
    """Settings for one object: its annotations over the run's defaults."""
    base = defaults or TrackSettings()
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    name = f"{obj.get('kind', '?')}/{meta.get('name', '?')}"

    def what(key: str) -> str:
        return f"{name}: annotation {PREFIX}{key}"

    values: dict[str, Any] = {}
    if (raw := annotations.get(PREFIX + "track")) is not None:
        values["track"] = _bool(raw, what=what("track"))
    if (raw := annotations.get(PREFIX + "failures-allowed-per-replica")) is not None:
        try:
            allowed = int(str(raw).strip())
        except ValueError:
            allowed = -1
        if allowed < 0:
            raise errors.UsageError(f"{what('failures-allowed-per-replica')}: {raw!r} is not a whole number >= 0")
        values["failures_allowed_per_replica"] = allowed
    for key, attr in (("no-activity-timeout", "no_activity_timeout"), ("timeout", "timeout"),
                      ("unschedulable-after", "unschedulable_after")):
        if (raw := annotations.get(PREFIX + key)) is not None:
            values[attr] = parse_duration(raw, what=what(key))
    if (raw := annotations.get(PREFIX + "wait-for-load-balancer")) is not None:
        values["wait_for_load_balancer"] = _bool(raw, what=what("wait-for-load-balancer"))
    return TrackSettings(**{**base.__dict__, **values})
