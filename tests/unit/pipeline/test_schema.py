"""The JSON Schema shipped for pipeline files: valid, packaged, in step with the loader and the docs."""

from __future__ import annotations

import re

import jsonschema
import yaml

from deploykit.pipeline import loading
from tests.unit.pipeline import samples


def _properties(node, found=None):
    found = set() if found is None else found
    if isinstance(node, dict):
        found.update(node.get("properties", {}))
        for value in node.values():
            _properties(value, found)
    elif isinstance(node, list):
        for value in node:
            _properties(value, found)
    return found


def test_schema_is_a_valid_draft_2020_12_schema():
    """Editors and CI tools given the schema would reject it."""
    jsonschema.Draft202012Validator.check_schema(loading.schema())


def test_demo_pipeline_validates_against_the_schema_alone():
    """An editor using the published schema would flag the demo pipeline as wrong."""
    data = yaml.safe_load((samples.REPO / "pipelines" / "demo.yaml").read_text())
    assert list(jsonschema.Draft202012Validator(loading.schema()).iter_errors(data)) == []


def test_schema_refuses_unknown_keys_everywhere():
    """A typo inside any mapping of the file would be ignored by editors using the schema."""
    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
    walk(loading.schema(), "#")


def test_every_field_of_the_schema_is_documented():
    """A field the loader accepts would be missing from docs/pipelines.md."""
    docs = (samples.REPO / "docs" / "pipelines.md").read_text()
    undocumented = sorted(name for name in _properties(loading.schema()) if not re.search(rf"`{name}`", docs))
    assert undocumented == []
