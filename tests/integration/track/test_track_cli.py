"""`deploykit track` as a user runs it in CI: exit codes, output lines, the JSON report."""

import json
import subprocess
import sys

import pytest

from deploykit.kube.client import Kube
from tests.integration.track.test_tracker import deployment, job, statefulset


def deploykit(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "deploykit", *args], capture_output=True, text=True, timeout=120,
                          input=stdin)


@pytest.fixture
def kube(sim_cluster):
    with Kube.connect(kubeconfig=sim_cluster.kubeconfig) as client:
        yield client


def test_healthy_deployment_exits_0_with_progress_lines(sim_cluster, kube, sim_cluster_namespace, tmp_path):
    """CI would not see the roll out progress, or a ready release would fail the job."""
    kube.apply(deployment(sim_cluster_namespace, "web", replicas=2))
    report = tmp_path / "track.json"
    result = deploykit("track", "deployment/web", "-n", sim_cluster_namespace, "--kubeconfig", str(sim_cluster.kubeconfig),
                       "--timeout", "30s", "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert "Deployment/web 2/2 ready: Ready" in result.stdout
    data = json.loads(report.read_text())
    assert data["ok"] is True
    assert data["resources"][0]["phase"] == "Ready"


def test_crash_loop_exits_1_naming_pod_container_exit_code_and_logs(sim_cluster, kube, sim_cluster_namespace):
    """A crash-looping release would pass CI, or fail without saying which container crashed and why."""
    annotations = {"sim.deploykit.io/behavior": "crashloop", "sim.deploykit.io/logs": "panic: missing DATABASE_URL"}
    obj = deployment(sim_cluster_namespace, "web", replicas=1, annotations=annotations)
    kube.apply(obj)
    import yaml

    result = deploykit("track", "-f", "-", "--kubeconfig", str(sim_cluster.kubeconfig), "--timeout", "60s",
                       stdin=yaml.safe_dump(obj))
    assert result.returncode == 1
    assert "FAILED Deployment/web" in result.stdout
    assert "container app: CrashLoopBackOff, exit code 1" in result.stdout
    assert "panic: missing DATABASE_URL" in result.stdout
    assert "error: Deployment/web failed" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [(["widget/web"], "cannot track 'widget/web'"), (["deployment"], "cannot track 'deployment'"),
     (["deployment/web", "--timeout", "soon"], "--timeout: 'soon' is not a duration"),
     (["--rules", "/nonexistent/rules.yaml", "deployment/web"], "/nonexistent/rules.yaml: cannot read")],
)
def test_bad_input_exits_2_with_a_clear_message(sim_cluster, args, message):
    """A typo in the CI job would look like a failed deploy, or print a traceback."""
    result = deploykit("track", *args, "-n", "default", "--kubeconfig", str(sim_cluster.kubeconfig))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_cluster_exits_3(tmp_path):
    """A wrong kubeconfig would be reported as a failed roll out instead of a connection problem."""
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: ns}}]\n")
    result = deploykit("track", "deployment/web", "--kubeconfig", str(kubeconfig), "--timeout", "5s")
    assert result.returncode == 3
    assert "cannot reach the API server" in result.stderr


def test_bad_kind_is_a_usage_error_even_when_the_cluster_is_unreachable(tmp_path):
    """A typo in KIND/NAME would be reported as a cluster problem (exit 3) when no cluster answers."""
    result = deploykit("track", "deploymnet/web", "--kubeconfig", str(tmp_path / "missing-kubeconfig"))
    assert result.returncode == 2
    assert "cannot track 'deploymnet/web'" in result.stderr


def test_unknown_kind_message_lists_job_and_pod():
    """The list of kinds `track` accepts would leave out job and pod, which it tracks."""
    result = deploykit("track", "cronjob/nightly", "-n", "default")
    assert result.returncode == 2
    kinds = result.stderr.split("KIND one of ", 1)[1]
    assert "job" in kinds.split(", ") and "pod" in kinds.split(", ")


