"""`deploykit track` never prints a Secret's value that a pod logs: canaries in stdout, stderr and the --report JSON."""

import base64
import json

import pytest
import yaml

from tests.integration.track.test_track_cli import deploykit, kube  # noqa: F401 - kube is a fixture
from tests.integration.track.test_tracker import deployment

CANARY = "canary-track-7d41c2e8-do-not-leak"


def failing_track(sim_cluster, tmp_path, *args, stdin=None):
    """`deploykit track ARGS --report FILE` against the test cluster, which must fail (exit 1): (result, report)."""
    report = tmp_path / "track.json"
    result = deploykit("track", *args, "--kubeconfig", str(sim_cluster.kubeconfig), "--timeout", "60s",
                       "--report", str(report), stdin=stdin)
    assert result.returncode == 1, result.stdout + result.stderr
    return result, report


def _strings(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)
    elif isinstance(data, str):
        yield data


def _decoded(text):
    """`text` and what it decodes to as base64, when it does."""
    try:
        return [text, base64.b64decode(text, validate=True).decode("utf-8", "replace")]
    except ValueError:
        return [text]


def assert_no_canary(result, report=None, canary=CANARY):
    """The canary is in none of stdout, stderr, the report file, nor any decoded string of the report."""
    texts = [result.stdout, result.stderr]
    if report is not None:
        raw = report.read_text()
        texts += [raw, *(form for text in _strings(json.loads(raw)) for form in _decoded(text))]
    encoded = base64.b64encode(canary.encode()).decode()
    leaks = [text for text in texts if canary in text or encoded in text]
    assert not leaks, leaks


def secret(namespace, name, data, *, kind="Opaque"):
    return {"apiVersion": "v1", "kind": "Secret", "type": kind, "metadata": {"name": name, "namespace": namespace},
            "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}}


def crashing(namespace, logs, **spec_fields):
    obj = deployment(namespace, "web", replicas=1,
                     annotations={"sim.deploykit.io/behavior": "crashloop", "sim.deploykit.io/logs": logs})
    obj["spec"]["template"]["spec"].update(spec_fields)
    return obj


def docker_config(password):
    auth = base64.b64encode(f"robot:{password}".encode()).decode()
    return json.dumps({"auths": {"registry.example.com": {"username": "robot", "password": password, "auth": auth}}})


# How a pod refers to the Secret `db` (key `password`), as pod-spec fields.
REFERENCES = {
    "env secretKeyRef": lambda: {"containers": [{"name": "app", "image": "registry.example.com/app:1.0", "env": [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}]},
    "envFrom secretRef": lambda: {"containers": [{"name": "app", "image": "registry.example.com/app:1.0",
                                                  "envFrom": [{"secretRef": {"name": "db"}}]}]},
    "secret volume": lambda: {"volumes": [{"name": "creds", "secret": {"secretName": "db"}}]},
    "projected volume": lambda: {"volumes": [{"name": "creds", "projected": {"sources": [{"secret": {"name": "db"}}]}}]},
}


@pytest.mark.parametrize("reference", sorted(REFERENCES))
def test_crashed_containers_last_log_lines_mask_the_secrets_the_pod_references(
        sim_cluster, kube, sim_cluster_namespace, tmp_path, reference):
    """`track deployment/web` would print, and write to --report, the password the crashed app logged."""
    kube.apply(secret(sim_cluster_namespace, "db", {"password": CANARY}))
    kube.apply(crashing(sim_cluster_namespace, f"connecting with password={CANARY}", **REFERENCES[reference]()))
    result, report = failing_track(sim_cluster, tmp_path, "deployment/web", "-n", sim_cluster_namespace)
    assert "connecting with password=<redacted>" in result.stdout
    logs = json.loads(report.read_text())["resources"][0]["logs"]
    assert any("connecting with password=<redacted>" in line for lines in logs.values() for line in lines), logs
    assert_no_canary(result, report)


def test_image_pull_secret_credentials_are_masked_in_log_lines(sim_cluster, kube, sim_cluster_namespace, tmp_path):
    """An app that logs the registry password of its imagePullSecrets would print it into the CI log."""
    kube.apply(secret(sim_cluster_namespace, "pull", {".dockerconfigjson": docker_config(CANARY)},
                      kind="kubernetes.io/dockerconfigjson"))
    kube.apply(crashing(sim_cluster_namespace, f"registry login with {CANARY}", imagePullSecrets=[{"name": "pull"}]))
    result, report = failing_track(sim_cluster, tmp_path, "deployment/web", "-n", sim_cluster_namespace)
    assert "registry login with <redacted>" in result.stdout
    assert_no_canary(result, report)


def test_streamed_log_lines_mask_a_referenced_secret_from_the_first_line(sim_cluster, kube, sim_cluster_namespace):
    """While waiting, the streamed logs would show the password an app prints at start-up."""
    kube.apply(secret(sim_cluster_namespace, "db", {"password": CANARY}))
    obj = deployment(sim_cluster_namespace, "web", replicas=1, annotations={
        "sim.deploykit.io/behavior": "never-ready", "sim.deploykit.io/logs": f"first line {CANARY}\nsecond line"})
    obj["spec"]["template"]["spec"]["volumes"] = [{"name": "creds", "secret": {"secretName": "db"}}]
    kube.apply(obj)
    result = deploykit("track", "deployment/web", "-n", sim_cluster_namespace, "--kubeconfig",
                       str(sim_cluster.kubeconfig), "--timeout", "3s", "--no-events")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "/app | first line <redacted>" in result.stdout and "/app | second line" in result.stdout
    assert_no_canary(result)


def test_track_f_masks_a_secret_value_written_as_wrapped_base64(sim_cluster, kube, sim_cluster_namespace, tmp_path):
    """A long token in a -f Secret (base64 wrapped as `base64` writes it) would print in clear where the app logs it."""
    token = f"{CANARY}-" + "0123456789abcdef" * 4
    manifest = secret(sim_cluster_namespace, "token", {})
    manifest["data"] = {"token": base64.encodebytes(token.encode()).decode()}  # newlines: Kubernetes accepts them
    # the app reads the token from elsewhere (a literal env value): only the manifests say it is secret
    workload = crashing(sim_cluster_namespace, f"token is {token}")
    workload["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "TOKEN", "value": token}]
    kube.apply(workload)
    result, report = failing_track(sim_cluster, tmp_path, "-f", "-", stdin=yaml.safe_dump_all([manifest, workload]))
    assert "token is <redacted>" in result.stdout
    assert_no_canary(result, report)


def test_track_f_masks_the_credentials_inside_a_docker_config_secret(sim_cluster, kube, sim_cluster_namespace,
                                                                    tmp_path):
    """The registry password inside a -f dockerconfigjson Secret would print in clear where the app logs it."""
    manifest = secret(sim_cluster_namespace, "pull", {".dockerconfigjson": docker_config(CANARY)},
                      kind="kubernetes.io/dockerconfigjson")
    workload = crashing(sim_cluster_namespace, f"registry password {CANARY}")
    kube.apply(workload)
    result, report = failing_track(sim_cluster, tmp_path, "-f", "-", stdin=yaml.safe_dump_all([manifest, workload]))
    assert "registry password <redacted>" in result.stdout
    assert_no_canary(result, report)
