"""managedFields written by a JSON patch, as client-go's csaupgrade (kubectl, deploykit adopt) writes them.

kube-apiserver (fieldmanager.go decodeLiveOrNew, managedfieldsupdater.go) keeps managedFields a request sets
when they decode, gives the writer no entry when no other field changed, and treats a resourceVersion in the
patched object as a precondition (409 when stale).
"""

from __future__ import annotations

JSON_PATCH = "application/json-patch+json"
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "labels": {"tier": "web"}},
      "data": {"key": "v1"}}


def _created(sim_http, namespace: str) -> dict:
    status, created, _ = sim_http("POST", f"/api/v1/namespaces/{namespace}/configmaps?fieldManager=helm", CM)
    assert status == 201
    return created


def _moved(created: dict) -> list[dict]:
    entry = dict(created["metadata"]["managedFields"][0], manager="deploykit", operation="Apply")
    return [entry]


def test_managed_fields_set_by_a_json_patch_are_kept_as_written(sim_http, sim_namespace):
    """An ownership move written with a JSON patch would be ignored, or the writer would get an entry of its own."""
    created = _created(sim_http, sim_namespace)
    patch = [{"op": "replace", "path": "/metadata/managedFields", "value": _moved(created)},
             {"op": "replace", "path": "/metadata/resourceVersion", "value": created["metadata"]["resourceVersion"]}]
    status, patched, _ = sim_http("PATCH", f"/api/v1/namespaces/{sim_namespace}/configmaps/cfg?fieldManager=deploykit",
                                  patch, content_type=JSON_PATCH)
    assert status == 200, patched
    assert [(e["manager"], e["operation"]) for e in patched["metadata"]["managedFields"]] == [("deploykit", "Apply")]
    assert patched["metadata"]["managedFields"][0]["fieldsV1"] == created["metadata"]["managedFields"][0]["fieldsV1"]
    assert patched["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]


def test_a_json_patch_with_a_stale_resource_version_is_refused(sim_http, sim_namespace):
    """An ownership move computed from an old read would overwrite managedFields written since."""
    created = _created(sim_http, sim_namespace)
    status, _, _ = sim_http("PATCH", f"/api/v1/namespaces/{sim_namespace}/configmaps/cfg?fieldManager=ops",
                            {"data": {"key": "v2"}}, content_type="application/merge-patch+json")
    assert status == 200
    patch = [{"op": "replace", "path": "/metadata/managedFields", "value": _moved(created)},
             {"op": "replace", "path": "/metadata/resourceVersion", "value": created["metadata"]["resourceVersion"]}]
    status, body, _ = sim_http("PATCH", f"/api/v1/namespaces/{sim_namespace}/configmaps/cfg?fieldManager=deploykit",
                               patch, content_type=JSON_PATCH)
    assert status == 409 and body["reason"] == "Conflict"


def test_an_apply_after_the_move_prunes_what_the_moved_entry_owned(sim_http, sim_namespace):
    """After the move, a field the applier no longer sends would be kept (the old Update entry still owning it)."""
    created = _created(sim_http, sim_namespace)
    patch = [{"op": "replace", "path": "/metadata/managedFields", "value": _moved(created)},
             {"op": "replace", "path": "/metadata/resourceVersion", "value": created["metadata"]["resourceVersion"]}]
    assert sim_http("PATCH", f"/api/v1/namespaces/{sim_namespace}/configmaps/cfg?fieldManager=deploykit", patch,
                    content_type=JSON_PATCH)[0] == 200
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"key": "v1"}}
    status, applied, _ = sim_http("PATCH", f"/api/v1/namespaces/{sim_namespace}/configmaps/cfg?fieldManager=deploykit",
                                  config, content_type="application/apply-patch+yaml")
    assert status == 200, applied
    assert "tier" not in (applied["metadata"].get("labels") or {})
