"""deploykit.kube against the simulator over real HTTP: apply, reads, deletes, discovery, retries, watches."""

import subprocess
import sys
import threading
import time

import pytest

from deploykit import errors
from deploykit.kube.client import Kube
from deploykit.kube.requesting import RetryPolicy
from deploykit.kube.resources import ObjectRef
from deploykit.sim.faults import Faults


def config_map(namespace, name="cfg", data=None, labels=None):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": "web"}},
            "data": data or {"key": "v1"}}


@pytest.fixture
def kube(sim):
    with Kube.connect(kubeconfig=sim.kubeconfig) as client:
        yield client


def test_apply_creates_and_reapply_is_a_no_op(kube, sim_namespace):
    """Re-deploying an unchanged chart would rewrite every object (new resourceVersions, noisy watches)."""
    created = kube.apply(config_map(sim_namespace))
    again = kube.apply(config_map(sim_namespace))
    assert created["metadata"]["resourceVersion"] == again["metadata"]["resourceVersion"]
    managers = [(m["manager"], m["operation"]) for m in again["metadata"]["managedFields"]]
    assert managers == [("deploykit", "Apply")]


def test_apply_forces_over_other_managers_and_dry_run_persists_nothing(kube, sim_namespace, sim_http):
    """Drift from `kubectl edit` would survive a deploy, or a plan would change the cluster."""
    kube.apply(config_map(sim_namespace))
    status, _, _ = sim_http("PATCH", f"/api/v1/namespaces/{sim_namespace}/configmaps/cfg?fieldManager=kubectl-edit",
                            {"data": {"key": "drifted"}}, content_type="application/merge-patch+json")
    assert status == 200
    preview = kube.apply(config_map(sim_namespace, data={"key": "v2"}), dry_run=True)
    assert preview["data"]["key"] == "v2"
    assert kube.get(ObjectRef("v1", "ConfigMap", sim_namespace, "cfg"))["data"]["key"] == "drifted"
    with pytest.raises(errors.ApiConflictError) as caught:
        kube.apply(config_map(sim_namespace, data={"key": "v2"}), force=False)
    assert "kubectl-edit" in str(caught.value)
    applied = kube.apply(config_map(sim_namespace, data={"key": "v2"}))
    assert applied["data"]["key"] == "v2"


def test_get_list_and_delete(kube, sim_namespace):
    """Release objects could not be found, listed by label, or pruned."""
    kube.apply(config_map(sim_namespace, "a", labels={"app": "web"}))
    kube.apply(config_map(sim_namespace, "b", labels={"app": "db"}))
    names = [o["metadata"]["name"] for o in kube.list("v1", "ConfigMap", namespace=sim_namespace, label_selector="app=web")]
    assert names == ["a"]
    ref = ObjectRef("v1", "ConfigMap", sim_namespace, "a")
    assert kube.delete(ref) is True
    assert kube.get(ref) is None
    assert kube.delete(ref) is False


def test_unknown_kind_is_a_clear_error(kube):
    """A typo in a chart's kind would surface as a raw 404 from the API server."""
    with pytest.raises(errors.KubeError) as caught:
        kube.resource_for("apps/v1", "Deploymnet")
    assert "does not serve Deploymnet in apps/v1" in str(caught.value)
    assert caught.value.hint


def test_discovery_finds_a_crd_created_after_the_first_lookup(kube):
    """A chart that ships a CRD and its custom resources would fail: the new kind unknown to a cached discovery."""
    with pytest.raises(errors.KubeError):
        kube.resource_for("stable.example.com/v1", "CronTab")
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "crontabs.stable.example.com"},
           "spec": {"group": "stable.example.com", "scope": "Namespaced",
                    "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab"},
                    "versions": [{"name": "v1", "served": True, "storage": True,
                                  "schema": {"openAPIV3Schema": {"type": "object",
                                                                 "x-kubernetes-preserve-unknown-fields": True}}}]}}
    kube.apply(crd)
    deadline = time.monotonic() + 5
    while True:
        try:
            resource = kube.resource_for("stable.example.com/v1", "CronTab")
            break
        except errors.KubeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    assert resource.plural == "crontabs" and resource.namespaced


