"""The filters and functions chart templates can call (documented in docs/charts.md).

Owns the helper set on top of Jinja2's built-ins: filters `to_yaml`,
`to_json`, `from_yaml`, `from_json`, `b64enc`, `b64dec`, `sha256sum`,
`nindent`, `quote`, `squote`, `required`, `trunc`, `to_string`; functions
`include`, `tpl`, `fail`, `semver_compare`. Also the exceptions a template
raises on purpose (`required`, `fail`, include cycles, paths outside the
chart), which rendering turns into `RenderError`s naming template and line.

Must not: read files (`include` goes through the environment's loader, which
holds the chart in memory), or produce output that differs between runs
(no random or time functions: a plan must be reproducible).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import hashlib
import json
import math
from typing import Any

import jinja2
from deploykit.charts import yamlcodec
from deploykit.charts.context import TemplateInfo, ValuesDict, find_values_path
from deploykit.frozen import frozen

INCLUDE_STACK = "_deploykit_include_stack"
_TPL_SOURCES = "deploykit_tpl_sources"


class TemplateFailure(jinja2.TemplateError):
    """A template stopped on purpose, or asked for something it may not have."""


class RequiredValueError(TemplateFailure):
    """`required(msg)` met an empty value; the message is the chart author's."""


class FailCalled(TemplateFailure):
    """The template called `fail(msg)`."""


def _text(value: Any) -> str:
    """A value as Helm's text functions see it: true/false lower-case, null as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_yaml(value: Any) -> str:
    """YAML without the trailing newline, as Helm's toYaml."""
    if isinstance(value, dict):
        flat = yamlcodec.flat_mapping(value)
        if flat is not None:
            return flat
    text = yamlcodec.dump(value)
    if text.endswith("\n...\n"):
        text = text[:-5]
    return text.rstrip("\n")


def to_json(value: Any, indent: int | None = None) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":"), allow_nan=False)
    except ValueError:
        # Python would write `Infinity` / `NaN`, which no JSON reader takes; Helm's toJson fails here too.
        path, number = _non_finite(value, "") or ("", math.inf)
        what = "NaN" if math.isnan(number) else "infinite"
        raise TemplateFailure(f"to_json: the value{' at ' + path if path else ''} is {what}, which JSON cannot hold") from None


def _non_finite(value: Any, path: str) -> tuple[str, float] | None:
    """(path such as `.a.b[0]`, number) of the first infinite or NaN number in `value`, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, item in items:
        found = _non_finite(item, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}")
        if found:
            return found
    return None


def from_yaml(text: str) -> Any:
    try:
        return yamlcodec.load(str(text))
    except yamlcodec.YAMLError as exc:
        raise TemplateFailure(f"from_yaml: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None


def from_json(text: str) -> Any:
    try:
        return json.loads(str(text))
    except json.JSONDecodeError as exc:
        raise TemplateFailure(f"from_json: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def b64enc(value: Any) -> str:
    data = value if isinstance(value, bytes) else _text(value).encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def b64dec(value: Any) -> str:
    try:
        return base64.b64decode(_text(value), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise TemplateFailure("b64dec: the value is not base64 of UTF-8 text") from None


def sha256sum(value: Any) -> str:
    data = value if isinstance(value, bytes) else _text(value).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def nindent(value: Any, width: int = 2) -> str:
    """A newline, then every line indented by `width` (blank lines stay empty)."""
    lines = (value if type(value) is str else _text(value)).split("\n")
    if all(map(str.strip, lines)):  # no blank line (the usual case): one join, all in C
        separator = "\n" + " " * width
        return separator + separator.join(lines)
    pad = " " * width
    return "\n" + "\n".join(pad + line if line.strip() else line for line in lines)


def quote(value: Any) -> str:
    """A double-quoted YAML/JSON string (escapes included), whatever the value's type."""
    text = value if type(value) is str else _text(value)
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'  # nothing JSON escapes (quotes, backslashes, control characters): json.dumps' own result
    return json.dumps(text, ensure_ascii=False)


