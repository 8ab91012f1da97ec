"""report.json against its published JSON Schema (docs/report.schema.json)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest

from deploykit.report import jsonfile, model
from tests.unit.report import samples

SCHEMA = json.loads((Path(__file__).parents[3] / "docs" / "report.schema.json").read_text())


@pytest.mark.parametrize("report", [
    samples.rolled_back(), samples.succeeded(), dataclasses.replace(samples.succeeded(), releases=[]),
], ids=["rolled-back", "success", "no-releases"])
def test_produced_reports_validate_against_the_schema(report):
    """CI tools validating report.json with the published schema accept what deploykit writes."""
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(jsonfile.render(report)))


def test_schema_rejects_an_unknown_status():
    """The schema holds the stage status to its five values, so a consumer can switch on them."""
    data = json.loads(jsonfile.render(samples.succeeded())) | {"status": "ok"}
    assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(data)


def test_schema_lists_every_field_the_model_has():
    """A field added to the model without the schema fails here instead of in a consumer's CI."""
    for name, cls in (("release", model.ReleaseReport), ("object", model.ObjectReport), ("hook", model.HookReport),
                      ("failure", model.FailureReport), ("rollback", model.RollbackReport), ("ci", model.CiJob)):
        fields = {field.name for field in dataclasses.fields(cls)}
        assert set(SCHEMA["$defs"][name]["properties"]) == {model.json_name(field) for field in fields}, name
    assert set(SCHEMA["properties"]) == {model.json_name(field.name) for field in dataclasses.fields(model.StageReport)}


def test_report_json_is_stable_bytes():
    """The same report always gives the same bytes, so its signature is reproducible."""
    assert jsonfile.render(samples.rolled_back()) == jsonfile.render(samples.rolled_back())