def test_unreachable_server_is_a_clear_error(tmp_path):
    """A wrong kubeconfig would print a urllib3 traceback instead of saying the cluster is unreachable."""
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    with Kube.connect(kubeconfig=kubeconfig) as kube:
        kube.http.retry = RetryPolicy(attempts=2, base_delay=0.01)
        with pytest.raises(errors.KubeError) as caught:
            kube.server_version()
    assert "cannot reach the API server at http://127.0.0.1:9: connection refused" in str(caught.value)


def test_missing_context_is_a_clear_error(sim):
    """A typo in --kube-context would raise a ConfigException traceback."""
    with pytest.raises(errors.KubeError) as caught:
        Kube.connect(kubeconfig=sim.kubeconfig, context="prod-typo")
    assert "prod-typo" in str(caught.value)
    assert "--kube-context" in caught.value.hint


def test_requests_are_retried_through_injected_429_and_503(sim_factory):
    """A busy API server (429 with Retry-After, 503) would fail a deploy that a retry would carry."""
    handle = sim_factory(faults=Faults(error_rate=0.5, error_codes=(429, 503), retry_after=0, seed=7))
    with Kube.connect(kubeconfig=handle.kubeconfig) as kube:
        kube.http.retry = RetryPolicy(attempts=12, base_delay=0.005, max_delay=0.02)
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flaky"}})
        for index in range(10):
            kube.apply(config_map("flaky", f"cm{index}"))
        assert len(kube.list("v1", "ConfigMap", namespace="flaky")) == 10


def test_watch_resumes_when_the_server_closes_streams(sim_factory):
    """A watch closed by the server ('watch closed before Until timeout') would lose events or fail the deploy."""
    handle = sim_factory(faults=Faults(watch_close_after=0.3))
    with Kube.connect(kubeconfig=handle.kubeconfig) as kube:
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "w"}})
        watch = kube.watch("v1", "ConfigMap", namespace="w")
        seen = []
        done = threading.Event()

        def consume():
            for event in watch.events():
                seen.append((event.type, event.object["metadata"]["name"], event.object["data"]["key"]))
                if len(seen) == 6:
                    done.set()
                    return

        thread = threading.Thread(target=consume, daemon=True)
        thread.start()
        for index in range(3):
            kube.apply(config_map("w", f"cm{index}"))
            time.sleep(0.4)
        for index in range(3):
            kube.apply(config_map("w", f"cm{index}", data={"key": "v2"}))
        assert done.wait(10), seen
        watch.stop()
    assert [e for e in seen if e[0] == "ADDED"] == [("ADDED", f"cm{i}", "v1") for i in range(3)]
    assert [e for e in seen if e[0] == "MODIFIED"] == [("MODIFIED", f"cm{i}", "v2") for i in range(3)]
    assert watch.resumes >= 1


def test_watch_relists_after_410_gone(sim_factory):
    """An expired resourceVersion would end the watch with an error instead of catching up."""
    handle = sim_factory(history=5)
    with Kube.connect(kubeconfig=handle.kubeconfig) as kube:
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "g"}})
        first = kube.apply(config_map("g", "first"))
        old_version = first["metadata"]["resourceVersion"]
        for index in range(20):
            kube.apply(config_map("g", f"cm{index}"))
        kube.delete(ObjectRef("v1", "ConfigMap", "g", "first"))
        watch = kube.watch("v1", "ConfigMap", namespace="g")
        seen = {}
        for event in watch.events(since=old_version):
            seen[event.object["metadata"]["name"]] = event.type
            if len(seen) == 20:
                break
        watch.stop()
    assert watch.relists == 1
    assert seen == {f"cm{i}": "ADDED" for i in range(20)}


def test_missing_kubeconfig_file_is_named(tmp_path):
    """A typo in --kubeconfig would surface as "Invalid kube-config file. No configuration found."."""
    with pytest.raises(errors.KubeError) as caught:
        Kube.connect(kubeconfig=tmp_path / "nope")
    assert f"kubeconfig {tmp_path / 'nope'} does not exist" in str(caught.value)


