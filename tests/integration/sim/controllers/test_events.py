"""Events recorded by the simulated components: readable through core/v1 and events.k8s.io/v1, selectable."""

from __future__ import annotations

import pytest

from tests.integration.sim.controllers import manifests as m


def test_workload_events_come_from_their_controllers(sim_cluster_http, sim_cluster_namespace, wait_until):
    """ScalingReplicaSet from deployment-controller, SuccessfulCreate from replicaset-controller."""
    ns = sim_cluster_namespace
    assert sim_cluster_http("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", m.deployment("web", replicas=2))[0] \
        == 201

    def listed():
        return sim_cluster_http("GET", f"/api/v1/namespaces/{ns}/events")[1]["items"]

    wait_until(lambda: sum(1 for e in listed() if e["reason"] == "SuccessfulCreate") == 2, what="two pods created")
    by_reason: dict[str, list[dict]] = {}
    for event in listed():
        by_reason.setdefault(event["reason"], []).append(event)
    (scaling,) = by_reason["ScalingReplicaSet"]
    assert scaling["source"] == {"component": "deployment-controller"}
    assert scaling["involvedObject"]["kind"] == "Deployment" and scaling["involvedObject"]["name"] == "web"
    created = by_reason["SuccessfulCreate"]
    assert {e["source"]["component"] for e in created} == {"replicaset-controller"}
    assert all(e["message"].startswith("Created pod: web-") for e in created)
    assert all(e["type"] == "Normal" and e["count"] == 1 and e["firstTimestamp"] == e["lastTimestamp"] for e in created)
    managers = {f["manager"] for e in created for f in e["metadata"]["managedFields"]}
    assert managers == {"kube-controller-manager"}


def test_events_read_through_events_k8s_io_with_the_new_field_names(sim_cluster_http, sim_cluster_namespace,
                                                                     wait_until):
    """The same events through events.k8s.io/v1: regarding, note, reportingController, deprecatedSource."""
    ns = sim_cluster_namespace
    sim_cluster_http("POST", f"/api/v1/namespaces/{ns}/pods", m.pod("web"))
    wait_until(lambda: any(e["reason"] == "Started" for e in sim_cluster_http(
        "GET", f"/apis/events.k8s.io/v1/namespaces/{ns}/events")[1]["items"]), what="Started event")
    items = sim_cluster_http("GET", f"/apis/events.k8s.io/v1/namespaces/{ns}/events?fieldSelector="
                                    f"regarding.name%3Dweb")[1]["items"]
    started = next(e for e in items if e["reason"] == "Started")
    assert started["apiVersion"] == "events.k8s.io/v1"
    assert (started["regarding"]["kind"], started["regarding"]["name"], started["regarding"]["fieldPath"]) == (
        "Pod", "web", "spec.containers{app}")
    assert started["note"] == "Started container app"
    assert started["reportingController"] == "kubelet" and started["deprecatedSource"]["component"] == "kubelet"
    scheduled = next(e for e in items if e["reason"] == "Scheduled")
    assert scheduled["reportingController"] == "default-scheduler" and scheduled["action"] == "Binding"
    assert scheduled["eventTime"]


@pytest.mark.parametrize("selector", ["involvedObject.kind%3DPod,involvedObject.name%3Dweb",
                                      "reason%3DStarted", "type%3DNormal"])
def test_field_selectors_kubectl_uses_find_pod_events(sim_cluster_http, sim_cluster_namespace, wait_until, selector):
    """kubectl describe and `get events --field-selector` find the pod's events."""
    ns = sim_cluster_namespace
    sim_cluster_http("POST", f"/api/v1/namespaces/{ns}/pods", m.pod("web"))
    found = wait_until(lambda: sim_cluster_http("GET", f"/api/v1/namespaces/{ns}/events?fieldSelector={selector}")
                       [1]["items"], what="selected events")
    assert all(e["involvedObject"]["name"] == "web" for e in found)