def test_report_into_a_missing_folder_is_refused_before_tracking(sim_cluster, tmp_path):
    """--report into a folder that does not exist would wait the whole roll out, then print a traceback."""
    report = tmp_path / "no-such-folder" / "track.json"
    result = deploykit("track", "deployment/web", "-n", "default", "--kubeconfig", str(sim_cluster.kubeconfig),
                       "--report", str(report))
    assert result.returncode == 2
    assert f"--report {report}: the folder" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_missing_object_hint_names_the_namespace(sim_cluster, sim_cluster_namespace):
    """Tracking a name that is not there would end with a hint about crashed containers and log lines."""
    result = deploykit("track", "deployment/absent", "-n", sim_cluster_namespace, "--kubeconfig",
                       str(sim_cluster.kubeconfig), "--timeout", "1s")
    assert result.returncode == 1
    assert f"hint: it does not exist in namespace {sim_cluster_namespace}" in result.stderr


def test_failed_job_shows_its_pods_logs_under_the_pod_name(sim_cluster, kube, sim_cluster_namespace):
    """A failed Job's log block would be titled `<pod>/None`, as if the container had no name."""
    kube.apply(job(sim_cluster_namespace, "migrate", exit_code=3, backoff_limit=0, logs="migration 42 failed"))
    result = deploykit("track", "job/migrate", "-n", sim_cluster_namespace, "--kubeconfig", str(sim_cluster.kubeconfig),
                       "--timeout", "60s")
    assert result.returncode == 1
    assert "/None" not in result.stdout
    headers = [line.strip() for line in result.stdout.splitlines() if "last log lines of migrate-" in line]
    assert headers and all(h.endswith(":") and "/" not in h for h in headers), result.stdout
    assert "migration 42 failed" in result.stdout
    assert "tracking failed: Job/migrate failed" in result.stdout.splitlines()[-1]  # no log lines after the verdict


def test_help_names_what_each_option_takes():
    """`track --help` would show Python types (`<str>`, `<list[str]>`) where a user expects FILE, NS, DURATION."""
    result = deploykit("track", "--help")
    options = [line for line in result.stdout.splitlines() if line.lstrip().startswith("-")]
    assert options and not [line for line in options if "<" in line]
    assert "--timeout DURATION" in result.stdout and "--report FILE" in result.stdout


def test_secret_values_in_tracked_manifests_are_masked_in_pod_logs(sim_cluster, kube, sim_cluster_namespace):
    """A pod that logs a Secret value from the tracked manifests would print it into the CI log."""
    import base64

    import yaml

    canary = "canary-track-5e1f0a9c-do-not-leak"
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": sim_cluster_namespace},
              "data": {"password": base64.b64encode(canary.encode()).decode()}}
    annotations = {"sim.deploykit.io/behavior": "crashloop", "sim.deploykit.io/logs": f"connecting with {canary}"}
    obj = deployment(sim_cluster_namespace, "web", replicas=1, annotations=annotations)
    kube.apply(secret)
    kube.apply(obj)
    result = deploykit("track", "-f", "-", "--kubeconfig", str(sim_cluster.kubeconfig), "--timeout", "60s",
                       stdin=yaml.safe_dump_all([secret, obj]))
    assert result.returncode == 1
    assert "connecting with" in result.stdout
    assert canary not in result.stdout + result.stderr


def test_cluster_scoped_crd_is_found_whatever_the_namespace(sim_cluster, kube, sim_cluster_namespace):
    """`track crd/NAME` (or a chart's CRD via -f) would look for it in a namespace and wait until the timeout."""
    group = f"{sim_cluster_namespace}.example.com"
    kube.apply({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": f"widgets.{group}"},
                "spec": {"group": group, "scope": "Namespaced",
                         "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                         "versions": [{"name": "v1", "served": True, "storage": True,
                                       "schema": {"openAPIV3Schema": {"type": "object"}}}]}})
    result = deploykit("track", f"crd/widgets.{group}", "-n", sim_cluster_namespace, "--kubeconfig",
                       str(sim_cluster.kubeconfig), "--timeout", "20s")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"CustomResourceDefinition/widgets.{group}: Ready" in result.stdout


