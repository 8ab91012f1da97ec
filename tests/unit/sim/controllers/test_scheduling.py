"""Scheduler filters: node selectors, node affinity, resource quantities, the unschedulable message."""

from __future__ import annotations

import pytest

from deploykit.sim.controllers import scheduling

NODE = {"metadata": {"name": "sim-node-1", "labels": {"kubernetes.io/os": "linux", "zone": "a", "size": "4"}}}


def pod(**spec):
    return {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}], **spec}}


@pytest.mark.parametrize("text, value", [("500m", 0.5), ("2", 2.0), ("128Mi", 128 * 2 ** 20), ("1G", 1e9),
                                         ("1e3", 1000.0), ("bogus", 0.0)])
def test_quantities_read_like_resource_quantities(text, value):
    """cpu 500m is half a core; memory 128Mi is 128 MiB."""
    assert scheduling.quantity(text) == value


def test_requests_sum_app_containers_and_take_the_largest_init_container():
    """Effective requests: app containers add up, init containers run one at a time."""
    p = pod(containers=[{"name": "a", "resources": {"requests": {"cpu": "500m"}}},
                        {"name": "b", "resources": {"requests": {"cpu": "250m"}}}],
            initContainers=[{"name": "i", "resources": {"requests": {"cpu": "2"}}}])
    assert scheduling.requests(p) == {"cpu": 2.0}


def test_node_selector_must_match_the_node_labels():
    """nodeSelector zone=b leaves a zone=a node out."""
    assert scheduling.node_matches(pod(nodeSelector={"zone": "a"}), NODE)
    assert not scheduling.node_matches(pod(nodeSelector={"zone": "b"}), NODE)


@pytest.mark.parametrize("expression, fits", [
    ({"key": "zone", "operator": "In", "values": ["a", "b"]}, True),
    ({"key": "zone", "operator": "NotIn", "values": ["a"]}, False),
    ({"key": "gpu", "operator": "DoesNotExist"}, True),
    ({"key": "size", "operator": "Gt", "values": ["2"]}, True),
    ({"key": "size", "operator": "Lt", "values": ["2"]}, False),
])
def test_required_node_affinity_expressions(expression, fits):
    """Required node affinity with In / NotIn / DoesNotExist / Gt / Lt decides where pods may run."""
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [expression]}]}}}
    assert scheduling.node_matches(pod(affinity=affinity), NODE) is fits


def test_match_fields_pin_a_pod_to_a_node_by_name():
    """DaemonSet pods name their node with matchFields metadata.name."""
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["sim-node-2"]}]}]}}}
    assert not scheduling.node_matches(pod(affinity=affinity), NODE)


def test_unschedulable_message_reads_like_the_scheduler():
    """The message kubectl describe shows for a pod no node admits."""
    message = scheduling.unschedulable_message(3, {scheduling.AFFINITY_MISMATCH: 3})
    assert message == ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
                       "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
