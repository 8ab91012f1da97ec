"""The official kubernetes Python client works against the simulator with only its kubeconfig."""

from __future__ import annotations

import json
import os
import threading

import pytest
from kubernetes import client, config, dynamic, watch
from kubernetes.client.exceptions import ApiException


@pytest.fixture(scope="module")
def api_client(sim):
    return config.new_client_from_config(config_file=str(sim.kubeconfig))


@pytest.fixture
def core(api_client):
    return client.CoreV1Api(api_client)


@pytest.fixture
def apps(api_client):
    return client.AppsV1Api(api_client)


@pytest.fixture
def dyn(api_client, tmp_path):
    return dynamic.DynamicClient(api_client, cache_file=str(tmp_path / "discovery.json"))


def deployment(name: str, *, image: str = "reg/app:1.0", replicas: int = 2) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "app", "image": image}]}},
        },
    }


def configmap(name: str, data: dict, labels: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}}, "data": data}


def status_of(exc: ApiException) -> dict:
    return json.loads(exc.body)


def test_typed_configmap_round_trip(core, sim_namespace):
    """A ConfigMap created with CoreV1Api reads, patches, lists and deletes like on a real cluster."""
    created = core.create_namespaced_config_map(sim_namespace, configmap("cfg", {"k": "v"}))
    assert created.metadata.uid and created.metadata.resource_version and created.metadata.creation_timestamp
    assert core.read_namespaced_config_map("cfg", sim_namespace).data == {"k": "v"}
    patched = core.patch_namespaced_config_map("cfg", sim_namespace, {"data": {"k": "v2"}})
    assert patched.data == {"k": "v2"}
    assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)
    assert [c.metadata.name for c in core.list_namespaced_config_map(sim_namespace).items] == ["cfg"]
    core.delete_namespaced_config_map("cfg", sim_namespace)
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_config_map("cfg", sim_namespace)
    assert caught.value.status == 404


def test_typed_deployment_gets_server_metadata(apps, sim_namespace):
    """A Deployment created through AppsV1Api starts at generation 1 with the server's defaults."""
    created = apps.create_namespaced_deployment(sim_namespace, deployment("web"))
    assert created.metadata.generation == 1
    assert created.spec.strategy.type == "RollingUpdate"
    assert created.spec.template.spec.restart_policy == "Always"


def test_spec_change_bumps_generation(apps, sim_namespace):
    """Patching a Deployment's spec moves metadata.generation, as rollout tracking expects."""
    apps.create_namespaced_deployment(sim_namespace, deployment("web"))
    patched = apps.patch_namespaced_deployment("web", sim_namespace, {"spec": {"replicas": 5}})
    assert patched.spec.replicas == 5
    assert patched.metadata.generation == 2


def test_missing_object_is_not_found_status(core, sim_namespace):
    """Reading a missing object gives 404 with the real NotFound Status body."""
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_config_map("nope", sim_namespace)
    body = status_of(caught.value)
    assert body["reason"] == "NotFound"
    assert body["message"] == 'configmaps "nope" not found'
    assert body["details"] == {"name": "nope", "kind": "configmaps"}


def test_duplicate_create_is_already_exists(core, sim_namespace):
    """Creating an object twice gives 409 AlreadyExists."""
    core.create_namespaced_config_map(sim_namespace, configmap("dup", {}))
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_config_map(sim_namespace, configmap("dup", {}))
    assert caught.value.status == 409
    assert status_of(caught.value)["reason"] == "AlreadyExists"
    assert status_of(caught.value)["message"] == 'configmaps "dup" already exists'


def test_stale_resource_version_update_conflicts(core, sim_namespace):
    """A PUT carrying an old resourceVersion is refused with the real 409 Conflict message."""
    created = core.create_namespaced_config_map(sim_namespace, configmap("cas", {"a": "1"}))
    core.patch_namespaced_config_map("cas", sim_namespace, {"data": {"a": "2"}})
    stale = configmap("cas", {"a": "3"})
    stale["metadata"]["resourceVersion"] = created.metadata.resource_version
    with pytest.raises(ApiException) as caught:
        core.replace_namespaced_config_map("cas", sim_namespace, stale)
    assert caught.value.status == 409
    assert status_of(caught.value)["message"] == (
        'Operation cannot be fulfilled on configmaps "cas": the object has been modified; '
        "please apply your changes to the latest version and try again")


def test_generate_name_adds_random_suffix(core, sim_namespace):
    """generateName gives a name of the prefix plus five random characters."""
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "job-"}}
    created = core.create_namespaced_config_map(sim_namespace, body)
    assert created.metadata.name.startswith("job-") and len(created.metadata.name) == 9


def test_label_and_field_selectors_filter_lists(core, sim_namespace):
    """Lists honour labelSelector set expressions and fieldSelector metadata.name."""
    core.create_namespaced_config_map(sim_namespace, configmap("a", {}, {"tier": "web"}))
    core.create_namespaced_config_map(sim_namespace, configmap("b", {}, {"tier": "db"}))
    core.create_namespaced_config_map(sim_namespace, configmap("c", {}))
    names = lambda items: [i.metadata.name for i in items]  # noqa: E731
    assert names(core.list_namespaced_config_map(sim_namespace, label_selector="tier in (web,db)").items) == ["a", "b"]
    assert names(core.list_namespaced_config_map(sim_namespace, label_selector="!tier").items) == ["c"]
    assert names(core.list_namespaced_config_map(sim_namespace, label_selector="tier!=web").items) == ["b", "c"]
    assert names(core.list_namespaced_config_map(sim_namespace, field_selector="metadata.name=b").items) == ["b"]


