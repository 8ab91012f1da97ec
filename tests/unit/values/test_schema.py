"""values.schema.json: every violation, located by value path, rule and source; secrets masked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deploykit import errors
from deploykit.values import loading, provenance, schema, setting
from tests.unit.values.samples import WEB, web_values

SCHEMA_FILE = "web/values.schema.json"


def _values(*layers: tuple[dict, str] | tuple[dict, str, bool]) -> provenance.Values:
    return provenance.compose([loading.load_mapping(data, source=source, secret=bool(rest) and rest[0])
                               for data, source, *rest in layers])


@pytest.fixture
def web() -> provenance.Values:
    return web_values("replicas=0,ports[1].port=70000")


@pytest.fixture
def web_schema() -> dict:
    return schema.load_schema(WEB / "values.schema.json")


def test_matching_values_give_no_violations(web_schema: dict) -> None:
    """A valid configuration would be refused."""
    values = provenance.compose([
        loading.load_file(WEB / "values.yaml"),
        setting.parse_set("db.password=a-password-long-enough-1", kind="string"),
    ])
    assert schema.validate(values, web_schema, schema_file=SCHEMA_FILE) == []
    schema.check(values, web_schema, schema_file=SCHEMA_FILE)


def test_every_violation_is_reported_not_only_the_first(web: provenance.Values, web_schema: dict) -> None:
    """The user would fix one problem per CI run instead of all at once."""
    violations = schema.validate(web, web_schema, schema_file=SCHEMA_FILE)
    found = {(violation.path, violation.rule) for violation in violations}
    assert found == {
        ("image.tag", "pattern"),
        ("replicas", "minimum"),
        ("ports[1].port", "maximum"),
        ("db.password", "minLength"),
    }


def test_a_violation_names_the_layer_that_set_the_value(web: provenance.Values, web_schema: dict) -> None:
    """The user would not know which of several values files to fix."""
    by_path = {violation.path: violation for violation in schema.validate(web, web_schema, schema_file=SCHEMA_FILE)}
    assert by_path["image.tag"].source == str(WEB / "staging.yaml")
    assert by_path["replicas"].source == "--set replicas=0,ports[1].port=70000"
    assert by_path["replicas"].message == "must be at least 1 (got 0)"
    assert by_path["replicas"].schema_file == SCHEMA_FILE


def test_a_secret_value_is_never_printed(web: provenance.Values, web_schema: dict) -> None:
    """A too-short password would be printed in the CI log."""
    with pytest.raises(errors.SchemaError) as caught:
        schema.check(web, web_schema, schema_file=SCHEMA_FILE)
    message = str(caught.value)
    assert "db.password: must have at least 20 characters (got <secret>)" in message
    assert "s3cr3t-staging-pw" not in message
    assert "s3cr3t-staging-pw" not in repr(caught.value)


@pytest.mark.parametrize(
    ("rule_schema", "value"),
    [
        ({"type": "integer"}, "hunter2"),
        ({"enum": ["a"]}, "hunter2"),
        ({"const": "a"}, "hunter2"),
        ({"pattern": "^x"}, "hunter2"),
        ({"format": "ipv4"}, "hunter2"),
        ({"not": {"type": "string"}}, "hunter2"),
        ({"anyOf": [{"type": "integer"}, {"maxLength": 1}]}, "hunter2"),
        ({"maxLength": 2}, "hunter2"),
        ({"type": "array", "uniqueItems": True}, ["hunter2", "hunter2"]),
        ({"type": "array", "contains": {"type": "integer"}}, ["hunter2"]),
    ],
)
def test_no_rule_prints_a_secret_value(rule_schema: dict, value: object) -> None:
    """Some rule's message would carry the decrypted value into the CI log."""
    values = _values(({"token": value}, "secrets.yaml", True))
    violations = schema.validate(values, {"properties": {"token": rule_schema}}, schema_file="s.json")
    assert violations
    assert all("hunter2" not in str(violation) for violation in violations)


