"""Pod template hashes, template equality and pods built from templates."""

from __future__ import annotations

import re

from deploykit.sim.controllers import templates

TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]}}
OWNER = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
         "metadata": {"name": "web-abc", "namespace": "prod", "uid": "u-1"}}


def test_hash_is_stable_and_uses_the_safe_alphabet():
    """pod-template-hash names ReplicaSets `web-<hash>` with Kubernetes' consonant alphabet, the same every time."""
    first = templates.compute_hash(TEMPLATE)
    assert first == templates.compute_hash({"spec": TEMPLATE["spec"], "metadata": TEMPLATE["metadata"]})
    assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{6,10}", first)


def test_hash_changes_with_the_template_and_the_collision_count():
    """A new image makes a new ReplicaSet; a collision count makes another name."""
    changed = {"metadata": TEMPLATE["metadata"], "spec": {"containers": [{"name": "app", "image": "nginx:1.26"}]}}
    assert templates.compute_hash(changed) != templates.compute_hash(TEMPLATE)
    assert templates.compute_hash(TEMPLATE, 1) != templates.compute_hash(TEMPLATE)


def test_templates_are_equal_ignoring_the_hash_label():
    """The ReplicaSet's template (with pod-template-hash) matches the Deployment's (without)."""
    with_hash = templates.with_labels(TEMPLATE, {"pod-template-hash": "abc"})
    assert templates.equal_ignoring_hash(with_hash, TEMPLATE)
    assert not templates.equal_ignoring_hash(templates.with_labels(TEMPLATE, {"tier": "x"}), TEMPLATE)


def test_pod_from_template_carries_labels_annotations_and_a_controller_reference():
    """Created pods are owned (controller, blockOwnerDeletion) so garbage collection removes them."""
    template = {"metadata": {"labels": {"app": "web"}, "annotations": {"a": "1"}}, "spec": TEMPLATE["spec"]}
    pod = templates.pod_from_template(template, OWNER, extra_labels={"x": "y"})
    assert pod["metadata"]["generateName"] == "web-abc-"
    assert pod["metadata"]["namespace"] == "prod"
    assert pod["metadata"]["labels"] == {"app": "web", "x": "y"}
    assert pod["metadata"]["annotations"] == {"a": "1"}
    assert pod["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
                                                   "uid": "u-1", "controller": True, "blockOwnerDeletion": True}]
    assert pod["spec"] == TEMPLATE["spec"]
