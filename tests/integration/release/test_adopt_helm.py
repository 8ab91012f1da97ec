"""`deploykit adopt helm` and `upgrade --adopt`: a release Helm 4 installed (client-side apply) taken over in place."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from helm_python import Config, HelmError, _native

from tests.integration.release.conftest import Deploy, decoded_texts
from tests.plugins.charts import write_chart

pytestmark = pytest.mark.slow

CANARY = "helm-canary-" + "5d1e0b7a93"

HELM_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\nappVersion: \"1.0\"\n",
    "values.yaml": "image: registry.example.com/web:1\npassword: \"\"\n",
    "templates/all.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
  labels: {app: web, tier: frontend}
data: {greeting: hello}
---
apiVersion: v1
kind: Secret
metadata: {name: web}
stringData: {password: {{ .Values.password | quote }}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: {{ .Values.image }}
        env: [{name: KEEP, value: "1"}, {name: DROP, value: "2"}]
""",
}

# The same objects as a Jinja2 chart (deploykit's engine), without the label `tier` and the env var DROP.
JINJA_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: web\nversion: 2.0.0\nappVersion: \"2.0\"\n",
    "values.yaml": "image: registry.example.com/web:1\nbehavior: \"\"\n",
    "templates/all.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: web
          labels: {app: web}
        data: {greeting: hello}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: web}
        stringData: {password: rotated}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, labels: {app: web}}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata:
              labels: {app: web}
              annotations: {sim.deploykit.io/behavior: {{ Values.behavior | quote }}}
            spec:
              containers:
              - name: app
                image: {{ Values.image }}
                env: [{name: KEEP, value: "1"}]
    """,
}


# The same Go-template chart, version 2: the label `tier` and the env var DROP removed (deploykit renders it with
# Helm's engine, as `--template-engine auto` picks for Go templates).
HELM_CHART_WITHOUT_DROPPED_FIELDS = {
    **HELM_CHART,
    "Chart.yaml": HELM_CHART["Chart.yaml"].replace("version: 1.0.0", "version: 1.1.0"),
    "templates/all.yaml": HELM_CHART["templates/all.yaml"].replace(", tier: frontend", "").replace(
        ', {name: DROP, value: "2"}', ""),
}


def helm_install_client_side(cfg: Config, chart: Path, name: str, values: dict, namespace: str) -> dict:
    """`helm install --server-side=false`: the wrapper's install() has no such option, its native call does."""
    handle, ref = cfg._chart_args(str(chart))
    payload = _native.call_string("helm_install", cfg._raw(), cfg._context_arg(None), handle, ref, name,
                                  json.dumps(values), json.dumps({"namespace": namespace, "server_side_apply": False}))
    return json.loads(payload)


@pytest.fixture
def helm_chart(tmp_path: Path) -> Path:
    for name, text in HELM_CHART.items():
        path = tmp_path / "helm-web" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "helm-web"


