"""The EndpointSlices a Service needs, from its pods (pure: no server)."""

from __future__ import annotations

from deploykit.sim.controllers import services

SERVICE = {"metadata": {"name": "web", "namespace": "ns"},
           "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}


def pod(name, ip, *, ready=True, deleting=False, port=8080):
    meta = {"name": name, "namespace": "ns", "uid": f"uid-{name}"}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    container = {"name": "app", "ports": [{"name": "http", "containerPort": port}] if port else []}
    return {"metadata": meta, "spec": {"nodeName": "sim-node-1", "containers": [container]},
            "status": {"phase": "Running", "podIP": ip,
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def test_a_terminating_pod_stays_listed_as_terminating_and_not_ready():
    """A pod being deleted stays in the slice (ready False, serving as its readiness, terminating True)."""
    [(ports, [endpoint])] = services.endpoint_slices(SERVICE, [pod("a", "10.244.1.2", deleting=True)])
    assert endpoint["conditions"] == {"ready": False, "serving": True, "terminating": True}
    assert ports == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_publish_not_ready_addresses_makes_every_endpoint_ready():
    """publishNotReadyAddresses: an unready pod is still ready in the slice (serving tells the truth)."""
    service = {**SERVICE, "spec": {**SERVICE["spec"], "publishNotReadyAddresses": True}}
    [(_, [endpoint])] = services.endpoint_slices(service, [pod("a", "10.244.1.2", ready=False)])
    assert endpoint["conditions"] == {"ready": True, "serving": False, "terminating": False}


def test_pods_resolving_a_named_port_differently_get_slices_of_their_own():
    """Two pods whose `http` port differs land in two slices, each with its own port."""
    found = services.endpoint_slices(SERVICE, [pod("a", "10.244.1.2"), pod("b", "10.244.1.3", port=9090)])
    assert sorted((ports[0]["port"], [e["addresses"] for e in endpoints]) for ports, endpoints in found) == [
        (8080, [["10.244.1.2"]]), (9090, [["10.244.1.3"]])]


def test_a_slice_holds_at_most_one_hundred_endpoints():
    """250 pods make slices of 100, 100 and 50 endpoints."""
    pods = [pod(f"p{i:03}", f"10.244.{i // 200}.{i % 200 + 2}") for i in range(250)]
    assert [len(endpoints) for _, endpoints in services.endpoint_slices(SERVICE, pods)] == [100, 100, 50]


def test_no_serving_pod_leaves_one_empty_slice():
    """Without a pod that has an IP, the Service has one slice with no ports and no endpoints."""
    assert services.endpoint_slices(SERVICE, [pod("a", None)]) == [(None, [])]
