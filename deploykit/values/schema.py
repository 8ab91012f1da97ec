"""values.schema.json: load a chart's schema and report every way the values break it.

Owns schema loading (errors name the file and line), choosing the draft
(`$schema`, Draft 7 by default as in Helm), and turning jsonschema's errors
into `Violation`s that name the value path, the rule, the schema file and
the layer that set the offending value. Messages are written here from the
rule and the schema, so a secret value is never printed (`<secret>`).

jsonschema is imported inside the functions: importing this module stays
cheap for `deploykit --help`. Must not load values or charts.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.values import loading, paths
from deploykit.values.provenance import Values

_SHOWN_WIDTH = 60


@frozen
class Violation:
    """One way the values break the schema, at one value path."""

    path: str  # "image.tag", "ports[1].port"; "" for the top level
    rule: str  # the schema keyword: "type", "required", "enum", "pattern", ...; "false" for a false schema
    message: str  # what the value must be; never holds a secret value
    schema_file: str
    source: str | None  # the values file / --set that set the value; None when nothing did

    def __str__(self) -> str:
        where = self.path or "(top level)"
        origin = f", set by {self.source}" if self.source else ""
        return f"{where}: {self.message} (rule `{self.rule}` in {self.schema_file}{origin})"


def load_schema(path: str | os.PathLike) -> dict:
    """Read and check a values.schema.json; errors name the file and the line."""
    schema_file = os.fspath(path)
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise errors.SchemaError(f"cannot read schema {schema_file}: {reason}") from exc
    return load_schema_text(text, schema_file=schema_file)


def load_schema_text(text: str, *, schema_file: str) -> dict:
    """Parse and check a schema held in memory (e.g. read from a chart archive)."""
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.SchemaError(
            f"{schema_file}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
            + loading.snippet(text, exc.lineno - 1, exc.colno - 1, secret=False),
            hint="values.schema.json must be JSON (YAML is not accepted here)",
        ) from exc
    if not isinstance(schema, (dict, bool)):
        raise errors.SchemaError(f"{schema_file}: a JSON Schema is an object, got {loading.describe(schema)}")
    _validator_class(schema, schema_file=schema_file, text=text)
    return schema


def validate(values: Values, schema: Mapping | bool, *, schema_file: str) -> list[Violation]:
    """Every violation of `schema` by the values, sorted by path; empty when they match."""
    import jsonschema
    import referencing.exceptions

    cls = _validator_class(schema, schema_file=schema_file)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    found: list[Violation] = []
    try:
        for error in validator.iter_errors(values.data):
            found.extend(_violations(error, values, schema_file=schema_file))
    except (referencing.exceptions.Unresolvable, jsonschema.exceptions.SchemaError) as exc:
        raise errors.SchemaError(
            f"{schema_file}: the schema cannot be applied: {exc}",
            hint="deploykit does not fetch remote $ref schemas; inline them or use local #/definitions",
        ) from exc
    unique = dict.fromkeys(found)
    return sorted(unique, key=lambda violation: (violation.path, violation.rule, violation.message))


def check(values: Values, schema: Mapping | bool, *, schema_file: str) -> None:
    """Raise `errors.SchemaError` listing every violation; return quietly when the values match."""
    violations = validate(values, schema, schema_file=schema_file)
    if not violations:
        return
    count = len(violations)
    lines = "\n".join(f"  - {violation}" for violation in violations)
    raise errors.SchemaError(
        f"values do not match {schema_file} ({count} problem{'s' if count > 1 else ''}):\n{lines}",
        hint="change the values file or --set named with each problem (or the chart's defaults)",
    )


# --- translating jsonschema errors ------------------------------------------------------------


def _validator_class(schema: Mapping | bool, *, schema_file: str, text: str | None = None) -> Any:
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        path = tuple(exc.absolute_path)
        line = loading.line_of(text, path) if text is not None else None
        located = f"{schema_file}:{line + 1}" if line is not None else schema_file
        where = paths.format_path(path) or "the top level"
        raise errors.SchemaError(
            f"{located}: not a valid JSON Schema ({_draft_name(cls)}): at {where}: {exc.message}",
            hint="check the keyword against https://json-schema.org/understanding-json-schema/",
        ) from exc
    return cls


def _draft_name(cls: Any) -> str:
    return cls.__name__.removesuffix("Validator").replace("Draft", "Draft ")


def _violations(error: Any, values: Values, *, schema_file: str) -> list[Violation]:
    path = tuple(error.absolute_path)
    rule = "false" if error.validator is None else str(error.validator)  # a `false` (sub)schema
    if rule == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        return [
            Violation(paths.format_path((*path, name)), rule, "is required but not set", schema_file, None)
            for name in missing
        ]
    if rule in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        extras = _unexpected_keys(error.instance, error.schema, rule)
        if extras:
            return [
                _violation((*path, name), rule, "is not allowed here (the schema does not declare it)",
                           values, schema_file)
                for name in extras
            ]
    secret = values.is_secret(path)
    return [_violation(path, rule, _describe(error, secret=secret), values, schema_file)]


def _violation(path: tuple, rule: str, message: str, values: Values, schema_file: str) -> Violation:
    sources = ", ".join(origin.source for origin in values.sources_under(path)) or None
    return Violation(paths.format_path(path), rule, message, schema_file, sources)


def _unexpected_keys(instance: dict, schema: Mapping, rule: str) -> list[str]:
    declared = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    if rule == "unevaluatedProperties":
        return []  # evaluation spans subschemas; jsonschema's own message names the keys
    return [key for key in instance if key not in declared and not any(re.search(p, key) for p in patterns)]


def _describe(error: Any, *, secret: bool) -> str:
    """What the value must be, from the rule and the schema; the value itself only when not secret."""
    rule, expected, instance = error.validator, error.validator_value, error.instance
    if rule is None:
        return "is not allowed here (the schema is `false`)"
    got = " (got <secret>)" if secret else f" (got {_shown(instance)})"
    if rule == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return f"must be of type {wanted}" + (
            " (got <secret>)" if secret else f" (got {loading.describe(instance)} {_shown(instance)})"
        )
    if rule == "enum":
        return f"must be one of {', '.join(_shown(item) for item in expected)}{got}"
    if rule == "const":
        return f"must be {_shown(expected)}{got}"
    bounds = {
        "minimum": "must be at least", "maximum": "must be at most",
        "exclusiveMinimum": "must be greater than", "exclusiveMaximum": "must be less than",
        "multipleOf": "must be a multiple of",
    }
    if rule in bounds and not isinstance(expected, bool):
        return f"{bounds[rule]} {expected}{got}"
    counts = {
        "minLength": ("at least", "characters"), "maxLength": ("at most", "characters"),
        "minItems": ("at least", "items"), "maxItems": ("at most", "items"),
        "minProperties": ("at least", "keys"), "maxProperties": ("at most", "keys"),
    }
    if rule in counts:
        bound, unit = counts[rule]
        return f"must have {bound} {expected} {unit}{got}"
    if rule == "pattern":
        return f"must match the pattern {expected!r}{got}"
    if rule == "format":
        return f"must be a valid {expected}{got}"
    if rule == "uniqueItems":
        return "must not repeat items" + ("" if secret else got)
    if rule in ("anyOf", "oneOf"):
        how = "exactly one" if rule == "oneOf" else "at least one"
        return f"must match {how} of the {len(expected)} `{rule}` alternatives{got}"
    if rule == "not":
        return f"must not match the schema {_shown(expected)}{got}"
    if secret:
        return f"does not satisfy `{rule}`: {_shown(expected)} (value <secret>)"
    return error.message


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= _SHOWN_WIDTH else text[: _SHOWN_WIDTH - 3] + "..."