def test_bad_label_selector_is_bad_request(core, sim_namespace):
    """A malformed labelSelector gives 400 BadRequest, not a server error."""
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_config_map(sim_namespace, label_selector="tier in (web")
    assert caught.value.status == 400
    assert status_of(caught.value)["reason"] == "BadRequest"


def test_unsupported_field_selector_is_bad_request(core, sim_namespace):
    """A field selector the kind does not support gives 400 with the server's wording."""
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_config_map(sim_namespace, field_selector="spec.nope=x")
    assert status_of(caught.value)["message"] == "field label not supported: spec.nope"


def test_object_in_missing_namespace_is_not_found(core):
    """Creating into a namespace that does not exist gives 404 namespaces "x" not found."""
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_config_map("no-such-ns", configmap("x", {}))
    assert caught.value.status == 404
    assert status_of(caught.value)["message"] == 'namespaces "no-such-ns" not found'


def test_paginated_list_returns_continue_tokens(core, sim_namespace):
    """limit/continue pages through a list without losing or repeating objects."""
    for i in range(5):
        core.create_namespaced_config_map(sim_namespace, configmap(f"p{i}", {}))
    first = core.list_namespaced_config_map(sim_namespace, limit=2)
    assert first.metadata._continue and first.metadata.remaining_item_count == 3
    second = core.list_namespaced_config_map(sim_namespace, limit=2, _continue=first.metadata._continue)
    third = core.list_namespaced_config_map(sim_namespace, limit=2, _continue=second.metadata._continue)
    seen = [i.metadata.name for page in (first, second, third) for i in page.items]
    assert seen == ["p0", "p1", "p2", "p3", "p4"]
    assert not third.metadata._continue


def test_dynamic_client_discovers_and_applies(dyn, sim_namespace):
    """DynamicClient finds Deployments through discovery and server_side_apply creates one."""
    resource = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    body = deployment("ssa")
    body["metadata"]["namespace"] = sim_namespace
    applied = resource.server_side_apply(body=body, field_manager="deployer")
    assert applied.metadata.name == "ssa"
    assert applied.spec.replicas == 2


def test_dynamic_client_reapply_writes_nothing(dyn, sim_namespace):
    """Re-applying the same manifest with server_side_apply leaves the resourceVersion as it was."""
    resource = dyn.resources.get(api_version="v1", kind="ConfigMap")
    body = configmap("same", {"a": "1"})
    body["metadata"]["namespace"] = sim_namespace
    applied = resource.server_side_apply(body=body, field_manager="deployer")
    again = resource.server_side_apply(body=body, field_manager="deployer")
    assert again.metadata.resourceVersion == applied.metadata.resourceVersion


def test_dynamic_client_resolves_subresources(dyn):
    """Discovery lists deployments/scale, so the dynamic client can address the scale subresource."""
    resource = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    assert "scale" in resource.subresources and "status" in resource.subresources


def test_dynamic_client_watch_sees_changes(dyn, core, sim_namespace):
    """A watch through the dynamic client streams ADDED, MODIFIED and DELETED events."""
    resource = dyn.resources.get(api_version="v1", kind="ConfigMap")
    core.create_namespaced_config_map(sim_namespace, configmap("w", {"a": "1"}))
    events = []

    def writer():
        core.patch_namespaced_config_map("w", sim_namespace, {"data": {"a": "2"}})
        core.delete_namespaced_config_map("w", sim_namespace)

    timer = threading.Timer(0.3, writer)
    timer.start()
    for event in resource.watch(namespace=sim_namespace, timeout=5):
        events.append((event["type"], event["object"].metadata.name))
        if event["type"] == "DELETED":
            break
    timer.join()
    assert events == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_watch_resumes_from_resource_version(core, sim_namespace):
    """A watch from a resourceVersion replays only the changes after it."""
    first = core.create_namespaced_config_map(sim_namespace, configmap("r1", {}))
    core.create_namespaced_config_map(sim_namespace, configmap("r2", {}))
    stream = watch.Watch().stream(core.list_namespaced_config_map, sim_namespace,
                                  resource_version=first.metadata.resource_version, timeout_seconds=1)
    assert [(e["type"], e["object"].metadata.name) for e in stream] == [("ADDED", "r2")]


def test_watch_with_expired_resource_version_gets_gone(sim_factory):
    """Resuming a watch from a version older than the kept history gives 410 Gone (Expired)."""
    handle = sim_factory(history=3)
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(handle.kubeconfig)))
    first = core.create_namespaced_config_map("default", configmap("old", {}))
    for i in range(5):
        core.patch_namespaced_config_map("old", "default", {"data": {"i": str(i)}})
    stream = watch.Watch().stream(core.list_namespaced_config_map, "default",
                                  resource_version=first.metadata.resource_version, timeout_seconds=1)
    with pytest.raises(ApiException) as caught:
        list(stream)
    assert caught.value.status == 410


def test_typed_client_honours_kubeconfig_only(sim, tmp_path):
    """Loading the handle's kubeconfig with config.load_kube_config is all a client needs."""
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(sim.kubeconfig), client_configuration=configuration,
                            context="deploykit-sim")
    version = client.VersionApi(client.ApiClient(configuration)).get_code()
    assert version.git_version.startswith("v1.37")
    assert os.path.exists(sim.kubeconfig)
