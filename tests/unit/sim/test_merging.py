"""The typed merge, field sets, comparison and removal of server-side apply.

The merge triplets (live, config, expected) follow structured-merge-diff's
typed/merge_test.go: sets keep live-only items in place and follow the
config's order for shared ones; map-lists merge per key; duplicates in the
live object collapse only where the config names them.
"""

from __future__ import annotations

import pytest

from deploykit.sim import merging, typeinfo

GROUP = "merge.deploykit.test"


def _schemas() -> typeinfo.Schemas:
    element = {"type": "object", "properties": {
        "key": {"type": "string"}, "id": {"type": "integer"}, "bv": {"type": "boolean"}, "nv": {"type": "number"},
        "value": {"type": "object", "additionalProperties": {"type": "string"}}}}
    schema = {"type": "object", "properties": {
        "setStr": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
        "setBool": {"type": "array", "items": {"type": "boolean"}, "x-kubernetes-list-type": "set"},
        "setNumeric": {"type": "array", "items": {"type": "number"}, "x-kubernetes-list-type": "set"},
        "list": {"type": "array", "items": element, "x-kubernetes-list-type": "map",
                 "x-kubernetes-list-map-keys": ["key", "id"]},
        "atomicList": {"type": "array", "items": {"type": "string"}},
        "inner": {"type": "object", "additionalProperties": {"type": "string"}},
        "numeric": {"type": "number"}, "string": {"type": "string"}, "bool": {"type": "boolean"},
    }}
    schemas = typeinfo.Schemas.fresh()
    schemas.register_crd({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                          "metadata": {"name": f"things.{GROUP}"},
                          "spec": {"group": GROUP, "names": {"kind": "Thing", "plural": "things"}, "scope": "Namespaced",
                                   "versions": [{"name": "v1", "served": True, "storage": True,
                                                 "schema": {"openAPIV3Schema": schema}}]}})
    return schemas


THING = _schemas().type_of(f"{GROUP}/v1", "Thing")

