"""Custom resources checked against the chart's own CRDs' openAPIV3Schema."""

import pytest

from deploykit.charts import checking, customresources, problems
from deploykit.charts.manifests import Manifest

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com", "scope": "Namespaced",
        "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
        "versions": [
            {"name": "v1alpha1", "served": False, "storage": False,
             "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}},
            {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": {
                        "type": "object", "required": ["size"],
                        "properties": {
                            "size": {"type": "integer", "minimum": 1, "maximum": 10},
                            "color": {"type": "string", "enum": ["red", "blue"]},
                            "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8},
                            "port": {"x-kubernetes-int-or-string": True},
                            "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
                            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                            "note": {"type": "string", "nullable": True},
                            "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                                         "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}},
                        },
                    },
                    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                },
            }}},
        ],
    },
}


def widget(spec, api_version="example.com/v1"):
    return {"apiVersion": api_version, "kind": "Widget", "metadata": {"name": "w", "labels": {"a": "b"}}, "spec": spec}


def findings(obj):
    return customresources.collect([Manifest(obj=CRD, template="app/crds/widget.yaml")]).findings(obj)


def test_a_custom_resource_that_follows_its_crd_has_no_findings():
    """Every valid custom resource of a chart would fail to render."""
    spec = {"size": 3, "color": "red", "name": "abc", "port": "http", "tags": ["x"], "labels": {"k": "v"},
            "extra": {"anything": {"goes": 1}}, "note": None,
            "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}}}
    assert findings(widget(spec)) == []


@pytest.mark.parametrize(("spec", "expected"), [
    ({"size": "3"}, [(("spec", "size"), "must be of type integer, not string")]),
    ({}, [(("spec",), "'size' is required")]),
    ({"size": 3, "colour": "red"}, [(("spec", "colour"), "unknown field")]),
    ({"size": 3, "color": "green"}, [(("spec", "color"), "must be one of 'red', 'blue'")]),
    ({"size": 11}, [(("spec", "size"), "must be at most 10")]),
    ({"size": 0}, [(("spec", "size"), "must be at least 1")]),
    ({"size": 3, "name": "ABC"}, [(("spec", "name"), "does not match the pattern '^[a-z]+$'")]),
    ({"size": 3, "name": "abcdefghi"}, [(("spec", "name"), "must be at most 8 characters long")]),
    ({"size": 3, "port": True}, [(("spec", "port"), "must be of type integer or string, not boolean")]),
    ({"size": 3, "tags": ["a", 2]}, [(("spec", "tags", 1), "must be of type string, not number")]),
    ({"size": 3, "tags": ["a", "b", "c"]}, [(("spec", "tags"), "must have at most 2 items")]),
    ({"size": 3, "labels": {"k": 1}}, [(("spec", "labels", "k"), "must be of type string, not number")]),
])
def test_each_way_a_custom_resource_breaks_its_crd_is_named_with_its_path(spec, expected):
    """A wrong custom resource would be pruned or refused by the API server halfway through the apply."""
    assert findings(widget(spec)) == expected


def test_a_version_the_crd_does_not_serve_is_a_finding():
    """A custom resource of an unserved version would fail at apply with "no matches for kind"."""
    (found,) = findings(widget({"size": 1}, api_version="example.com/v1alpha1"))
    assert found == (("apiVersion",), "the chart's CRD widgets.example.com (app/crds/widget.yaml) does not serve "
                                      "v1alpha1 of Widget; it serves example.com/v1")


def test_lint_reports_the_custom_resource_problem_at_its_template_line():
    """A custom resource problem would not say which template and line to fix."""
    crd = Manifest(obj=CRD, template="app/crds/widget.yaml")
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n  colour: red\n"
    cr = Manifest(obj=widget({"size": 3, "colour": "red"}), template="app/templates/widget.yaml", line=1, text=text)
    (found,) = checking.api_problems(cr, kube_version="v1.37.0", custom_kinds=checking.custom_kinds([crd]),
                                     crds=customresources.collect([crd]))
    assert (found.level, found.file, found.line) == (problems.ERROR, "app/templates/widget.yaml", 7)
    assert found.message == "Widget w: spec.colour: unknown field"


def test_a_crd_without_a_schema_accepts_anything():
    """A CRD without a schema (apiextensions v1beta1 style) would have every custom resource refused."""
    crd = {**CRD, "spec": {**CRD["spec"], "versions": [{"name": "v1", "served": True, "storage": True}]}}
    assert customresources.collect([Manifest(obj=crd, template="x")]).findings(widget({"colour": 1})) == []


@pytest.mark.parametrize(("schema", "value", "expected"), [
    ({"type": "object", "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
      "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
     {}, [((), "must match at least one of 2 alternatives (anyOf)")]),
    ({"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
      "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
     {"a": "x", "b": "y"}, [((), "must match exactly one of 2 alternatives (oneOf); it matches 2")]),
    ({"type": "string", "allOf": [{"minLength": 2}, {"maxLength": 3}]}, "abcd", [((), "must be at most 3 characters long")]),
    ({"type": "string", "not": {"enum": ["root"]}}, "root", [((), "matches a schema it must not match (not)")]),
    ({"type": "integer", "minimum": 1, "exclusiveMinimum": True}, 1, [((), "must be above 1")]),
    ({"type": "array", "uniqueItems": True, "items": {"type": "string"}}, ["a", "a"], [((), "must not hold the same item twice")]),
])
def test_structural_schema_rules_beyond_types_are_checked(schema, value, expected):
    """A CRD's anyOf / oneOf / not / exclusive bounds would be ignored until the API server refused the object."""
    from deploykit.charts import validating

    assert validating.errors_of(value, schema, closed=True) == expected


def test_custom_resources_checked_one_after_another_keep_their_own_findings():
    """Plans read from the CRD for the first custom resource would pass a broken one checked after it."""
    definitions = customresources.collect([Manifest(obj=CRD, template="app/crds/widget.yaml")])
    assert definitions.findings(widget({"size": 3, "labels": {"k": "v"}})) == []
    read = len(definitions.plans)
    assert definitions.findings(widget({"size": 3, "labels": {"k": 1}, "colour": "red"})) == [
        (("spec", "colour"), "unknown field"), (("spec", "labels", "k"), "must be of type string, not number")]
    assert definitions.findings(widget({"size": 3, "labels": {"k": "v"}})) == []
    assert len(definitions.plans) == read  # the schema read once, not once per custom resource
