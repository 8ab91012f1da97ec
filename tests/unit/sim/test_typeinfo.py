"""Type information of built-in kinds and CRDs, as server-side apply and strategic merge patch read it."""

from __future__ import annotations

import pytest

from deploykit.sim import typeinfo

BUILTIN = typeinfo.Schemas.builtin()


def pod_spec() -> typeinfo.TypeRef:
    deployment = BUILTIN.type_of("apps/v1", "Deployment")
    assert deployment is not None
    return deployment.fields["spec"].fields["template"].fields["spec"]


def test_containers_are_a_map_list_keyed_by_name():
    """Containers merge per name, so a sidecar and the app container have separate owners."""
    containers = pod_spec().fields["containers"]
    assert (containers.kind, containers.list_type, containers.keys) == (typeinfo.LIST, "map", ("name",))
    assert pod_spec().patch["containers"] == (("merge",), "name")


def test_container_ports_are_keyed_by_port_and_protocol_with_a_default():
    """A port without protocol is keyed as TCP, as on the real server."""
    ports = pod_spec().fields["containers"].element.fields["ports"]
    assert ports.keys == ("containerPort", "protocol")
    assert ports.key_defaults == {"protocol": "TCP"}


@pytest.mark.parametrize(
    ("field", "expected"),
    [("tolerations", "atomic"), ("imagePullSecrets", "map"), ("topologySpreadConstraints", "map")],
)
def test_pod_spec_list_types(field, expected):
    """Lists of the pod spec have the list types of the Kubernetes OpenAPI."""
    assert pod_spec().fields[field].list_type == expected


def test_atomic_structs_and_maps_are_atomic():
    """LabelSelector and nodeSelector are one leaf each; labels are granular."""
    deployment = BUILTIN.type_of("apps/v1", "Deployment")
    assert deployment.fields["spec"].fields["selector"].atomic
    assert pod_spec().fields["nodeSelector"].atomic
    assert not deployment.fields["metadata"].fields["labels"].atomic


def test_finalizers_are_a_set():
    """metadata.finalizers merges as a set of strings."""
    meta = BUILTIN.type_of("v1", "ConfigMap").fields["metadata"]
    assert meta.fields["finalizers"].list_type == "set"


def test_strategy_keeps_retain_keys():
    """Deployment strategy carries the retainKeys patch strategy kubectl relies on."""
    assert BUILTIN.type_of("apps/v1", "Deployment").fields["spec"].patch["strategy"] == (("retainKeys",), None)


def test_unknown_kinds_have_no_type():
    """A kind the server does not know gives None, so callers can treat it as free-form."""
    assert BUILTIN.type_of("example.com/v1", "Nope") is None
    assert BUILTIN.type_of("v1", "Deployment") is None


def crd(list_schema: dict, *, kind: str = "Widget") -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": kind, "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [
                {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {"spec": {"type": "object", "properties": {"items": list_schema,
                                                                              "free": {"type": "object",
                                                                                       "x-kubernetes-preserve-unknown-fields": True}}}},
                }}},
                {"name": "v0", "served": False, "storage": False, "schema": {"openAPIV3Schema": {"type": "object"}}},
            ],
        },
    }


def test_crd_lists_are_atomic_unless_they_say_otherwise():
    """Custom resource lists replace whole unless the CRD declares a list type."""
    schemas = typeinfo.Schemas.fresh()
    schemas.register_crd(crd({"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                              "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"}))
    widget = schemas.type_of("example.com/v1", "Widget")
    assert widget.fields["spec"].fields["items"].list_type == "atomic"


def test_crd_map_lists_carry_their_keys_and_metadata_is_object_meta():
    """A CRD map-list merges per key; the object's metadata is the built-in ObjectMeta."""
    schemas = typeinfo.Schemas.fresh()
    schemas.register_crd(crd({"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                              "items": {"type": "object", "properties": {"name": {"type": "string"}}}}))
    widget = schemas.type_of("example.com/v1", "Widget")
    items = widget.fields["spec"].fields["items"]
    assert (items.list_type, items.keys) == ("map", ("name",))
    assert widget.fields["metadata"].fields["finalizers"].list_type == "set"
    assert schemas.is_custom("example.com/v1", "Widget")
    assert schemas.type_of("example.com/v0", "Widget") is None


def test_preserve_unknown_fields_accepts_anything():
    """A free-form object in a CRD takes any keys (deduced types)."""
    schemas = typeinfo.Schemas.fresh()
    schemas.register_crd(crd({"type": "array", "items": {"type": "string"}}))
    free = schemas.type_of("example.com/v1", "Widget").fields["spec"].fields["free"]
    assert free.field_type("anything") is typeinfo.DEDUCED_TYPE


def test_unregistering_a_crd_forgets_its_kind():
    """After a CRD is deleted its kind is unknown again."""
    schemas = typeinfo.Schemas.fresh()
    definition = crd({"type": "array", "items": {"type": "string"}})
    schemas.register_crd(definition)
    schemas.unregister_crd(definition)
    assert schemas.type_of("example.com/v1", "Widget") is None


def test_fresh_instances_do_not_share_crds():
    """Two simulators in one process do not see each other's CRDs."""
    first, second = typeinfo.Schemas.fresh(), typeinfo.Schemas.fresh()
    first.register_crd(crd({"type": "array", "items": {"type": "string"}}))
    assert second.type_of("example.com/v1", "Widget") is None
    assert second.type_of("apps/v1", "Deployment") is first.type_of("apps/v1", "Deployment")
