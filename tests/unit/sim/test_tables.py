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
