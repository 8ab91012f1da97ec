"""Loading values: YAML and JSON text into a `ValuesLayer`, with errors that point at the line.

Owns parsing values files and text (decrypted sops output arrives as text and
never touches disk) and checking that the result is plain JSON-like data with
a mapping at the top. Must not merge, decrypt or validate against a schema.

Plain block YAML without surprises (most values files) is read by
`deploykit.blockyaml`, without PyYAML; the rest (in `yamlreading`) with
the C parser when PyYAML has it, composed to nodes (which
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

import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from deploykit import blockyaml, errors
from deploykit.values import paths
from deploykit.values.layers import ValuesLayer

# Alias expansion can turn a small file into billions of nodes ("billion laughs").
MAX_NODES = 1_000_000
MAX_DEPTH = 200
# Far above any real values file (a release's objects must fit etcd's 1.5 MiB each); stops /dev/zero and runaway pipes.
MAX_FILE_BYTES = 20 * 1024 * 1024
_SNIPPET_WIDTH = 160

SCALAR_TYPES = (str, int, float, bool, type(None))


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
    text = text.lstrip("\ufeff")
    data = _read_plain_block(text, secret=secret)
    if data is not None:
        return ValuesLayer(data=data, source=source, secret=secret)
    from deploykit.values import yamlreading  # PyYAML: loaded only for YAML the block reader leaves to it

    data, surprises = yamlreading.parse(text, source=source, secret=secret)
    return ValuesLayer(data=data, source=source, secret=secret, surprises=() if secret else surprises)


def _read_plain_block(text: str, *, secret: bool) -> dict[str, Any] | None:
    """A values file of plain block YAML read by deploykit's own reader, or None when PyYAML must read it: for
    anything that reader refuses (a key twice among them), anything the PyYAML path would refuse or note (a top
    level that is not a mapping, too deep, too many values, a plain scalar whose Helm type may surprise)."""
    if len(text) > MAX_NODES:  # each value takes two characters at least: fewer than MAX_NODES values
        return None
    data, surprising = blockyaml.read(text, surprises=not secret)
    if data is None:
        return {}  # nothing but comments and blank lines
    if type(data) is not dict or _deeper_than(data, MAX_DEPTH) or surprising:
        return None
    return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether a list or mapping sits deeper than `limit` levels in `data`."""
    pending = [(data, 0)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def load_mapping(data: Mapping, *, source: str, secret: bool = False) -> ValuesLayer:
    """Wrap an in-memory mapping (checked to be JSON-like and copied) as a layer."""
    if not isinstance(data, Mapping):
        raise errors.ValuesError(f"{source}: values must be a mapping, got {describe(data)}")
    return ValuesLayer(data=_checked_copy(data, (), source=source), source=source, secret=secret)


def line_of(text: str, path: tuple) -> int | None:
    """The 0-based line where `path` is written in YAML or JSON `text`, or None when it cannot be found."""
    from deploykit.values import yamlreading

    return yamlreading.line_of(text, path)


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
        load_text(text, source=source, secret=secret)
        raise errors.ValuesError(f"{source}: a mapping holds the same key twice") from None
    except json.JSONDecodeError as exc:
        message = f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
        raise errors.ValuesError(message + snippet(text, exc.lineno - 1, exc.colno - 1, secret=secret),
                                 hint="fix the JSON at the marked position: a trailing comma, a missing quote or "
                                      "comma are the usual causes") from exc
    except RecursionError as exc:
        raise errors.ValuesError(f"{source}: JSON nested too deeply") from exc
    return top_level(data, source=source, line=0)


# --- shared -----------------------------------------------------------------------------------


def top_level(data: Any, *, source: str, line: int) -> dict[str, Any]:
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
    if isinstance(value, SCALAR_TYPES):
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


def source_line(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def snippet(text: str, line: int, column: int, *, secret: bool) -> str:
    """The offending line with a caret under the column (0-based), for error messages; nothing of a secret."""
    if secret:
        return "\n    (the line is not shown: the source is secret)"
    content = source_line(text, line)
    if not content.strip():
        return ""
    if len(content) > _SNIPPET_WIDTH:
        start = max(0, min(column - _SNIPPET_WIDTH // 2, len(content) - _SNIPPET_WIDTH))
        content, column = content[start : start + _SNIPPET_WIDTH], column - start
    number = str(line + 1)
    pad = " " * len(number)
    return f"\n    {number} | {content.expandtabs(1)}\n    {pad} | {' ' * column}^"
