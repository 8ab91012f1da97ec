"""A fast reader for the plain block-style YAML that chart templates render and values files hold.

Owns `parse(text)`: block mappings and sequences (`key: value`, `- item`,
`- key: value`, `- - item`), plain scalars typed by Helm's rule exactly as
yamlcodec's loader types them (`deploykit.yamlscalars`, keys too), single- and
simple double-quoted scalars, `[]`/`{}` and one-line flow collections of
scalars (`[a, "b", 3]`, `{cpu: 10m}`), `|`/`|-` literal blocks, comment
lines and comments after a space at the end of a line (`key: 2  # note`,
`- "x" # note`, `key: |  # note`; `a#b` is text, as is `#` in quotes and in a
literal block). It returns `UNSUPPORTED` for anything else (anchors, tags,
nested or multi-line flow collections, folded or kept block scalars,
multi-line plain scalars, a comment after a tab or glued to a closing quote,
odd indentation, control characters, a key written twice, errors) and
the caller then uses PyYAML, which also produces the error messages (infinities
and NaN, `<<` keys and null keys go there too). So this module never
decides what a document means when it is unsure: it only goes faster on
the documents it understands (PyYAML's constructor runs in Python and was
most of a render's time; its import alone costs a `template` process ~17 ms).
`read(text, surprises=True)` also tells, from the same reading, whether the
document may hold a plain scalar whose Helm type may surprise its author
(values files note those, with their line, through PyYAML).

Must not: raise on bad input, or differ from yamlcodec's PyYAML loader on
input it accepts (a property-based test holds it to that).
"""

from __future__ import annotations

import json
import math
import operator
import re
from typing import Any, Iterator

from deploykit import yamlscalars

UNSUPPORTED: Any = object()


class _Unsupported(Exception):
    pass


# YAML's other line breaks (NEL, LS, PS) go to PyYAML too: they split lines where this reader would not.
# Compiled on first use (`re` keeps it): its wide ranges take milliseconds to compile, and most text is ASCII.
_BAD_CHARS = "[^\x09\x0a\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|\ufeff"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# The ASCII a document may hold: an ASCII text holds a control character when deleting these leaves anything
# (bytes.translate runs in C, several times faster than a regex search for the control characters).
_ASCII_GOOD = b"\t\n" + bytes(range(0x20, 0x7F))
_PLAIN_FIRST_BAD = frozenset("#&*!|>%@`{}[],'\"")


# Plain scalars repeat a lot ("true", "80", "v1"): memoise their typed value.
_PLAIN_MEMO: dict[str, Any] = {}


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


# Whole mapping lines repeat across a chart's documents (labels, `protocol: TCP`, `metadata:`): memoise what each
# reads as. Not those whose value is `[]`, `{}` or a flow collection: each reading must make a new one.
_ENTRY_MEMO: dict[str, tuple[str, Any, str | None]] = {}
_BLOCK = "block"  # a `key:` line: the value is on the lines below


def _entry(content: str) -> tuple[str, Any, str | None]:
    """What a mapping line (not a `- ` item) reads as: (key, value, None) for `key: scalar`, (key, None, _BLOCK) for
    `key:`, (key, None, "|" or "|-") for a literal block; a key with `: ` inside quotes is left to PyYAML."""
    position = content.find(": ")
    if position != -1:  # lines are stripped: what follows `: ` is not empty
        rest = content[position + 2:]
        if rest[0] == " ":
            rest = rest.lstrip(" ")
        if rest == "|" or rest == "|-":
            entry = (_key(content[:position]), None, rest)
        else:
            value = _scalar(rest)
            entry = (_key(content[:position]), value, None)
            if type(value) is list or type(value) is dict:
                return entry  # `[]`, `{}`: a new one each reading
    elif content[-1] == ":":
        entry = (_key(content[:-1]), None, _BLOCK)
    else:
        raise _Unsupported
    if len(_ENTRY_MEMO) > 50_000:
        _ENTRY_MEMO.clear()
    _ENTRY_MEMO[content] = entry
    return entry


