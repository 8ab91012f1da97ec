"""The simulated nodes and scheduler: Ready nodes, binding, and pods that cannot be placed."""

from __future__ import annotations

import pytest

from tests.integration.sim.controllers import manifests as m


@pytest.fixture
def plain(cluster_client):
    return cluster_client.sanitize_for_serialization


def read(core, plain, ns, name):
    return plain(core.read_namespaced_pod(name, ns))


def test_the_cluster_has_three_ready_nodes(cluster_core, plain):
    """kubectl get nodes shows sim-node-1..3, Ready, with addresses, capacity and the simulated version."""
    nodes = [plain(n) for n in cluster_core.list_node().items]
    assert [n["metadata"]["name"] for n in nodes] == ["sim-node-1", "sim-node-2", "sim-node-3"]
    for node in nodes:
        ready = m.condition(node, "Ready")
        assert (ready["status"], ready["reason"]) == ("True", "KubeletReady")
        assert node["metadata"]["labels"]["kubernetes.io/hostname"] == node["metadata"]["name"]
        assert node["status"]["allocatable"]["pods"] == "110"
        assert node["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.")
        assert {a["type"] for a in node["status"]["addresses"]} == {"InternalIP", "Hostname"}


def test_a_pod_no_node_admits_is_unschedulable_with_the_schedulers_message(cluster_core, plain,
                                                                           sim_cluster_namespace, wait_until):
    """nodeSelector matching no node: PodScheduled False / Unschedulable and a FailedScheduling warning."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_pod(ns, m.pod("gpu", nodeSelector={"accelerator": "nvidia"}))
    pod = wait_until(lambda: (lambda p: m.condition(p, "PodScheduled") and p)(read(cluster_core, plain, ns, "gpu")),
                     what="PodScheduled")
    scheduled = m.condition(pod, "PodScheduled")
    message = ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes "
               "are available: 3 Preemption is not helpful for scheduling.")
    assert (scheduled["status"], scheduled["reason"], scheduled["message"]) == ("False", "Unschedulable", message)
    assert pod["status"]["phase"] == "Pending" and not pod["spec"].get("nodeName")
    (failed,) = cluster_core.list_namespaced_event(ns, field_selector="reason=FailedScheduling").items
    assert (failed.type, failed.message, failed.reporting_component) == ("Warning", message, "default-scheduler")


def test_requests_larger_than_a_node_are_insufficient(cluster_core, plain, sim_cluster_namespace, wait_until):
    """A pod asking for 64 CPUs: `3 Insufficient cpu`."""
    ns = sim_cluster_namespace
    containers = [{"name": "app", "image": "registry.example.com/app:1", "resources": {"requests": {"cpu": "64"}}}]
    cluster_core.create_namespaced_pod(ns, m.pod("big", containers=containers))
    pod = wait_until(lambda: (lambda p: m.condition(p, "PodScheduled") and p)(read(cluster_core, plain, ns, "big")),
                     what="PodScheduled")
    assert "3 Insufficient cpu" in m.condition(pod, "PodScheduled")["message"]


def test_a_pod_waits_for_its_claim_to_be_bound(cluster_core, plain, sim_cluster_namespace, wait_until):
    """An unbound PVC keeps the pod unschedulable; once the claim binds, the pod is scheduled and runs."""
    ns = sim_cluster_namespace
    claim = {"metadata": {"name": "data", "annotations": {m.BEHAVIOR: "pending"}},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    cluster_core.create_namespaced_persistent_volume_claim(ns, claim)
    cluster_core.create_namespaced_pod(ns, m.pod("db", volumes=[{"name": "data", "persistentVolumeClaim": {
        "claimName": "data"}}]))
    pod = wait_until(lambda: (lambda p: m.condition(p, "PodScheduled") and p)(read(cluster_core, plain, ns, "db")),
                     what="PodScheduled")
    assert "pod has unbound immediate PersistentVolumeClaims" in m.condition(pod, "PodScheduled")["message"]
    cluster_core.patch_namespaced_persistent_volume_claim("data", ns, {"metadata": {"annotations": {
        m.BEHAVIOR: None}}})
    wait_until(lambda: (m.condition(read(cluster_core, plain, ns, "db"), "Ready") or {}).get("status") == "True",
               what="pod ready once the claim is bound")


def test_pods_spread_over_the_nodes(cluster_apps, cluster_core, sim_cluster_namespace, wait_until):
    """Six replicas land two per node, as the least-loaded choice spreads them."""
    ns = sim_cluster_namespace
    cluster_apps.create_namespaced_deployment(ns, m.deployment("web", replicas=6))
    nodes = wait_until(lambda: (lambda ps: len(ps) == 6 and all(ps) and ps)(
        [p.spec.node_name for p in cluster_core.list_namespaced_pod(ns).items]), what="six scheduled pods")
    assert len(set(nodes)) == 3
