"""CRDs of a chart's crds/ folder: applied before the release, shared by every release, never deleted (as Helm)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.plugins.charts import write_chart


def _crd(group: str, *versions: str, storage: str = "v1") -> str:
    listed = "".join(f"""
            - name: {version}
              served: true
              storage: {str(version == storage).lower()}
              schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}"""
                     for version in versions)
    return f"""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {{name: gadgets.{group}}}
        spec:
          group: {group}
          scope: Namespaced
          names: {{plural: gadgets, singular: gadget, kind: Gadget}}
          versions:{listed}
    """


@pytest.fixture
def group() -> str:
    """A group of its own per test: CRDs are cluster-wide and the simulated cluster is shared."""
    return f"g{uuid.uuid4().hex[:10]}.example.com"


def _chart(tmp_path, group: str, *versions: str, storage: str = "v1", extra: dict | None = None):
    return write_chart(tmp_path / f"gadgets-{uuid.uuid4().hex[:6]}", {
        "Chart.yaml": "apiVersion: v2\nname: gadgets\nversion: 1.0.0\n",
        "values.yaml": "image: registry.example.com/app:1\nbehavior: \"\"\n",
        "crds/gadget.yaml": _crd(group, *(versions or ("v1",)), storage=storage),
        "templates/config.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: "{{ Release.Name }}-config"}
            data: {a: b}
        """,
        **(extra or {}),
    })


def _install(deploy, chart, *extra, release="r"):
    return deploy.run("upgrade", release, str(chart), "--install", "-n", deploy.namespace, "--create-namespace",
                      "--timeout", "30s", *extra)


def _gadget(deploy, group: str, name: str) -> str:
    return json.dumps({"apiVersion": f"{group}/v1", "kind": "Gadget", "metadata": {"name": name}, "spec": {"size": 1}})


def test_uninstall_keeps_the_crd_and_its_custom_resources(deploy, tmp_path, group):
    """Uninstalling a release would delete its crds/ CRD, and with it every Gadget of the cluster (data loss)."""
    assert _install(deploy, _chart(tmp_path, group)).returncode == 0
    deploy.kubectl("apply", "-f", "-", stdin=_gadget(deploy, group, "mine"))
    done = deploy.run("uninstall", "r", "-n", deploy.namespace)
    assert done.returncode == 0, done.stdout + done.stderr
    assert deploy.get("customresourcedefinition", f"gadgets.{group}") is not None
    assert deploy.get(f"gadgets.{group}", "mine") is not None
    assert deploy.get("configmap", "r-config") is None


def test_two_releases_of_one_chart_share_its_crd(deploy, tmp_path, group):
    """The second release of a chart with crds/ would be refused: the CRD `belongs to` the first one."""
    chart = _chart(tmp_path, group)
    assert _install(deploy, chart, release="first").returncode == 0
    second = _install(deploy, chart, release="second")
    assert second.returncode == 0, second.stdout + second.stderr
    annotations = deploy.get("customresourcedefinition", f"gadgets.{group}")["metadata"].get("annotations") or {}
    assert "deploykit.io/release-name" not in annotations


def test_a_changed_crd_is_updated_and_planned_apart(deploy, tmp_path, group):
    """A new version added to a crds/ CRD would not reach the cluster (Helm's rule), or be planned as a release object."""
    assert _install(deploy, _chart(tmp_path, group)).returncode == 0
    changed = _chart(tmp_path, group, "v1", "v2")
    plan = deploy.run("plan", "r", str(changed), "-n", deploy.namespace)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "CRDs from crds/, applied first, never deleted:" in plan.stdout
    assert f"update    CustomResourceDefinition gadgets.{group}" in plan.stdout
    done = _install(deploy, changed)
    assert done.returncode == 0, done.stdout + done.stderr
    live = deploy.get("customresourcedefinition", f"gadgets.{group}")
    assert [v["name"] for v in live["spec"]["versions"]] == ["v1", "v2"]