TRIPLETS = [
    ({"numeric": 1}, {"numeric": 3.14159}, {"numeric": 3.14159}),
    ({"string": "aoeu"}, {"bool": True}, {"string": "aoeu", "bool": True}),
    ({}, {"inner": {}}, {"inner": {}}),
    ({}, {"inner": None}, {"inner": None}),
    ({"inner": None}, {"inner": {}}, {"inner": {}}),
    ({"inner": {}}, {"inner": None}, {"inner": None}),
    ({"setStr": ["a", "b", "c"]}, {"setStr": ["a", "b"]}, {"setStr": ["a", "b", "c"]}),
    ({"setStr": ["a", "b", "c"]}, {"setStr": []}, {"setStr": ["a", "b", "c"]}),
    ({"setStr": []}, {"setStr": ["a", "b", "c"]}, {"setStr": ["a", "b", "c"]}),
    ({"setStr": ["a", "b"]}, {"setStr": ["b", "a"]}, {"setStr": ["b", "a"]}),
    ({"setStr": ["a", "b", "c"]}, {"setStr": ["d", "e", "f"]}, {"setStr": ["a", "b", "c", "d", "e", "f"]}),
    ({"setStr": ["a", "b", "c", "g", "f"]}, {"setStr": ["c", "d", "e", "f"]},
     {"setStr": ["a", "b", "c", "g", "d", "e", "f"]}),
    ({"setStr": ["c", "d", "e", "f"]}, {"setStr": ["a", "c", "e"]}, {"setStr": ["a", "c", "d", "e", "f"]}),
    ({"setStr": ["a", "b", "c", "x", "y", "z"]}, {"setStr": ["d", "e", "f", "x", "y", "z"]},
     {"setStr": ["a", "b", "c", "d", "e", "f", "x", "y", "z"]}),
    ({"setStr": ["c", "a", "g", "f"]}, {"setStr": ["c", "f", "a", "g"]}, {"setStr": ["c", "f", "a", "g"]}),
    ({"setStr": ["a", "b", "c", "d"]}, {"setStr": ["d", "e", "f", "a"]}, {"setStr": ["b", "c", "d", "e", "f", "a"]}),
    ({"setStr": ["c", "d", "e", "f", "g", "h", "i", "j"]}, {"setStr": ["2", "h", "3", "e", "4", "k", "l"]},
     {"setStr": ["c", "d", "f", "g", "2", "h", "i", "j", "3", "e", "4", "k", "l"]}),
    ({"setStr": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]}, {"setStr": ["1", "b", "2", "h", "3", "e", "4", "k", "l"]},
     {"setStr": ["a", "1", "b", "c", "d", "f", "g", "2", "h", "i", "j", "3", "e", "4", "k", "l"]}),
    ({"setStr": ["a", "b", "b"]}, {"setStr": ["c"]}, {"setStr": ["a", "b", "b", "c"]}),
    ({"setStr": ["a", "b", "b"]}, {"setStr": ["b"]}, {"setStr": ["a", "b"]}),
    ({"setStr": ["a", "b", "c", "d", "e", "c"]}, {"setStr": ["1", "b", "2", "c", "e", "d"]},
     {"setStr": ["a", "1", "b", "2", "c", "e", "d"]}),
    ({"setStr": ["a", "a", "b", "b"]}, {"setStr": ["b", "c", "d"]}, {"setStr": ["a", "a", "b", "c", "d"]}),
    ({"setBool": [True]}, {"setBool": [False]}, {"setBool": [True, False]}),
    ({"setNumeric": [1, 2, 3.14159]}, {"setNumeric": [1, 2, 3]}, {"setNumeric": [1, 2, 3.14159, 3]}),
    ({"list": [{"key": "a", "id": 1}, {"key": "b", "id": 1}]}, {"list": [{"key": "a", "id": 1}, {"key": "a", "id": 2}]},
     {"list": [{"key": "a", "id": 1}, {"key": "b", "id": 1}, {"key": "a", "id": 2}]}),
    ({"list": [{"key": "a", "id": 1}, {"key": "b", "id": 2}, {"key": "c", "id": 3}]},
     {"list": [{"key": "c", "id": 3}, {"key": "b", "id": 2}]},
     {"list": [{"key": "a", "id": 1}, {"key": "c", "id": 3}, {"key": "b", "id": 2}]}),
    ({"list": [{"key": "a", "id": 1}, {"key": "b", "id": 2}, {"key": "c", "id": 3}]},
     {"list": [{"key": "c", "id": 3}, {"key": "a", "id": 1}]},
     {"list": [{"key": "b", "id": 2}, {"key": "c", "id": 3}, {"key": "a", "id": 1}]}),
    ({"list": [{"key": "a", "id": 1, "bv": True}, {"key": "b", "id": 2}, {"key": "a", "id": 1, "bv": False, "nv": 2}]},
     {"list": [{"key": "a", "id": 1, "nv": 3}, {"key": "c", "id": 3}, {"key": "b", "id": 2}]},
     {"list": [{"key": "a", "id": 1, "nv": 3}, {"key": "c", "id": 3}, {"key": "b", "id": 2}]}),
    ({"list": [{"key": "a", "id": 1, "value": {"a": "a"}}]}, {"list": [{"key": "a", "id": 1, "value": {"b": "b"}}]},
     {"list": [{"key": "a", "id": 1, "value": {"a": "a", "b": "b"}}]}),
    ({"atomicList": ["a", "a", "a"]}, {"atomicList": None}, {"atomicList": None}),
    ({"atomicList": ["a", "b", "c"]}, {"atomicList": []}, {"atomicList": []}),
    ({"atomicList": ["a", "b", "c"]}, {"atomicList": ["z"]}, {"atomicList": ["z"]}),
]


