"""Moving field ownership from Helm's manager to deploykit's Apply entry (pure)."""

from __future__ import annotations

from deploykit.release import fieldowners

HELM_FIELDS = {"f:metadata": {"f:annotations": {"f:meta.helm.sh/release-name": {}}},
               "f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"app"}': {"f:env": {}}}}}}}
STATUS = {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
          "subresource": "status", "fieldsV1": {"f:status": {"f:replicas": {}}}}


def entry(manager: str, operation: str, fields: dict) -> dict:
    return {"manager": manager, "operation": operation, "apiVersion": "apps/v1", "time": "2026-01-01T00:00:00Z",
            "fieldsType": "FieldsV1", "fieldsV1": fields}


def test_helm_is_recognised_by_its_release_annotation_whatever_the_manager_name():
    """Helm run from another program (its manager named after the binary) would keep owning the fields."""
    live = {"metadata": {"managedFields": [entry("python", "Update", HELM_FIELDS), STATUS,
                                           entry("kubectl", "Update", {"f:data": {}})]}}
    assert fieldowners.helm_managers(live) == {("python", "Update")}


def test_helm_update_and_apply_entries_become_one_deploykit_apply_entry():
    """A field only Helm's Apply (server-side) or Update (client-side) entry owned would not be deploykit's."""
    entries = [entry("helm", "Apply", {"f:spec": {"f:replicas": {}}}), STATUS,
               entry("helm", "Update", HELM_FIELDS), entry("deploykit", "Update", {"f:metadata": {"f:labels": {}}})]
    moved = fieldowners.moved(entries, sources={("helm", "Apply"), ("helm", "Update")}, api_version="apps/v1",
                              now="2026-02-02T00:00:00Z")
    assert [(e["manager"], e["operation"], e.get("subresource")) for e in moved] == [
        ("deploykit", "Apply", None), ("kube-controller-manager", "Update", "status")]
    fields = moved[0]["fieldsV1"]
    assert set(fields) == {"f:metadata", "f:spec"}
    assert set(fields["f:spec"]) == {"f:replicas", "f:template"}
    assert set(fields["f:metadata"]) == {"f:annotations", "f:labels"}


def test_nothing_to_move_gives_no_patch():
    """An object already owned by deploykit alone would be written again on every adoption attempt."""
    entries = [entry("deploykit", "Apply", {"f:data": {}}), STATUS]
    assert fieldowners.moved(entries, sources={("helm", "Update")}, api_version="v1", now="x") is None


def test_the_patch_is_guarded_by_the_resource_version():
    """The move would overwrite managedFields another writer changed since they were read."""
    operations = fieldowners.patch([], resource_version="42")
    assert {"op": "replace", "path": "/metadata/resourceVersion", "value": "42"} in operations
