"""`deploykit uninstall` cancelled (SIGTERM, SIGINT) or killed half-way: the record says so, a rerun finishes it.

Each case deploys build 1 (with the ConfigMap app-extra, so there are several
objects to delete), then uninstalls it with DEPLOYKIT_TEST_SIGNAL_AT or
DEPLOYKIT_TEST_KILL_AT=<point> (deploykit/release/killpoints.py).
"""

from __future__ import annotations

import json
import signal

import pytest


def _uninstall_args(project, *extra: str) -> list[str]:
    return project._command("uninstall", "app", "-n", project.namespace, "--kubeconfig", project.kubeconfig,
                            "--timeout", "30s", *extra)


def _latest(project) -> dict:
    done = project.run(project._command("history", "app", "-n", project.namespace, "--kubeconfig",
                                        project.kubeconfig, "-o", "json"))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)[-1]


def _installed(project) -> None:
    project.set_values(tag="1", extra=True)
    first = project.upgrade()
    assert first.returncode == 0, first.stdout + first.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_uninstall_cancelled_half_way_is_recorded_uninstalling_and_finished_by_a_rerun(project, signum):
    """A cancelled uninstall would leave the release half deleted yet `deployed`, with no word of what was done."""
    _installed(project)
    how = "deleted" + (":INT" if signum == signal.SIGINT else "")
    done = project.run(_uninstall_args(project), env={"DEPLOYKIT_TEST_SIGNAL_AT": how})
    assert done.returncode == 128 + signum, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert f"cancelled by {signal.Signals(signum).name} (1 of " in done.stderr
    assert "again to finish it" in done.stderr
    latest = _latest(project)
    assert latest["status"] == "uninstalling"
    assert "1 of " in latest["description"] and "deploykit uninstall app" in latest["description"]
    assert project.get("lease", "deploykit.release.app") is None
    again = project.run(_uninstall_args(project))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "finishing the uninstall of revision 1" in again.stdout + again.stderr
    assert project.get("deployment", "app") is None and project.get("configmap", "app-extra") is None
    assert project.run(project._command("history", "app", "-n", project.namespace, "--kubeconfig",
                                        project.kubeconfig)).returncode != 0  # no records left


def test_an_uninstall_cancelled_before_its_first_delete_changes_nothing(project):
    """An uninstall cancelled as it took the lock would die holding it, or delete part of the release anyway."""
    _installed(project)
    done = project.run(_uninstall_args(project), env={"DEPLOYKIT_TEST_SIGNAL_AT": "lock"})
    assert done.returncode == 128 + signal.SIGTERM, done.stdout + done.stderr
    assert "cancelled by SIGTERM: nothing was deleted" in done.stderr
    assert project.running_tag() == "1" and project.get("configmap", "app-extra") is not None
    assert project.consistent() == []


def test_an_uninstall_killed_half_way_is_finished_by_a_rerun(project):
    """An uninstall SIGKILLed after its grace period would leave a locked, half-deleted release for good."""
    _installed(project)
    killed = project.run(_uninstall_args(project, "--keep-history"), env={"DEPLOYKIT_TEST_KILL_AT": "deleted"})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert _latest(project)["status"] == "uninstalling"
    again = project.run(_uninstall_args(project, "--keep-history"))
    assert again.returncode == 0, again.stdout + again.stderr
    assert _latest(project)["status"] == "uninstalled"
    assert project.get("deployment", "app") is None and project.get("configmap", "app-extra") is None
    assert project.get("lease", "deploykit.release.app") is None


def test_a_release_left_uninstalling_is_installed_again_by_upgrade_install(project):
    """A half-uninstalled release would block `upgrade --install` or be upgraded as if it were still deployed."""
    _installed(project)
    done = project.run(_uninstall_args(project), env={"DEPLOYKIT_TEST_SIGNAL_AT": "deleted"})
    assert done.returncode == 128 + signal.SIGTERM, done.stdout + done.stderr
    again = project.upgrade()
    assert again.returncode == 0, again.stdout + again.stderr
    assert project.running_tag() == "1" and project.get("configmap", "app-extra") is not None
    assert project.history() == [(1, "superseded"), (2, "deployed")]
    assert project.consistent() == []