def test_configmap_that_was_never_applied_is_not_reported_ready(sim_cluster, sim_cluster_namespace):
    """A ConfigMap or Secret missing from the cluster (its apply failed) would be reported ready and exit 0."""
    manifest = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings, namespace: {sim_cluster_namespace}}}\n"
    result = deploykit("track", "-f", "-", "--kubeconfig", str(sim_cluster.kubeconfig), "--timeout", "1s",
                       stdin=manifest)
    assert result.returncode == 1
    assert "FAILED ConfigMap/settings: timed out after 1s waiting: waiting for the object to appear" in result.stdout


def test_existing_configmap_is_ready_at_once(sim_cluster, kube, sim_cluster_namespace):
    """An applied ConfigMap would make tracking wait for an event that never comes."""
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": sim_cluster_namespace}}
    kube.apply(manifest)
    import yaml

    result = deploykit("track", "-f", "-", "--kubeconfig", str(sim_cluster.kubeconfig), "--timeout", "10s",
                       stdin=yaml.safe_dump(manifest))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 1 resources ready" in result.stdout


def test_api_server_going_away_is_a_cluster_error_not_a_timed_out_roll_out(sim_cluster_factory, tmp_path):
    """A cluster that stops answering mid-track would end as 'timed out' (exit 1), blaming the release."""
    from tests.plugins.sim import create_namespace

    handle = sim_cluster_factory()
    create_namespace(handle.url, "lost")
    with Kube.connect(kubeconfig=handle.kubeconfig) as client:
        client.apply(deployment("lost", "web", replicas=1, annotations={"sim.deploykit.io/behavior": "never-ready"}))
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(handle.kubeconfig.read_text())
    process = subprocess.Popen([sys.executable, "-m", "deploykit", "track", "deployment/web", "-n", "lost",
                                "--kubeconfig", str(kubeconfig), "--timeout", "4s", "--no-events", "--no-logs"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "Deployment/web" in process.stdout.readline()  # tracking is under way
        handle.stop()
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 3, stderr
    assert "error: lost the API server: no answer for" in stderr and "timed out" not in stderr


def test_missing_cluster_scoped_object_hint_names_no_namespace(sim_cluster):
    """A missing CRD would be said to be missing 'in namespace default', sending the user to fix -n."""
    result = deploykit("track", "crd/absent.example.com", "-n", "default", "--kubeconfig", str(sim_cluster.kubeconfig),
                       "--timeout", "1s")
    assert result.returncode == 1
    assert "hint: it does not exist in the cluster: check the name" in result.stderr


def test_timeout_hint_says_it_was_still_in_progress(sim_cluster, kube, sim_cluster_namespace):
    """A slow roll out cut by the timeout would end with a hint about crashed containers that did not crash."""
    kube.apply(deployment(sim_cluster_namespace, "slow", replicas=1, annotations={"sim.deploykit.io/behavior": "never-ready"}))
    result = deploykit("track", "deployment/slow", "-n", sim_cluster_namespace, "--kubeconfig", str(sim_cluster.kubeconfig),
                       "--timeout", "1s")
    assert result.returncode == 1
    assert "hint: it was still in progress" in result.stderr and "raise --timeout" in result.stderr


def test_report_is_written_when_the_cluster_is_unreachable(tmp_path):
    """CI reading --report would find no file when tracking ended on a cluster error."""
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: ns}}]\n")
    report = tmp_path / "track.json"
    result = deploykit("track", "deployment/web", "--kubeconfig", str(kubeconfig), "--timeout", "5s",
                       "--report", str(report))
    assert result.returncode == 3
    data = json.loads(report.read_text())
    assert data["ok"] is False
    assert "cannot reach the API server" in data["error"]