def squote(value: Any) -> str:
    return "'" + _text(value).replace("'", "''") + "'"


def required(value: Any, message: str = "a required value is missing") -> Any:
    """`Values.x | required("why")`: the value, unless it is missing, null or empty."""
    if isinstance(value, jinja2.Undefined) or value is None or value == "":
        raise RequiredValueError(str(message))
    return value


def trunc(value: Any, length: int) -> str:
    """The first `length` characters (the last ones when negative), as Helm's trunc."""
    text = _text(value)
    return text[:length] if length >= 0 else text[length:]


def fail(message: str) -> None:
    raise FailCalled(str(message))


def semver_compare(constraint: str, version: Any) -> bool:
    """`semver_compare(">=1.25.0-0", Capabilities.KubeVersion.Version)`."""
    from deploykit.charts import constraints  # only for a chart that calls it

    try:
        return constraints.satisfies(_text(version), str(constraint))
    except ValueError as exc:
        raise TemplateFailure(f"semver_compare: {exc}") from None


@jinja2.pass_context
def include(context: jinja2.runtime.Context, name: str, **extra: Any) -> str:
    """Render another template of the chart to a string, with the caller's context."""
    environment = context.environment
    full = environment.join_path(str(name), context.name)
    stack = context.get(INCLUDE_STACK, ())
    if full in stack:
        raise TemplateFailure("include cycle: " + " -> ".join((*stack, full)))
    template = environment.get_template(full)
    variables = dict(context.get_all())
    variables.update(extra)
    variables[INCLUDE_STACK] = (*stack, full)
    variables["Template"] = TemplateInfo.of(full)
    return template.render(variables)


@jinja2.pass_context
def tpl(context: jinja2.runtime.Context, text: Any, **extra: Any) -> str:
    """Render a string (usually from values) as a template, with the caller's context.

    A failure keeps its exception, which records the string (see `tpl_sources`):
    rendering then reports a secret string by its values path, never its content.
    """
    environment = context.environment
    source = _text(text)
    try:
        # Values strings repeat across templates and renders: compile each once.
        cache = environment.tpl_cache  # type: ignore[attr-defined]
        template = cache.get(source)
        if template is None:
            if len(cache) >= 1000:
                cache.clear()
            template = cache[source] = environment.from_string(source)
        variables = dict(context.get_all())
        variables.update(extra)
        return template.render(variables)
    except Exception as exc:  # noqa: BLE001 - noted and raised again
        _note_tpl_source(exc, source, context.get("Values"))
        raise


@frozen
class TplSource:
    """A string `tpl` failed on, and the values path it came from (None for a string the template built)."""

    text: str = dataclasses.field(repr=False)  # may be a secret
    values_path: str | None


def tpl_sources(exc: BaseException) -> tuple[TplSource, ...]:
    """The strings `tpl` was rendering when `exc` was raised, innermost first."""
    return getattr(exc, _TPL_SOURCES, ())


def _note_tpl_source(exc: BaseException, source: str, values: Any) -> None:
    """Record on `exc` the string that failed (the error message may quote it: a secret must not be)."""
    path = find_values_path(values, source) if isinstance(values, ValuesDict) else None
    with contextlib.suppress(AttributeError, TypeError):
        setattr(exc, _TPL_SOURCES, (*tpl_sources(exc), TplSource(source, path)))


FILTERS = {
    "to_yaml": to_yaml,
    "to_json": to_json,
    "from_yaml": from_yaml,
    "from_json": from_json,
    "b64enc": b64enc,
    "b64dec": b64dec,
    "sha256sum": sha256sum,
    "nindent": nindent,
    "quote": quote,
    "squote": squote,
    "required": required,
    "trunc": trunc,
    "to_string": _text,
}

FUNCTIONS = {
    "include": include,
    "tpl": tpl,
    "fail": fail,
    "semver_compare": semver_compare,
}
