"""Field-level diffs of objects and field ownership from managedFields (pure)."""

from deploykit.release import diffing


def _deployment(replicas=3, image="web:1", extra=None):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "7", "uid": "u", "generation": 2,
                     "managedFields": [{"manager": "deploykit"}]},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": image}, *(extra or [])]}}},
        "status": {"readyReplicas": 1},
    }


def test_server_written_fields_are_not_changes():
    """A plan would show noise (resourceVersion, status) as changes on every run."""
    before = _deployment()
    after = _deployment()
    after["metadata"]["resourceVersion"] = "8"
    after["status"] = {"readyReplicas": 3}
    assert diffing.changes(before, after) == []


def test_container_changes_are_keyed_by_name():
    """A changed image would show as a list index change that reviewers cannot read."""
    found = diffing.changes(_deployment(image="web:1"), _deployment(image="web:2"))
    assert [(c.path, c.before, c.after) for c in found] == [("spec.template.spec.containers[name=web].image", "web:1", "web:2")]


def test_added_and_removed_items_are_marked():
    """A sidecar added by the chart would not be shown as an addition."""
    found = diffing.changes(_deployment(), _deployment(extra=[{"name": "proxy", "image": "envoy"}]))
    assert [(c.path, c.added) for c in found] == [("spec.template.spec.containers[name=proxy]", True)]
    gone = diffing.changes(_deployment(extra=[{"name": "proxy", "image": "envoy"}]), _deployment())
    assert [(c.path, c.removed) for c in gone] == [("spec.template.spec.containers[name=proxy]", True)]


def test_owner_of_a_field_comes_from_managed_fields():
    """Drift would not say which tool changed the field (kubectl scale, an HPA)."""
    live = _deployment(replicas=0)
    live["metadata"]["managedFields"] = [
        {"manager": "deploykit", "operation": "Apply", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {
            "f:containers": {'k:{"name":"web"}': {"f:image": {}}}}}}}},
        {"manager": "kubectl", "operation": "Update", "subresource": "scale", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
    ]
    assert diffing.owner_of(live, ("spec", "replicas")) == "kubectl"
    assert diffing.owner_of(live, ("spec", "template", "spec", "containers", "[name=web]", "image")) == "deploykit"
    assert diffing.owner_of(live, ("spec", "paused")) is None


def test_leaves_and_value_at_agree():
    """Drift detection reads live values at the paths of the applied object; a mismatch would hide drift."""
    obj = diffing.normalized(_deployment())
    for path, value in diffing.leaves(obj):
        assert diffing.value_at(obj, path) == value
