"""Validation rules of the real registry strategies: names, labels, selectors, immutable and unknown fields."""

from __future__ import annotations

import pytest

from deploykit.sim import resources, statuses, validating

REGISTRY = resources.Registry()
DEPLOYMENT = REGISTRY.lookup("apps", "v1", "deployments")
CONFIGMAP = REGISTRY.lookup("", "v1", "configmaps")
SERVICE = REGISTRY.lookup("", "v1", "services")
NAMESPACE = REGISTRY.lookup("", "v1", "namespaces")
ROLE = REGISTRY.lookup("rbac.authorization.k8s.io", "v1", "roles")
JOB = REGISTRY.lookup("batch", "v1", "jobs")
STATEFULSET = REGISTRY.lookup("apps", "v1", "statefulsets")


def deployment(selector=None, labels=None) -> dict:
    labels = labels if labels is not None else {"app": "web"}
    return {"metadata": {"name": "web"}, "spec": {
        "selector": selector if selector is not None else {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": "x"}]}}}}


@pytest.mark.parametrize(("rt", "name", "ok"), [
    (CONFIGMAP, "my.config-1", True),
    (CONFIGMAP, "My.Config", False),
    (NAMESPACE, "team-a", True),
    (NAMESPACE, "team.a", False),
    (SERVICE, "1web", False),
    (SERVICE, "web-1", True),
    (ROLE, "system:controller:x", True),
    (ROLE, "a/b", False),
    (CONFIGMAP, "a" * 254, False),
])
def test_name_rules_per_kind(rt, name, ok):
    """Each kind checks its name with the real rule (subdomain, label, DNS-1035 label, path segment)."""
    assert (validating.name_causes(rt, name) == []) is ok


def test_label_value_rule():
    """A label value with a space is invalid, with the label-value explanation."""
    causes = validating.label_causes({"app": "a b"}, "metadata.labels")
    assert causes and causes[0].detail.startswith('Invalid value: "a b": a valid label must be')


def test_selector_mismatch_is_reported_on_template_labels():
    """A selector that does not match the template is reported at spec.template.metadata.labels."""
    causes = validating.object_causes(DEPLOYMENT, deployment(labels={"app": "other"}))
    assert [c.field for c in causes] == ["spec.template.metadata.labels"]
    assert causes[0].detail == ('Invalid value: map[string]string{"app":"other"}: '
                                "`selector` does not match template `labels`")


def test_missing_and_empty_selectors():
    """A workload needs a non-empty selector."""
    no_selector = deployment()
    del no_selector["spec"]["selector"]
    assert [c.detail for c in validating.object_causes(DEPLOYMENT, no_selector)] == ["Required value"]
    assert "empty selector is invalid" in validating.object_causes(DEPLOYMENT, deployment(selector={}))[0].detail


def test_immutable_selector_on_update():
    """Changing a Deployment selector is `field is immutable`."""
    live = deployment()
    new = deployment(selector={"matchLabels": {"app": "web", "v": "2"}}, labels={"app": "web", "v": "2"})
    causes = validating.update_causes(DEPLOYMENT, live, new)
    assert [c.field for c in causes] == ["spec.selector"] and causes[0].detail.endswith("field is immutable")


def test_statefulset_forbids_other_spec_changes():
    """A StatefulSet spec change outside the mutable fields is forbidden."""
    live = {"metadata": {"name": "db"}, "spec": {"serviceName": "db", "replicas": 1}}
    new = {"metadata": {"name": "db"}, "spec": {"serviceName": "db2", "replicas": 1}}
    assert validating.update_causes(STATEFULSET, live, new)[0].detail.startswith(
        "Forbidden: updates to statefulset spec for fields other than")
    assert validating.update_causes(STATEFULSET, live, dict(new, spec={"serviceName": "db", "replicas": 5})) == []


def test_check_raises_invalid_with_every_cause():
    """check() raises 422 Invalid listing all causes in brackets."""
    bad = deployment(labels={"app": "other"})
    bad["metadata"]["name"] = "Web"
    with pytest.raises(statuses.ApiError) as caught:
        validating.check(DEPLOYMENT, bad)
    assert caught.value.code == 422
    assert caught.value.message.startswith('Deployment.apps "Web" is invalid: [metadata.name: Invalid value: "Web"')
    assert len(caught.value.details["causes"]) == 2


def test_unknown_fields_found_and_pruned_in_builtin_kinds():
    """Undeclared fields are reported with their paths and dropped; declared maps keep any keys."""
    obj = deployment()
    obj["spec"]["bogus"] = 1
    obj["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "x"
    obj["metadata"]["labels"] = {"anything": "goes"}
    root = {"$ref": "#/$defs/io.k8s.api.apps.v1.Deployment"}
    pruned, unknown = validating.prune_unknown(obj, root=root, custom=False)
    assert sorted(unknown) == ["spec.bogus", "spec.template.spec.containers[0].imagePolicy"]
    assert "bogus" not in pruned["spec"] and pruned["metadata"]["labels"] == {"anything": "goes"}
    assert obj["spec"]["bogus"] == 1  # input untouched


def test_unknown_fields_in_custom_resources_respect_preserve_unknown():
    """CRD schemas prune undeclared fields except under x-kubernetes-preserve-unknown-fields."""
    schema = {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}
    obj = {"apiVersion": "x/v1", "kind": "W", "metadata": {"name": "w", "bogusMeta": 1},
           "spec": {"size": 1, "colour": "red"}, "status": {"free": {"form": True}}}
    pruned, unknown = validating.prune_unknown(obj, root=schema, custom=True)
    assert unknown == ["metadata.bogusMeta", "spec.colour"]
    assert pruned["status"] == {"free": {"form": True}} and pruned["spec"] == {"size": 1}
