"""Deletion semantics over HTTP: finalizers, owner-reference garbage collection, namespace termination."""

from __future__ import annotations

import time

import pytest


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def cm_path(ns: str, name: str = "") -> str:
    return f"/api/v1/namespaces/{ns}/configmaps" + (f"/{name}" if name else "")


def make_cm(http, ns: str, name: str, owner: dict | None = None, **meta) -> dict:
    metadata = {"name": name, **meta}
    if owner:
        metadata["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
                                        "uid": owner["metadata"]["uid"]}]
    code, body, _ = http("POST", cm_path(ns), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata})
    assert code == 201, body
    return body


def exists(http, path: str) -> bool:
    return http("GET", path)[0] == 200


def test_background_deletion_collects_dependents(sim_http, sim_namespace):
    """Deleting an owner removes the objects whose ownerReferences point at it."""
    owner = make_cm(sim_http, sim_namespace, "owner")
    make_cm(sim_http, sim_namespace, "child", owner)
    assert sim_http("DELETE", cm_path(sim_namespace, "owner"))[0] == 200
    wait_for(lambda: not exists(sim_http, cm_path(sim_namespace, "child")))


def test_dependent_with_another_live_owner_survives(sim_http, sim_namespace):
    """A dependent that still has a live owner is not collected."""
    first = make_cm(sim_http, sim_namespace, "first")
    second = make_cm(sim_http, sim_namespace, "second")
    child = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared", "ownerReferences": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": o["metadata"]["name"], "uid": o["metadata"]["uid"]}
        for o in (first, second)]}}
    assert sim_http("POST", cm_path(sim_namespace), child)[0] == 201
    sim_http("DELETE", cm_path(sim_namespace, "first"))
    time.sleep(0.2)
    assert exists(sim_http, cm_path(sim_namespace, "shared"))


def test_foreground_deletion_waits_for_dependents(sim_http, sim_namespace):
    """Foreground deletion marks the owner with foregroundDeletion, removes dependents, then the owner."""
    owner = make_cm(sim_http, sim_namespace, "fg")
    make_cm(sim_http, sim_namespace, "fg-child", owner)
    code, body, _ = sim_http("DELETE", cm_path(sim_namespace, "fg"), {"propagationPolicy": "Foreground"})
    assert code in (200, 202)
    assert body["metadata"]["deletionTimestamp"] and "foregroundDeletion" in body["metadata"]["finalizers"]
    wait_for(lambda: not exists(sim_http, cm_path(sim_namespace, "fg-child")))
    wait_for(lambda: not exists(sim_http, cm_path(sim_namespace, "fg")))


def test_orphan_deletion_keeps_dependents_without_owner(sim_http, sim_namespace):
    """Orphan propagation keeps dependents and strips their ownerReferences."""
    owner = make_cm(sim_http, sim_namespace, "orph")
    make_cm(sim_http, sim_namespace, "orph-child", owner)
    assert sim_http("DELETE", cm_path(sim_namespace, "orph") + "?propagationPolicy=Orphan")[0] == 200
    time.sleep(0.2)
    code, child, _ = sim_http("GET", cm_path(sim_namespace, "orph-child"))
    assert code == 200 and "ownerReferences" not in child["metadata"]


def test_finalizer_holds_object_until_removed(sim_http, sim_namespace):
    """An object with a finalizer gets a deletionTimestamp and stays until the finalizer is removed."""
    make_cm(sim_http, sim_namespace, "held", finalizers=["example.com/hold"])
    code, body, _ = sim_http("DELETE", cm_path(sim_namespace, "held"))
    assert code == 200 and body["metadata"]["deletionTimestamp"]
    assert exists(sim_http, cm_path(sim_namespace, "held"))
    code, _, _ = sim_http("PATCH", cm_path(sim_namespace, "held"), {"metadata": {"finalizers": None}},
                          content_type="application/merge-patch+json")
    assert code == 200
    assert not exists(sim_http, cm_path(sim_namespace, "held"))


def test_namespace_deletion_removes_contents_and_refuses_new_objects(sim_http):
    """A deleted namespace is Terminating, refuses new objects with 403, then goes with its contents."""
    sim_http("POST", "/api/v1/namespaces", {"metadata": {"name": "doomed"}})
    make_cm(sim_http, "doomed", "a", finalizers=["example.com/hold"])
    make_cm(sim_http, "doomed", "b")
    code, ns, _ = sim_http("DELETE", "/api/v1/namespaces/doomed")
    assert code == 200 and ns["status"]["phase"] == "Terminating"
    code, body, _ = sim_http("POST", cm_path("doomed"), {"metadata": {"name": "late"}})
    assert code == 403
    assert body["message"] == ('configmaps "late" is forbidden: unable to create new content in namespace doomed '
                               "because it is being terminated")
    wait_for(lambda: not exists(sim_http, cm_path("doomed", "b")))
    assert exists(sim_http, "/api/v1/namespaces/doomed")
    sim_http("PATCH", cm_path("doomed", "a"), {"metadata": {"finalizers": None}},
             content_type="application/merge-patch+json")
    wait_for(lambda: not exists(sim_http, "/api/v1/namespaces/doomed"))


def test_deletecollection_by_label(sim_http, sim_namespace):
    """DELETE on a collection with a labelSelector removes only the matching objects."""
    make_cm(sim_http, sim_namespace, "x1", labels={"batch": "x"})
    make_cm(sim_http, sim_namespace, "x2", labels={"batch": "x"})
    make_cm(sim_http, sim_namespace, "y1", labels={"batch": "y"})
    assert sim_http("DELETE", cm_path(sim_namespace) + "?labelSelector=batch%3Dx")[0] == 200
    _, listed, _ = sim_http("GET", cm_path(sim_namespace))
    assert [i["metadata"]["name"] for i in listed["items"]] == ["y1"]


