"""core/v1 and events.k8s.io/v1 Events share storage: written through one API, readable through both."""

from __future__ import annotations


def core_event(name: str, pod: str) -> dict:
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name},
            "involvedObject": {"kind": "Pod", "name": pod, "apiVersion": "v1"},
            "reason": "BackOff", "message": "Back-off restarting failed container", "type": "Warning",
            "source": {"component": "kubelet"}, "count": 3}


def test_core_event_reads_as_events_v1(sim_http, sim_namespace):
    """An Event posted to core/v1 is served by events.k8s.io/v1 with regarding, note and deprecated fields."""
    assert sim_http("POST", f"/api/v1/namespaces/{sim_namespace}/events", core_event("e1", "web-1"))[0] == 201
    code, event, _ = sim_http("GET", f"/apis/events.k8s.io/v1/namespaces/{sim_namespace}/events/e1")
    assert code == 200 and event["apiVersion"] == "events.k8s.io/v1"
    assert event["regarding"]["name"] == "web-1" and event["note"] == "Back-off restarting failed container"
    assert event["deprecatedSource"] == {"component": "kubelet"} and event["deprecatedCount"] == 3


def test_events_v1_write_reads_as_core(sim_http, sim_namespace):
    """An Event posted to events.k8s.io/v1 is listed by core/v1 with involvedObject and message."""
    body = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e2"},
            "eventTime": "2026-01-01T00:00:00.000000Z", "reportingController": "deploykit.io/sim",
            "reportingInstance": "sim", "action": "Scheduling", "reason": "Scheduled", "type": "Normal",
            "regarding": {"kind": "Pod", "name": "web-2"}, "note": "assigned to node-1"}
    code, created, _ = sim_http("POST", f"/apis/events.k8s.io/v1/namespaces/{sim_namespace}/events", body)
    assert code == 201 and created["note"] == "assigned to node-1"
    _, listed, _ = sim_http("GET", f"/api/v1/namespaces/{sim_namespace}/events?fieldSelector=involvedObject.name%3Dweb-2")
    assert [(e["message"], e["reportingComponent"]) for e in listed["items"]] == [
        ("assigned to node-1", "deploykit.io/sim")]


def test_events_v1_field_selector_on_regarding(sim_http, sim_namespace):
    """events.k8s.io/v1 lists select on regarding.* fields."""
    sim_http("POST", f"/api/v1/namespaces/{sim_namespace}/events", core_event("e3", "a"))
    sim_http("POST", f"/api/v1/namespaces/{sim_namespace}/events", core_event("e4", "b"))
    _, listed, _ = sim_http("GET", f"/apis/events.k8s.io/v1/namespaces/{sim_namespace}/events"
                                   "?fieldSelector=regarding.name%3Db")
    assert [e["metadata"]["name"] for e in listed["items"]] == ["e4"]
