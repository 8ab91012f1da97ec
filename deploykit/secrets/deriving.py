"""Secret text a chart can derive from a decrypted value that none of the value's printed forms contains.

Owns `derived(value)`: the strings a template or the YAML reader can turn a
secret into, so that the decryption step registers them with the redactor as
secrets of their own:

- the scalars of a JSON or YAML document held in the value (a service-account
  key, a config file): inserted into a manifest without `nindent`, the
  document is re-read as YAML and its strings printed unescaped, one by one;
- the text a base64 value decodes to (`b64dec`);
- the literal text around template syntax in a value rendered with `tpl`, and
  the content of each tag (Jinja's errors quote it).

Must not: print or keep anything, or raise on any input (a value that does not
parse simply derives nothing). Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Iterator
from typing import Any


# Documents this large are not inserted into manifests; parsing them would only cost time.
_MAX_DOCUMENT = 256 * 1024
# libyaml composes flow collections recursively in C: deep [ { nesting could crash the interpreter.
_MAX_BRACKETS = 200
_MAX_DEPTH = 3
_TEMPLATE_SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_STR_TAG = "tag:yaml.org,2002:str"
_BASE64 = re.compile(r"^[A-Za-z0-9+/]{8,}={0,2}$")


def derived(value: Any) -> tuple[str, ...]:
    """Secret strings derived from `value` (recursively: the base64 of a JSON document, ...), without `value`."""
    if not isinstance(value, str):
        return ()
    found: dict[str, None] = {}
    _collect(value, found, depth=0)
    found.pop(value, None)
    return tuple(found)


def _collect(text: str, found: dict[str, None], *, depth: int) -> None:
    if depth >= _MAX_DEPTH:
        return
    for piece in _one_step(text):
        if piece and piece not in found and piece != text:
            found[piece] = None
            _collect(piece, found, depth=depth + 1)


@functools.lru_cache(maxsize=4096)
def _one_step(text: str) -> tuple[str, ...]:
    return (*_document_scalars(text), *_base64_text(text), *_template_parts(text))


def _document_scalars(text: str) -> list[str]:
    stripped = text.strip()
    if len(stripped) > _MAX_DOCUMENT or not ("\n" in stripped or stripped[:1] in ("{", "[")):
        return []
    try:
        return [str(leaf) for leaf in _json_leaves(json.loads(stripped))]
    except (ValueError, RecursionError):
        pass
    if stripped.count("[") + stripped.count("{") > _MAX_BRACKETS:
        return []
    import yaml  # loaded for a secret that looks like a YAML document, not by every process that imports this module

    try:
        node = yaml.compose(stripped, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError, ValueError):
        return []
    if node is None or isinstance(node, yaml.ScalarNode):
        return []
    return list(_yaml_scalars(node))


def _json_leaves(data: Any) -> Iterator[Any]:
    if isinstance(data, dict):
        for item in data.values():
            yield from _json_leaves(item)
    elif isinstance(data, list):
        for item in data:
            yield from _json_leaves(item)
    elif isinstance(data, str):
        yield data


def _yaml_scalars(root: Any) -> Iterator[str]:
    """The text of every value scalar (not keys) under `root`; aliases are visited once, not expanded."""
    import yaml  # `root` was composed by PyYAML: it is loaded

    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR_TAG:  # numbers and booleans of a config are rarely secret, and too common to mask
                yield node.value
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            pending.extend(value for _key, value in node.value)


def _base64_text(text: str) -> list[str]:
    stripped = text.strip()
    if len(stripped) % 4 or not _BASE64.match(stripped):
        return []
    try:
        decoded = base64.b64decode(stripped, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return []
    # Random passwords are often valid base64 too: only text a template could print counts.
    return [decoded] if decoded.strip() and decoded.replace("\n", "").replace("\r", "").replace("\t", "").isprintable() else []


def _template_parts(text: str) -> list[str]:
    """The literal text around template tags, and what each tag holds: a random password with
    `{{` fails in `tpl`, and Jinja's message quotes the tag's content (`'Xy9Kq2mZ' is undefined`)."""
    if "{{" not in text and "{%" not in text:
        return []
    inner = [match.group()[2:-2].strip(" -+") for match in _TEMPLATE_SYNTAX.finditer(text)]
    return [piece for piece in (*_TEMPLATE_SYNTAX.split(text), *inner) if piece.strip()]
