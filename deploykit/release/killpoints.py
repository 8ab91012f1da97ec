"""Test-only kill points: SIGKILL (or cancel) this process at a named point of a deploy.

The reliability suite (tests/integration/reliability/) sets
`DEPLOYKIT_TEST_KILL_AT=<point>` on one deploykit process; when that process
reaches the point it kills itself with SIGKILL, as an OOM killer or a runner
that lost its machine would: no `finally`, no signal handler, no flush, to
prove that a rerun recovers. `DEPLOYKIT_TEST_SIGNAL_AT=<point>[:INT]` sends
SIGTERM (SIGINT with `:INT`) instead, once, as a cancelled CI job or Ctrl-C
landing exactly there, from whichever thread reaches the point first. The
points (POINTS) sit at phase boundaries of the engine and the stage runner.
Nothing else reads the variables, an unknown value does nothing, and unset
(always, outside those tests) a point costs two environment lookups.

Must not: do anything but signal (no logging, no clean-up), or be called with
a name missing from POINTS.
"""

from __future__ import annotations

import os
import signal
import threading

VARIABLE = "DEPLOYKIT_TEST_KILL_AT"
SIGNAL_VARIABLE = "DEPLOYKIT_TEST_SIGNAL_AT"

POINTS = frozenset({
    "history", "decrypt", "render", "plan",  # before the first write (Timer phases)
    "lock",  # the release lock taken, nothing recorded yet
    "pending",  # the pending record written, nothing applied
    "hooks", "hook",  # before the pre hooks; one hook object applied, not yet tracked
    "apply", "track", "prune",  # at the start of each (Timer phases)
    "applied",  # a group of objects of the apply written, the next groups not yet
    "uninstalling",  # an uninstall's revision recorded uninstalling, nothing deleted yet
    "deleted",  # one object of an uninstall (or of a rollback's clean-up) deleted, the next not yet
    "rollback",  # the failed attempt recorded failed, nothing restored yet
    "record",  # the new revision recorded deployed, the previous one not yet marked superseded
    "report",  # a stage deployed, its report files not yet written
})


_signalled = threading.Event()


def reached(point: str) -> None:
    """SIGKILL this process if DEPLOYKIT_TEST_KILL_AT names `point`; SIGTERM / SIGINT it, once, if
    DEPLOYKIT_TEST_SIGNAL_AT does."""
    if os.environ.get(VARIABLE) == point:
        assert point in POINTS, point
        os.kill(os.getpid(), signal.SIGKILL)
    wanted, _, name = os.environ.get(SIGNAL_VARIABLE, "").partition(":")
    if wanted == point and not _signalled.is_set():
        assert point in POINTS, point
        _signalled.set()
        os.kill(os.getpid(), signal.SIGINT if name == "INT" else signal.SIGTERM)
