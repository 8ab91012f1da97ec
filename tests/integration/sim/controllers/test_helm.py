"""Helm 4 (helm-python-sdk) waits on the simulated cluster with its kstatus watcher."""

from __future__ import annotations

import pathlib
import time

import pytest
from helm_python import Config

pytestmark = pytest.mark.slow

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "values.yaml": "replicas: 3\nannotations: {}\n",
    "templates/all.yaml": """\
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
    metadata:
      labels: {app: {{ .Release.Name }}}
      annotations: {{ toJson .Values.annotations }}
    spec:
      containers: [{name: app, image: "registry.example.com/web:1.0"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: {{ .Release.Name }}-migrate}
spec:
  template:
    metadata: {labels: {app: {{ .Release.Name }}-migrate}}
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: "registry.example.com/migrate:1.0"}]
""",
}


@pytest.fixture
def chart(tmp_path) -> pathlib.Path:
    for name, text in CHART.items():
        path = tmp_path / "web" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "web"


def test_install_with_the_watcher_wait_succeeds_for_a_healthy_chart(sim_cluster, sim_cluster_namespace, chart,
                                                                    cluster_apps, cluster_batch):
    """wait="watcher" returns deployed once the Deployment is rolled out and the Job complete."""
    ns = sim_cluster_namespace
    started = time.monotonic()
    with Config(kubeconfig_path=str(sim_cluster.kubeconfig), kube_context="deploykit-sim", namespace=ns) as helm:
        release = helm.install(str(chart), "web", namespace=ns, wait="watcher", timeout=30)
    assert (release["status"], release["revision"]) == ("deployed", 1)
    assert time.monotonic() - started < 15
    deployment = cluster_apps.read_namespaced_deployment("web", ns)
    assert deployment.status.available_replicas == 3
    job = cluster_batch.read_namespaced_job("web-migrate", ns)
    assert job.status.succeeded == 1
