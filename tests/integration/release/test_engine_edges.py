"""The engine's refusals and edge cases: immutable fields, keys missing for a rollback, fields other managers own."""

from __future__ import annotations

import json

from tests.plugins.charts import write_chart

JOB_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: jobs\nversion: 1.0.0\n",
    "values.yaml": "image: registry.example.com/task:1\nreplace: false\n",
    "templates/job.yaml": """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: task
          {% if Values.replace %}
          annotations:
            deploykit.io/replace: on-immutable-change
          {% endif %}
        spec:
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: task
                  image: {{ Values.image }}
    """,
}

NO_REPLICAS_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: scaled\nversion: 1.0.0\n",
    "values.yaml": "image: registry.example.com/app:1\n",
    "templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: scaled}
        spec:
          selector: {matchLabels: {app: scaled}}
          template:
            metadata: {labels: {app: scaled}}
            spec:
              containers: [{name: app, image: "{{ Values.image }}"}]
    """,
}


def _upgrade(deploy, chart, *extra):
    return deploy.run("upgrade", "r", str(chart), "--install", "-n", deploy.namespace, "--timeout", "30s", *extra)


def test_immutable_field_change_is_refused_naming_object_and_field(deploy, tmp_path):
    """A changed Job template would fail half-way with a raw API error, or be silently skipped."""
    chart = write_chart(tmp_path / "jobs", JOB_CHART)
    assert _upgrade(deploy, chart, "--create-namespace").returncode == 0
    done = _upgrade(deploy, chart, "--set", "image=registry.example.com/task:2")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Job" in done.stderr and "task" in done.stderr and "spec.template" in done.stderr
    assert "deploykit.io/replace: on-immutable-change" in done.stderr
    live = deploy.get("job", "task")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/task:1"


def test_replace_annotation_recreates_an_object_whose_immutable_field_changed(deploy, tmp_path):
    """With deploykit.io/replace the object would still be refused instead of deleted and recreated."""
    chart = write_chart(tmp_path / "jobs", JOB_CHART)
    assert _upgrade(deploy, chart, "--create-namespace", "--set", "replace=true").returncode == 0
    uid = deploy.get("job", "task")["metadata"]["uid"]
    done = _upgrade(deploy, chart, "--set", "replace=true", "--set", "image=registry.example.com/task:2")
    assert done.returncode == 0, done.stdout + done.stderr
    live = deploy.get("job", "task")
    assert live["metadata"]["uid"] != uid
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/task:2"


def test_replicas_owned_by_an_autoscaler_survive_upgrades(deploy, tmp_path):
    """An upgrade would reset replicas an HPA set when the chart does not set them."""
    chart = write_chart(tmp_path / "scaled", NO_REPLICAS_CHART)
    assert _upgrade(deploy, chart, "--create-namespace").returncode == 0
    scale = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "scaled"}, "spec": {"replicas": 4}}
    deploy.kubectl("apply", "--server-side", "--field-manager", "horizontal-pod-autoscaler", "-f", "-",
                   stdin=json.dumps(scale))
    assert _upgrade(deploy, chart, "--set", "image=registry.example.com/app:2").returncode == 0
    assert deploy.get("deployment", "scaled")["spec"]["replicas"] == 4


def test_rollback_without_the_keys_stops_before_applying(deploy):
    """A rollback would apply ciphertext, or half a revision, when the stored secrets cannot be decrypted."""
    assert deploy.upgrade("--create-namespace").returncode == 0
    assert deploy.upgrade("--set", "replicas=3").returncode == 0
    deploy.env.pop("SOPS_AGE_KEY_FILE")
    done = deploy.run("rollback", "app", "1", "-n", deploy.namespace)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "age" in done.stderr.lower() and "hint:" in done.stderr
    assert deploy.get("deployment", "app")["spec"]["replicas"] == 3
    assert [row["status"] for row in deploy.history()] == ["superseded", "deployed"]


CRD_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: widgets\nversion: 1.0.0\n",
    "crds/widget.yaml": """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: widgets.example.com}
        spec:
          group: example.com
          scope: Namespaced
          names: {plural: widgets, singular: widget, kind: Widget}
          versions:
            - name: v1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    """,
    "templates/widget.yaml": """
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: first}
        spec: {size: 3}
    """,
}


def test_a_chart_with_a_crd_and_its_objects_installs_in_one_run(deploy, tmp_path):
    """Objects of a kind the same chart defines would be refused (the CRD not yet there) or applied too early."""
    chart = write_chart(tmp_path / "widgets", CRD_CHART)
    done = _upgrade(deploy, chart, "--create-namespace")
    assert done.returncode == 0, done.stdout + done.stderr
    assert deploy.get("widget", "first")["spec"]["size"] == 3


def test_adopt_takes_over_an_object_created_outside_deploykit(deploy, tmp_path):
    """--adopt would fail on an existing object, or adopt it without marking it as the release's."""
    deploy.kubectl("create", "namespace", deploy.namespace)
    deploy.kubectl("create", "configmap", "scaled-config", "--from-literal=a=b")
    adopting = {**NO_REPLICAS_CHART, "templates/config.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: scaled-config}
        data: {a: c}
    """}
    chart = write_chart(tmp_path / "adopting", adopting)
    refused = _upgrade(deploy, chart)
    assert refused.returncode == 2 and "created outside deploykit" in refused.stderr and "--adopt" in refused.stderr
    done = _upgrade(deploy, chart, "--adopt")
    assert done.returncode == 0, done.stdout + done.stderr
    live = deploy.get("configmap", "scaled-config")
    assert live["data"] == {"a": "c"} and live["metadata"]["annotations"]["deploykit.io/release-name"] == "r"
