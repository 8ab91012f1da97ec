"""Helm 4 (helm-python-sdk, Helm's Go SDK) installs, lists, upgrades, rolls back and uninstalls on the simulator."""

from __future__ import annotations

import json
import pathlib
import urllib.request

import pytest
from helm_python import Config

pytestmark = pytest.mark.slow

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    "values.yaml": "replicas: 2\nimage: reg/app:1.0\n",
    "templates/all.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-cfg}
data: {image: "{{ .Values.image }}"}
---
apiVersion: v1
kind: Service
metadata: {name: {{ .Release.Name }}}
spec:
  selector: {app: {{ .Release.Name }}}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec:
      containers: [{name: app, image: "{{ .Values.image }}"}]
""",
}


@pytest.fixture
def chart(tmp_path) -> pathlib.Path:
    for name, text in CHART.items():
        path = tmp_path / "demo" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "demo"


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def test_helm_release_lifecycle(sim_fresh, chart):
    """install, list, upgrade, rollback and uninstall each leave the cluster as Helm users expect."""
    deployments = f"{sim_fresh.url}/apis/apps/v1/namespaces/default/deployments"
    with Config(kubeconfig_path=str(sim_fresh.kubeconfig), kube_context="deploykit-sim", namespace="default") as cfg:
        installed = cfg.install(str(chart), "demo")
        assert (installed["revision"], installed["status"]) == (1, "deployed")
        assert [r["name"] for r in cfg.list()] == ["demo"]
        assert get(f"{deployments}/demo")["spec"]["replicas"] == 2

        cfg.upgrade(str(chart), "demo", {"replicas": 3, "image": "reg/app:2.0"})
        live = get(f"{deployments}/demo")
        assert (live["spec"]["replicas"], live["spec"]["template"]["spec"]["containers"][0]["image"]) == (
            3, "reg/app:2.0")

        cfg.rollback("demo", version=1)
        live = get(f"{deployments}/demo")
        assert (live["spec"]["replicas"], live["spec"]["template"]["spec"]["containers"][0]["image"]) == (
            2, "reg/app:1.0")
        assert [h["revision"] for h in cfg.history("demo")] == [1, 2, 3]

        cfg.uninstall("demo")
        assert get(deployments)["items"] == []
        assert cfg.list() == []
    secrets = get(f"{sim_fresh.url}/api/v1/namespaces/default/secrets")["items"]
    assert [s for s in secrets if s["metadata"].get("labels", {}).get("owner") == "helm"] == []


def test_helm_stores_release_records_as_secrets(sim_fresh, chart):
    """Helm's protobuf-encoded release Secrets are decoded and readable with their labels."""
    with Config(kubeconfig_path=str(sim_fresh.kubeconfig), namespace="default") as cfg:
        cfg.install(str(chart), "rec")
    url = f"{sim_fresh.url}/api/v1/namespaces/default/secrets?labelSelector=name%3Drec%2Cowner%3Dhelm"
    records = get(url)["items"]
    assert [s["metadata"]["name"] for s in records] == ["sh.helm.release.v1.rec.v1"]
    assert records[0]["type"] == "helm.sh/release.v1" and records[0]["data"]["release"]


def test_helm_create_namespace(sim_fresh, chart):
    """install with create_namespace creates the namespace (a protobuf Namespace body) and deploys into it."""
    with Config(kubeconfig_path=str(sim_fresh.kubeconfig), namespace="apps") as cfg:
        cfg.install(str(chart), "demo", namespace="apps", create_namespace=True)
    assert get(f"{sim_fresh.url}/api/v1/namespaces/apps")["status"]["phase"] == "Active"
    assert get(f"{sim_fresh.url}/apis/apps/v1/namespaces/apps/deployments/demo")["metadata"]["name"] == "demo"
