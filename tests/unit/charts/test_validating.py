"""charts.validating: the plans read from schemas once must give the same verdicts as reading them every time."""

import pytest

from deploykit.charts import validating


def test_a_plans_dict_shared_between_schemas_keeps_each_schemas_own_rules():
    """A cached reading of one schema applied to another would pass objects Kubernetes refuses (or refuse good ones)."""
    plans: dict = {}
    numbers = {"type": "object", "properties": {"port": {"type": "integer", "maximum": 65535}}}
    names = {"type": "object", "properties": {"port": {"type": "string", "pattern": "^[a-z]+$"}}}
    assert validating.errors_of({"port": 70000}, numbers, plans=plans) == [(("port",), "must be at most 65535")]
    assert validating.errors_of({"port": "http"}, names, plans=plans) == []
    assert validating.errors_of({"port": "http"}, numbers, plans=plans) == [(("port",), "must be of type integer, not string")]
    assert len(plans) == 4  # one reading per schema met, kept for the next object


@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        ({"type": ["string", "null"]}, "web", []),
        ({"type": ["string", "null"]}, None, []),
        ({"type": ["object", "null"]}, 3, [((), "must be of type object, not number")]),
        ({"type": "array"}, {"a": 1}, [((), "must be of type array, not object")]),
        ({"type": "string"}, True, [((), "must be of type string, not boolean")]),
        ({"type": ["integer", "null"]}, 2.0, []),
        ({"x-kubernetes-int-or-string": True}, 1.5, [((), "must be of type integer or string, not number")]),
    ],
)
def test_type_checks_read_from_a_plan_keep_their_verdicts(schema, value, expected):
    """A faster type test that drifted from JSON Schema's types would let a wrongly typed field reach the API server."""
    assert validating.errors_of(value, schema, plans={}) == expected


def test_fields_of_known_scalar_schemas_are_passed_without_walking_them(monkeypatch):
    """Every render would spend a call of the schema walk on each string and number of each object (most of them)."""
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
              "additionalProperties": {"type": "boolean"}}
    plans: dict = {}
    assert validating.errors_of({"name": "web", "port": 80, "on": True}, schema, plans=plans) == []  # reads the plans
    walked = []
    check = validating._check
    monkeypatch.setattr(validating, "_check", lambda value, *args: walked.append(value) or check(value, *args))
    assert validating.errors_of({"name": "api", "port": 81, "off": False}, schema, plans=plans) == []
    assert walked == [{"name": "api", "port": 81, "off": False}]


FIELDS = {
    "port": {"type": "integer", "maximum": 65535},
    "count": {"type": "integer"},
    "ratio": {"type": "number"},
    "name": {"type": "string", "pattern": "^[a-z]+$"},
    "mode": {"type": "string", "enum": ["a", "b"]},
    "flag": {"type": "boolean"},
    "size": {"x-kubernetes-int-or-string": True},
    "note": {"type": "string", "nullable": True},
    "ref": {"$ref": "#/$defs/Text"},
}


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("port", 70000, "must be at most 65535"),
    ("count", True, "must be of type integer, not boolean"),
    ("count", 2.5, "must be of type integer, not number"),
    ("count", 2.0, None),
    ("ratio", 1, None),
    ("ratio", "1", "must be of type number, not string"),
    ("name", "Web", "does not match the pattern '^[a-z]+$'"),
    ("mode", "c", "must be one of 'a', 'b'"),
    ("flag", 1, "must be of type boolean, not number"),
    ("size", 1.5, "must be of type integer or string, not number"),
    ("size", "1Gi", None),
    ("note", None, None),
    ("ref", 3, "must be of type string, not number"),
    ("ref", "x", None),
])
def test_fields_passed_without_a_walk_keep_their_verdicts(field, value, expected):
    """A scalar skipped by the walk that its schema refuses would reach the API server (or a good one be refused)."""
    schema = {"type": "object", "properties": FIELDS}
    defs = {"Text": {"type": "string"}}
    plans: dict = {}
    warm = {name: "a" if FIELDS[name].get("type") == "string" or name in ("ref", "note", "size") else 1 for name in FIELDS}
    warm["flag"], warm["ratio"] = True, 1.5
    assert validating.errors_of(warm, schema, defs=defs, plans=plans) == []  # every field's plan read once
    assert validating.errors_of({field: value}, schema, defs=defs, plans=plans) == ([] if expected is None else [((field,), expected)])


def test_a_field_plan_read_under_one_set_of_definitions_is_not_reused_under_another():
    """A field's `$ref` followed once would send later objects to another kind's definition of the same name."""
    plans: dict = {}
    schema = {"type": "object", "properties": {"size": {"$ref": "#/$defs/Size"}}}
    text, number = {"Size": {"type": "string"}}, {"Size": {"type": "integer"}}
    assert validating.errors_of({"size": 1}, schema, defs=text, plans=plans) == [(("size",), "must be of type string, not number")]
    assert validating.errors_of({"size": 1}, schema, defs=number, plans=plans) == []
    assert validating.errors_of({"size": 1}, schema, defs=text, plans=plans) == [(("size",), "must be of type string, not number")]


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("limits", {"cpu": "1", "memory": "too long"}, (("limits", "memory"), "must be at most 4 characters long")),
    ("limits", {"cpu": 1}, (("limits", "cpu"), "must be of type string, not number")),
    ("tags", {"a": "x", "b": "y"}, (("tags",), "must have at most 1 fields")),
    ("mode", {"kind": "b"}, (("mode",), "must match at least one of 1 alternatives (anyOf)")),
    ("env", [{"name": "A"}, {"value": "x"}], (("env", 1), "'name' is required")),
    ("ports", [80, 70000], (("ports", 1), "must be at most 65535")),
])
def test_maps_and_nested_objects_walked_plan_to_plan_keep_their_checks(field, value, expected):
    """A map value or nested object passed on the fast path unchecked would reach the API server as it is."""
    schema = {"type": "object", "properties": {
        "limits": {"type": "object", "additionalProperties": {"$ref": "#/$defs/Short"}},
        "tags": {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}},
        "mode": {"type": "object", "anyOf": [{"properties": {"kind": {"enum": ["a"]}}}]},
        "env": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}},
        "ports": {"type": "array", "items": {"type": "integer", "maximum": 65535}},
    }}
    defs = {"Short": {"type": "string", "maxLength": 4}}
    plans: dict = {}
    warm = {"limits": {"cpu": "1"}, "tags": {"a": "x"}, "mode": {"kind": "a"}, "env": [{"name": "A"}], "ports": [80]}
    assert validating.errors_of(warm, schema, defs=defs, plans=plans) == []  # every plan read and linked once
    assert validating.errors_of({field: value}, schema, defs=defs, plans=plans) == [expected]