def _quoted_end(content: str, start: int) -> int:
    """The index just past the quoted scalar opening at `start`, or -1 when it does not close on this line."""
    quote = content[start]
    position = start + 1
    while True:
        end = content.find(quote, position)
        if end == -1:
            return -1
        if quote == "'":
            if not content.startswith("''", end):
                return end + 1
            position = end + 2  # `''` is a quote inside
            continue
        escapes = end
        while content[escapes - 1] == "\\" and escapes - 1 > start:
            escapes -= 1
        if (end - escapes) % 2 == 0:  # `\\"` ends the scalar, `\"` does not
            return end + 1
        position = end + 1


# `- `s, a plain key without quotes, brackets, `#` or `:`, a quoted scalar without escapes, then spaces and `#`.
# Compiled on first use (`re` keeps it): a template without such a line pays nothing for it.
_QUOTED_THEN_COMMENT = r"""(?:- +)*(?:[^'"\[{#:\s][^'"\[{#:]*: +)?(?:"[^"\\]*"|'[^']*') +#"""


def _skip_spaces(content: str, position: int) -> int:
    while position < len(content) and content[position] == " ":
        position += 1
    return position


def _without_comment(content: str) -> str:
    """A structural line (holding a `#`) without its trailing ` # comment`, read as YAML reads it: `#` after a space
    where a scalar may start or end; never inside a quoted scalar nor in `a#b`. Unchanged where unsure (a tab, a
    quote inside a flow collection, text after a closing quote): the parser then refuses the ` #` left in it."""
    hash_at = content.find(" #")
    if hash_at == -1:
        return content  # `a#b`, or `#` after a tab: no comment here, or one for PyYAML
    head = content[:hash_at]
    if "'" not in head and '"' not in head and "[" not in head and "{" not in head:
        return head.rstrip(" ")  # the common line, `key: value  # note`: the first ` #` starts the comment
    quoted = re.match(_QUOTED_THEN_COMMENT, content)
    if quoted:  # the next most common, `key: "value"  # note`
        return content[:quoted.end() - 1].rstrip(" ")
    position, keyed = 0, False
    while True:
        while content.startswith("- ", position) and not keyed:  # `- `, `- - `: the item's scalar starts after them
            position = _skip_spaces(content, position + 2)
        if position >= len(content):
            return content
        first = content[position]
        if first == "#":  # `key: # c`, `- # c`: nothing on the line but the indicator (spaces before it, see above)
            return content[:position].rstrip(" ")
        if first in "'\"":
            end = _quoted_end(content, position)
            if end == -1:
                return content
            after = _skip_spaces(content, end)
            if after < len(content) and content[after] == "#" and after > end:  # `"x"  # c`
                return content[:end]
            if not keyed and content.startswith(": ", after):  # a quoted key; its value follows
                position, keyed = _skip_spaces(content, after + 2), True
                continue
            return content
        hash_at = content.find(" #", position)
        if hash_at == -1:
            return content
        if first in "[{":  # `[a, b]  # c`: a one-line flow collection of plain scalars only
            head = content[:hash_at].rstrip(" ")
            inner = head[position + 1:-1]
            if head[-1] != ("]" if first == "[" else "}") or any(char in inner for char in "'\"#[]{}"):
                return content
            return head
        colon = content.find(": ", position)
        if not keyed and colon != -1 and colon < hash_at:  # a plain key; its value follows
            position, keyed = _skip_spaces(content, colon + 2), True
            continue
        return content[:hash_at].rstrip(" ")


def _is_item(content: str) -> bool:
    """Whether a structural line is a sequence item (`-` or `- ...`)."""
    return content[0] == "-" and (len(content) == 1 or content[1] == " ")


