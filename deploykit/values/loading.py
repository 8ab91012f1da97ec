"""Loading values: YAML and JSON text into a `ValuesLayer`, with errors that point at the line.

Owns parsing values files and text (decrypted sops output arrives as text and
never touches disk) and checking that the result is plain JSON-like data with
a mapping at the top. Must not merge, decrypt or validate against a schema.

YAML is parsed with the C parser when PyYAML has it, composed to nodes (which
keep their line numbers) and built by hand, so that duplicate keys are caught
with their path and line instead of silently keeping the last one (as Helm
does). Plain scalars are typed by Helm's rule (`deploykit.yamlscalars`:
`y` and `on` are booleans, `017` is 15, `1:30` and dates stay strings), keys
become strings as Helm spells them, a `<<` merge overrides the keys written
before it, the documents of a multi-document file are merged in order, as
Helm's LoadValues does. Unknown tags, infinities and NaN are refused (Helm
drops the tag; it refuses the others). Each plain scalar whose type may
surprise its author is noted on the layer for lint. Errors about a secret
source name the line and column but never show the line's text.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

import yaml

from deploykit import errors, yamlscalars
from deploykit.values import paths
from deploykit.values.layers import Surprise, ValuesLayer

# Alias expansion can turn a small file into billions of nodes ("billion laughs").
MAX_NODES = 1_000_000
MAX_DEPTH = 200
# Far above any real values file (a release's objects must fit etcd's 1.5 MiB each); stops /dev/zero and runaway pipes.
MAX_FILE_BYTES = 20 * 1024 * 1024
_SNIPPET_WIDTH = 160

_YAML_LOADER_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(yamlscalars.HelmResolver, _YAML_LOADER_BASE):  # type: ignore[misc, valid-type]
    """Safe loader typing plain scalars as Helm does; an explicit `!!timestamp` stays the string written."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
_HELM_TYPED_TAGS = frozenset((yamlscalars.NULL_TAG, yamlscalars.BOOL_TAG, yamlscalars.INT_TAG, yamlscalars.FLOAT_TAG))
# The tags go-yaml knows; any other (`!custom`, `!!python/...`) is refused rather than silently dropped as Helm does.
_KNOWN_TAGS = _HELM_TYPED_TAGS | {
    f"tag:yaml.org,2002:{name}" for name in ("str", "binary", "timestamp", "seq", "map", "merge")
} | {"!"}

_BRACKETS = re.compile(r"[\[\]{}]")
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SCALAR_TYPES = (str, int, float, bool, type(None))


def load_file(path: str | os.PathLike, *, secret: bool = False) -> ValuesLayer:
    """Read a YAML or JSON values file (by its `.json` suffix) into a layer named after the path."""
    source = os.fspath(path)
    try:
        if source == "-":  # as in Helm: `-f -` reads the values from stdin
            raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise errors.ValuesError(
            f"cannot read values file {source}: {exc.strerror or exc}",
            hint="check the path given with -f; relative paths are relative to the current directory",
        ) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise errors.ValuesError(f"{source}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not a values file",
                                 hint="check the path given with -f")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise errors.ValuesError(
            f"{source}: not UTF-8 text (invalid byte at offset {exc.start})",
            hint="save the values file as UTF-8",
        ) from exc
    if source.lower().endswith(".json"):
        return ValuesLayer(data=_parse_json(text, source=source, secret=secret), source=source, secret=secret)
    return load_text(text, source=source, secret=secret)


def load_text(text: str, *, source: str, secret: bool = False) -> ValuesLayer:
    """Parse YAML (or JSON) text held in memory, e.g. decrypted sops output; never touches disk."""
    data, surprises = _parse_yaml(text.lstrip("\ufeff"), source=source, secret=secret)
    return ValuesLayer(data=data, source=source, secret=secret, surprises=() if secret else surprises)