def test_a_missing_required_key_is_reported_at_its_path() -> None:
    """The user would read "'tag' is a required property" with no idea where."""
    values = _values(({"image": {"repository": "web"}}, "values.yaml"))
    schema_ = {"properties": {"image": {"required": ["repository", "tag", "digest"]}}}
    violations = schema.validate(values, schema_, schema_file="s.json")
    assert [(v.path, v.rule, v.source) for v in violations] == [
        ("image.digest", "required", None), ("image.tag", "required", None),
    ]


def test_an_unexpected_key_is_reported_at_its_own_path() -> None:
    """A typo like `imagee:` would be reported on the parent, far from the cause."""
    values = _values(({"image": {"tag": "1"}}, "values.yaml"), ({"imagee": {"tag": "2"}}, "prod.yaml"))
    closed = {"properties": {"image": {}}, "additionalProperties": False}
    violations = schema.validate(values, closed, schema_file="s.json")
    assert [(v.path, v.rule, v.source) for v in violations] == [("imagee", "additionalProperties", "prod.yaml")]


def test_draft_7_is_the_default_as_in_helm() -> None:
    """A schema without $schema would be read with other rules than Helm uses."""
    values = _values(({"a": 1}, "v.yaml"))
    only_2020 = {"dependentRequired": {"a": ["b"]}}
    assert schema.validate(values, only_2020, schema_file="s.json") == []


def test_schema_selects_draft_2020_12() -> None:
    """A chart written for Draft 2020-12 would have its newer rules ignored."""
    values = _values(({"a": 1}, "v.yaml"))
    only_2020 = {"$schema": "https://json-schema.org/draft/2020-12/schema", "dependentRequired": {"a": ["b"]}}
    assert [v.rule for v in schema.validate(values, only_2020, schema_file="s.json")] == ["dependentRequired"]


def test_formats_are_checked() -> None:
    """An invalid IP address declared with `format: ipv4` would reach the cluster."""
    values = _values(({"loadBalancerIP": "10.0.0.300"}, "v.yaml"))
    violations = schema.validate(values, {"properties": {"loadBalancerIP": {"format": "ipv4"}}}, schema_file="s.json")
    assert [(v.path, v.message) for v in violations] == [("loadBalancerIP", 'must be a valid ipv4 (got "10.0.0.300")')]


def test_a_false_schema_rejects_everything_at_the_top() -> None:
    """A boolean schema (valid JSON Schema) would crash the checker or print every value."""
    violations = schema.validate(_values(({"a": "hunter2"}, "v.yaml")), False, schema_file="s.json")
    assert "hunter2" not in str(violations[0])
    assert [(v.path, v.rule) for v in violations] == [("", "false")]
    assert str(violations[0]).startswith("(top level):")


def test_an_unreadable_schema_file_is_named(tmp_path: Path) -> None:
    """A missing schema file would end in a bare FileNotFoundError traceback."""
    with pytest.raises(errors.SchemaError, match=r"cannot read schema .*missing.json: No such file"):
        schema.load_schema(tmp_path / "missing.json")


def test_a_schema_that_is_not_an_object_is_refused() -> None:
    """A schema file holding a list would fail later with a confusing message."""
    with pytest.raises(errors.SchemaError, match="s.json: a JSON Schema is an object, got a list"):
        schema.load_schema_text("[1, 2]", schema_file="s.json")


def test_importing_the_values_package_does_not_import_jsonschema() -> None:
    """`deploykit --help` and every command would pay for loading jsonschema."""
    code = (
        "import sys; import deploykit.values.schema, deploykit.values.provenance, deploykit.values.setting;"
        "print('jsonschema' in sys.modules, 'jinja2' in sys.modules, 'kubernetes' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False", "False"]


def test_a_pattern_python_cannot_compile_is_a_schema_error() -> None:
    """A schema regex that Python's re rejects would crash validation with re.error."""
    values = _values(({"a": "x"}, "v.yaml"))
    with pytest.raises(errors.SchemaError, match=r"s.json: not a valid JSON Schema \(Draft 7\): at properties.a.pattern"):
        schema.validate(values, {"properties": {"a": {"pattern": "[unclosed"}}}, schema_file="s.json")