@pytest.mark.parametrize(("live", "config", "expected"), TRIPLETS)
def test_merge_matches_structured_merge_diff(live, config, expected):
    """live ⊕ config gives what the real server's merge gives, order included."""
    assert merging.merge(live, config, THING) == expected


def test_field_set_of_an_object():
    """Scalars, set items, map-list items with their fields, atomic lists and empty maps are members."""
    obj = {"setStr": ["a"], "list": [{"key": "k", "id": 1, "value": {"x": "y"}}], "atomicList": ["q"], "inner": {},
           "numeric": 1}
    assert merging.field_set(obj, THING) == {
        ("f:setStr", 'v:"a"'),
        ("f:list", 'k:{"id":1,"key":"k"}'), ("f:list", 'k:{"id":1,"key":"k"}', "f:key"),
        ("f:list", 'k:{"id":1,"key":"k"}', "f:id"), ("f:list", 'k:{"id":1,"key":"k"}', "f:value", "f:x"),
        ("f:atomicList",), ("f:inner",), ("f:numeric",),
    }


def test_compare_reports_modified_added_and_removed():
    """Changed leaves are Modified, new ones (and new containers) Added, gone ones Removed."""
    result = merging.compare({"numeric": 1, "string": "s", "setStr": ["a"]},
                             {"numeric": 2, "bool": True, "list": [{"key": "k", "id": 1}]}, THING)
    assert result.modified == {("f:numeric",)}
    assert result.added == {("f:bool",), ("f:list",), ("f:list", 'k:{"id":1,"key":"k"}'),
                            ("f:list", 'k:{"id":1,"key":"k"}', "f:key"), ("f:list", 'k:{"id":1,"key":"k"}', "f:id")}
    assert result.removed == {("f:string",), ("f:setStr",), ("f:setStr", 'v:"a"')}


def test_reordering_a_set_is_not_a_change():
    """Items compare by key, so a reordered list owns nothing new."""
    assert merging.compare({"setStr": ["a", "b"]}, {"setStr": ["b", "a"]}, THING).is_same()


def test_remove_drops_members_and_leaves_emptied_containers_null():
    """Removing list items and map keys works by path; an emptied list becomes null, as in SMD."""
    obj = {"setStr": ["a", "b"], "list": [{"key": "k", "id": 1, "nv": 2}], "inner": {"x": "1"}}
    out = merging.remove(obj, frozenset({("f:setStr", 'v:"a"'), ("f:list", 'k:{"id":1,"key":"k"}'),
                                         ("f:inner", "f:x")}), THING)
    assert out == {"setStr": ["b"], "list": None, "inner": None}
    assert obj["setStr"] == ["a", "b"]


@pytest.mark.parametrize(
    ("obj", "error"),
    [
        ({"nope": 1}, ".nope: field not declared in schema"),
        ({"numeric": "one"}, ".numeric: expected numeric (int or float), got string"),
        ({"bool": "yes"}, '.bool: expected boolean, got "yes"'),
        ({"setStr": ["a", "a"]}, '.setStr: duplicate entries for key [="a"]'),
        ({"list": [{"nv": 1}]}, '.list: element 0: associative list with keys has an element that omits all key fields '
                                '["key","id"] (and doesn\'t have default values for any key fields)'),
        ({"list": ["x"]}, ".list: element 0: associative list with keys may not have non-map elements"),
    ],
    ids=["undeclared", "numeric", "boolean", "duplicate-set-item", "missing-keys", "not-a-map"],
)
def test_validation_messages_match_structured_merge_diff(obj, error):
    """An applied body that does not fit the schema is described as the real server describes it."""
    assert merging.validate(obj, THING) == [error]


def test_duplicates_are_allowed_in_live_objects():
    """A live object with duplicate keys (from an old update) still validates when duplicates are allowed."""
    assert merging.validate({"setStr": ["a", "a"]}, THING, allow_duplicates=True) == []
