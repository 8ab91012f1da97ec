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