def test_a_change_dropping_a_stored_version_is_refused(deploy, tmp_path, group):
    """A crds/ CRD dropping the version objects are stored in would be applied, making them unreadable."""
    assert _install(deploy, _chart(tmp_path, group)).returncode == 0
    done = _install(deploy, _chart(tmp_path, group, "v2", storage="v2"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"gadgets.{group}" in done.stderr and "v1" in done.stderr and "storedVersions" in done.stderr
    assert "hint:" in done.stderr
    live = deploy.get("customresourcedefinition", f"gadgets.{group}")
    assert [v["name"] for v in live["spec"]["versions"]] == ["v1"]


def test_a_failed_first_install_leaves_the_crd(deploy, tmp_path, group):
    """The cleanup of a failed install would delete the crds/ CRD it applied (and every Gadget someone made since)."""
    crashing = {"templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: crashing}
        spec:
          selector: {matchLabels: {app: crashing}}
          template:
            metadata:
              labels: {app: crashing}
              annotations: {sim.deploykit.io/behavior: crashloop}
            spec:
              containers: [{name: app, image: "{{ Values.image }}"}]
    """}
    done = _install(deploy, _chart(tmp_path, group, extra=crashing))
    assert done.returncode == 1, done.stdout + done.stderr
    assert deploy.get("deployment", "crashing") is None  # the cleanup ran
    assert deploy.get("customresourcedefinition", f"gadgets.{group}") is not None


def test_skip_crds_applies_none(deploy, tmp_path, group):
    """--skip-crds (Helm's flag) would be refused, or the crds/ CRD applied anyway."""
    done = _install(deploy, _chart(tmp_path, group), "--skip-crds")
    assert done.returncode == 0, done.stdout + done.stderr
    assert deploy.get("customresourcedefinition", f"gadgets.{group}") is None


def test_status_lists_the_crds_a_revision_applied(deploy, tmp_path, group):
    """`status` would not say which crds/ CRDs the release applied, now that they are not its objects."""
    assert _install(deploy, _chart(tmp_path, group)).returncode == 0
    done = deploy.run("status", "r", "-n", deploy.namespace, "-o", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["crds"] == [f"gadgets.{group}"]
    assert f"CustomResourceDefinition/gadgets.{group}" not in data["objects"]


def test_a_crd_an_older_deploykit_recorded_as_the_releases_object_survives_uninstall(deploy, tmp_path, group):
    """A release installed before crds/ CRDs were shared would still lose its CRD, and every Gadget, on uninstall."""
    import dataclasses

    from deploykit.kube.client import Kube
    from deploykit.release import records
    from deploykit.release.storage import RecordStore

    assert _install(deploy, _chart(tmp_path, group)).returncode == 0
    with Kube.connect(kubeconfig=deploy.kubeconfig) as kube:  # the record and the CRD as an older deploykit left them
        store = RecordStore(kube, deploy.namespace)
        record = store.get("r", 1)
        crd = records.AppliedObject("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, f"gadgets.{group}")
        store.replace(dataclasses.replace(record, objects=(crd, *record.objects), crds=()))
    deploy.kubectl("annotate", "customresourcedefinition", f"gadgets.{group}", "deploykit.io/release-name=r",
                   f"deploykit.io/release-namespace={deploy.namespace}")
    deploy.kubectl("apply", "-f", "-", stdin=_gadget(deploy, group, "mine"))
    done = deploy.run("uninstall", "r", "-n", deploy.namespace)
    assert done.returncode == 0, done.stdout + done.stderr
    assert deploy.get("customresourcedefinition", f"gadgets.{group}") is not None
    assert deploy.get(f"gadgets.{group}", "mine") is not None


def test_a_revision_an_older_deploykit_recorded_can_be_rolled_back_to(deploy, tmp_path, group):
    """Going back to a revision recorded with its crds/ CRD stamped as the release's would be refused as tampered."""
    import dataclasses

    from deploykit.kube.client import Kube
    from deploykit.release import ownership
    from deploykit.release.storage import RecordStore

    chart = _chart(tmp_path, group)
    assert _install(deploy, chart).returncode == 0
    assert _install(deploy, chart, "--set", "image=registry.example.com/app:2").returncode == 0
    with Kube.connect(kubeconfig=deploy.kubeconfig) as kube:  # revision 1 as an older deploykit recorded it
        store = RecordStore(kube, deploy.namespace)
        record = store.get("r", 1)
        documents = json.loads(record.manifest)
        documents[0] = ownership.stamped(documents[0], release="r", namespace=deploy.namespace)
        store.replace(dataclasses.replace(record, crds=(), manifest=json.dumps(
            documents, separators=(",", ":"), ensure_ascii=False)))
    done = deploy.run("rollback", "r", "1", "-n", deploy.namespace, "--timeout", "30s")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_reviewed_plan_with_crds_applies_exactly(deploy, tmp_path, group):
    """`upgrade --plan FILE` would call a reviewed plan stale because the file lost its crds/ CRD operations."""
    chart = _chart(tmp_path, group)
    plan_file = tmp_path / "plan.json"
    deploy.kubectl("create", "namespace", deploy.namespace)
    planned = deploy.run("plan", "r", str(chart), "-n", deploy.namespace, "--out", str(plan_file))
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert json.loads(plan_file.read_text())["crds"][0]["action"] == "create"
    done = deploy.run("upgrade", "r", str(chart), "--install", "-n", deploy.namespace, "--plan", str(plan_file),
                      "--timeout", "30s")
    assert done.returncode == 0, done.stdout + done.stderr
    assert deploy.get("customresourcedefinition", f"gadgets.{group}") is not None
