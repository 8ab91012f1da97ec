"""EndpointSlices (discovery.k8s.io/v1) kept by the endpoints controller, read with kubectl and the Python client."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from kubernetes import client, watch

from tests.integration.sim.controllers import manifests as m

pytestmark = pytest.mark.slow

KUBECTL = str(pathlib.Path(sys.executable).parent / "kubectl")
SERVICE_NAME = "kubernetes.io/service-name"


@pytest.fixture
def discovery(cluster_client):
    return client.DiscoveryV1Api(cluster_client)


@pytest.fixture
def plain(cluster_client):
    return cluster_client.sanitize_for_serialization


def service(name, **spec):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"tier": "front"}},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}], **spec}}


def slices_of(discovery, plain, ns, name):
    return [plain(s) for s in discovery.list_namespaced_endpoint_slice(ns, label_selector=f"{SERVICE_NAME}={name}").items]


def addresses(slices):
    return sorted(a for s in slices for e in s.get("endpoints") or () for a in e["addresses"])


def test_ready_and_unready_pods_are_endpoints_with_their_conditions(cluster_core, discovery, plain,
                                                                   sim_cluster_namespace, wait_until):
    """A Service's EndpointSlice lists each pod (ip, nodeName, targetRef) with ready / serving / terminating."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_service(ns, service("web"))
    cluster_core.create_namespaced_pod(ns, m.pod("web"))
    slow = m.pod("web", annotations={m.BEHAVIOR: "never-ready"})
    slow["metadata"]["name"] = "web-slow"
    cluster_core.create_namespaced_pod(ns, slow)

    def both_listed():
        found = slices_of(discovery, plain, ns, "web")
        conditions = [e["conditions"]["ready"] for s in found for e in s.get("endpoints") or ()]
        return sorted(conditions) == [False, True] and found

    (endpoint_slice,) = wait_until(both_listed, what="a ready and an unready endpoint")
    pod = plain(cluster_core.read_namespaced_pod("web", ns))
    by_pod = {e["targetRef"]["name"]: e for e in endpoint_slice["endpoints"]}
    assert endpoint_slice["addressType"] == "IPv4"
    assert by_pod["web"] == {"addresses": [pod["status"]["podIP"]],
                             "conditions": {"ready": True, "serving": True, "terminating": False},
                             "targetRef": {"kind": "Pod", "namespace": ns, "name": "web",
                                           "uid": pod["metadata"]["uid"]},
                             "nodeName": pod["spec"]["nodeName"]}
    assert by_pod["web-slow"]["conditions"] == {"ready": False, "serving": False, "terminating": False}
    assert endpoint_slice["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_a_slice_is_labelled_and_owned_by_its_service(cluster_core, discovery, plain, sim_cluster_namespace,
                                                      wait_until):
    """The slice carries kubernetes.io/service-name, the managed-by label, the Service's labels and owner."""
    ns = sim_cluster_namespace
    svc = cluster_core.create_namespaced_service(ns, service("web"))
    (endpoint_slice,) = wait_until(lambda: slices_of(discovery, plain, ns, "web"), what="a slice")
    meta = endpoint_slice["metadata"]
    assert meta["name"].startswith("web-")
    assert meta["labels"] == {"tier": "front", SERVICE_NAME: "web",
                              "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    assert meta["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "web",
                                        "uid": svc.metadata.uid, "controller": True, "blockOwnerDeletion": True}]
    assert endpoint_slice["endpoints"] == [] and "ports" not in endpoint_slice


def test_a_deleted_pod_leaves_the_slice(cluster_core, discovery, plain, sim_cluster_namespace, wait_until):
    """Deleting a pod takes its address out of the Service's EndpointSlice."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_service(ns, service("web"))
    for name in ("web", "web-2"):
        body = m.pod("web")
        body["metadata"]["name"] = name
        cluster_core.create_namespaced_pod(ns, body)
    wait_until(lambda: len(addresses(slices_of(discovery, plain, ns, "web"))) == 2, what="two endpoints")
    cluster_core.delete_namespaced_pod("web-2", ns, grace_period_seconds=0)
    wait_until(lambda: [e["targetRef"]["name"] for s in slices_of(discovery, plain, ns, "web")
                        for e in s["endpoints"]] == ["web"], what="one endpoint left")


def test_a_deleted_slice_comes_back(cluster_core, discovery, plain, sim_cluster_namespace, wait_until):
    """Deleting a managed EndpointSlice makes the controller write a new one, as on a real cluster."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_service(ns, service("web"))
    (first,) = wait_until(lambda: slices_of(discovery, plain, ns, "web"), what="a slice")
    discovery.delete_namespaced_endpoint_slice(first["metadata"]["name"], ns)
    wait_until(lambda: [s["metadata"]["uid"] for s in slices_of(discovery, plain, ns, "web")] not in
               ([], [first["metadata"]["uid"]]), what="a new slice")