@pytest.mark.parametrize("where", ["--kubeconfig", "KUBECONFIG"])
def test_missing_kubeconfig_is_bad_input(tmp_path, where):
    """A kubeconfig path with a typo would be reported as an unreachable cluster (exit 3), not as bad input."""
    import os

    missing = tmp_path / "no-such-kubeconfig"
    args, env = ["track", "deployment/web", "-n", "default"], dict(os.environ)
    if where == "--kubeconfig":
        args += ["--kubeconfig", str(missing)]
    else:
        env["KUBECONFIG"] = str(missing)
    result = subprocess.run([sys.executable, "-m", "deploykit", *args], capture_output=True, text=True, timeout=60,
                            env=env)
    assert result.returncode == 2, result.stderr
    assert f"error: kubeconfig {missing}" in result.stderr and "does not exist" in result.stderr
    assert "hint: " in result.stderr and "Traceback" not in result.stderr


def test_unknown_kube_context_is_bad_input(sim_cluster):
    """A typo in --kube-context would be reported as an unreachable cluster (exit 3), not as bad input."""
    result = deploykit("track", "deployment/web", "-n", "default", "--kubeconfig", str(sim_cluster.kubeconfig),
                       "--kube-context", "prod-typo")
    assert result.returncode == 2, result.stderr
    assert "has no context 'prod-typo' (it has: deploykit-sim)" in result.stderr and "hint: " in result.stderr


@pytest.mark.parametrize("form", ["deployment.apps/web", "deployments/web", "deploy/web", "deployments.v1.apps/web",
                                  "Deployment.apps/web"])
def test_kind_names_kubectl_prints_or_accepts_are_tracked(sim_cluster, kube, sim_cluster_namespace, form):
    """`track $(kubectl get deploy -o name)` would be refused: 'cannot track deployment.apps/web'."""
    kube.apply(deployment(sim_cluster_namespace, "web", replicas=1))
    result = deploykit("track", form, "-n", sim_cluster_namespace, "--kubeconfig", str(sim_cluster.kubeconfig),
                       "--timeout", "30s")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Deployment/web 1/1 ready: Ready" in result.stdout


def test_statefulset_and_job_in_kubectl_form_are_tracked(sim_cluster, kube, sim_cluster_namespace):
    """`statefulset.apps/db` and `job.batch/migrate`, as `kubectl get -o name` prints them, would be refused."""
    kube.apply(statefulset(sim_cluster_namespace, "db", replicas=1))
    kube.apply(job(sim_cluster_namespace, "migrate"))
    result = deploykit("track", "statefulset.apps/db", "job.batch/migrate", "-n", sim_cluster_namespace,
                       "--kubeconfig", str(sim_cluster.kubeconfig), "--timeout", "30s")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 2 resources ready" in result.stdout


def test_kind_with_the_wrong_group_is_refused(sim_cluster):
    """`deployment.batch/web` names no kind deploykit knows; it would be tracked as a Deployment."""
    result = deploykit("track", "deployment.batch/web", "-n", "default", "--kubeconfig", str(sim_cluster.kubeconfig))
    assert result.returncode == 2
    assert "cannot track 'deployment.batch/web'" in result.stderr


def test_no_logs_shows_no_log_line_in_the_failure_block_or_the_report(sim_cluster, kube, sim_cluster_namespace,
                                                                      tmp_path):
    """`--no-logs` would still print the crashed container's last log lines and write them to --report."""
    annotations = {"sim.deploykit.io/behavior": "crashloop", "sim.deploykit.io/logs": "app says: marker-4c1f"}
    kube.apply(deployment(sim_cluster_namespace, "web", replicas=1, annotations=annotations))
    report = tmp_path / "track.json"
    result = deploykit("track", "deployment/web", "-n", sim_cluster_namespace, "--kubeconfig",
                       str(sim_cluster.kubeconfig), "--timeout", "60s", "--no-logs", "--no-events",
                       "--report", str(report))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED Deployment/web" in result.stdout
    assert "marker-4c1f" not in result.stdout + result.stderr and "last log lines" not in result.stdout
    assert "marker-4c1f" not in report.read_text()
