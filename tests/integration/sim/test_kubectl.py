"""kubectl 1.37 against `deploykit sim serve` (a subprocess), with kubectl's default validation."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import threading
import time
import uuid

import pytest

pytestmark = pytest.mark.slow

VENV_BIN = pathlib.Path(sys.executable).parent
KUBECTL = str(VENV_BIN / "kubectl")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}, labels: {{app: web}}}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: app
        image: {image}
        ports: [{{containerPort: 8080}}]
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`deploykit sim serve --port 0 --kubeconfig-out FILE` running for the module."""
    home = tmp_path_factory.mktemp("kubectl")
    kubeconfig = home / "kubeconfig"
    process = subprocess.Popen(
        [str(VENV_BIN / "deploykit"), "sim", "serve", "--port", "0", "--kubeconfig-out", str(kubeconfig)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()
    assert "listening on http://127.0.0.1:" in line, line
    env = dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(home), KUBECACHEDIR=str(home / "cache"))
    yield env, home
    process.terminate()
    process.wait(10)


def kubectl(env, *args, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([KUBECTL, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def ns(served):
    env, _ = served
    name = f"k-{uuid.uuid4().hex[:8]}"
    kubectl(env, "create", "namespace", name)
    return name


def manifest(ns: str, image: str = "reg/app:1.0") -> str:
    return DEPLOYMENT.format(ns=ns, image=image)


def get_json(env, *args) -> dict:
    return json.loads(kubectl(env, "get", *args, "-o", "json", "--show-managed-fields").stdout)


def test_apply_server_side_creates_with_default_validation(served, ns):
    """`kubectl apply --server-side` (validate=strict) creates the Deployment, owned by kubectl."""
    env, _ = served
    out = kubectl(env, "apply", "--server-side", "-f", "-", stdin=manifest(ns)).stdout
    assert "deployment.apps/web serverside-applied" in out
    live = get_json(env, "deploy", "web", "-n", ns)
    assert live["spec"]["replicas"] == 3
    appliers = [m["manager"] for m in live["metadata"]["managedFields"] if m["operation"] == "Apply"]
    assert appliers == ["kubectl"]


def test_apply_rejects_unknown_field_under_strict_validation(served, ns):
    """An unknown field makes `kubectl apply --server-side` fail with the server's message; nothing is created."""
    env, _ = served
    bad = manifest(ns).replace("replicas: 3", "replicas: 3\n  bogus: 1")
    result = kubectl(env, "apply", "--server-side", "-f", "-", stdin=bad, check=False)
    assert result.returncode != 0
    assert ".spec.bogus: field not declared in schema" in result.stderr
    assert kubectl(env, "get", "deploy", "web", "-n", ns, check=False).returncode != 0


def test_server_dry_run_persists_nothing(served, ns):
    """`kubectl apply --server-side --dry-run=server` reports success and creates nothing."""
    env, _ = served
    out = kubectl(env, "apply", "--server-side", "--dry-run=server", "-f", "-", stdin=manifest(ns)).stdout
    assert "(server dry run)" in out
    assert "NotFound" in kubectl(env, "get", "deploy", "web", "-n", ns, check=False).stderr


def test_diff_server_side_shows_the_change(served, ns):
    """`kubectl diff --server-side` shows the new image and exits 1 when there is a difference."""
    env, _ = served
    kubectl(env, "apply", "--server-side", "-f", "-", stdin=manifest(ns))
    result = kubectl(env, "diff", "--server-side", "-f", "-", stdin=manifest(ns, "reg/app:2.0"), check=False)
    assert result.returncode == 1, result.stderr
    assert "+      - image: reg/app:2.0" in result.stdout
    same = kubectl(env, "diff", "--server-side", "-f", "-", stdin=manifest(ns), check=False)
    assert same.returncode == 0, same.stdout + same.stderr


def test_scale_label_annotate(served, ns):
    """`kubectl scale`, `label` and `annotate` change the live Deployment."""
    env, _ = served
    kubectl(env, "apply", "--server-side", "-f", "-", stdin=manifest(ns))
    kubectl(env, "scale", "deploy/web", "--replicas=1", "-n", ns)
    kubectl(env, "label", "deploy", "web", "tier=front", "-n", ns)
    kubectl(env, "annotate", "deploy", "web", "owner=team-a", "-n", ns)
    live = get_json(env, "deploy", "web", "-n", ns)
    assert live["spec"]["replicas"] == 1
    assert live["metadata"]["labels"]["tier"] == "front"
    assert live["metadata"]["annotations"]["owner"] == "team-a"
    managers = {(m["manager"], m["operation"], m.get("subresource")) for m in live["metadata"]["managedFields"]}
    assert ("kubectl", "Update", "scale") in managers


def test_get_prints_server_side_columns(served, ns):
    """`kubectl get deploy` shows the familiar READY / UP-TO-DATE / AVAILABLE columns."""
    env, _ = served
    kubectl(env, "apply", "--server-side", "-f", "-", stdin=manifest(ns))
    out = kubectl(env, "get", "deploy", "-n", ns).stdout.splitlines()
    assert out[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    name, ready = out[1].split()[:2]
    assert name == "web" and ready.endswith("/3")


def test_get_configmaps_and_secrets_columns(served, ns):
    """`kubectl get cm,secret` prints DATA and TYPE columns for objects kubectl created (protobuf bodies)."""
    env, _ = served
    kubectl(env, "create", "configmap", "cfg", "--from-literal=a=1", "--from-literal=b=2", "-n", ns)
    kubectl(env, "create", "secret", "generic", "pw", "--from-literal=p=x", "-n", ns)
    cm = kubectl(env, "get", "cm", "cfg", "-n", ns).stdout.splitlines()
    assert cm[0].split() == ["NAME", "DATA", "AGE"] and cm[1].split()[:2] == ["cfg", "2"]
    secret = kubectl(env, "get", "secret", "pw", "-n", ns).stdout.splitlines()
    assert secret[0].split() == ["NAME", "TYPE", "DATA", "AGE"] and secret[1].split()[:3] == ["pw", "Opaque", "1"]


def test_delete_removes_the_object(served, ns):
    """`kubectl delete` removes the Deployment."""
    env, _ = served
    kubectl(env, "apply", "--server-side", "-f", "-", stdin=manifest(ns))
    assert 'deployment.apps "web" deleted' in kubectl(env, "delete", "deploy", "web", "-n", ns).stdout
    assert kubectl(env, "get", "deploy", "-n", ns, "-o", "name").stdout.strip() == ""


def test_api_resources_lists_short_names(served):
    """`kubectl api-resources` lists the built-in kinds with their short names."""
    env, _ = served
    rows = {line.split()[0]: line.split() for line in kubectl(env, "api-resources").stdout.splitlines()[1:]}
    assert rows["deployments"][1] == "deploy"
    assert rows["namespaces"][1] == "ns"
    assert "customresourcedefinitions" in rows


def test_get_watch_streams_new_rows(served, ns):
    """`kubectl get cm --watch` prints objects created while it runs."""
    env, _ = served
    watcher = subprocess.Popen([KUBECTL, "get", "cm", "-n", ns, "--watch"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    printed: list[str] = []
    reader = threading.Thread(target=lambda: printed.extend(iter(watcher.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        time.sleep(1.0)
        kubectl(env, "create", "configmap", "late", "--from-literal=a=1", "-n", ns)
        deadline = time.monotonic() + 10  # the row comes within a second; no fixed wait on success
        while time.monotonic() < deadline and not any(line.startswith("late ") for line in printed):
            time.sleep(0.05)
    finally:
        watcher.terminate()
        reader.join(timeout=10)
        err = watcher.communicate(timeout=10)[1]
    out = "".join(printed)
    lines = [line.split() for line in out.splitlines()]
    assert lines[0] == ["NAME", "DATA", "AGE"], out + err
    assert any(line[:2] == ["late", "1"] for line in lines[1:]), out + err


def test_get_json_output(served, ns):
    """`kubectl get -o json` returns the object with server-set metadata."""
    env, _ = served
    kubectl(env, "apply", "--server-side", "-f", "-", stdin=manifest(ns))
    live = get_json(env, "deploy", "web", "-n", ns)
    assert live["metadata"]["uid"] and live["metadata"]["generation"] == 1
    assert live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_kubectl_generators_create_through_protobuf(served, ns):
    """`kubectl create deployment`, `run`, `expose` and `create job` (protobuf bodies) create what they say."""
    env, _ = served
    kubectl(env, "create", "deployment", "gen", "--image=nginx:1", "--replicas=0", "--port=80", "-n", ns)
    kubectl(env, "expose", "deployment", "gen", "--port=80", "--target-port=8080", "-n", ns)
    kubectl(env, "run", "one", "--image=busybox", "--restart=Never", "--labels=x=y", "-n", ns, "--", "echo", "hi")
    kubectl(env, "create", "job", "once", "--image=busybox", "-n", ns, "--", "echo", "hi")
    deploy = get_json(env, "deploy", "gen", "-n", ns)
    assert deploy["spec"]["replicas"] == 0
    assert deploy["spec"]["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    service = get_json(env, "svc", "gen", "-n", ns)
    assert service["spec"]["ports"][0]["targetPort"] == 8080 and service["spec"]["selector"] == {"app": "gen"}
    pod = get_json(env, "pod", "one", "-n", ns)
    assert pod["spec"]["containers"][0]["args"] == ["echo", "hi"] and pod["metadata"]["labels"] == {"x": "y"}
    job = get_json(env, "job", "once", "-n", ns)
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_auth_can_i_answers_yes(served, ns):
    """`kubectl auth can-i create deployments` would fail with NotFound: the simulator allows everything."""
    env, _ = served
    result = kubectl(env, "auth", "can-i", "create", "deployments", "-n", ns, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "yes"), result.stderr
    assert kubectl(env, "auth", "can-i", "delete", "secrets/db", "--all-namespaces").stdout.strip() == "yes"


def test_auth_can_i_list_shows_every_verb_on_everything(served, ns):
    """`kubectl auth can-i --list` prints one rule granting every verb on every resource."""
    env, _ = served
    rows = [line.split() for line in kubectl(env, "auth", "can-i", "--list", "-n", ns).stdout.splitlines()]
    assert rows[0] == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert ["*.*", "[]", "[]", "[*]"] in rows and ["[*]", "[]", "[*]"] in rows