def load_mapping(data: Mapping, *, source: str, secret: bool = False) -> ValuesLayer:
    """Wrap an in-memory mapping (checked to be JSON-like and copied) as a layer."""
    if not isinstance(data, Mapping):
        raise errors.ValuesError(f"{source}: values must be a mapping, got {describe(data)}")
    return ValuesLayer(data=_checked_copy(data, (), source=source), source=source, secret=secret)


# --- YAML -------------------------------------------------------------------------------------


def _parse_yaml(text: str, *, source: str, secret: bool) -> tuple[dict[str, Any], tuple[Surprise, ...]]:
    _refuse_deep_flow_nesting(text, source=source)
    loader = _Loader(text)
    builder = _Builder(loader, source=source, text=text, secret=secret)
    merged: dict[str, Any] = {}
    try:
        # Every document, merged in order (Helm's LoadValues); an empty one (a trailing `---`) adds nothing.
        while loader.check_node():
            node = loader.get_node()
            data = _top_level(builder.build(node, ()), source=source, line=node.start_mark.line)
            merged = yamlscalars.merge_documents(merged, data)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, source=source, text=text, secret=secret) from exc
    except yaml.YAMLError as exc:
        raise errors.ValuesError(f"{source}: invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    return merged, tuple(builder.surprises)


def _refuse_deep_flow_nesting(text: str, *, source: str) -> None:
    """libyaml composes flow collections recursively in C: thousands of `[` crash the interpreter."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    brackets = _NOT_BRACKETS.sub("", text)
    steps = (1 if char in "[{" else -1 for char in brackets)
    if max(itertools.accumulate(steps), default=0) <= MAX_DEPTH:
        return
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, match.start())
            raise errors.ValuesError(f"{source}:{line + 1}: nested deeper than {MAX_DEPTH} levels of [ ] or {{ }}")


class _Builder:
    """Builds plain data from composed nodes, reporting duplicates and odd types with their path."""

    def __init__(self, loader: yaml.SafeLoader, *, source: str, text: str, secret: bool) -> None:
        self.loader = loader
        self.source = source
        self.text = text
        self.secret = secret
        self.constructors = loader.yaml_constructors
        self.count = 0
        self.surprises: list[Surprise] = []

    def build(self, node: yaml.Node, path: tuple) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            self.fail(node, f"expands to more than {MAX_NODES:,} values through aliases", ())
        if node.tag not in _KNOWN_TAGS:
            self.fail(node, f"unknown YAML tag {_short_tag(node.tag)}", path,
                      hint="remove the tag: Helm would silently drop it and read the value without it")
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node, path)
            if not isinstance(value, _SCALAR_TYPES):
                self.fail(node, f"{_short_tag(node.tag)} values are not supported", path)
            return value
        if len(path) > MAX_DEPTH:
            self.fail(node, f"nested deeper than {MAX_DEPTH} levels (a recursive anchor?)", ())
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, index)) for index, child in enumerate(node.value)]
        return self.mapping(node, path)

    def scalar(self, node: yaml.ScalarNode, path: tuple, *, key: bool = False) -> Any:
        try:
            if node.tag in _HELM_TYPED_TAGS:
                value = yamlscalars.tagged(node.tag, node.value)
            elif node.tag == _MERGE_TAG:  # `<<` anywhere but as a key is a string
                value = node.value
            else:
                constructor = self.constructors.get(node.tag) or self.constructors[None]
                value = constructor(self.loader, node)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError) as exc:
            self.fail(node, f"cannot read this {_short_tag(node.tag)} value ({type(exc).__name__})", path)
        if type(value) is float and not math.isfinite(value):
            self.fail(node, f"`{node.value}` is {'NaN' if math.isnan(value) else 'infinite'}, which JSON and Helm cannot hold",
                      path, hint="quote it if you mean the string; Helm refuses the file as it is")
        surprise = yamlscalars.node_surprise(node)
        if surprise is not None:
            if key:
                path, surprise = (*path, yamlscalars.key_text(value)), f"the key {surprise}"
            self.surprises.append(Surprise(node.start_mark.line + 1, path, surprise))
        return value

    def mapping(self, node: yaml.MappingNode, path: tuple) -> dict[str, Any]:
        result: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                # As in Helm, a `<<` sets its keys where it stands: over the keys written before it, under those after.
                result.update(self.merge_key(value_node, path))
                continue
            key = self.key(key_node, path)
            if key in lines:
                spelt = f" (`{key_node.value}` is read as {key})" if key_node.value != key else ""
                self.fail(
                    key_node,
                    f"duplicate key{spelt} (first set on line {lines[key] + 1})",
                    (*path, key),
                    hint="remove one of them: Helm would silently keep the last one",
                )
            lines[key] = key_node.start_mark.line
            result[key] = self.build(value_node, (*path, key))
        return result

    def merge_key(self, node: yaml.Node, path: tuple) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        # In `<<: [*a, *b]` the first mapping wins, so apply them last to first.
        for source_node in reversed(sources):
            if not isinstance(source_node, yaml.MappingNode):
                self.fail(source_node, "a `<<` merge key takes a mapping or a list of mappings", path)
            merged.update(self.mapping(source_node, path))
        return merged

    def key(self, node: yaml.Node, path: tuple) -> str:
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, "a mapping key must be a plain scalar, not a list or a mapping", path)
        value = self.scalar(node, path, key=True)
        # Helm turns keys into strings as sigs.k8s.io/yaml spells them: `y:` is "true", `0x1F:` is "31".
        text = yamlscalars.key_text(value)
        if text is None:
            self.fail(node, "a mapping key is null (`~`, `null` or nothing)", path, hint="Helm refuses a null key: quote it or remove it")
        return text

    def fail(self, node: yaml.Node, problem: str, path: tuple, *, hint: str | None = None) -> None:
        mark = node.start_mark
        where = f"{paths.format_path(path)}: " if path else ""
        message = f"{self.source}:{mark.line + 1}:{mark.column + 1}: {where}{problem}"
        message += snippet(self.text, mark.line, mark.column, secret=self.secret)
        raise errors.ValuesError(message, hint=hint)


_YAML_SYNTAX_HINT = ("fix the YAML at the marked position: quote a value that holds `: ` or ` #`, or starts with "
               "one of `{ [ * & ! % @`")


def _yaml_error(exc: yaml.MarkedYAMLError, *, source: str, text: str, secret: bool) -> errors.ValuesError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    hint = _YAML_SYNTAX_HINT
    if "'\\t'" in problem or (mark is not None and "\t" in _line(text, mark.line)[: mark.column + 1]):
        hint = "YAML does not allow tabs for indentation: indent with spaces"
    if mark is None:
        return errors.ValuesError(f"{source}: invalid YAML: {problem}", hint=hint)
    context = ""
    if exc.context and exc.context_mark is not None and exc.problem:
        context = f" ({exc.context} on line {exc.context_mark.line + 1})"
    message = f"{source}:{mark.line + 1}:{mark.column + 1}: invalid YAML: {problem}{context}"
    return errors.ValuesError(message + snippet(text, mark.line, mark.column, secret=secret), hint=hint)


def line_of(text: str, path: tuple) -> int | None:
    """The 0-based line where `path` is written in YAML or JSON `text`, or None when it cannot be found."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value if _key_spelling(key) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            return None
    return node.start_mark.line if node is not None else None


def _key_spelling(node: yaml.Node) -> str:
    """A key node's text as the key reads (`y:` is "true"), for finding a path in the text."""
    if isinstance(node, yaml.ScalarNode) and not node.style:
        return yamlscalars.key_text(yamlscalars.value(node.value)) or node.value
    return node.value


# --- JSON -------------------------------------------------------------------------------------


class _DuplicateKey(Exception):
    pass


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def _parse_json(text: str, *, source: str, secret: bool) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        data = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except _DuplicateKey:
        # JSON is YAML: the YAML path reports the duplicate with its path and line.
        _parse_yaml(text, source=source, secret=secret)
        raise errors.ValuesError(f"{source}: a mapping holds the same key twice") from None
    except json.JSONDecodeError as exc:
        message = f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
        raise errors.ValuesError(message + snippet(text, exc.lineno - 1, exc.colno - 1, secret=secret),
                                 hint="fix the JSON at the marked position: a trailing comma, a missing quote or "
                                      "comma are the usual causes") from exc
    except RecursionError as exc:
        raise errors.ValuesError(f"{source}: JSON nested too deeply") from exc
    return _top_level(data, source=source, line=0)


# --- shared -----------------------------------------------------------------------------------


def _top_level(data: Any, *, source: str, line: int) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise errors.ValuesError(
            f"{source}:{line + 1}: the top level of a values file must be a mapping (key: value), "
            f"got {describe(data)}",
            hint="values files look like `image:\\n  tag: \"1.2\"`",
        )
    return data


class _NotPlain(Exception):
    """A value `_plain_copy` leaves to `_checked_copy`: another type than dict, list, str, int, float, bool, None."""


_PLAIN_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain_copy(mapping: dict) -> dict:
    """`_checked_copy` of plain data, without the value paths only an error needs (chart defaults: every render)."""
    copy = {}
    for key, item in mapping.items():
        if type(key) is not str:
            raise _NotPlain
        kind = type(item)
        if kind in _PLAIN_SCALARS:
            copy[key] = item
        elif kind is dict:
            copy[key] = _plain_copy(item)
        elif kind is list:
            copy[key] = _plain_list(item)
        else:
            raise _NotPlain
    return copy


def _plain_list(items: list) -> list:
    copy = []
    for item in items:
        kind = type(item)
        if kind in _PLAIN_SCALARS:
            copy.append(item)
        elif kind is dict:
            copy.append(_plain_copy(item))
        elif kind is list:
            copy.append(_plain_list(item))
        else:
            raise _NotPlain
    return copy


def _checked_copy(value: Any, path: tuple, *, source: str) -> Any:
    if type(value) is dict and not path:
        try:
            return _plain_copy(value)
        except _NotPlain:
            pass  # a mapping type, a tuple, a non-string key or a value that is none of these: walked with paths
    if isinstance(value, Mapping):
        copy = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise errors.ValuesError(
                    f"{source}: keys must be strings, got {describe(key)} {key!r} "
                    f"under {paths.format_path(path) or 'the top level'}"
                )
            copy[key] = _checked_copy(item, (*path, key), source=source)
        return copy
    if isinstance(value, (list, tuple)):
        return [_checked_copy(item, (*path, index), source=source) for index, item in enumerate(value)]
    if isinstance(value, _SCALAR_TYPES):
        return value
    raise errors.ValuesError(
        f"{source}: {paths.format_path(path)} holds {describe(value)}, which is not a values type "
        "(string, number, boolean, null, list, mapping)"
    )


def describe(value: Any) -> str:
    """What kind of value this is, for messages: "a list", "a string", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _line(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def snippet(text: str, line: int, column: int, *, secret: bool) -> str:
    """The offending line with a caret under the column (0-based), for error messages; nothing of a secret."""
    if secret:
        return "\n    (the line is not shown: the source is secret)"
    content = _line(text, line)
    if not content.strip():
        return ""
    if len(content) > _SNIPPET_WIDTH:
        start = max(0, min(column - _SNIPPET_WIDTH // 2, len(content) - _SNIPPET_WIDTH))
        content, column = content[start : start + _SNIPPET_WIDTH], column - start
    number = str(line + 1)
    pad = " " * len(number)
    return f"\n    {number} | {content.expandtabs(1)}\n    {pad} | {' ' * column}^"