def test_missing_context_lists_the_contexts_there_are(sim):
    """A typo in --kube-context would answer with the client library's 'Expected object with name' text."""
    with pytest.raises(errors.KubeError) as caught:
        Kube.connect(kubeconfig=sim.kubeconfig, context="prod-typo")
    assert str(caught.value).startswith(f"kubeconfig {sim.kubeconfig} has no context 'prod-typo' (it has: deploykit-sim)")
    assert "Expected object" not in str(caught.value)


def test_no_kubeconfig_at_all_says_what_was_looked_for(tmp_path, monkeypatch):
    """A CI job without KUBECONFIG would be told 'cannot load in-cluster config: Service host/port is not set'."""
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(errors.KubeError) as caught:
        Kube.connect()
    assert "KUBECONFIG is not set" in str(caught.value) and str(tmp_path / ".kube" / "config") in str(caught.value)
    assert "in-cluster" not in str(caught.value) and "KUBECONFIG" in caught.value.hint


def test_delete_with_a_resource_version_spares_a_changed_object(kube, sim_namespace):
    """A run releasing a lock another run had taken over would delete the new holder's Lease."""
    old = kube.apply(config_map(sim_namespace, "guarded"))
    kube.apply(config_map(sim_namespace, "guarded", data={"key": "v2"}))
    ref = ObjectRef("v1", "ConfigMap", sim_namespace, "guarded")
    with pytest.raises(errors.ApiConflictError):
        kube.delete(ref, resource_version=old["metadata"]["resourceVersion"])
    assert kube.get(ref)["data"]["key"] == "v2"
    assert kube.delete(ref, resource_version=kube.get(ref)["metadata"]["resourceVersion"]) is True


def test_list_metadata_leaves_out_data(kube, sim_namespace):
    """Listing release records would download every payload (megabytes) just to read their labels."""
    kube.apply(config_map(sim_namespace, "big", data={"key": "x" * 100_000}))
    [item] = kube.list_metadata("v1", "ConfigMap", namespace=sim_namespace, label_selector="app=web")
    assert (item["apiVersion"], item["kind"], item["metadata"]["name"]) == ("v1", "ConfigMap", "big")
    assert "data" not in item and item["metadata"]["labels"] == {"app": "web"}


def test_a_plain_kubeconfig_never_imports_the_kubernetes_package(sim):
    """Every deploykit run would spend about half a second importing the kubernetes package before its first request."""
    code = ("import sys\nfrom deploykit.kube.client import Kube\n"
            "with Kube.connect(kubeconfig=sys.argv[1]) as kube:\n    kube.server_version()\n"
            "print('KUBERNETES LOADED' if 'kubernetes' in sys.modules else 'no kubernetes')")
    done = subprocess.run([sys.executable, "-c", code, str(sim.kubeconfig)], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "no kubernetes", done.stdout[-300:] + done.stderr


def test_exec_credentials_are_loaded_through_the_kubernetes_package(sim, tmp_path):
    """A kubeconfig with an exec credential plugin (EKS, GKE) would send requests without its token."""
    plugin = tmp_path / "get-token"
    plugin.write_text(f"#!{sys.executable}\nimport json\nprint(json.dumps({{'apiVersion': "
                      "'client.authentication.k8s.io/v1', 'kind': 'ExecCredential', 'status': {'token': 'from-exec'}}))\n")
    plugin.chmod(0o755)
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        f"apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{{name: c, cluster: {{server: '{sim.url}'}}}}]\n"
        f"users: [{{name: u, user: {{exec: {{apiVersion: client.authentication.k8s.io/v1, command: '{plugin}', "
        "interactiveMode: Never}}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n")
    with Kube.connect(kubeconfig=kubeconfig) as kube:
        assert kube.connection.transport.settings.authorization() == "Bearer from-exec"
        assert kube.server_version()["gitVersion"]
