"""structured-merge-diff's merge scenarios, restated as data and run through `managing`.

Each case is a sequence of applies and updates by named managers on one
custom resource whose schema mirrors the SMD test schema (leaf fields, a set,
a map-list keyed by name, a struct, an atomic map), then the expected object
and the expected field set of every manager. The cases follow
kubernetes-sigs/structured-merge-diff merge/leaf_test.go, set_test.go,
multiple_appliers_test.go, nested_test.go and default_keys_test.go, in our
own words. Nulls are dropped from stored objects, as a Go round trip of a
built-in type drops them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from deploykit.sim import fieldpaths, managing, typeinfo

GROUP = "smd.deploykit.test"
API_VERSION = f"{GROUP}/v1"
NOW = "2024-05-01T10:00:00Z"

SCHEMA = {
    "type": "object",
    "properties": {
        "numeric": {"type": "integer"},
        "string": {"type": "string"},
        "bool": {"type": "boolean"},
        "set": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
        "list": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "value": {"type": "integer"}},
            },
        },
        "ports": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["port", "protocol"],
            "items": {
                "type": "object",
                "properties": {
                    "port": {"type": "integer"},
                    "protocol": {"type": "string", "default": "TCP"},
                    "name": {"type": "string"},
                },
            },
        },
        "struct": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "scalarField": {"type": "string"},
                "complexField": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
        },
        "atomicMap": {
            "type": "object",
            "x-kubernetes-map-type": "atomic",
            "additionalProperties": {"type": "string"},
        },
        "plain": {"type": "array", "items": {"type": "string"}},
        "listOfLists": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "value": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                },
            },
        },
    },
}

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"widgets.{GROUP}"},
    "spec": {
        "group": GROUP,
        "names": {"kind": "Widget", "plural": "widgets"},
        "scope": "Namespaced",
        "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": SCHEMA}}],
    },
}


@dataclass
class Apply:
    manager: str
    body: dict
    force: bool = False
    conflicts: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class Update:
    manager: str
    body: dict


@dataclass
class Case:
    ops: list[Any]
    result: dict
    managers: dict[tuple[str, str], set[str]]


def _schemas() -> typeinfo.Schemas:
    schemas = typeinfo.Schemas.fresh()
    schemas.register_crd(CRD)
    return schemas


def _object(body: dict, live: dict | None) -> dict:
    meta = dict((live or {}).get("metadata") or {"name": "w", "namespace": "ns"})
    return {"apiVersion": API_VERSION, "kind": "Widget", "metadata": meta, **body}


def _run(case: Case) -> dict:
    schemas = _schemas()
    live: dict | None = None
    for op in case.ops:
        if isinstance(op, Update):
            live = managing.update(
                live, _object(op.body, live), manager=op.manager, subresource=None,
                has_status_subresource=False, now=NOW, schemas=schemas,
            )
            continue
        config = {"apiVersion": API_VERSION, "kind": "Widget", "metadata": {"name": "w", "namespace": "ns"}, **op.body}
        if op.conflicts:
            with pytest.raises(managing.ApplyConflict) as caught:
                managing.apply(live, config, manager=op.manager, force=False, subresource=None,
                               has_status_subresource=False, now=NOW, schemas=schemas)
            assert set(caught.value.conflicts) == op.conflicts
            continue
        live = managing.apply(live, config, manager=op.manager, force=op.force, subresource=None,
                              has_status_subresource=False, now=NOW, schemas=schemas)
    assert live is not None
    return live


def _managers(obj: dict) -> dict[tuple[str, str], set[str]]:
    out = {}
    for entry in obj["metadata"].get("managedFields", []):
        paths = fieldpaths.decode(entry["fieldsV1"])
        out[(entry["manager"], entry["operation"])] = {fieldpaths.path_string(p) for p in paths}
    return out


def _content(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}


CASES: dict[str, Case] = {
    # leaf_test.go
    "leaf_apply_twice": Case(
        ops=[Apply("default", {"numeric": 1, "string": "string"}),
             Apply("default", {"numeric": 2, "string": "string", "bool": False})],
        result={"numeric": 2, "string": "string", "bool": False},
        managers={("default", "Apply"): {".numeric", ".string", ".bool"}},
    ),
    "leaf_apply_twice_remove": Case(
        ops=[Apply("default", {"numeric": 1, "string": "string", "bool": True}),
             Apply("default", {"string": "new string"})],
        result={"string": "new string"},
        managers={("default", "Apply"): {".string"}},
    ),
    "leaf_apply_update_apply_no_conflict": Case(
        ops=[Apply("default", {"numeric": 1, "string": "string"}),
             Update("controller", {"numeric": 1, "string": "string", "bool": True}),
             Apply("default", {"numeric": 2, "string": "string"})],
        result={"numeric": 2, "string": "string", "bool": True},
        managers={("default", "Apply"): {".numeric", ".string"}, ("controller", "Update"): {".bool"}},
    ),
    "leaf_apply_update_apply_with_conflict": Case(
        ops=[Apply("default", {"numeric": 1, "string": "string"}),
             Update("controller", {"numeric": 1, "string": "controller string", "bool": True}),
             Apply("default", {"numeric": 2, "string": "user string"},
                   conflicts={('"controller" using smd.deploykit.test/v1', ".string")}),
             Apply("default", {"numeric": 2, "string": "user string"}, force=True)],
        result={"numeric": 2, "string": "user string", "bool": True},
        managers={("default", "Apply"): {".numeric", ".string"}, ("controller", "Update"): {".bool"}},
    ),
    # set_test.go
    "set_apply_twice": Case(
        ops=[Apply("default", {"set": ["a", "c"]}), Apply("default", {"set": ["a", "b", "c", "d"]})],
        result={"set": ["a", "b", "c", "d"]},
        managers={("default", "Apply"): {'.set[="a"]', '.set[="b"]', '.set[="c"]', '.set[="d"]'}},
    ),
    "set_apply_update_apply_with_overlap": Case(
        ops=[Apply("default", {"set": ["a", "c"]}),
             Update("controller", {"set": ["a", "b", "c", "d"]}),
             Apply("default", {"set": ["a", "b", "c"]})],
        result={"set": ["a", "b", "c", "d"]},
        managers={("default", "Apply"): {'.set[="a"]', '.set[="b"]', '.set[="c"]'},
                  ("controller", "Update"): {'.set[="b"]', '.set[="d"]'}},
    ),
    "set_apply_twice_reorder": Case(
        ops=[Apply("default", {"set": ["a", "b", "c", "d"]}), Apply("default", {"set": ["a", "d", "c", "b"]})],
        result={"set": ["a", "d", "c", "b"]},
        managers={("default", "Apply"): {'.set[="a"]', '.set[="b"]', '.set[="c"]', '.set[="d"]'}},
    ),
    "set_apply_update_apply_reorder": Case(
        ops=[Apply("default", {"set": ["a", "b", "c", "d"]}),
             Update("controller", {"set": ["a", "d", "c", "b"]}),
             Apply("default", {"set": ["a", "b", "c", "d"]})],
        result={"set": ["a", "b", "c", "d"]},
        managers={("default", "Apply"): {'.set[="a"]', '.set[="b"]', '.set[="c"]', '.set[="d"]'}},
    ),
    "set_apply_twice_remove": Case(
        ops=[Apply("default", {"set": ["a", "b", "c", "d"]}), Apply("default", {"set": ["a", "c", "e"]})],
        result={"set": ["a", "c", "e"]},
        managers={("default", "Apply"): {'.set[="a"]', '.set[="c"]', '.set[="e"]'}},
    ),
    # multiple_appliers_test.go, TestMultipleAppliersSet (a map-list keyed by name)
    "list_remove_one": Case(
        ops=[Apply("apply-one", {"list": [{"name": "a"}, {"name": "b"}]}),
             Apply("apply-two", {"list": [{"name": "c"}]}),
             Apply("apply-one", {"list": [{"name": "a"}]})],
        result={"list": [{"name": "a"}, {"name": "c"}]},
        managers={("apply-one", "Apply"): {'.list[name="a"]', '.list[name="a"].name'},
                  ("apply-two", "Apply"): {'.list[name="c"]', '.list[name="c"].name'}},
    ),
    "list_same_value_no_conflict": Case(
        ops=[Apply("apply-one", {"list": [{"name": "a", "value": 0}]}),
             Apply("apply-two", {"list": [{"name": "a", "value": 0}]})],
        result={"list": [{"name": "a", "value": 0}]},
        managers={
            ("apply-one", "Apply"): {'.list[name="a"]', '.list[name="a"].name', '.list[name="a"].value'},
            ("apply-two", "Apply"): {'.list[name="a"]', '.list[name="a"].name', '.list[name="a"].value'},
        },
    ),
    "list_change_value_yes_conflict": Case(
        ops=[Apply("apply-one", {"list": [{"name": "a", "value": 0}]}),
             Apply("apply-two", {"list": [{"name": "a", "value": 1}]},
                   conflicts={('"apply-one"', '.list[name="a"].value')})],
        result={"list": [{"name": "a", "value": 0}]},
        managers={("apply-one", "Apply"): {'.list[name="a"]', '.list[name="a"].name', '.list[name="a"].value'}},
    ),
    "list_remove_one_keep_one": Case(
        ops=[Apply("apply-one", {"list": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}),
             Apply("apply-two", {"list": [{"name": "c"}, {"name": "d"}]}),
             Apply("apply-one", {"list": [{"name": "a"}]})],
        result={"list": [{"name": "a"}, {"name": "c"}, {"name": "d"}]},
        managers={
            ("apply-one", "Apply"): {'.list[name="a"]', '.list[name="a"].name'},
            ("apply-two", "Apply"): {'.list[name="c"]', '.list[name="c"].name',
                                     '.list[name="d"]', '.list[name="d"].name'},
        },
    ),
    "list_item_removed_even_if_another_manager_owns_a_subfield": Case(
        ops=[Apply("apply-one", {"list": [{"name": "a"}, {"name": "b"}]}),
             Update("controller", {"list": [{"name": "a"}, {"name": "b", "value": 7}]}),
             Apply("apply-one", {"list": [{"name": "a"}]})],
        result={"list": [{"name": "a"}]},
        managers={("apply-one", "Apply"): {'.list[name="a"]', '.list[name="a"].name'}},
    ),
    # multiple_appliers_test.go, TestMultipleAppliersNestedType (map-list items holding sets)
    "nested_remove_one_keep_one_with_two_sub_items": Case(
        ops=[Apply("apply-one", {"listOfLists": [{"name": "a"}, {"name": "b", "value": ["c"]}]}),
             Apply("apply-two", {"listOfLists": [{"name": "b", "value": ["d"]}]}),
             Apply("apply-one", {"listOfLists": [{"name": "a"}]})],
        result={"listOfLists": [{"name": "a"}, {"name": "b", "value": ["d"]}]},
        managers={("apply-one", "Apply"): {'.listOfLists[name="a"]', '.listOfLists[name="a"].name'},
                  ("apply-two", "Apply"): {'.listOfLists[name="b"]', '.listOfLists[name="b"].name',
                                           '.listOfLists[name="b"].value[="d"]'}},
    ),
    "nested_remove_one_keep_one_with_dangling_subitem": Case(
        ops=[Apply("apply-one", {"listOfLists": [{"name": "a"}, {"name": "b", "value": ["c"]}]}),
             Apply("apply-two", {"listOfLists": [{"name": "b", "value": ["d"]}]}),
             Update("controller", {"listOfLists": [{"name": "a"}, {"name": "b", "value": ["c", "d", "e"]}]}),
             Apply("apply-one", {"listOfLists": [{"name": "a"}]})],
        result={"listOfLists": [{"name": "a"}, {"name": "b", "value": ["d", "e"]}]},
        managers={("apply-one", "Apply"): {'.listOfLists[name="a"]', '.listOfLists[name="a"].name'},
                  ("apply-two", "Apply"): {'.listOfLists[name="b"]', '.listOfLists[name="b"].name',
                                           '.listOfLists[name="b"].value[="d"]'},
                  ("controller", "Update"): {'.listOfLists[name="b"].value[="e"]'}},
    ),
    "nested_remove_one_with_dangling_subitem_keep_one": Case(
        ops=[Apply("apply-one", {"listOfLists": [{"name": "a"}, {"name": "b", "value": ["c"]}]}),
             Apply("apply-two", {"listOfLists": [{"name": "a", "value": ["b"]}]}),
             Update("controller", {"listOfLists": [{"name": "a", "value": ["b"]}, {"name": "b", "value": ["c", "d"]}]}),
             Apply("apply-one", {"listOfLists": [{"name": "a"}]})],
        result={"listOfLists": [{"name": "a", "value": ["b"]}]},
        managers={("apply-one", "Apply"): {'.listOfLists[name="a"]', '.listOfLists[name="a"].name'},
                  ("apply-two", "Apply"): {'.listOfLists[name="a"]', '.listOfLists[name="a"].name',
                                           '.listOfLists[name="a"].value[="b"]'}},
    ),
    # multiple_appliers_test.go, TestMultipleAppliersFieldUnsetting (one version)
    "struct_unset_scalar_sole_owner": Case(
        ops=[Apply("apply-one", {"struct": {"name": "a", "scalarField": "a"}}),
             Apply("apply-one", {"struct": {"name": "a"}})],
        result={"struct": {"name": "a"}},
        managers={("apply-one", "Apply"): {".struct.name"}},
    ),
    "struct_unset_scalar_shared_with_applier": Case(
        ops=[Apply("apply-one", {"struct": {"name": "a", "scalarField": "a"}}),
             Apply("apply-two", {"struct": {"scalarField": "a"}}),
             Apply("apply-one", {"struct": {"name": "a"}})],
        result={"struct": {"name": "a", "scalarField": "a"}},
        managers={("apply-one", "Apply"): {".struct.name"}, ("apply-two", "Apply"): {".struct.scalarField"}},
    ),
    "struct_unset_scalar_shared_with_updater": Case(
        ops=[Update("updater", {"struct": {"name": "a", "scalarField": "a"}}),
             Apply("applier", {"struct": {"name": "a", "scalarField": "a"}}),
             Apply("applier", {"struct": {"name": "a"}})],
        result={"struct": {"name": "a", "scalarField": "a"}},
        managers={("updater", "Update"): {".struct", ".struct.name", ".struct.scalarField"},
                  ("applier", "Apply"): {".struct.name"}},
    ),
    "struct_updater_claims_field": Case(
        ops=[Apply("applier", {"struct": {"name": "a", "scalarField": "a"}}),
             Update("updater", {"struct": {"name": "a", "scalarField": "b"}})],
        result={"struct": {"name": "a", "scalarField": "b"}},
        managers={("updater", "Update"): {".struct.scalarField"}, ("applier", "Apply"): {".struct.name"}},
    ),
    "struct_unset_complex_sole_owner": Case(
        ops=[Apply("apply-one", {"struct": {"name": "a", "complexField": {"name": "b"}}}),
             Apply("apply-one", {"struct": {"name": "a"}})],
        result={"struct": {"name": "a"}},
        managers={("apply-one", "Apply"): {".struct.name"}},
    ),
    "struct_unset_complex_shared_with_applier": Case(
        ops=[Apply("apply-one", {"struct": {"name": "a", "complexField": {"name": "b"}}}),
             Apply("apply-two", {"struct": {"complexField": {"name": "b"}}}),
             Apply("apply-one", {"struct": {"name": "a"}})],
        result={"struct": {"name": "a", "complexField": {"name": "b"}}},
        managers={("apply-one", "Apply"): {".struct.name"}, ("apply-two", "Apply"): {".struct.complexField.name"}},
    ),
    # nested_test.go: structs emptied, left dangling, or taken over
    "struct_apply_remove_all": Case(
        ops=[Apply("default", {"struct": {"name": "a", "scalarField": "1"}}), Apply("default", {})],
        result={},
        managers={},
    ),
    "struct_apply_update_dict_dangling": Case(
        ops=[Apply("default", {"struct": {"name": "a"}}),
             Update("controller", {"struct": {"name": "a", "scalarField": "1"}}),
             Apply("default", {"struct": {}})],
        result={"struct": {"scalarField": "1"}},
        managers={("default", "Apply"): {".struct"}, ("controller", "Update"): {".struct.scalarField"}},
    ),
    "struct_apply_update_took_over": Case(
        ops=[Apply("default", {"struct": {"name": "a"}}),
             Update("controller", {"struct": {"name": "b", "scalarField": "1"}}),
             Apply("default", {"struct": None})],
        result={"struct": {"name": "b", "scalarField": "1"}},
        managers={("default", "Apply"): {".struct"}, ("controller", "Update"): {".struct.name", ".struct.scalarField"}},
    ),
    # TestMultipleApplierAtomicMaps: an atomic map is one leaf, forcing takes it whole
    "atomic_map_force": Case(
        ops=[Apply("apply-one", {"atomicMap": {"a": "1", "b": "2"}}),
             Apply("apply-two", {"atomicMap": {"a": "1"}}, conflicts={('"apply-one"', ".atomicMap")}),
             Apply("apply-two", {"atomicMap": {"a": "1"}}, force=True)],
        result={"atomicMap": {"a": "1"}},
        managers={("apply-two", "Apply"): {".atomicMap"}},
    ),
    "atomic_list_replaced_whole": Case(
        ops=[Apply("apply-one", {"plain": ["a", "b"]}),
             Update("controller", {"plain": ["a", "b", "c"]}),
             Apply("apply-one", {"plain": ["x"]}, conflicts={('"controller" using smd.deploykit.test/v1', ".plain")})],
        result={"plain": ["a", "b", "c"]},
        managers={("controller", "Update"): {".plain"}},
    ),
    # default_keys_test.go: an omitted key with a default is filled into the key, not owned
    "default_key_filled_not_owned": Case(
        ops=[Apply("apply-one", {"ports": [{"port": 80, "name": "http"}]})],
        result={"ports": [{"port": 80, "name": "http"}]},
        managers={("apply-one", "Apply"): {'.ports[port=80,protocol="TCP"]', '.ports[port=80,protocol="TCP"].port',
                                           '.ports[port=80,protocol="TCP"].name'}},
    ),
    "default_key_conflicts_with_explicit_key": Case(
        ops=[Apply("apply-one", {"ports": [{"port": 80, "name": "http"}]}),
             Apply("apply-two", {"ports": [{"port": 80, "protocol": "TCP", "name": "web"}]},
                   conflicts={('"apply-one"', '.ports[port=80,protocol="TCP"].name')})],
        result={"ports": [{"port": 80, "name": "http"}]},
        managers={("apply-one", "Apply"): {'.ports[port=80,protocol="TCP"]', '.ports[port=80,protocol="TCP"].port',
                                           '.ports[port=80,protocol="TCP"].name'}},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_smd_merge_case(name: str) -> None:
    """A structured-merge-diff scenario ends with the same object and the same owners as in SMD."""
    case = CASES[name]
    live = _run(case)
    assert _content(live) == case.result
    assert _managers(live) == case.managers
