"""Values YAML read with PyYAML: composed to nodes (which keep their lines), then built by hand.

Owns what `loading` says of YAML: duplicate keys caught with their path and
line, plain scalars typed by Helm's rule (`deploykit.yamlscalars`), `<<`
merges in Helm's order, the documents of a file merged in order, unknown
tags, infinities and NaN refused, surprising plain scalars noted for lint.
A module of its own so that a process that reads no values file (a
`template` of a chart, whose values.yaml the chart loader reads) never
imports PyYAML. Must not: read files (`loading` does).
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import yaml

from deploykit import errors, yamlscalars
from deploykit.values import loading, paths
from deploykit.values.layers import Surprise

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


def parse(text: str, *, source: str, secret: bool) -> tuple[dict[str, Any], tuple[Surprise, ...]]:
    _refuse_deep_flow_nesting(text, source=source)
    loader = _Loader(text)
    builder = _Builder(loader, source=source, text=text, secret=secret)
    merged: dict[str, Any] = {}
    try:
        # Every document, merged in order (Helm's LoadValues); an empty one (a trailing `---`) adds nothing.
        while loader.check_node():
            node = loader.get_node()
            data = loading.top_level(builder.build(node, ()), source=source, line=node.start_mark.line)
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
    if text.count("[") + text.count("{") <= loading.MAX_DEPTH:
        return
    brackets = _NOT_BRACKETS.sub("", text)
    steps = (1 if char in "[{" else -1 for char in brackets)
    if max(itertools.accumulate(steps), default=0) <= loading.MAX_DEPTH:
        return
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > loading.MAX_DEPTH:
            line = text.count("\n", 0, match.start())
            raise errors.ValuesError(f"{source}:{line + 1}: nested deeper than {loading.MAX_DEPTH} levels of [ ] or {{ }}")


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
        if self.count > loading.MAX_NODES:
            self.fail(node, f"expands to more than {loading.MAX_NODES:,} values through aliases", ())
        if node.tag not in _KNOWN_TAGS:
            self.fail(node, f"unknown YAML tag {_short_tag(node.tag)}", path,
                      hint="remove the tag: Helm would silently drop it and read the value without it")
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node, path)
            if not isinstance(value, loading.SCALAR_TYPES):
                self.fail(node, f"{_short_tag(node.tag)} values are not supported", path)
            return value
        if len(path) > loading.MAX_DEPTH:
            self.fail(node, f"nested deeper than {loading.MAX_DEPTH} levels (a recursive anchor?)", ())
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
        message += loading.snippet(self.text, mark.line, mark.column, secret=self.secret)
        raise errors.ValuesError(message, hint=hint)


_YAML_SYNTAX_HINT = ("fix the YAML at the marked position: quote a value that holds `: ` or ` #`, or starts with "
               "one of `{ [ * & ! % @`")


def _yaml_error(exc: yaml.MarkedYAMLError, *, source: str, text: str, secret: bool) -> errors.ValuesError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    hint = _YAML_SYNTAX_HINT
    if "'\\t'" in problem or (mark is not None and "\t" in loading.source_line(text, mark.line)[: mark.column + 1]):
        hint = "YAML does not allow tabs for indentation: indent with spaces"
    if mark is None:
        return errors.ValuesError(f"{source}: invalid YAML: {problem}", hint=hint)
    context = ""
    if exc.context and exc.context_mark is not None and exc.problem:
        context = f" ({exc.context} on line {exc.context_mark.line + 1})"
    message = f"{source}:{mark.line + 1}:{mark.column + 1}: invalid YAML: {problem}{context}"
    return errors.ValuesError(message + loading.snippet(text, mark.line, mark.column, secret=secret), hint=hint)


def line_of(text: str, path: tuple) -> int | None:
    """`loading.line_of`: the 0-based line where `path` is written in YAML or JSON `text`, or None when it cannot be found."""
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


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag
