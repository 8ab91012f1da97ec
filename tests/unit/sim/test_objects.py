"""Server-owned parts of objects: generation per kind, status/spec resets, Scale view, field order."""

from __future__ import annotations

from deploykit.sim import objects, resources

REGISTRY = resources.Registry()
DEPLOYMENT = REGISTRY.lookup("apps", "v1", "deployments")
CONFIGMAP = REGISTRY.lookup("", "v1", "configmaps")
[WIDGET] = resources.from_crd({"spec": {"group": "example.com", "scope": "Namespaced",
                                        "names": {"plural": "widgets", "kind": "Widget"},
                                        "versions": [{"name": "v1", "served": True, "subresources": {"status": {}}}]}})


def obj(meta=None, **fields) -> dict:
    return {"apiVersion": "v1", "kind": "X", "metadata": {"name": "o", "generation": 1, **(meta or {})}, **fields}


def test_custom_resources_bump_generation_on_anything_but_metadata_and_status():
    """A custom resource's generation moves for any top-level field except metadata and status."""
    live = obj(spec={"a": 1}, data={"x": 1}, status={"s": 1})
    assert objects.generation(WIDGET, live, obj(spec={"a": 1}, data={"x": 2}, status={"s": 1})) == 2
    assert objects.generation(WIDGET, live, obj({"labels": {"l": "1"}}, spec={"a": 1}, data={"x": 1},
                                                status={"s": 2})) == 1


def test_kinds_without_generation_keep_none():
    """ConfigMaps never get a generation."""
    live = {"metadata": {"name": "c"}, "data": {"a": "1"}}
    assert objects.generation(CONFIGMAP, live, dict(live, data={"a": "2"})) is None


def test_status_write_keeps_spec_and_deployment_labels():
    """A /status write cannot change spec or a Deployment's labels, but its annotations pass."""
    live = obj({"labels": {"app": "a"}, "annotations": {"x": "1"}}, spec={"replicas": 1}, status={})
    new = obj({"labels": {"app": "b"}, "annotations": {"x": "2"}}, spec={"replicas": 9}, status={"ready": 1})
    out = objects.reset_status(DEPLOYMENT, new, live, "status")
    assert out["spec"] == {"replicas": 1} and out["status"] == {"ready": 1}
    assert out["metadata"]["labels"] == {"app": "a"} and out["metadata"]["annotations"] == {"x": "2"}


def test_main_resource_write_keeps_live_status():
    """A write to the main resource of a kind with a status subresource keeps the live status."""
    live = obj(spec={"replicas": 1}, status={"ready": 1})
    out = objects.reset_status(DEPLOYMENT, obj(spec={"replicas": 2}, status={"ready": 5}), live, None)
    assert out["status"] == {"ready": 1} and out["spec"] == {"replicas": 2}


def test_new_custom_resource_has_no_status():
    """A custom resource created with a status subresource starts without status."""
    assert "status" not in objects.reset_status(WIDGET, obj(status={"s": 1}), None, None)


def test_stamp_new_sets_server_metadata():
    """A new object gets uid, creationTimestamp and generation 1, and loses client-set server fields."""
    stamped = objects.stamp_new(DEPLOYMENT, obj({"resourceVersion": "9", "deletionTimestamp": "x"}),
                                uid="u-1", now="2026-01-01T00:00:00Z")
    meta = stamped["metadata"]
    assert (meta["uid"], meta["creationTimestamp"], meta["generation"]) == ("u-1", "2026-01-01T00:00:00Z", 1)
    assert "resourceVersion" not in meta and "deletionTimestamp" not in meta


def test_scale_view_of_a_deployment():
    """The Scale of a Deployment shows spec/status replicas and the selector as a query string."""
    deploy = {"metadata": {"name": "web", "namespace": "n", "uid": "u"},
              "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}}, "status": {"replicas": 2}}
    scale = objects.scale_view(DEPLOYMENT, deploy)
    assert scale["spec"] == {"replicas": 3} and scale["status"] == {"replicas": 2, "selector": "app=web"}


def test_fields_come_in_server_order():
    """apiVersion, kind, metadata first and status last, metadata keys in the server's order."""
    out = objects.ordered({"status": {}, "spec": {}, "metadata": {"labels": {}, "name": "x"}, "kind": "K",
                           "apiVersion": "v1"})
    assert list(out) == ["apiVersion", "kind", "metadata", "spec", "status"]
    assert list(out["metadata"]) == ["name", "labels"]