def test_slices_go_with_their_service(cluster_core, discovery, plain, sim_cluster_namespace, wait_until):
    """Deleting the Service deletes its EndpointSlices (garbage collected through the ownerReference)."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_service(ns, service("web"))
    wait_until(lambda: slices_of(discovery, plain, ns, "web"), what="a slice")
    cluster_core.delete_namespaced_service("web", ns)
    wait_until(lambda: not slices_of(discovery, plain, ns, "web"), what="the slices gone")


def test_a_watch_sees_the_slice_change(cluster_core, discovery, sim_cluster_namespace):
    """A watch on endpointslices (what kube-proxy-era tools run) gets ADDED, then MODIFIED with the pod's address."""
    ns = sim_cluster_namespace
    stream = watch.Watch()
    cluster_core.create_namespaced_service(ns, service("web"))
    seen = []
    for event in stream.stream(discovery.list_namespaced_endpoint_slice, ns, timeout_seconds=10):
        if not seen:  # the watch is established: now the pod comes
            cluster_core.create_namespaced_pod(ns, m.pod("web"))
        seen.append(event["type"])
        if any(e.conditions.ready for e in event["object"].endpoints or ()):
            stream.stop()
    assert seen[0] == "ADDED" and seen[-1] == "MODIFIED"


def test_kubectl_get_endpointslices_shows_ports_and_endpoints(sim_cluster, cluster_core, sim_cluster_namespace,
                                                              tmp_path, wait_until):
    """`kubectl get endpointslices` prints NAME ADDRESSTYPE PORTS ENDPOINTS AGE for the Service's slice."""
    ns = sim_cluster_namespace
    env = dict(os.environ, KUBECONFIG=str(sim_cluster.kubeconfig), HOME=str(tmp_path),
               KUBECACHEDIR=str(tmp_path / "cache"))
    cluster_core.create_namespaced_service(ns, service("web"))
    cluster_core.create_namespaced_pod(ns, m.pod("web"))

    def row():
        result = subprocess.run([KUBECTL, "get", "endpointslices", "-n", ns], env=env, capture_output=True,
                                text=True, timeout=60)
        lines = result.stdout.splitlines()
        return len(lines) == 2 and lines[1].split()[2] == "8080" and lines

    header, line = wait_until(row, timeout=10, what="a slice row with the port")
    pod_ip = cluster_core.read_namespaced_pod("web", ns).status.pod_ip
    assert header.split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert line.split()[:4] == [line.split()[0], "IPv4", "8080", pod_ip] and line.startswith("web-")


def test_kubectl_describe_service_shows_its_endpoints(sim_cluster, cluster_core, sim_cluster_namespace, tmp_path,
                                                      wait_until):
    """`kubectl describe service` (which reads EndpointSlices) would print `Endpoints: <none>` for a served pod."""
    ns = sim_cluster_namespace
    env = dict(os.environ, KUBECONFIG=str(sim_cluster.kubeconfig), HOME=str(tmp_path),
               KUBECACHEDIR=str(tmp_path / "cache"))
    cluster_core.create_namespaced_service(ns, service("web"))
    cluster_core.create_namespaced_pod(ns, m.pod("web"))
    pod_ip = wait_until(lambda: cluster_core.read_namespaced_pod("web", ns).status.pod_ip, what="a pod IP")

    def endpoints_line():
        out = subprocess.run([KUBECTL, "describe", "service", "web", "-n", ns], env=env, capture_output=True,
                             text=True, timeout=60).stdout
        return next((line.split(None, 1)[1] for line in out.splitlines() if line.startswith("Endpoints:")), None)

    assert wait_until(lambda: endpoints_line() == f"{pod_ip}:8080", timeout=10, what="the pod's endpoint")
