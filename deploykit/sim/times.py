"""Times as the API server writes and reads them: RFC 3339 in UTC.

Owns the three shapes objects carry (`metav1.Time`, whole seconds;
`metav1.MicroTime`, as eventTime and Lease renewTime are written; Go's
RFC3339Nano, as `kubectl logs --timestamps` prints) and reading any of them
back as seconds since the epoch. Pure: the caller passes the time, nothing
here reads a clock.
"""

from __future__ import annotations

import calendar
import time
from typing import Any

_SECONDS = "%Y-%m-%dT%H:%M:%S"


def rfc3339(at: float) -> str:
    """metav1.Time: `2024-01-01T10:00:00Z`."""
    return time.strftime(_SECONDS + "Z", time.gmtime(at))


def rfc3339_micro(at: float) -> str:
    """metav1.MicroTime: `2024-01-01T10:00:00.123456Z`."""
    return time.strftime(_SECONDS, time.gmtime(at)) + f".{int(at % 1 * 1_000_000):06d}Z"


def rfc3339_nano(at: float) -> str:
    """Go's time.RFC3339Nano: nanoseconds with trailing zeros trimmed."""
    nanos = f"{int(round(at % 1 * 1e9)) % 1_000_000_000:09d}".rstrip("0")
    return time.strftime(_SECONDS, time.gmtime(at)) + (f".{nanos}" if nanos else "") + "Z"


def parse(stamp: Any) -> float | None:
    """Seconds since the epoch of any of those shapes (fractions kept); None for anything else."""
    if not isinstance(stamp, str) or len(stamp) < 19:
        return None
    try:
        whole = float(calendar.timegm(time.strptime(stamp[:19], _SECONDS)))
    except ValueError:
        return None
    if len(stamp) > 20 and stamp[19] == ".":
        digits = stamp[20:].rstrip("Z")
        if digits.isdigit():
            whole += float("0." + digits)
    return whole
