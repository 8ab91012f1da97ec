"""Services, Endpoints, PersistentVolumeClaims and Ingresses on the simulated cluster."""

from __future__ import annotations

import pytest
from kubernetes.client.exceptions import ApiException

from tests.integration.sim.controllers import manifests as m


@pytest.fixture
def plain(cluster_client):
    return cluster_client.sanitize_for_serialization


def service(name, *, selector=None, kind="ClusterIP", annotations=None, target=8080):
    meta = {"name": name, "labels": {"app": name}}
    if annotations:
        meta["annotations"] = annotations
    spec = {"type": kind, "ports": [{"name": "http", "port": 80, "targetPort": target}]}
    if selector is not False:
        spec["selector"] = selector or {"app": name}
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


def endpoints(core, plain, ns, name):
    try:
        return plain(core.read_namespaced_endpoints(name, ns))
    except ApiException:
        return None


def test_endpoints_list_ready_pods_and_move_unready_ones_aside(cluster_core, plain, sim_cluster_namespace,
                                                               wait_until):
    """Ready pods are addresses (ip, nodeName, targetRef), unready ones notReadyAddresses, port resolved."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_service(ns, service("web"))
    cluster_core.create_namespaced_pod(ns, m.pod("web"))
    slow = m.pod("web", annotations={m.BEHAVIOR: "never-ready"})
    slow["metadata"]["name"] = "web-slow"
    cluster_core.create_namespaced_pod(ns, slow)

    def both_listed():
        ep = endpoints(cluster_core, plain, ns, "web")
        subsets = (ep or {}).get("subsets") or []
        return subsets and subsets[0].get("addresses") and subsets[0].get("notReadyAddresses") and ep

    ep = wait_until(both_listed, what="ready and unready endpoints")
    (subset,) = ep["subsets"]
    (address,) = subset["addresses"]
    (unready,) = subset["notReadyAddresses"]
    pod = plain(cluster_core.read_namespaced_pod("web", ns))
    assert address == {"ip": pod["status"]["podIP"], "nodeName": pod["spec"]["nodeName"],
                       "targetRef": {"kind": "Pod", "namespace": ns, "name": "web", "uid": pod["metadata"]["uid"]}}
    assert unready["targetRef"]["name"] == "web-slow"
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    cluster_core.delete_namespaced_pod("web", ns)
    wait_until(lambda: not ((endpoints(cluster_core, plain, ns, "web") or {}).get("subsets") or [{}])[0].get(
        "addresses"), what="deleted pod leaves the endpoints")


def test_a_named_target_port_resolves_to_the_container_port(cluster_core, plain, sim_cluster_namespace,
                                                            wait_until):
    """targetPort: http maps to the container port named http."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_service(ns, service("web", target="http"))
    containers = [{"name": "app", "image": "registry.example.com/app:1",
                   "ports": [{"name": "http", "containerPort": 9090}]}]
    cluster_core.create_namespaced_pod(ns, m.pod("web", containers=containers))
    ep = wait_until(lambda: (lambda e: e and e.get("subsets") and e)(endpoints(cluster_core, plain, ns, "web")),
                    what="endpoints")
    assert ep["subsets"][0]["ports"][0]["port"] == 9090


def test_endpoints_go_with_their_service(cluster_core, plain, sim_cluster_namespace, wait_until):
    """Deleting the Service deletes its Endpoints."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_service(ns, service("web"))
    wait_until(lambda: endpoints(cluster_core, plain, ns, "web"), what="endpoints created")
    cluster_core.delete_namespaced_service("web", ns)
    wait_until(lambda: endpoints(cluster_core, plain, ns, "web") is None, what="endpoints deleted")


def test_a_load_balancer_service_gets_an_ingress_address(cluster_core, plain, sim_cluster_namespace, wait_until):
    """type LoadBalancer: status.loadBalancer.ingress[0].ip, with the service controller's events."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_service(ns, service("web", kind="LoadBalancer"))
    svc = wait_until(lambda: (lambda s: s["status"].get("loadBalancer", {}).get("ingress") and s)(
        plain(cluster_core.read_namespaced_service("web", ns))), what="an address")
    (ingress,) = svc["status"]["loadBalancer"]["ingress"]
    assert ingress["ip"].startswith("172.18.255.") and svc["spec"]["clusterIP"]
    reasons = [e.reason for e in cluster_core.list_namespaced_event(ns, field_selector="involvedObject.name=web,"
                                                                                      "involvedObject.kind=Service").items]
    assert reasons == ["EnsuringLoadBalancer", "EnsuredLoadBalancer"]


def test_a_pending_load_balancer_never_gets_an_address(cluster_core, plain, sim_cluster_namespace, wait_until):
    """sim.deploykit.io/behavior: pending keeps EXTERNAL-IP <pending>."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_service(ns, service("web", kind="LoadBalancer",
                                                       annotations={m.BEHAVIOR: "pending"}))
    cluster_core.create_namespaced_service(ns, service("probe", kind="LoadBalancer"))
    wait_until(lambda: plain(cluster_core.read_namespaced_service("probe", ns))["status"].get("loadBalancer", {})
               .get("ingress"), what="the other service's address")
    assert not plain(cluster_core.read_namespaced_service("web", ns))["status"].get("loadBalancer", {}).get("ingress")


def test_a_claim_becomes_bound_with_its_capacity(cluster_core, plain, sim_cluster_namespace, wait_until):
    """A PVC is Bound to pvc-<uid> with the requested capacity and access modes."""
    ns = sim_cluster_namespace
    created = cluster_core.create_namespaced_persistent_volume_claim(ns, {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}})
    pvc = wait_until(lambda: (lambda c: c["status"].get("phase") == "Bound" and c)(
        plain(cluster_core.read_namespaced_persistent_volume_claim("data", ns))), what="Bound")
    assert pvc["spec"]["volumeName"] == f"pvc-{created.metadata.uid}"
    assert pvc["status"]["capacity"] == {"storage": "5Gi"} and pvc["status"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes"


def test_an_ingress_gets_a_load_balancer_address(sim_cluster_http, sim_cluster_namespace, wait_until):
    """An Ingress shows ADDRESS once the ingress controller published it."""
    ns = sim_cluster_namespace
    body = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
            "spec": {"rules": [{"host": "web.example.com", "http": {"paths": [{
                "path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}
    assert sim_cluster_http("POST", f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses", body)[0] == 201
    ing = wait_until(lambda: (lambda i: (i.get("status") or {}).get("loadBalancer", {}).get("ingress") and i)(
        sim_cluster_http("GET", f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/web")[1]), what="address")
    assert ing["status"]["loadBalancer"]["ingress"] == [{"ip": "172.18.0.2"}]