@pytest.fixture
def dk(sim_cluster, sim_cluster_namespace, tmp_path: Path) -> Deploy:
    env = {**os.environ, "DEPLOYKIT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("KUBECONFIG", None)
    return Deploy(kubeconfig=str(sim_cluster.kubeconfig), namespace=sim_cluster_namespace,
                  chart=write_chart(tmp_path / "web", JINJA_CHART), secrets=Path(), env=env, handle=sim_cluster)


@pytest.fixture
def helm(sim_cluster, sim_cluster_namespace):
    with Config(kubeconfig_path=str(sim_cluster.kubeconfig), kube_context="deploykit-sim",
                namespace=sim_cluster_namespace) as cfg:
        yield cfg


@pytest.fixture
def helm_release(helm, helm_chart, dk) -> dict[str, str]:
    """Release `web` installed by Helm 4 with client-side apply, then upgraded once (Helm revision 2 deployed)."""
    helm_install_client_side(helm, helm_chart, "web", {"password": CANARY}, dk.namespace)
    helm.upgrade(str(helm_chart), "web", {"password": CANARY}, namespace=dk.namespace)
    return {kind: dk.get(kind, "web")["metadata"]["uid"] for kind in ("deployment", "configmap", "secret")}


def _uids(dk: Deploy) -> dict[str, str]:
    return {kind: dk.get(kind, "web")["metadata"]["uid"] for kind in ("deployment", "configmap", "secret")}


def _env(dk: Deploy) -> list[str]:
    return [e["name"] for e in dk.get("deployment", "web")["spec"]["template"]["spec"]["containers"][0]["env"]]


def _history(dk: Deploy) -> list[tuple[int, str, str]]:
    done = dk.run("history", "web", "-n", dk.namespace, "-o", "json")
    assert done.returncode == 0, done.stderr
    return [(row["revision"], row["status"], row["description"]) for row in json.loads(done.stdout)]


def _upgrade(dk: Deploy, *extra: str):
    return dk.run("upgrade", "web", str(dk.chart), "-n", dk.namespace, "--timeout", "30s", *extra)


def test_adopt_imports_helms_deployed_revision_as_revision_1(dk, helm_release):
    """`adopt helm` would not record where the release came from, or would not list it in deploykit's history."""
    done = dk.run("adopt", "helm", "web", "-n", dk.namespace)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _history(dk) == [(1, "deployed", "adopted from Helm release web revision 2")]
    status = dk.run("status", "web", "-n", dk.namespace)
    assert "description: adopted from Helm release web revision 2" in status.stdout
    assert "chart: web-1.0.0" in status.stdout


def test_adopt_moves_ownership_metadata_and_fields_to_deploykit(dk, helm_release):
    """Helm's annotations would stay on the objects, or Helm's field manager would keep owning their fields."""
    assert dk.run("adopt", "helm", "web", "-n", dk.namespace).returncode == 0
    meta = json.loads(dk.kubectl("get", "deployment", "web", "-o", "json", "--show-managed-fields"))["metadata"]
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "deploykit"
    assert not {"meta.helm.sh/release-name", "meta.helm.sh/release-namespace"} & set(meta["annotations"])
    assert meta["annotations"]["deploykit.io/release-name"] == "web"
    main = [(e["manager"], e["operation"]) for e in meta["managedFields"] if not e.get("subresource")]
    assert main == [("deploykit", "Apply")]
    owned = json.dumps(meta["managedFields"][0]["fieldsV1"])
    assert '"k:{\\"name\\":\\"DROP\\"}"' in owned and '"f:image"' in owned
    assert _uids(dk) == helm_release


def test_adopt_keeps_helms_records_and_labels_them(dk, helm, helm_release):
    """Helm's history would be lost, or nothing would tell a Helm user that deploykit took the release over."""
    assert dk.run("adopt", "helm", "web", "-n", dk.namespace).returncode == 0
    assert [(h["revision"], h["status"]) for h in helm.history("web")] == [
        (1, "superseded"), (2, "deployed"), (3, "pending-upgrade")]
    records = json.loads(dk.kubectl("get", "secrets", "-l", "owner=helm,name=web", "-o", "json"))["items"]
    assert [r["metadata"]["labels"]["deploykit.io/adopted"] for r in records] == ["true", "true", "true"]


def test_helm_refuses_to_upgrade_an_adopted_release(dk, helm, helm_chart, helm_release):
    """`helm upgrade` would silently take the objects back from deploykit."""
    assert dk.run("adopt", "helm", "web", "-n", dk.namespace).returncode == 0
    with pytest.raises(HelmError, match="another operation"):
        helm.upgrade(str(helm_chart), "web", {"image": "registry.example.com/web:9"}, namespace=dk.namespace)
    live = dk.get("deployment", "web")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/web:1"
    assert live["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "deploykit"


def test_helm_uninstall_of_an_adopted_release_leaves_the_objects(dk, helm, helm_release):
    """`helm uninstall` after adoption would delete the objects deploykit now manages."""
    assert dk.run("adopt", "helm", "web", "-n", dk.namespace).returncode == 0
    helm.uninstall("web")
    assert _uids(dk) == helm_release
    assert [(r, s) for r, s, _ in _history(dk)] == [(1, "deployed")]


def test_upgrade_after_adopt_removes_the_field_the_chart_dropped(dk, helm, helm_release):
    """An env var and a label the chart stopped setting would stay on the objects (plain SSA keeps Helm's fields)."""
    assert dk.run("adopt", "helm", "web", "-n", dk.namespace).returncode == 0
    done = _upgrade(dk)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _env(dk) == ["KEEP"]
    assert "tier" not in dk.get("configmap", "web")["metadata"]["labels"]
    assert _uids(dk) == helm_release
    assert [(r, s) for r, s, _ in _history(dk)] == [(1, "superseded"), (2, "deployed")]
    assert [h["revision"] for h in helm.history("web")] == [1, 2, 3]


def test_the_same_go_chart_without_a_field_upgrades_an_adopted_release_in_place(dk, helm, helm_release, tmp_path):
    """Helm's own chart, minus a field, rendered by deploykit's Helm engine would keep the field or recreate objects."""
    assert dk.run("adopt", "helm", "web", "-n", dk.namespace).returncode == 0
    chart = write_chart(tmp_path / "helm-web-1.1.0", HELM_CHART_WITHOUT_DROPPED_FIELDS)
    done = dk.run("upgrade", "web", str(chart), "-n", dk.namespace, "--timeout", "30s", "--set", f"password={CANARY}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert CANARY not in done.stdout + done.stderr
    assert _env(dk) == ["KEEP"]
    assert "tier" not in dk.get("configmap", "web")["metadata"]["labels"]
    assert _uids(dk) == helm_release
    assert [(r, s) for r, s, _ in _history(dk)] == [(1, "superseded"), (2, "deployed")]
    assert _history(dk)[0][2] == "adopted from Helm release web revision 2"
    assert "chart: web-1.1.0" in dk.run("status", "web", "-n", dk.namespace).stdout
    assert [(h["revision"], h["status"]) for h in helm.history("web")] == [
        (1, "superseded"), (2, "deployed"), (3, "pending-upgrade")]


def test_failed_upgrade_rolls_back_to_the_adopted_revision_from_its_manifest(dk, helm_release):
    """A failed first upgrade after adoption could not restore the adopted revision (it cannot be re-rendered)."""
    assert dk.run("adopt", "helm", "web", "-n", dk.namespace).returncode == 0
    done = _upgrade(dk, "--set", "behavior=crashloop")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rolled back to revision 1" in done.stderr
    assert CANARY not in done.stdout + done.stderr
    assert _env(dk) == ["KEEP", "DROP"]
    assert "tier" in dk.get("configmap", "web")["metadata"]["labels"]
    assert _uids(dk) == helm_release
    assert [(r, s) for r, s, _ in _history(dk)] == [(1, "superseded"), (2, "failed"), (3, "deployed")]


def test_upgrade_adopt_adopts_a_helm_release_first(dk, helm_release):
    """`upgrade --adopt` on a release Helm installed would keep Helm's field ownership (the dropped field survives)."""
    done = _upgrade(dk, "--adopt")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [(r, s) for r, s, _ in _history(dk)] == [(1, "superseded"), (2, "deployed")]
    assert _history(dk)[0][2] == "adopted from Helm release web revision 2"
    assert _env(dk) == ["KEEP"]
    assert _uids(dk) == helm_release


def test_upgrade_of_a_helm_release_without_adopt_names_the_adopt_command(dk, helm_release):
    """Planning would refuse Helm's objects without saying which Helm release owns them and how to adopt it."""
    done = _upgrade(dk, "--install")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"owned by Helm release web; run `deploykit adopt helm web -n {dk.namespace}`" in done.stderr
    assert dk.get("deployment", "web")["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"


def test_adopt_of_a_release_helm_does_not_have_is_refused(dk):
    """Adopting a name Helm never installed would not say so clearly (exit 2)."""
    done = dk.run("adopt", "helm", "nothing", "-n", dk.namespace)
    assert done.returncode == 2
    assert f"Helm has no release nothing in namespace {dk.namespace}" in done.stderr
    assert "hint: " in done.stderr


def test_adopt_of_a_helm_release_without_a_deployed_revision_is_refused(dk, helm, tmp_path):
    """A failed Helm release would be adopted (importing objects that never worked) instead of refused."""
    broken = write_chart(tmp_path / "broken", {
        "Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
        "templates/bad.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\nspec: {replicas: 1}\n",
    })
    with pytest.raises(HelmError):
        helm.install(str(broken), "broken", namespace=dk.namespace)
    done = dk.run("adopt", "helm", "broken", "-n", dk.namespace)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "has no deployed revision (revisions: 1 failed)" in done.stderr


def test_adopt_of_an_adopted_release_is_refused(dk, helm_release):
    """A second adoption would overwrite deploykit's history of the release."""
    assert dk.run("adopt", "helm", "web", "-n", dk.namespace).returncode == 0
    done = dk.run("adopt", "helm", "web", "-n", dk.namespace)
    assert done.returncode == 2
    assert "already a deploykit release" in done.stderr
    assert [r for r, _, _ in _history(dk)] == [1]


def test_helms_secret_values_are_never_printed(dk, helm_release):
    """Helm keeps values and Secrets in the clear: adopt, history, status or a plan would show the canary."""
    outputs = [dk.run("adopt", "helm", "web", "-n", dk.namespace, "-o", "json")]
    for command in ("history", "status"):
        for output in ("table", "json", "yaml"):
            outputs.append(dk.run(command, "web", "-n", dk.namespace, "-o", output))
    outputs.append(dk.run("get", "manifest", "web", "-n", dk.namespace))
    outputs.append(dk.run("plan", "web", str(dk.chart), "-n", dk.namespace))
    assert all(done.returncode == 0 for done in outputs), [done.stderr for done in outputs]
    texts = decoded_texts([done.stdout for done in outputs] + [done.stderr for done in outputs])
    assert not [text for text in texts if CANARY in text]


def test_rollback_to_the_adopted_revision_and_to_its_copy_reapplies_helms_objects(dk, helm_release):
    """`rollback` to the adopted revision (or to a rollback made from it) would try to re-render Helm's chart."""
    assert dk.run("adopt", "helm", "web", "-n", dk.namespace).returncode == 0
    assert _upgrade(dk).returncode == 0
    for target in ("1", "2", "3"):
        done = dk.run("rollback", "web", target, "-n", dk.namespace, "--timeout", "30s")
        assert done.returncode == 0, done.stdout + done.stderr
        assert _env(dk) == (["KEEP"] if target == "2" else ["KEEP", "DROP"])
    assert [(r, s) for r, s, _ in _history(dk)][-1] == (5, "deployed")
    assert _uids(dk) == helm_release


def test_upgrade_without_install_of_a_helm_release_hints_at_adoption(dk, helm_release):
    """`upgrade` of a release Helm installed would only suggest --install (which Helm's objects then refuse)."""
    done = _upgrade(dk)
    assert done.returncode == 2
    assert f"hint: Helm installed it: run `deploykit adopt helm web -n {dk.namespace}`, or pass --adopt" in done.stderr


def test_a_release_helm_applied_server_side_drops_the_field_after_adoption(dk, helm, helm_chart):
    """After Helm's server-side apply (its Apply entry), a dropped env var would survive the adoption."""
    helm.install(str(helm_chart), "web", {"password": CANARY}, namespace=dk.namespace)  # Helm 4's default: SSA
    uids = _uids(dk)
    managers = json.loads(dk.kubectl("get", "deployment", "web", "-o", "json", "--show-managed-fields"))
    assert "Apply" in {e["operation"] for e in managers["metadata"]["managedFields"]}
    done = _upgrade(dk, "--adopt")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _env(dk) == ["KEEP"]
    assert _uids(dk) == uids


def test_a_crd_helm_installed_from_crds_stays_shared_through_adopt_upgrade_rollback_and_uninstall(dk, helm, tmp_path):
    """The CRD Helm made from crds/ would become the release's object: deleted by uninstall with every custom resource."""
    group = f"g{uuid.uuid4().hex[:10]}.example.com"
    crd = f"things.{group}"
    chart = write_chart(tmp_path / "crd-web", {**HELM_CHART, "crds/things.yaml": f"""\
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {{name: {crd}}}
        spec:
          group: {group}
          names: {{kind: Thing, plural: things, singular: thing}}
          scope: Namespaced
          versions:
          - name: v1
            served: true
            storage: true
            schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}
        """})
    helm.install(str(chart), "web", {"password": CANARY}, namespace=dk.namespace)
    uid = json.loads(dk.kubectl("get", "crd", crd, "-o", "json"))["metadata"]["uid"]
    assert dk.run("adopt", "helm", "web", "-n", dk.namespace).returncode == 0
    assert json.loads(dk.run("status", "web", "-n", dk.namespace, "-o", "json").stdout)["crds"] == [crd]
    done = dk.run("upgrade", "web", str(chart), "-n", dk.namespace, "--timeout", "30s", "--set", f"password={CANARY}")
    assert done.returncode == 0, done.stdout + done.stderr
    rolled = dk.run("rollback", "web", "1", "-n", dk.namespace, "--timeout", "30s")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert dk.run("uninstall", "web", "-n", dk.namespace).returncode == 0
    live = json.loads(dk.kubectl("get", "crd", crd, "-o", "json"))["metadata"]
    assert live["uid"] == uid
    assert "deploykit.io/release-name" not in (live.get("annotations") or {})


def test_plan_adopt_shows_the_adoption_first_and_writes_nothing(dk, helm_release):
    """`plan --adopt` would hide that the upgrade first adopts Helm's release (which revision, whose ownership moves)."""
    dk.handle.server.audit.clear()
    done = dk.run("plan", "web", str(dk.chart), "-n", dk.namespace, "--adopt")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"adopts Helm release {dk.namespace}/web revision 2 first" in done.stdout
    assert f"Deployment/web in {dk.namespace}" in done.stdout and f"ConfigMap/web in {dk.namespace}" in done.stdout
    assert dk.handle.server.audit.writes(agent="deploykit") == []
    as_json = json.loads(dk.run("plan", "web", str(dk.chart), "-n", dk.namespace, "--adopt", "-o", "json").stdout)
    assert (as_json["adopts"]["system"], as_json["adopts"]["revision"]) == ("helm", 2)
