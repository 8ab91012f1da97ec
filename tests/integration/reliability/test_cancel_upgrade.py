"""`deploykit upgrade` cancelled (SIGTERM from a cancelled CI job, SIGINT from Ctrl-C) at each phase of the deploy.

Each case deploys build 1, then starts build 2 (which adds the ConfigMap
app-extra and runs a pre-upgrade hook Job) with DEPLOYKIT_TEST_SIGNAL_AT=<point>
(deploykit/release/killpoints.py: the process signals itself there, once).
Whatever the point, the run exits 128 + the signal, build 1 is running, what
build 2 created is gone, the history is consistent with no Lease left, and
the --report file says the run was cancelled.
"""

from __future__ import annotations

import json
import signal

import pytest

from tests.integration.reliability.conftest import wait_for_line

# (point, signal, anything applied before it)
CASES = [
    ("plan", signal.SIGTERM, False),
    ("pending", signal.SIGTERM, False),
    ("hook", signal.SIGTERM, True),
    ("applied", signal.SIGTERM, True),
    ("plan", signal.SIGINT, False),
    ("applied", signal.SIGINT, True),
]


@pytest.mark.parametrize(("point", "signum", "applied"), CASES,
                         ids=[f"{signal.Signals(s).name}-{p}" for p, s, _ in CASES])
def test_a_cancelled_upgrade_ends_clean_and_says_so(project, point, signum, applied):
    """A cancelled CI job or Ctrl-C would leave a half-applied build, a pending revision or no report behind."""
    assert project.upgrade().returncode == 0
    project.set_values(tag="2", extra=True)
    how = point + (":INT" if signum == signal.SIGINT else "")
    done = project.upgrade("--report", "report.json", env={"DEPLOYKIT_TEST_SIGNAL_AT": how})
    assert done.returncode == 128 + signum, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads((project.root / "report.json").read_text())
    assert report["ok"] is False and report["cancelled"] == signal.Signals(signum).name
    if applied:
        assert report["status"] == "rolled-back" and report["failure"]["phase"] == "cancelled"
    else:
        assert report["status"] == "cancelled" and "nothing was applied" in report["error"]
    assert project.running_tag() == "1"
    assert project.get("configmap", "app-extra") is None
    assert project.consistent() == []
    assert project.plaintext_left() == []


def test_a_second_sigterm_does_not_stop_the_rollback(project):
    """A CI runner that repeats SIGTERM (or sends SIGINT then SIGTERM, as GitHub does) would cut the rollback short."""
    assert project.upgrade().returncode == 0
    project.set_values(tag="2", behavior="never-ready", extra=True)
    # the first SIGTERM from outside while build 2 is tracked, the second when the rollback starts
    process = project.start(project.upgrade_args(), env={"DEPLOYKIT_TEST_SIGNAL_AT": "rollback"})
    wait_for_line(process, "applying")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, out + err
    assert "rolled back to revision 1" in err
    assert project.running_tag() == "1"
    assert project.get("configmap", "app-extra") is None
    assert project.consistent() == []


def test_a_run_killed_during_its_cancel_rollback_is_recovered_by_the_next_run(project):
    """SIGKILL after the grace period (GitLab, GitHub) would leave the release locked or pending for good."""
    assert project.upgrade().returncode == 0
    project.set_values(tag="2", extra=True)
    killed = project.upgrade(env={"DEPLOYKIT_TEST_SIGNAL_AT": "track", "DEPLOYKIT_TEST_KILL_AT": "rollback"})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    again = project.upgrade()
    assert again.returncode == 0, again.stdout + again.stderr
    assert project.running_tag() == "2"
    assert project.consistent() == []
    assert project.plaintext_left() == []


def test_a_rollback_command_cancelled_once_locked_changes_nothing_and_exits_143(project):
    """`deploykit rollback` cancelled as it took the lock would die holding it, with no word of what it did."""
    assert project.upgrade().returncode == 0
    project.set_values(tag="2")
    assert project.upgrade().returncode == 0
    done = project.run(project._command("rollback", "app", "1", "-n", project.namespace, "--kubeconfig",
                                        project.kubeconfig, "--timeout", "30s"),
                       env={"DEPLOYKIT_TEST_SIGNAL_AT": "lock"})
    assert done.returncode == 128 + signal.SIGTERM, done.stdout + done.stderr
    assert "cancelled by SIGTERM: nothing was applied" in done.stderr
    assert project.history() == [(1, "superseded"), (2, "deployed")]
    assert project.running_tag() == "2"
    assert project.consistent() == []


def test_a_key_handed_over_by_ci_outlives_the_cancel_until_the_rollback_is_done(project, sops_project, tmp_path):
    """A cancelled job whose sops key CI handed over would wipe it first and die without rolling back."""
    import subprocess
    import tempfile
    from pathlib import Path

    from tests.plugins.secrets import PGP_FINGERPRINT, PGP_PRIVATE_KEY, PGP_PUBLIC_KEY

    subprocess.run(["gpg", "--batch", "--quiet", "--import", str(PGP_PUBLIC_KEY)], env=project.env, check=True,
                   capture_output=True)
    sops_project.encrypt("secrets/app.yaml", f"password: {project.password}\n", recipients=("--pgp", PGP_FINGERPRINT))
    keyrings = Path(tempfile.mkdtemp(prefix="kr-", dir="/tmp"))  # short: gpg-agent's socket path has a limit
    project.env.update({"DEPLOYKIT_PGP_KEY": PGP_PRIVATE_KEY.read_text(), "DEPLOYKIT_KEYRING_DIR": str(keyrings)})
    project.env.pop("SOPS_AGE_KEY_FILE", None)
    assert project.upgrade().returncode == 0
    project.set_values(tag="2", behavior="never-ready")
    done = project.upgrade(env={"DEPLOYKIT_TEST_SIGNAL_AT": "track"})
    assert done.returncode == 128 + signal.SIGTERM, done.stdout + done.stderr
    assert "rolled back to revision 1" in done.stderr
    assert project.running_tag() == "1" and project.consistent() == []
    assert list(keyrings.iterdir()) == []
    keyrings.rmdir()


def test_a_cancel_is_said_once_in_the_error_the_record_and_the_stage_log(project):
    """The cancel would read doubled ("failed: cancelled: cancelled by SIGTERM during apply") in every message."""
    assert project.stage().returncode == 0
    project.set_values(tag="2", extra=True)
    done = project.upgrade(env={"DEPLOYKIT_TEST_SIGNAL_AT": "applied"})
    assert done.returncode == 128 + signal.SIGTERM, done.stdout + done.stderr
    assert "error: upgrade of app cancelled by SIGTERM during apply; rolled back to revision 1" in done.stderr
    assert "revision 2 cancelled by SIGTERM during apply" in done.stdout
    descriptions = json.loads(project.run(project._command(
        "history", "app", "-n", project.namespace, "--kubeconfig", project.kubeconfig, "-o", "json")).stdout)
    assert [row["description"] for row in descriptions[1:]] == [
        "cancelled by SIGTERM during apply", "rollback to 1 after revision 2 was cancelled"]
    project.set_values(tag="3", extra=True)
    staged = project.stage(env={"DEPLOYKIT_TEST_SIGNAL_AT": "applied"})
    assert "error: dev/sim: release app: cancelled by SIGTERM during apply" in staged.stdout + staged.stderr
    for text in (done.stdout, done.stderr, staged.stdout, staged.stderr, json.dumps(descriptions)):
        assert "cancelled: cancelled" not in text and "failed: cancelled" not in text and "cancelled cancelled" not in text