def test_dry_run_delete_keeps_object(sim_http, sim_namespace):
    """dryRun=All on DELETE answers as if deleted but keeps the object."""
    make_cm(sim_http, sim_namespace, "keep")
    assert sim_http("DELETE", cm_path(sim_namespace, "keep") + "?dryRun=All")[0] == 200
    assert exists(sim_http, cm_path(sim_namespace, "keep"))


@pytest.fixture
def widget_crd(sim_http):
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                          "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                              "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
                              "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}],
        },
    }
    code, body, _ = sim_http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    assert code == 201, body
    yield body
    sim_http("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")


def test_crd_is_established_and_served(sim_http, sim_namespace, widget_crd):
    """A created CRD is Established, listed in discovery, and its objects can be applied and listed."""
    conditions = {c["type"]: c["status"] for c in widget_crd["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    _, listed, _ = sim_http("GET", "/apis/example.com/v1")
    assert {"name": "widgets", "singularName": "widget", "namespaced": True, "kind": "Widget", "shortNames": ["wd"],
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]} in listed["resources"]
    path = f"/apis/example.com/v1/namespaces/{sim_namespace}/widgets/w1?fieldManager=test"
    code, body, _ = sim_http("PATCH", path, {"apiVersion": "example.com/v1", "kind": "Widget",
                                             "metadata": {"name": "w1"}, "spec": {"size": 3}},
                             content_type="application/apply-patch+yaml")
    assert code == 201, body
    assert body["metadata"]["generation"] == 1
    _, items, _ = sim_http("GET", f"/apis/example.com/v1/namespaces/{sim_namespace}/widgets")
    assert [i["spec"]["size"] for i in items["items"]] == [3]


def test_crd_strict_validation_rejects_unknown_fields(sim_http, sim_namespace, widget_crd):
    """Fields the CRD schema does not declare are refused under fieldValidation=Strict."""
    path = f"/apis/example.com/v1/namespaces/{sim_namespace}/widgets?fieldValidation=Strict"
    code, body, _ = sim_http("POST", path, {"apiVersion": "example.com/v1", "kind": "Widget",
                                            "metadata": {"name": "w2"}, "spec": {"size": 1, "colour": "red"}})
    assert code == 400
    assert body["message"] == 'strict decoding error: unknown field "spec.colour"'


def test_deleting_crd_removes_its_resource_and_objects(sim_http, sim_namespace, widget_crd):
    """Deleting the CRD removes its objects and its REST endpoint."""
    path = f"/apis/example.com/v1/namespaces/{sim_namespace}/widgets"
    assert sim_http("POST", path, {"apiVersion": "example.com/v1", "kind": "Widget",
                                   "metadata": {"name": "w3"}})[0] == 201
    sim_http("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
    assert sim_http("GET", path)[0] == 404
    assert sim_http("GET", "/apis/example.com/v1")[0] == 404


def test_crd_scale_subresource_and_second_version(sim_http, sim_namespace):
    """A CRD's scale subresource reads and writes the declared paths; every served version sees the object."""
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "pools.example.org"},
        "spec": {"group": "example.org", "scope": "Namespaced",
                 "names": {"plural": "pools", "singular": "pool", "kind": "Pool"},
                 "versions": [
                     {"name": "v1", "served": True, "storage": True,
                      "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.size",
                                                              "statusReplicasPath": ".status.size"}},
                      "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}},
                     {"name": "v1beta1", "served": True, "storage": False,
                      "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}},
                 ]},
    }
    assert sim_http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)[0] == 201
    try:
        base = f"/apis/example.org/v1/namespaces/{sim_namespace}/pools"
        assert sim_http("POST", base, {"apiVersion": "example.org/v1", "kind": "Pool", "metadata": {"name": "p"},
                                       "spec": {"size": 2}})[0] == 201
        code, scale, _ = sim_http("PATCH", f"{base}/p/scale", {"spec": {"replicas": 5}},
                                  content_type="application/merge-patch+json")
        assert code == 200 and scale["spec"]["replicas"] == 5
        assert sim_http("GET", f"{base}/p")[1]["spec"]["size"] == 5
        code, other, _ = sim_http("GET", f"/apis/example.org/v1beta1/namespaces/{sim_namespace}/pools/p")
        assert code == 200 and other["apiVersion"] == "example.org/v1beta1" and other["spec"]["size"] == 5
    finally:
        sim_http("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/pools.example.org")


def test_bound_pod_deletion_honours_grace_period_parameter(sim_http, sim_namespace):
    """Deleting a pod on a node with gracePeriodSeconds sets the deletion time; grace 0 removes it."""
    pods = f"/api/v1/namespaces/{sim_namespace}/pods"
    # A node no simulated kubelet serves: the pod stays Terminating until deleted with grace 0.
    pod = {"metadata": {"name": "p"}, "spec": {"nodeName": "no-such-node",
                                               "containers": [{"name": "c", "image": "x"}]}}
    assert sim_http("POST", pods, pod)[0] == 201
    code, body, _ = sim_http("DELETE", f"{pods}/p?gracePeriodSeconds=5")
    assert code == 200 and body["metadata"]["deletionGracePeriodSeconds"] == 5
    assert exists(sim_http, f"{pods}/p")
    assert sim_http("DELETE", f"{pods}/p", {"gracePeriodSeconds": 0})[0] == 200
    assert not exists(sim_http, f"{pods}/p")