class _Parser:
    """Recursive descent over the structural lines; every doubt raises _Unsupported."""

    def __init__(self, text: str) -> None:
        raw = self.raw = text.split("\n")
        # The structural lines only (blank and comment lines dropped): indent, text, and row in `raw`.
        # Comprehensions and C-level maps, not one loop: this runs over every line of every rendered document.
        # Trailing spaces go first (`key: ` where a template put nothing after it); `|` blocks read `raw`, which keeps them.
        if text.isascii() and "\t" not in text:
            # Spaces are the only whitespace left (read() refused control characters and \r): strip by C-level maps.
            lines = list(map(str.rstrip, raw)) if " \n" in text or text.endswith(" ") else raw
            stripped = list(map(str.lstrip, lines))
        else:
            lines = [line.rstrip(" ") for line in raw] if " \n" in text or text.endswith(" ") else raw
            stripped = [line.lstrip(" ") for line in lines]
        if not stripped[-1]:
            stripped.pop()  # what follows the final line break
        if "#" not in text and "" not in stripped:
            # The common rendered document: every line is structural, so no row needs looking up.
            rows: range | list[int] = range(len(stripped))
            contents = stripped
            indents = list(map(operator.sub, map(len, lines), map(len, stripped)))  # `lines` may be one longer
        else:
            rows = [row for row, content in enumerate(stripped) if content and content[0] != "#"]
            contents = [stripped[row] for row in rows]
            if "#" in text:  # `key: value  # note`; the row numbers stay those of the text
                contents = [_without_comment(content) if "#" in content else content for content in contents]
            indents = [len(lines[row]) - len(stripped[row]) for row in rows]
        if "\t" in text and any(content[0] == "\t" for content in contents):
            raise _Unsupported
        self.count = len(indents)
        indents.append(-1)  # a sentinel: no block goes on past the last line
        self.indents, self.contents, self.rows = indents, contents, rows

    def parse(self) -> Any:
        if not self.count:
            return None
        if self.contents[0].startswith(("---", "...")):
            raise _Unsupported
        value, index = self.node(0, self.indents[0])
        if index < self.count:
            raise _Unsupported
        return value

    def node(self, index: int, indent: int) -> tuple[Any, int]:
        if _is_item(self.contents[index]):
            return self.sequence(index, indent)
        return self.mapping(index, indent)

    def _after(self, index: int, indent: int, *, allow_sequence_at_same: bool) -> tuple[Any, int]:
        """The value on the lines after a `key:` or `-` that has nothing on its line."""
        following = index + 1
        next_indent = self.indents[following]  # the sentinel (-1) after the last line
        if next_indent > indent:
            return self.node(following, next_indent)
        if allow_sequence_at_same and next_indent == indent and _is_item(self.contents[following]):
            return self.sequence(following, indent)
        return None, following

    def mapping(self, index: int, indent: int) -> tuple[dict, int]:
        result: dict[str, Any] = {}
        indents, contents = self.indents, self.contents
        known_entries = _ENTRY_MEMO
        entries = 0
        while indents[index] == indent:
            content = contents[index]
            entry = known_entries.get(content)
            if entry is None:  # not read before, or a `- ` item (never an entry)
                if content[0] == "-" and (len(content) == 1 or content[1] == " "):
                    break
                entry = _entry(content)
            key, value, below = entry
            if below is None:  # the common line, `key: scalar`
                index += 1
            elif below is _BLOCK:  # `key:` and its value on the lines below
                following = index + 1
                if indents[following] > indent:  # what `node` does, without two calls for every nested block
                    child, child_indent = contents[following], indents[following]
                    if child[0] == "-" and (len(child) == 1 or child[1] == " "):
                        value, index = self.sequence(following, child_indent)
                    else:
                        value, index = self.mapping(following, child_indent)
                else:
                    value, index = self._after(index, indent, allow_sequence_at_same=True)
            else:  # `key: |` or `key: |-`
                value, index = self.literal(index, indent, strip=below == "|-")
            result[key] = value
            entries += 1
        if len(result) != entries:
            raise _Unsupported  # a key twice (`y:` and `on:` are both "true"): PyYAML keeps the last, values files refuse it
        if indents[index] > indent:
            raise _Unsupported  # after a block ends, the next line must belong to an enclosing block
        return result, index

    def sequence(self, index: int, indent: int) -> tuple[list, int]:
        result: list[Any] = []
        indents, contents = self.indents, self.contents
        while indents[index] == indent:
            content = contents[index]
            if not (content[0] == "-" and (len(content) == 1 or content[1] == " ")):
                break
            rest = content[1:].lstrip(" ")
            if not rest:
                value, index = self._after(index, indent, allow_sequence_at_same=False)
            elif rest == "|" or rest == "|-":
                value, index = self.literal(index, indent, strip=rest == "|-")
            elif rest[0] not in "[{'\"" and (": " in rest or rest[-1] == ":" or _is_item(rest)):
                # `- key: v` or `- - x`: a block starting on the item's line, at the column of its text.
                column = indent + (len(content) - len(rest))
                indents[index], contents[index] = column, rest
                if rest[0] == "-" and (len(rest) == 1 or rest[1] == " "):
                    value, index = self.sequence(index, column)
                else:
                    value, index = self.mapping(index, column)
            else:
                value, index = _scalar(rest), index + 1
            result.append(value)
        if indents[index] > indent:
            raise _Unsupported  # after a block ends, the next line must belong to an enclosing block
        return result, index

    def literal(self, index: int, indent: int, *, strip: bool) -> tuple[str, int]:
        """A `|` or `|-` block: the raw lines indented deeper than `indent`."""
        content: list[str] = []
        block_indent = None
        position = self.rows[index] + 1
        raw = self.raw
        while position < len(raw):
            line = raw[position]
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
        # The structural view goes on after the block's lines, which are not keys.
        index += 1
        while index < self.count and self.rows[index] < position:
            index += 1
        text = "\n".join(content)
        return (text if strip else text + "\n"), index


