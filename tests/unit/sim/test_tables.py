"""Server-side printing: kubectl's ages and the columns of common kinds."""

from __future__ import annotations

import pytest

from deploykit.sim import resources, tables

REGISTRY = resources.Registry()


@pytest.mark.parametrize(("seconds", "shown"), [
    (5, "5s"), (119, "119s"), (150, "2m30s"), (300, "5m"), (3600, "60m"), (4 * 3600 + 60 * 5, "4h5m"),
    (30 * 3600, "30h"), (3 * 86400 + 3600, "3d1h"), (40 * 86400, "40d"), (-5, "<invalid>"),
])
def test_ages_read_like_kubectl(seconds, shown):
    """AGE shows the same rounding kubectl users know."""
    assert tables.human_duration(seconds) == shown


def test_deployment_row_has_ready_and_wide_columns():
    """Deployments print READY as ready/desired, and CONTAINERS / IMAGES / SELECTOR with -o wide."""
    rt = REGISTRY.lookup("apps", "v1", "deployments")
    obj = {"metadata": {"name": "web", "creationTimestamp": "2026-01-01T00:00:00Z"},
           "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"spec": {"containers": [{"name": "app", "image": "reg/app:1"}]}}},
           "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}}
    table = tables.table(rt, [obj], now=1767225600 + 90)
    assert [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0] == [
        "Name", "Ready", "Up-to-date", "Available", "Age"]
    assert table["rows"][0]["cells"] == ["web", "2/3", 3, 2, "90s", "app", "reg/app:1", "app=web"]


def test_pod_status_shows_waiting_reason():
    """A pod's STATUS shows the container's waiting reason (CrashLoopBackOff) over the phase."""
    rt = REGISTRY.lookup("", "v1", "pods")
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]},
           "status": {"phase": "Running", "containerStatuses": [
               {"ready": False, "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}
    assert tables.table(rt, [pod], now=0)["rows"][0]["cells"][:4] == ["p", "0/1", "CrashLoopBackOff", 4]


def test_kinds_without_printer_show_name_and_age():
    """Other kinds print NAME and AGE, and rows carry PartialObjectMetadata unless asked otherwise."""
    rt = REGISTRY.lookup("networking.k8s.io", "v1", "networkpolicies")
    table = tables.table(rt, [{"metadata": {"name": "np"}}], now=0, include_object="None")
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age"]
    assert "object" not in table["rows"][0]


@pytest.mark.parametrize(("path", "expected"), [
    (".spec.size", 3),
    (".status.conditions[?(@.type==\"Ready\")].status", "True"),
    (".spec.items[1].name", "b"),
    (".spec.missing", None),
    ("{.metadata.name}", "w"),
])
def test_printer_column_json_paths(path, expected):
    """CRD printer columns resolve the JSONPath forms CRDs use."""
    obj = {"metadata": {"name": "w"}, "spec": {"size": 3, "items": [{"name": "a"}, {"name": "b"}]},
           "status": {"conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}]}}
    assert tables.json_path(obj, path) == expected


def test_crd_printer_columns_replace_the_default():
    """A CRD with additionalPrinterColumns prints NAME plus those columns; dates read as ages."""
    [rt] = resources.from_crd({"spec": {"group": "example.com", "scope": "Namespaced",
                                        "names": {"plural": "widgets", "kind": "Widget"},
                                        "versions": [{"name": "v1", "served": True, "additionalPrinterColumns": [
                                            {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                                            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                                        ]}]}})
    obj = {"metadata": {"name": "w", "creationTimestamp": "2026-01-01T00:00:00Z"}, "spec": {"size": 3}}
    table = tables.table(rt, [obj], now=1767225600 + 30)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Size", "Age"]
    assert table["rows"][0]["cells"] == ["w", 3, "30s"]


def _pod(phase, containers, init=(), *, init_specs=None, deleted=False, conditions=()):
    """A pod whose status has `containers` / `init` as (name, state) pairs, e.g. ("app", {"running": {}})."""
    spec = {"containers": [{"name": n} for n, _ in containers]}
    if init:
        spec["initContainers"] = init_specs or [{"name": n} for n, _ in init]
    status = {"phase": phase, "conditions": list(conditions),
              "containerStatuses": [{"name": n, "state": s, "ready": "running" in s and s["running"].get("ready", True),
                                     "restartCount": 0} for n, s in containers]}
    if init:
        status["initContainerStatuses"] = [{"name": n, "state": s, "ready": False, "restartCount": 0}
                                           for n, s in init]
    meta = {"name": "p"}
    if deleted:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta, "spec": spec, "status": status}


def _status_cell(pod):
    return tables.table(REGISTRY.lookup("", "v1", "pods"), [pod], now=0)["rows"][0]["cells"][2]


_DONE = {"terminated": {"exitCode": 0, "reason": "Completed"}}
_FAILED = {"terminated": {"exitCode": 1, "reason": "Error"}}
_WAITING_INIT = {"waiting": {"reason": "PodInitializing"}}


@pytest.mark.parametrize(("pod", "shown"), [
    (_pod("Succeeded", [("app", _DONE)]), "Completed"),
    (_pod("Failed", [("app", _FAILED)]), "Error"),
    (_pod("Failed", [("app", {"terminated": {"exitCode": 3}})]), "ExitCode:3"),
    (_pod("Running", [("app", _DONE), ("side", {"running": {}})]), "NotReady"),
    (_pod("Running", [("app", _DONE), ("side", {"running": {}})],
          conditions=[{"type": "Ready", "status": "True"}]), "Running"),
    (_pod("Pending", [("app", _WAITING_INIT)], [("init", _WAITING_INIT)]), "Init:0/1"),
    (_pod("Pending", [("app", _WAITING_INIT)], [("a", _DONE), ("b", {"running": {}})]), "Init:1/2"),
    (_pod("Failed", [("app", _WAITING_INIT)], [("init", _FAILED)]), "Init:Error"),
    (_pod("Pending", [("app", _WAITING_INIT)], [("init", {"waiting": {"reason": "CrashLoopBackOff"}})]),
     "Init:CrashLoopBackOff"),
    (_pod("Pending", [("app", _WAITING_INIT)], [("init", {"terminated": {"exitCode": 2}})]), "Init:ExitCode:2"),
    (_pod("Pending", [("app", _WAITING_INIT)], [("init", _DONE)]), "PodInitializing"),
    (_pod("Succeeded", [("app", _DONE)], deleted=True), "Completed"),
    (_pod("Running", [("app", {"running": {}})], deleted=True), "Terminating"),
    (_pod("Pending", [], conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
     "SchedulingGated"),
])
def test_pod_status_reads_like_kubectl_on_a_real_cluster(pod, shown):
    """STATUS would say Succeeded / Failed / PodInitializing where kubectl shows Completed, Error, Init:0/1."""
    assert _status_cell(pod) == shown


def test_pod_ready_counts_started_sidecars():
    """A running sidecar (an init container with restartPolicy Always) counts in READY as on a real cluster."""
    pod = _pod("Running", [("app", {"running": {}})], [("mesh", {"running": {}})],
               init_specs=[{"name": "mesh", "restartPolicy": "Always"}],
               conditions=[{"type": "Initialized", "status": "True"}])
    pod["status"]["initContainerStatuses"][0].update(started=True, ready=True)
    cells = tables.table(REGISTRY.lookup("", "v1", "pods"), [pod], now=0)["rows"][0]["cells"]
    assert cells[1:3] == ["2/2", "Running"]
