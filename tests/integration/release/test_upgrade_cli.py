"""`deploykit upgrade`, `plan`, `rollback`, `history` through the CLI against the simulated cluster over HTTP."""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.release.conftest import CANARY, decoded_texts

CRASH = ("--set", "behavior=crashloop", "--set-string", "logs=panic: cannot reach the database")


def _statuses(deploy) -> list[tuple[int, str]]:
    return [(row["revision"], row["status"]) for row in deploy.history()]


def _start(deploy, *extra: str):
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "deploykit", "upgrade", "app", str(deploy.chart), "-n", deploy.namespace, "-f",
         str(deploy.secrets), "--kubeconfig", deploy.kubeconfig, "--timeout", "60s", *extra],
        env=deploy.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for_line(process, text: str, timeout: float = 30) -> list[str]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not printed; saw {seen}")


def test_install_creates_the_objects_and_a_deployed_record(deploy):
    """A first `upgrade --install` would not deploy the chart or not record the revision."""
    done = deploy.upgrade("--create-namespace")
    assert done.returncode == 0, done.stdout + done.stderr
    live = deploy.get("deployment", "app")
    assert live["status"]["readyReplicas"] == 2
    assert live["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "deploykit"
    assert live["metadata"]["annotations"]["deploykit.io/release-name"] == "app"
    assert _statuses(deploy) == [(1, "deployed")]
    assert "app is deployed" in done.stdout  # NOTES


def test_noop_upgrade_writes_nothing(deploy):
    """A re-run with the same inputs would create a revision and write to the cluster (Helm does, every time)."""
    assert deploy.upgrade("--create-namespace").returncode == 0
    deploy.handle.server.audit.clear()
    done = deploy.upgrade("--create-namespace")  # as CI scripts pass it every time: the namespace exists now
    assert done.returncode == 0, done.stderr
    assert "nothing to do" in done.stdout
    assert deploy.handle.server.audit.writes(agent="deploykit") == []
    assert _statuses(deploy) == [(1, "deployed")]


def test_crashing_upgrade_is_rolled_back_and_what_it_created_is_deleted(deploy):
    """A crash-looping upgrade would stay in place, or leave the objects it added behind."""
    assert deploy.upgrade("--create-namespace").returncode == 0
    started = time.monotonic()
    done = deploy.upgrade(*CRASH, "--set", "extraConfig=true", "--set", "image=registry.example.com/app:2")
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    assert "CrashLoopBackOff" in done.stdout and "panic: cannot reach the database" in done.stdout
    assert "rolled back to revision 1" in done.stderr
    assert elapsed < 20
    live = deploy.get("deployment", "app")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/app:1"
    assert live["spec"]["template"]["metadata"]["annotations"]["sim.deploykit.io/behavior"] == ""
    assert deploy.get("configmap", "app-extra") is None
    assert _statuses(deploy) == [(1, "superseded"), (2, "failed"), (3, "deployed")]


def test_failed_first_install_is_cleaned_up_and_the_next_install_succeeds(deploy):
    """A failed first install would block later installs ("has no deployed releases") or leave objects behind."""
    done = deploy.upgrade("--create-namespace", *CRASH)
    assert done.returncode == 1
    assert "everything it created was removed" in done.stderr
    assert deploy.get("deployment", "app") is None and deploy.get("configmap", "app") is None
    again = deploy.upgrade()
    assert again.returncode == 0, again.stdout + again.stderr
    assert _statuses(deploy) == [(1, "failed"), (2, "deployed")]


def test_failed_pre_upgrade_hook_fails_fast_and_rolls_back(deploy):
    """A failing migration hook would let the upgrade go on, or fail without its log lines."""
    assert deploy.upgrade("--create-namespace").returncode == 0
    done = deploy.upgrade("--set", "hookBehavior=exit:1", "--set", "replicas=3")
    assert done.returncode == 1, done.stdout
    assert "migration failed: relation users does not exist" in done.stdout
    assert deploy.get("deployment", "app")["spec"]["replicas"] == 2
    assert [s for _, s in _statuses(deploy)] == ["superseded", "failed", "deployed"]


def test_image_pull_failure_rolls_back(deploy):
    """ErrImagePull would be waited on until the timeout instead of failing and rolling back."""
    assert deploy.upgrade("--create-namespace").returncode == 0
    done = deploy.upgrade("--set", "image=registry.example.invalid/app:2")
    assert done.returncode == 1
    assert "ErrImagePull" in done.stdout or "ImagePullBackOff" in done.stdout
    assert deploy.get("deployment", "app")["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/app:1"


def test_plan_names_the_drift_and_who_made_it_and_upgrade_corrects_it(deploy):
    """`kubectl scale` drift would be invisible in the plan or survive the next upgrade."""
    assert deploy.upgrade("--create-namespace").returncode == 0
    deploy.kubectl("scale", "deployment/app", "--replicas=0")
    plan = deploy.run("plan", "app", str(deploy.chart), "-n", deploy.namespace, "-f", str(deploy.secrets),
                      "--detailed-exitcode")
    assert plan.returncode == 6, plan.stdout + plan.stderr
    assert "drift: spec.replicas: 2 -> 0 (changed by kubectl" in plan.stdout
    assert deploy.upgrade().returncode == 0
    assert deploy.get("deployment", "app")["spec"]["replicas"] == 2


def test_rollback_restores_the_charts_replicas_and_keeps_an_injected_sidecar(deploy):
    """Rollback would keep kubectl's drift, or remove a container another manager injected."""
    assert deploy.upgrade("--create-namespace").returncode == 0
    assert deploy.upgrade("--set", "replicas=3").returncode == 0
    patch = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app"},
             "spec": {"template": {"spec": {"containers": [{"name": "istio-proxy", "image": "istio/proxyv2"}]}}}}
    deploy.kubectl("apply", "--server-side", "--field-manager", "sidecar-injector", "-f", "-", stdin=json.dumps(patch))
    deploy.kubectl("scale", "deployment/app", "--replicas=0")
    done = deploy.run("rollback", "app", "1", "-n", deploy.namespace, "--timeout", "30s")
    assert done.returncode == 0, done.stdout + done.stderr
    live = deploy.get("deployment", "app")
    assert live["spec"]["replicas"] == 2
    assert {c["name"] for c in live["spec"]["template"]["spec"]["containers"]} == {"app", "istio-proxy"}
    assert _statuses(deploy)[-1] == (3, "deployed")


def test_reviewed_plan_applies_and_a_stale_one_is_refused(deploy, tmp_path):
    """`upgrade --plan` would apply something other than what was reviewed, or a plan the cluster outran."""
    assert deploy.upgrade("--create-namespace").returncode == 0
    plan_file = tmp_path / "plan.json"
    made = deploy.run("plan", "app", str(deploy.chart), "-n", deploy.namespace, "-f", str(deploy.secrets),
                      "--set", "replicas=3", "--out", str(plan_file))
    assert made.returncode == 0, made.stderr
    deploy.kubectl("annotate", "deployment/app", "touched=yes")
    stale = deploy.upgrade("--set", "replicas=3", "--plan", str(plan_file))
    assert stale.returncode == 2 and "Deployment" in stale.stderr and "changed in the cluster" in stale.stderr
    assert deploy.get("deployment", "app")["spec"]["replicas"] == 2
    fresh = deploy.run("plan", "app", str(deploy.chart), "-n", deploy.namespace, "-f", str(deploy.secrets),
                       "--set", "replicas=3", "--out", str(plan_file))
    assert fresh.returncode == 0
    applied = deploy.upgrade("--set", "replicas=3", "--plan", str(plan_file))
    assert applied.returncode == 0, applied.stderr
    assert deploy.get("deployment", "app")["spec"]["replicas"] == 3


def test_reviewed_plan_of_a_first_install_with_secrets_applies(deploy, tmp_path):
    """A first install with sops secrets from a reviewed plan was always refused as stale (a new fingerprint key)."""
    plan_file = tmp_path / "plan.json"
    made = deploy.run("plan", "app", str(deploy.chart), "-n", deploy.namespace, "-f", str(deploy.secrets),
                      "--create-namespace", "--out", str(plan_file))
    assert made.returncode == 0, made.stderr
    applied = deploy.upgrade("--create-namespace", "--plan", str(plan_file))
    assert applied.returncode == 0, applied.stderr
    assert deploy.history()[-1]["status"] == "deployed"


def test_object_of_another_owner_is_refused_unless_adopted(deploy):
    """An existing object would be silently taken over by a release it does not belong to."""
    assert deploy.upgrade("--create-namespace").returncode == 0
    other = deploy.upgrade(release="other")
    assert other.returncode == 2
    assert "belongs to deploykit release" in other.stderr and "--adopt" in other.stderr
    assert deploy.get("deployment", "app")["metadata"]["annotations"]["deploykit.io/release-name"] == "app"


def test_secret_canary_is_in_no_output_record_plan_or_report(deploy, tmp_path):
    """A decrypted password would leak through plans, records, reports, NOTES or the CLI output."""
    report = tmp_path / "report.json"
    plan_file = tmp_path / "plan.json"
    assert deploy.upgrade("--create-namespace", "--report", str(report)).returncode == 0
    deploy.run("plan", "app", str(deploy.chart), "-n", deploy.namespace, "-f", str(deploy.secrets),
               "--set", "replicas=3", "--out", str(plan_file), "-o", "json")
    deploy.upgrade(*CRASH, "--report", str(report))
    for command in (("history", "app"), ("status", "app"), ("get", "values", "app"), ("get", "manifest", "app"),
                    ("get", "notes", "app"), ("list",)):
        done = deploy.run(*command, "-n", deploy.namespace)
        assert done.returncode == 0, (command, done.stderr)
    texts = [*deploy.outputs, report.read_text(), plan_file.read_text()]
    texts += decoded_texts(deploy.records())
    assert [t for t in texts if CANARY in t or CANARY[:-1] in t or CANARY.upper() in t] == []
    # the deployed Secret itself does hold it: the test would pass vacuously otherwise
    secret = deploy.get("secret", "app")
    assert any(CANARY in t for t in decoded_texts(secret["data"]))


def test_concurrent_upgrades_never_interleave(deploy):
    """Two runs would both deploy at once, or the loser would not say who holds the lock."""
    import subprocess
    import sys

    assert deploy.upgrade("--create-namespace").returncode == 0
    # ready-after:100s is 5 s per pod on the test cluster (speed 20): the first run holds the lock ~10 s
    first = _start(deploy, "--set", "image=registry.example.com/app:2", "--set", "behavior=ready-after:100s")
    _wait_for_line(first, "applying")
    second = subprocess.run(
        [sys.executable, "-m", "deploykit", "upgrade", "app", str(deploy.chart), "-n", deploy.namespace, "-f",
         str(deploy.secrets), "--kubeconfig", deploy.kubeconfig, "--lock-timeout", "1s", "--set", "replicas=4"],
        env=deploy.env, capture_output=True, text=True, timeout=60)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, out + err
    assert second.returncode == 1 and "is locked by" in second.stderr, second.stdout + second.stderr
    assert [s for _, s in _statuses(deploy)] == ["superseded", "deployed"]
    assert deploy.get("deployment", "app")["spec"]["replicas"] == 2


@pytest.mark.parametrize("missing", ["namespace"])
def test_missing_namespace_is_a_clear_error_and_nothing_is_applied(deploy, missing):
    """Installing into a namespace that does not exist would fail obscurely or half-apply."""
    done = deploy.upgrade()
    assert done.returncode == 2
    assert f"namespace {deploy.namespace} does not exist" in done.stderr and "--create-namespace" in done.stderr


def test_sigterm_during_tracking_rolls_back_and_reports_cancelled(deploy, tmp_path):
    """A cancelled CI job would leave the half-rolled-out revision in place, or exit without saying so."""
    import signal

    assert deploy.upgrade("--create-namespace").returncode == 0
    report = tmp_path / "report.json"
    process = _start(deploy, "--set", "behavior=never-ready", "--set", "replicas=3", "--report", str(report))
    _wait_for_line(process, "applying")
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, out + err
    assert "rolled back to revision 1" in err
    data = json.loads(report.read_text())
    assert data["status"] == "rolled-back" and data["failure"]["phase"] == "cancelled"
    assert deploy.get("deployment", "app")["spec"]["replicas"] == 2
    assert [s for _, s in _statuses(deploy)] == ["superseded", "failed", "deployed"]


def test_rerun_after_sigkill_mid_tracking_recovers_without_a_manual_step(deploy):
    """A killed run would leave the release locked or its pending revision dangling (Helm's dead end)."""
    import signal

    deploy.env["DEPLOYKIT_LOCK_LEASE_SECONDS"] = "2"
    assert deploy.upgrade("--create-namespace").returncode == 0
    process = _start(deploy, "--set", "behavior=never-ready", "--set", "replicas=3")
    _wait_for_line(process, "applying")
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert [s for _, s in _statuses(deploy)] == ["deployed", "pending-upgrade"]
    again = deploy.upgrade("--set", "replicas=3", "--lock-timeout", "30s")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "took over the lock" in again.stdout
    assert [s for _, s in _statuses(deploy)] == ["superseded", "failed", "deployed"]
    assert deploy.get("deployment", "app")["status"]["readyReplicas"] == 3


def test_objects_dropped_from_the_chart_are_pruned_unless_kept(deploy):
    """An object the chart no longer renders would linger, or one marked keep would be deleted."""
    assert deploy.upgrade("--create-namespace", "--set", "extraConfig=true").returncode == 0
    assert deploy.get("configmap", "app-extra") is not None
    done = deploy.upgrade("--set", "extraConfig=false")
    assert done.returncode == 0, done.stderr
    assert "prune" in done.stdout and deploy.get("configmap", "app-extra") is None
    assert deploy.upgrade("--set", "extraConfig=true").returncode == 0
    deploy.kubectl("annotate", "configmap/app-extra", "deploykit.io/resource-policy=keep")
    assert deploy.upgrade("--set", "extraConfig=false").returncode == 0
    assert deploy.get("configmap", "app-extra") is not None


def test_uninstall_deletes_objects_and_records_or_keeps_history(deploy):
    """Uninstall would leave objects behind, or lose the history it was asked to keep."""
    assert deploy.upgrade("--create-namespace").returncode == 0
    done = deploy.run("uninstall", "app", "-n", deploy.namespace, "--keep-history")
    assert done.returncode == 0, done.stderr
    assert deploy.get("deployment", "app") is None and deploy.get("secret", "app") is None
    assert _statuses(deploy) == [(1, "uninstalled")]
    assert deploy.upgrade().returncode == 0  # installs afresh after an uninstall
    assert deploy.run("uninstall", "app", "-n", deploy.namespace).returncode == 0
    assert deploy.records() == []
