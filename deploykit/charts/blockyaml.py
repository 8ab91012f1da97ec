"""A fast reader for the plain block-style YAML that chart templates render.

Owns `parse(text)`: block mappings and sequences (`key: value`, `- item`,
`- key: value`, `- - item`), plain scalars typed by Helm's rule exactly as
yamlcodec's loader types them (`deploykit.yamlscalars`, keys too), single- and
simple double-quoted scalars, `[]`/`{}` and one-line flow collections of
scalars (`[a, "b", 3]`, `{cpu: 10m}`), `|`/`|-` literal blocks, comment
lines. It returns `UNSUPPORTED` for anything else (anchors, tags, nested or
multi-line flow collections, folded or kept block scalars, multi-line plain
scalars, inline comments, odd indentation, control characters, errors) and
the caller then uses PyYAML, which also produces the error messages (infinities
and NaN, `<<` keys and null keys go there too). So this module never
decides what a document means when it is unsure: it only goes faster on
the documents it understands (PyYAML's constructor runs in Python and was
most of a render's time).

Must not: raise on bad input, or differ from yamlcodec's PyYAML loader on
input it accepts (a property-based test holds it to that).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from deploykit import yamlscalars

UNSUPPORTED: Any = object()


class _Unsupported(Exception):
    pass


# YAML's other line breaks (NEL, LS, PS) go to PyYAML too: they split lines where this reader would not.
# Compiled on first use (`re` keeps it): its wide ranges take milliseconds to compile, and most text is ASCII.
_BAD_CHARS = "[^\x09\x0a\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|\ufeff"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_ASCII_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_PLAIN_FIRST_BAD = frozenset("#&*!|>%@`{}[],'\"")


# Plain scalars repeat a lot ("true", "80", "v1"): memoise their typed value.
_PLAIN_MEMO: dict[str, Any] = {}
_UNREAD: Any = object()


def _plain(text: str) -> Any:
    try:
        return _PLAIN_MEMO[text]
    except KeyError:
        pass
    first = text[0]
    if first in _PLAIN_FIRST_BAD or text.startswith(("- ", "? ", ": ")) or text in ("-", "?", ":"):
        raise _Unsupported
    if " #" in text or ": " in text or text.endswith(":") or "\t" in text:
        raise _Unsupported
    value = yamlscalars.value(text)
    if type(value) is float and not math.isfinite(value):
        raise _Unsupported  # the loader refuses it, with the line
    if len(_PLAIN_MEMO) > 50_000:
        _PLAIN_MEMO.clear()
    _PLAIN_MEMO[text] = value
    return value


def _scalar(text: str) -> Any:
    first = text[0]
    if first == "'":
        if len(text) < 2 or text[-1] != "'" or "'" in text[1:-1].replace("''", ""):
            raise _Unsupported
        return text[1:-1].replace("''", "'")
    if first == '"':
        if len(text) < 2 or text[-1] != '"':
            raise _Unsupported
        inner = text[1:-1]
        if "\\" in inner:
            if "\\/" in inner or _SURROGATE_ESCAPE.search(inner):
                raise _Unsupported  # escapes YAML 1.1 readers do not take as JSON does
            try:
                # JSON's escapes are a subset of YAML's, with the same meaning.
                value = json.loads(text)
            except ValueError:
                raise _Unsupported from None
            if not isinstance(value, str):
                raise _Unsupported
            return value
        if '"' in inner:
            raise _Unsupported
        return inner
    if text == "[]":
        return []
    if text == "{}":
        return {}
    if first == "[":
        return _flow_sequence(text)
    if first == "{":
        return _flow_mapping(text)
    return _plain(text)


def _flow_items(text: str, closing: str) -> list[str]:
    """The comma-separated items of a one-line flow collection of scalars; nothing nested."""
    if text[-1] != closing:
        raise _Unsupported
    inner = text[1:-1]
    if any(char in inner for char in "[]{}#\t"):
        raise _Unsupported
    items = [item.strip(" ") for item in inner.split(",")]
    if any(not item for item in items):
        raise _Unsupported
    return items


def _flow_scalar(item: str) -> Any:
    if item[0] in "'\"":
        # A comma inside quotes would have split the item: its quotes no longer match.
        if len(item) < 2 or item[-1] != item[0]:
            raise _Unsupported
    elif ":" in item:
        raise _Unsupported
    return _scalar(item)


def _flow_mapping(text: str) -> dict:
    """`{cpu: 10m, memory: "16Mi"}`: a flow mapping of plain keys and scalar values."""
    result: dict[str, Any] = {}
    for item in _flow_items(text, "}"):
        key, separator, value = item.partition(": ")
        if not separator or not value.strip(" ") or key[:1] in "'\"" or ":" in key:
            raise _Unsupported
        result[_key(key.strip(" "))] = _flow_scalar(value.strip(" "))
    return result


def _flow_sequence(text: str) -> list:
    """`[a, "b", 3]`: a flow sequence of scalars (what `to_json` of a list renders)."""
    return [_flow_scalar(item) for item in _flow_items(text, "]")]


# Keys repeat even more than values (`name`, `labels`, `app.kubernetes.io/name`): memoise what each reads as.
_KEY_MEMO: dict[str, str] = {}


def _key(text: str) -> str:
    try:
        return _KEY_MEMO[text]
    except KeyError:
        pass
    if not text:
        raise _Unsupported
    if text[0] in "'\"":
        key = _scalar(text)
    else:
        if text.endswith(" ") or text == "<<":
            raise _Unsupported
        key = _plain(text)
        if type(key) is not str:
            key = yamlscalars.key_text(key)  # `y:` is the key "true", as the loader spells it
            if key is None:
                raise _Unsupported  # a null key: the loader refuses it
    if len(_KEY_MEMO) > 50_000:
        _KEY_MEMO.clear()
    _KEY_MEMO[text] = key
    return key


class _Parser:
    """Recursive descent over lines; every doubt raises _Unsupported."""

    def __init__(self, text: str) -> None:
        self.raw = text.split("\n")
        # (indent, content) of structural lines; None for blank and comment lines.
        self.lines: list[tuple[int, str] | None] = []
        append = self.lines.append
        for line in self.raw:
            content = line.lstrip(" ")
            if not content or content[0] == "#":
                append(None)
                continue
            if content[0] == "\t":
                raise _Unsupported
            append((len(line) - len(content), content.rstrip(" ") if content[-1] == " " else content))
        self.count = len(self.lines)

    def next_line(self, index: int) -> int:
        while index < self.count and self.lines[index] is None:
            index += 1
        return index

    def parse(self) -> Any:
        index = self.next_line(0)
        if index >= self.count:
            return None
        indent, content = self.lines[index]  # type: ignore[misc]
        if content.startswith(("---", "...")):
            raise _Unsupported
        value, index = self.node(index, indent)
        if self.next_line(index) < self.count:
            raise _Unsupported
        return value

    def node(self, index: int, indent: int) -> tuple[Any, int]:
        _, content = self.lines[index]  # type: ignore[misc]
        if content == "-" or content.startswith("- "):
            return self.sequence(index, indent)
        return self.mapping(index, indent)

    def _after(self, index: int, indent: int, *, allow_sequence_at_same: bool) -> tuple[Any, int]:
        """The value on the lines after a `key:` or `-` that has nothing on its line."""
        following = self.next_line(index + 1)
        if following < self.count:
            next_indent, next_content = self.lines[following]  # type: ignore[misc]
            if next_indent > indent:
                return self.node(following, next_indent)
            if allow_sequence_at_same and next_indent == indent and (next_content == "-" or next_content.startswith("- ")):
                return self.sequence(following, indent)
        return None, index + 1

    def mapping(self, index: int, indent: int) -> tuple[dict, int]:
        result: dict[str, Any] = {}
        lines, count = self.lines, self.count
        keys, plains = _KEY_MEMO, _PLAIN_MEMO
        while True:
            while index < count and lines[index] is None:
                index += 1
            if index >= count:
                break
            line_indent, content = lines[index]  # type: ignore[misc]
            if line_indent != indent:
                break
            if content == "-" or content.startswith("- "):
                break
            # `key: rest`; a key with `: ` inside quotes is left to PyYAML (_key refuses it)
            position = content.find(": ")
            if position == -1:
                if content[-1] != ":":
                    raise _Unsupported
                key_text, rest = content[:-1], ""
            else:
                key_text, rest = content[:position], content[position + 2:].lstrip(" ")
            key = keys.get(key_text) or _key(key_text)
            if not rest:
                value, index = self._after(index, indent, allow_sequence_at_same=True)
            elif rest in ("|", "|-"):
                value, index = self.literal(index, indent, strip=rest == "|-")
            else:
                # a plain scalar read before reads the same (the memo holds only those), without _scalar's checks
                value = plains.get(rest, _UNREAD)
                if value is _UNREAD:
                    value = _scalar(rest)
                index += 1
            result[key] = value
        self._check_dedent(index, indent)
        return result, index

    def sequence(self, index: int, indent: int) -> tuple[list, int]:
        result: list[Any] = []
        while True:
            index = self.next_line(index)
            if index >= self.count:
                break
            line_indent, content = self.lines[index]  # type: ignore[misc]
            if line_indent != indent or not (content == "-" or content.startswith("- ")):
                break
            rest = content[1:].lstrip(" ")
            if not rest:
                value, index = self._after(index, indent, allow_sequence_at_same=False)
            elif rest in ("|", "|-"):
                value, index = self.literal(index, indent, strip=rest == "|-")
            elif rest[0] not in "[{'\"" and (rest == "-" or rest.startswith("- ") or ": " in rest or rest.endswith(":")):
                # `- key: v` or `- - x`: a block starting on the item's line, at the column of its text.
                column = indent + (len(content) - len(rest))
                self.lines[index] = (column, rest)
                value, index = self.node(index, column)
            else:
                value, index = _scalar(rest), index + 1
            result.append(value)
        self._check_dedent(index, indent)
        return result, index

    def _check_dedent(self, index: int, indent: int) -> None:
        # After a block ends, the next line must belong to an enclosing block.
        if index < self.count and self.lines[index] is not None and self.lines[index][0] > indent:  # type: ignore[index]
            raise _Unsupported

    def literal(self, index: int, indent: int, *, strip: bool) -> tuple[str, int]:
        """A `|` or `|-` block: the raw lines indented deeper than `indent`."""
        content: list[str] = []
        block_indent = None
        position = index + 1
        while position < self.count:
            line = self.raw[position]
            stripped = line.lstrip(" ")
            if not stripped:
                if block_indent is None and line:
                    raise _Unsupported  # leading whitespace-only lines: leave the rules to PyYAML
                content.append(line[block_indent:] if block_indent is not None else "")
                position += 1
                continue
            current = len(line) - len(stripped)
            if block_indent is None:
                if current <= indent:
                    break
                block_indent = current
            elif current < block_indent:
                break
            content.append(line[block_indent:])
            position += 1
        while content and content[-1] == "":
            content.pop()
        if block_indent is None or not content:
            raise _Unsupported
        if any(line.strip(" ") == "" and line for line in content):
            raise _Unsupported
        # The structural view must not treat the block's lines as keys.
        for skipped in range(index + 1, position):
            self.lines[skipped] = None
        text = "\n".join(content)
        return (text if strip else text + "\n"), position


def _bad_chars(text: str) -> bool:
    return re.search(_BAD_CHARS, text) is not None  # re keeps the compiled pattern


def parse(text: str) -> Any:
    """The document's data, or UNSUPPORTED when PyYAML should read it."""
    if "\r" in text or ("\t" in text and "|" not in text):
        return UNSUPPORTED
    if not text.endswith("\n") and ("|" in text or ">" in text):
        return UNSUPPORTED  # a block scalar ending the file keeps no final line break: PyYAML knows the rules
    if (_ASCII_BAD.search(text) if text.isascii() else _bad_chars(text)):
        return UNSUPPORTED
    try:
        return _Parser(text).parse()
    except (_Unsupported, RecursionError):
        return UNSUPPORTED
    except (ValueError, IndexError):
        return UNSUPPORTED
