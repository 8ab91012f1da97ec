"""Test-only kill points: SIGKILL this process at a named point of a deploy, to prove that a rerun recovers.

The reliability suite (tests/integration/reliability/) sets
`DEPLOYKIT_TEST_KILL_AT=<point>` on one deploykit process; when that process
reaches the point it kills itself with SIGKILL, as an OOM killer or a runner
that lost its machine would: no `finally`, no signal handler, no flush. The
points (POINTS) sit at phase boundaries of the engine and the stage runner.
Nothing else reads the variable, an unknown value does nothing, and unset
(always, outside those tests) a point costs one environment lookup.

Must not: do anything but kill (no logging, no clean-up), or be called with a
name missing from POINTS.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "DEPLOYKIT_TEST_KILL_AT"

POINTS = frozenset({
    "history", "decrypt", "render", "plan",  # before the first write (Timer phases)
    "lock",  # the release lock taken, nothing recorded yet
    "pending",  # the pending record written, nothing applied
    "hooks", "hook",  # before the pre hooks; one hook object applied, not yet tracked
    "apply", "track", "prune",  # at the start of each (Timer phases)
    "rollback",  # the failed attempt recorded failed, nothing restored yet
    "record",  # the new revision recorded deployed, the previous one not yet marked superseded
    "report",  # a stage deployed, its report files not yet written
})


def reached(point: str) -> None:
    """SIGKILL this process if DEPLOYKIT_TEST_KILL_AT names `point`."""
    if os.environ.get(VARIABLE) == point:
        assert point in POINTS, point
        os.kill(os.getpid(), signal.SIGKILL)
