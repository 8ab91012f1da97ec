"""`plan`, `upgrade` and `install` check every object against the target version's schemas and the chart's CRDs first.

The target is the connected cluster's version (the simulator reports one;
a test makes it report an older one), or --kube-version. Nothing is written
to the cluster when a check fails: the simulator's request audit proves it.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.integration.release.conftest import Deploy
from tests.plugins.charts import write_chart

CRD = """
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: widgets.example.com
    spec:
      group: example.com
      scope: Namespaced
      names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
      versions:
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  properties:
                    size: {type: integer, maximum: 10}
"""


def _add(deploy: Deploy, files: dict[str, str]) -> Deploy:
    write_chart(deploy.chart, files)
    return deploy


def _refused_before_any_write(deploy: Deploy, done, *expected: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr
    assert deploy.handle.server.audit.writes(agent="deploykit") == []


def test_upgrade_refuses_an_object_the_schema_rejects_and_writes_nothing(deploy):
    """A misspelled field would be applied (or half the release would) before the API server refused it."""
    assert deploy.upgrade("--create-namespace").returncode == 0
    _add(deploy, {"templates/service.yaml": """
        apiVersion: v1
        kind: Service
        metadata:
          name: app
        spec:
          selector: {app: app}
          ports:
            - port: 80
              targetPort: http
              protocl: TCP
    """})
    deploy.handle.server.audit.clear()
    done = deploy.upgrade()
    _refused_before_any_write(deploy, done,
                              "app/templates/service.yaml:10: Service", "/app: spec.ports[0].protocl: unknown field")
    assert [r["status"] for r in deploy.history()] == ["deployed"]


def test_install_refuses_a_custom_resource_its_crd_rejects_and_writes_nothing(deploy):
    """A custom resource its own CRD refuses would fail after the CRD and the rest of the release were applied."""
    _add(deploy, {"crds/widget.yaml": CRD,
                  "templates/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
                                           "spec:\n  size: 12\n"})
    deploy.handle.server.audit.clear()
    done = deploy.upgrade("--create-namespace")
    _refused_before_any_write(deploy, done, "app/templates/widget.yaml:6: Widget", "/w: spec.size: must be at most 10")


def test_plan_refuses_a_removed_api_naming_its_replacement(deploy):
    """A chart written for an old cluster would be planned, then fail at apply with "no matches for kind"."""
    _add(deploy, {"templates/pdb.yaml": "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n"
                                        "  name: app\nspec:\n  maxUnavailable: 1\n"})
    deploy.handle.server.audit.clear()
    done = deploy.run("plan", "app", str(deploy.chart), "-n", deploy.namespace, "-f", str(deploy.secrets))
    _refused_before_any_write(deploy, done, "app/templates/pdb.yaml:1: PodDisruptionBudget",
                              "policy/v1beta1 PodDisruptionBudget is no longer served since Kubernetes 1.25 "
                              "(the target is v1.37.0): use policy/v1")


POD_FIELD_OF_1_34 = {"templates/deployment.yaml": """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: app
    spec:
      selector:
        matchLabels: {app: app}
      template:
        metadata:
          labels: {app: app}
        spec:
          hostnameOverride: app-host
          containers:
            - name: app
              image: registry.example.com/app:1
"""}


@pytest.fixture
def older_cluster(deploy, sim_cluster_factory) -> Deploy:
    """The deploy fixture against a simulator that reports Kubernetes v1.31.4 at /version."""
    handle = sim_cluster_factory(prepare=lambda server: server.handler.version_info.update(
        gitVersion="v1.31.4", minor="31"))
    kubeconfig = handle.kubeconfig
    return dataclasses.replace(deploy, kubeconfig=str(kubeconfig), handle=handle)


def test_plan_checks_against_the_connected_clusters_version(older_cluster):
    """A field the cluster's version does not know would pass deploykit's check for the newest version."""
    _add(older_cluster, POD_FIELD_OF_1_34)
    args = ("plan", "app", str(older_cluster.chart), "-n", older_cluster.namespace, "--create-namespace")
    done = older_cluster.run(*args)
    _refused_before_any_write(older_cluster, done,
                              "spec.template.spec.hostnameOverride: unknown field", "Kubernetes v1.31.4 would refuse")
    chosen = older_cluster.run(*args, "--kube-version", "v1.37.0", "-o", "json")
    assert chosen.returncode == 0, chosen.stderr
    assert json.loads(chosen.stdout)["operations"]


def test_upgrade_reads_the_secrets_scheme_as_its_encrypted_values_file(deploy):
    """A helm-secrets user's `-f secrets://...` in a deploy script would be refused as a missing file."""
    done = deploy.run("upgrade", "app", str(deploy.chart), "--install", "-n", deploy.namespace, "--create-namespace",
                      "-f", f"secrets://{deploy.secrets}", "--timeout", "30s")
    assert done.returncode == 0, done.stdout + done.stderr
    secret = deploy.get("secret", "app")
    from tests.integration.release.conftest import CANARY
    import base64
    assert base64.b64decode(secret["data"]["password"]).decode() == CANARY
    assert CANARY not in done.stdout + done.stderr


def test_skip_schema_validation_lets_plan_past_a_field_the_shipped_schemas_lack(older_cluster):
    """A cluster that serves a field deploykit's schemas do not know would be impossible to deploy to."""
    _add(older_cluster, POD_FIELD_OF_1_34)
    done = older_cluster.run("plan", "app", str(older_cluster.chart), "-n", older_cluster.namespace,
                             "--create-namespace", "--skip-schema-validation")
    assert done.returncode == 0, done.stderr


def test_rollback_to_a_revision_deployed_past_the_checks_is_not_refused_by_them(older_cluster):
    """Going back to a revision the cluster took would fail on a check it was deployed past."""
    chart = _add(older_cluster, POD_FIELD_OF_1_34).chart
    base = ("-n", older_cluster.namespace, "--timeout", "30s")
    first = older_cluster.run("upgrade", "app", str(chart), "--install", "--create-namespace", *base,
                              "--skip-schema-validation")
    assert first.returncode == 0, first.stdout + first.stderr
    second = older_cluster.run("upgrade", "app", str(chart), *base, "--skip-schema-validation", "--set", "replicas=3")
    assert second.returncode == 0, second.stdout + second.stderr
    back = older_cluster.run("rollback", "app", "1", *base)
    assert back.returncode == 0, back.stdout + back.stderr
    assert [r["status"] for r in older_cluster.history()][-1] == "deployed"