def _bad_chars(text: str) -> bool:
    return re.search(_BAD_CHARS, text) is not None  # re keeps the compiled pattern


def parse(text: str) -> Any:
    """The document's data, or UNSUPPORTED when PyYAML should read it."""
    return read(text, surprises=False)[0]


def read(text: str, *, surprises: bool) -> tuple[Any, bool]:
    """The document's data (UNSUPPORTED when PyYAML should read it) and, with `surprises`, whether it may hold a
    plain scalar, key or value, whose Helm type may not be what its author meant (`yamlscalars.surprise`: `y`,
    `017`, `1e3`; it may say so of a line of a `|` block); one reading of the text for both."""
    if "\r" in text or ("\t" in text and "|" not in text):
        return UNSUPPORTED, True
    if not text.endswith("\n") and ("|" in text or ">" in text):
        return UNSUPPORTED, True  # a block scalar ending the file keeps no final line break: PyYAML knows the rules
    if (text.encode("ascii").translate(None, _ASCII_GOOD) if text.isascii() else _bad_chars(text)):
        return UNSUPPORTED, True
    try:
        parser = _Parser(text)
        data = parser.parse()
    except (_Unsupported, RecursionError, ValueError, IndexError):
        return UNSUPPORTED, True
    return data, surprises and _surprising(parser.contents)


def _scalar_texts(part: str) -> Iterator[str]:
    """The plain scalar texts a key or value part of a line may hold (those of a one-line flow collection too)."""
    if part[:1] in ("[", "{"):
        for item in part[1:-1].split(","):
            key, separator, value = item.partition(": ")
            yield from (key.strip(" "), value.strip(" ")) if separator else (item.strip(" "),)
    elif part[:1] not in ("'", '"', ""):
        yield part


def _surprising(contents: list[str]) -> bool:
    """Whether the structural lines of a document may hold a plain scalar whose Helm type may surprise."""
    for content in contents:
        while content[:2] == "- ":  # `- - x`, `- key: v`
            content = content[2:].lstrip(" ")
        position = content.find(": ")
        if position != -1:
            parts = (content[:position], content[position + 2:].lstrip(" "))
        else:
            parts = (content[:-1] if content[-1:] == ":" else content,)
        for part in parts:
            if any(yamlscalars.surprise(scalar) is not None for scalar in _scalar_texts(part) if scalar):
                return True
    return False
