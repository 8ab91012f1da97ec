"""The internal API controllers build on: writes, no-op detection, generation, status writes, events."""

from __future__ import annotations

import pytest

from deploykit.sim import api as api_mod
from deploykit.sim import statuses

NS = {"metadata": {"name": "prod"}}


@pytest.fixture
def api():
    api = api_mod.Api()
    api.create(api.registry.lookup("", "v1", "namespaces"), None, NS, manager="test")
    return api


@pytest.fixture
def deployments(api):
    return api.registry.lookup("apps", "v1", "deployments")


def deployment(image: str = "reg/app:1") -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}}}


def test_noop_apply_keeps_resource_version(api, deployments):
    """Re-applying the same manifest writes nothing: same resourceVersion, no event."""
    first = api.apply(deployments, "prod", "web", deployment(), manager="deployer")
    events = []
    api.store.subscribe(events.append)
    again = api.apply(deployments, "prod", "web", deployment(), manager="deployer")
    assert (first.code, again.code) == (201, 200)
    assert again.obj["metadata"]["resourceVersion"] == first.obj["metadata"]["resourceVersion"]
    assert events == []


def test_generation_moves_on_spec_and_annotations_only(api, deployments):
    """Deployment generation bumps on spec or annotation changes, not on labels or status."""
    api.apply(deployments, "prod", "web", deployment(), manager="deployer")
    labelled = api.patch(deployments, "prod", "web", {"metadata": {"labels": {"x": "y"}}},
                         patch_type=api_mod.MERGE, manager="ops")
    assert labelled.obj["metadata"]["generation"] == 1
    annotated = api.patch(deployments, "prod", "web", {"metadata": {"annotations": {"a": "b"}}},
                          patch_type=api_mod.MERGE, manager="ops")
    assert annotated.obj["metadata"]["generation"] == 2
    status = api.patch(deployments, "prod", "web", {"status": {"replicas": 2}}, patch_type=api_mod.MERGE,
                       manager="kube-controller-manager", subresource="status")
    assert status.obj["metadata"]["generation"] == 2 and status.obj["status"]["replicas"] == 2


def test_controller_status_write_is_tracked_as_status_update(api, deployments):
    """A controller's status write gets its own managedFields entry with subresource status."""
    api.apply(deployments, "prod", "web", deployment(), manager="deployer")
    live = api.get(deployments, "prod", "web")
    written = api.update(deployments, "prod", "web", dict(live, status={"observedGeneration": 1}),
                         manager="kube-controller-manager", subresource="status")
    entries = {(m["manager"], m["operation"], m.get("subresource")) for m in written.obj["metadata"]["managedFields"]}
    assert ("kube-controller-manager", "Update", "status") in entries


def test_configmaps_have_no_generation(api):
    """Kinds without a spec strategy (ConfigMap) carry no metadata.generation."""
    cms = api.registry.lookup("", "v1", "configmaps")
    created = api.create(cms, "prod", {"metadata": {"name": "c"}, "data": {"a": "1"}}, manager="test")
    assert "generation" not in created.obj["metadata"]


def test_dry_run_apply_returns_would_be_object_without_storing(api, deployments):
    """dry_run runs the whole write (defaults, managedFields) and stores nothing."""
    result = api.apply(deployments, "prod", "web", deployment(), manager="deployer", dry_run=True)
    assert result.code == 201 and result.obj["spec"]["revisionHistoryLimit"] == 10
    with pytest.raises(statuses.ApiError) as caught:
        api.get(deployments, "prod", "web")
    assert caught.value.code == 404


def test_subscribers_see_writes_with_previous_object(api, deployments):
    """Store events carry the new and the previous object, as controllers need to diff."""
    events = []
    api.store.subscribe(events.append, deployments.key)
    api.apply(deployments, "prod", "web", deployment(), manager="deployer")
    api.apply(deployments, "prod", "web", deployment("reg/app:2"), manager="deployer")
    assert [e.type for e in events] == ["ADDED", "MODIFIED"]
    old_image = events[1].old["spec"]["template"]["spec"]["containers"][0]["image"]
    assert old_image == "reg/app:1"


@pytest.mark.parametrize("write", ["apply", "update", "patch"])
def test_a_body_naming_another_object_is_refused(api, deployments, write):
    """Apply, PUT or a merge patch whose body names another object is a 400 and changes nothing."""
    api.apply(deployments, "prod", "web", deployment(), manager="deployer")
    before = api.get(deployments, "prod", "web")
    renamed = dict(deployment(), metadata={"name": "other"})
    with pytest.raises(statuses.ApiError) as caught:
        if write == "apply":
            api.apply(deployments, "prod", "web", renamed, manager="deployer")
        elif write == "update":
            api.update(deployments, "prod", "web", renamed, manager="deployer")
        else:
            api.patch(deployments, "prod", "web", {"metadata": {"name": "other"}}, patch_type=api_mod.MERGE,
                      manager="deployer")
    assert caught.value.code == 400
    assert caught.value.message == "the name of the object (other) does not match the name on the URL (web)"
    assert api.get(deployments, "prod", "web") == before


def test_an_apply_naming_another_namespace_is_refused(api, deployments):
    """An applied body whose namespace differs from the URL's is a 400 and nothing is created."""
    body = dict(deployment(), metadata={"name": "web", "namespace": "staging"})
    with pytest.raises(statuses.ApiError) as caught:
        api.apply(deployments, "prod", "web", body, manager="deployer")
    assert caught.value.code == 400
    assert caught.value.message == (
        "the namespace of the provided object does not match the namespace sent on the request")
    assert api.list_objects(deployments, "prod") == []


def test_an_apply_of_a_cluster_scoped_object_drops_a_namespace(api):
    """A namespace in the body of a cluster-scoped object is ignored, as the real server does."""
    roles = api.registry.lookup("rbac.authorization.k8s.io", "v1", "clusterroles")
    body = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "reader", "namespace": "prod"}, "rules": []}
    created = api.apply(roles, None, "reader", body, manager="deployer")
    assert "namespace" not in created.obj["metadata"]


@pytest.mark.parametrize("write", ["create", "apply"])
def test_pod_qos_class_counts_init_containers_however_the_pod_is_written(api, write):
    """A Pod whose only resources are on an init container is Burstable, created or applied, as on a real cluster."""
    pods = api.registry.lookup("", "v1", "pods")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"initContainers": [{"name": "init", "image": "x", "resources": {"requests": {"cpu": "100m"}}}],
                    "containers": [{"name": "app", "image": "x"}]}}
    if write == "create":
        written = api.create(pods, "prod", pod, manager="deployer")
    else:
        written = api.apply(pods, "prod", "p", pod, manager="deployer")
    assert written.obj["status"]["qosClass"] == "Burstable"
