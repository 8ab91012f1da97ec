"""SIGKILL at each named point of a pipeline stage or an upgrade, then the same command again: it recovers alone.

Each case deploys build 1, starts build 2 with DEPLOYKIT_TEST_KILL_AT=<point>
(deploykit/release/killpoints.py: the process SIGKILLs itself there), then
reruns the same command without it. The rerun must reach the state a run that
was never killed would have reached, with a consistent history (revisions
1..n, none pending, one deployed), no Lease left, and no decrypted value in a
file under TMPDIR or /dev/shm.
"""

from __future__ import annotations

import signal

import pytest

from tests.integration.reliability.conftest import report_of

# (point, command, build 2 fails: the rollback is where it is killed)
CASES = [
    ("decrypt", "stage", False),
    ("render", "stage", False),
    ("lock", "stage", False),
    ("pending", "upgrade", False),
    ("hook", "stage", False),
    ("apply", "upgrade", False),
    ("track", "stage", False),
    ("rollback", "stage", True),
    ("record", "upgrade", False),
    ("report", "stage", False),
]


@pytest.mark.parametrize(("point", "command", "failing"), CASES, ids=[f"{c}-{p}" for p, c, _ in CASES])
def test_a_run_killed_at_any_point_is_recovered_by_the_next_run(project, point, command, failing):
    """A deploy killed mid-way (OOM, lost runner) would leave the release locked, pending or half-applied."""
    run = project.stage if command == "stage" else project.upgrade
    first = run()
    assert first.returncode == 0, first.stdout + first.stderr
    project.set_values(tag="2", behavior="crashloop" if failing else "")
    killed = run(env={"DEPLOYKIT_TEST_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    again = run()
    assert again.returncode == (1 if failing else 0), again.stdout + again.stderr
    assert project.running_tag() == ("1" if failing else "2")
    assert project.consistent() == []
    assert project.plaintext_left() == []
    if command == "stage":
        assert report_of(project)["status"] == ("rolled-back" if failing else "success")
