"""The `deploykit` process tunes the cyclic garbage collector for a short-lived command (deploykit.cli.main)."""

from __future__ import annotations

import subprocess
import sys

PROBE = (
    "import atexit, gc, sys\n"
    "atexit.register(lambda: print(gc.get_threshold()[0], gc.get_freeze_count() > 0))\n"
    "from deploykit.cli import main\n"
    "sys.argv = ['deploykit', 'version']\n"
    "main.run()\n"
)


def test_a_command_collects_less_often_and_freezes_what_is_alive_at_exit():
    """Without it every `deploykit template` spends ~5% of its instructions walking objects it is about to drop."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    threshold, frozen = done.stdout.splitlines()[-1].split()
    assert int(threshold) == 50_000
    assert frozen == "True"


def test_a_failing_command_still_freezes_before_exit():
    """An error exit goes through the same path: the tuning must not depend on success."""
    probe = PROBE.replace("'version'", "'template', '/no/such/chart'")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stdout.splitlines()[-1].split() == ["50000", "True"]
