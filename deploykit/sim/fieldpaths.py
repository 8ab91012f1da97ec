"""Field paths and field sets of server-side apply, and their `fieldsV1` encoding.

Owns the vocabulary the SSA core speaks: a path element is kept as the very
string `fieldsV1` uses for it (`f:name`, `k:{"name":"app"}`, `v:"x"`, `i:0`),
a path is a tuple of those strings, and a field set is a frozenset of paths,
so set algebra runs at C speed. This module encodes sets to the `fieldsV1`
trie and back (canonical, sorted as structured-merge-diff sorts), renders a
path the way conflict messages print it (`.spec.containers[name="app"].image`)
and writes JSON byte-for-byte as Go's encoding/json does.

Pure data; knows nothing about schemas (see `typeinfo`) or objects (see `merging`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

Path = tuple[str, ...]
FieldSet = frozenset[Path]

EMPTY: FieldSet = frozenset()
SELF = "."  # the fieldsV1 key saying "this node itself is a member too"

_GO_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def go_json(value: Any) -> str:
    """Compact JSON as Go's encoding/json writes it (HTML characters escaped)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if any(ch in text for ch in "<>&\u2028\u2029"):
        for raw, escaped in _GO_ESCAPES:
            text = text.replace(raw, escaped)
    return text


def field(name: str) -> str:
    return "f:" + name


@functools.lru_cache(maxsize=4096)
def _key(pairs: tuple[tuple[str, Any], ...]) -> str:
    return "k:{" + ",".join(go_json(name) + ":" + go_json(value) for name, value in sorted(pairs)) + "}"


def key(pairs: Iterable[tuple[str, Any]]) -> str:
    """The element of a map-list item from its key fields (sorted by name)."""
    return _key(tuple(pairs))


@functools.lru_cache(maxsize=4096)
def _value(value: Any) -> str:
    return "v:" + go_json(value)


def value(item: Any) -> str:
    """The element of a set item (a scalar)."""
    return _value(item)


def index(position: int) -> str:
    return "i:" + str(position)


@functools.lru_cache(maxsize=8192)
def canonical(element: str) -> str:
    """The element in its canonical spelling; raises ValueError if malformed."""
    kind, sep, body = element.partition(":")
    if not sep or kind not in ("f", "k", "v", "i"):
        raise ValueError(f"unknown path element {element!r}")
    if kind == "f":
        return element
    if kind == "i":
        return index(int(body))
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed path element {element!r}: {exc.msg}") from exc
    if kind == "v":
        return _value(parsed)
    if not isinstance(parsed, dict) or not parsed:
        raise ValueError(f"malformed key path element {element!r}")
    return _key(tuple(parsed.items()))


def decode(fields_v1: Any) -> FieldSet:
    """The field set of a `fieldsV1` trie; raises ValueError if it is malformed."""
    if not isinstance(fields_v1, dict):
        raise ValueError("fieldsV1 must be an object")
    out: set[Path] = set()
    _decode_into(fields_v1, (), out)
    return frozenset(out)


def _decode_into(node: dict, prefix: Path, out: set[Path]) -> None:
    for element, child in node.items():
        if element == SELF:
            if prefix:
                out.add(prefix)
            continue
        if not isinstance(child, dict):
            raise ValueError(f"fieldsV1 node {element!r} must be an object")
        path = prefix + (canonical(element),)
        if child:
            _decode_into(child, path, out)
        else:
            out.add(path)


def trie(paths: Iterable[Path]) -> dict:
    """The set as a nested dict (fieldsV1 shape, unsorted): for walking objects."""
    root: dict = {}
    for path in paths:
        node = root
        for element in path:
            node = node.setdefault(element, {})
        node[SELF] = {}
    return root


def is_member(node: dict) -> bool:
    """Whether a trie node is itself in the set (not only a parent of members)."""
    return SELF in node or not node


def encode(paths: Iterable[Path]) -> dict:
    """The `fieldsV1` trie of a set, keys in structured-merge-diff's order."""
    return _sorted_node(trie(paths))


def _sorted_node(node: dict) -> dict:
    out: dict = {}
    if SELF in node and len(node) > 1:
        out[SELF] = {}
    for element in sorted((e for e in node if e != SELF), key=sort_key):
        out[element] = _sorted_node(node[element])
    return out


def _value_order(item: Any) -> tuple:
    # Go's value.Compare: numbers (ints and floats together), strings, bools, lists, maps, null.
    if isinstance(item, bool):
        return (2, item)
    if isinstance(item, (int, float)):
        return (0, item)
    if isinstance(item, str):
        return (1, item)
    if isinstance(item, list):
        return (3, tuple(_value_order(x) for x in item))
    if isinstance(item, dict):
        return (4, tuple(sorted((k, _value_order(v)) for k, v in item.items())))
    return (5,)


@functools.lru_cache(maxsize=8192)
def sort_key(element: str) -> tuple:
    """structured-merge-diff's order of elements: fields, keys, values, indexes."""
    kind, body = element[0], element[2:]
    if kind == "f":
        return (0, body)
    if kind == "k":
        return (1, tuple((name, _value_order(v)) for name, v in sorted(json.loads(body).items())))
    if kind == "v":
        return (2, _value_order(json.loads(body)))
    return (3, int(body))


def sorted_paths(paths: Iterable[Path]) -> list[Path]:
    """Paths in the order structured-merge-diff iterates a set: members of a node, then its children."""
    out: list[Path] = []
    _walk_sorted(trie(paths), (), out)
    return out


def _walk_sorted(node: dict, prefix: Path, out: list[Path]) -> None:
    elements = sorted((e for e in node if e != SELF), key=sort_key)
    for element in elements:
        if is_member(node[element]):
            out.append(prefix + (element,))
    for element in elements:
        child = node[element]
        if any(e != SELF for e in child):
            _walk_sorted(child, prefix + (element,), out)


def _display_value(item: Any) -> str:
    if item is None:
        return "null"
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, str):
        return json.dumps(item, ensure_ascii=False)
    if isinstance(item, (list, dict)):
        return go_json(item)
    return str(item)


@functools.lru_cache(maxsize=8192)
def element_string(element: str) -> str:
    """How a conflict message prints an element: `.name`, `[name="app"]`, `[="x"]`, `[0]`."""
    kind, body = element[0], element[2:]
    if kind == "f":
        return "." + body
    if kind == "k":
        fields = sorted(json.loads(body).items())
        return "[" + ",".join(f"{name}={_display_value(v)}" for name, v in fields) + "]"
    if kind == "v":
        return "[=" + _display_value(json.loads(body)) + "]"
    return "[" + body + "]"


def path_string(path: Path) -> str:
    return "".join(element_string(e) for e in path)


def without_prefixes(paths: FieldSet, prefixes: FieldSet) -> FieldSet:
    """The paths that neither are nor lie under any of the prefixes (SMD's RecursiveDifference)."""
    if not prefixes or not paths:
        return paths
    lengths = sorted({len(p) for p in prefixes})
    return frozenset(p for p in paths if not any(p[:n] in prefixes for n in lengths))


def parse_path(text: str) -> Path:
    """A dotted path of plain field names (`spec.replicas`) as a Path; for tables of constants."""
    return tuple(field(part) for part in text.split(".")) if text else ()
