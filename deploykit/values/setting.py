"""`--set` expressions in Helm's syntax, parsed into a `ValuesLayer`.

Owns the grammar of `--set`, `--set-string`, `--set-file`, `--set-json` and
`--set-literal`: dotted keys, `a[0].b` list indices, `{a,b}` lists, backslash
escapes (`\\,` `\\.` `\\=` `\\[`, in keys and values), several assignments
separated by commas, and Helm's typing (`true`/`false`, `null`, int64
integers; everything else a string). `--set-json` also takes one whole JSON
object (`{"a":2}`, Helm 3.15+). `--set-literal` reads keys as Helm does (no
escapes, a comma is part of the key) and the value verbatim. Must not merge
with other layers (that is `provenance.compose`).

Differences from Helm, all on purpose: `a={}` is an empty list (Helm gives
`[""]`); a key without `=` (`noval[0]`) is an error (Helm accepts some);
assigning inside a value set earlier in the same expression (`a=1,a.b=2`) is an
error naming both; an empty key (`=1`, `.a=1`) and a trailing lone backslash
are errors (Helm ignores them); `list[0].key=` at the very end sets an empty
string (Helm drops the element); and `a[1]=x` patches element 1 of the list composed so far,
whether it came from a `-f` file or from chart defaults (Helm patches lists
from files but replaces lists from chart defaults).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Literal

from deploykit import errors
from deploykit.values import loading, paths
from deploykit.values.layers import ValuesLayer

Kind = Literal["set", "string", "file", "json", "literal"]

FLAGS: dict[str, str] = {
    "set": "--set",
    "string": "--set-string",
    "file": "--set-file",
    "json": "--set-json",
    "literal": "--set-literal",
}

# Helm's limits, so that one flag cannot allocate a huge list or nest without end.
MAX_INDEX = 65536
MAX_NESTING = 30

_INT64 = re.compile(r"[+-]?[0-9]+")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_KEY_STOPS = frozenset("=[,.")
_LITERAL_KEY_STOPS = frozenset("=[.")
_JSON = json.JSONDecoder()
_HINTS = {
    "set": "write key=value pairs separated by commas, e.g. --set image.tag=1.2,ports[0].port=80; "
    "escape a literal , . = [ with a backslash",
    "json": "write key=<JSON> pairs separated by commas, e.g. --set-json 'ports=[{\"port\":80}],debug=true'",
}


def parse_set(
    expression: str,
    *,
    kind: Kind = "set",
    base_dir: str | os.PathLike | None = None,
) -> ValuesLayer:
    """Parse one `--set`-style flag value into a layer whose source is the flag as typed.

    `kind="file"` reads each value as a path (relative to `base_dir`, else the
    current directory) and uses the file's text; `kind="json"` reads each
    value as JSON; `kind="literal"` takes everything after the first `=` as
    one string.
    """
    if kind not in FLAGS:
        raise ValueError(f"unknown --set kind {kind!r}; expected one of {sorted(FLAGS)}")
    parser = _Parser(expression, kind=kind, base_dir=base_dir)
    parser.parse()
    return ValuesLayer(
        data=parser.data,
        source=f"{FLAGS[kind]} {expression}",
        list_edits=frozenset(parser.edits),
    )


def typed_value(text: str) -> Any:
    """Helm's typing of a `--set` value: bools, null, int64 integers without a leading zero; else the string."""
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if lowered == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0" and _INT64.fullmatch(text):
        number = int(text)
        if _INT64_MIN <= number <= _INT64_MAX:
            return number
    return text


class _Parser:
    def __init__(self, text: str, *, kind: Kind, base_dir: str | os.PathLike | None) -> None:
        self.text = text
        self.kind = kind
        self.base_dir = base_dir
        self.pos = 0
        self.data: dict[str, Any] = {}
        self.edits: set[tuple] = set()
        self.whole: set[tuple] = set()

    # --- grammar ------------------------------------------------------------------------------

    def parse(self) -> None:
        if not self.text.strip():
            self.fail(0, "a key=value assignment", found="an empty expression")
        if self.kind == "json" and self.text.lstrip().startswith("{"):
            self.data = self.json_object()
            return
        while self.pos < len(self.text):
            self.assignment()

    def assignment(self) -> None:
        start = self.pos
        path = self.key_path()
        key_text = self.text[start : self.pos - 1]
        if self.kind == "literal":
            value: Any = self.text[self.pos :]
            self.pos = len(self.text)
        elif self.kind == "json":
            value = self.json_value()
        elif self.peek() == "{":
            value = self.list_value()
        else:
            value = self.convert(self.read_until(frozenset(","))[0])
        self.assign(path, value, key_text)

    def key_path(self) -> tuple:
        """Keys and indices up to and including the `=`."""
        path: list = []
        nesting = 0
        literal = self.kind == "literal"
        while True:
            segment_start = self.pos
            key, stop = self.read_until(_LITERAL_KEY_STOPS if literal else _KEY_STOPS, escapes=not literal)
            if key == "" and not (path and stop in ("=", "[", ".") and self.after_index(segment_start)):
                self.fail(segment_start, "a key", found=self.describe(stop))
            if key:
                path.append(key)
            if stop == "=":
                return tuple(path)
            if stop == ".":
                nesting += 1
                if nesting > MAX_NESTING:
                    self.fail(self.pos - 1, f"at most {MAX_NESTING} nested keys", found="more")
                continue
            if stop == "[":
                path.extend(self.indices())
                continue
            if stop is None:
                self.fail(self.pos, "'=' and a value after the key", found="the end")
            self.fail(self.pos - 1, "'=' and a value after the key", found=self.describe(stop))

    def after_index(self, position: int) -> bool:
        return position > 0 and self.text[position - 1] == "]"

    def indices(self) -> list[int]:
        """One or more `[n]` after a key; stops on the `.` or `=` that follows, for `key_path` to read."""
        found: list[int] = []
        while True:
            start = self.pos
            close = self.text.find("]", start)
            raw = self.text[start:close] if close != -1 else self.text[start:]
            if close == -1:
                self.fail(start - 1, "a closing ']' for this list index", found="the end")
            if not _INT64.fullmatch(raw):
                self.fail(start, "a list index (a number) inside [ ]", found=repr(raw))
            index = int(raw)
            if index < 0:
                self.fail(start, "a list index of 0 or more", found=str(index))
            if index > MAX_INDEX:
                self.fail(start, f"a list index of at most {MAX_INDEX}", found=str(index))
            found.append(index)
            self.pos = close + 1
            following = self.peek()
            if following == "[":
                self.pos += 1
                continue
            if following in (".", "="):
                # Leave `.`/`=` for key_path: it reads the next key or the value.
                return found
            self.fail(self.pos, "'.', '[' or '=' after the list index", found=self.describe(following))

    def list_value(self) -> list:
        opening = self.pos
        self.pos += 1
        items: list = []
        stops = frozenset(",}")
        while True:
            raw, stop = self.read_until(stops)
            if stop is None:
                self.fail(opening, "a closing '}' for this list", found="the end")
            if stop == "}" and not items and raw == "":
                break  # `{}` is an empty list
            items.append(self.convert(raw))
            if stop == "}":
                break
        self.end_of_value("'}'")
        return items

    def json_value(self) -> Any:
        rest = self.text[self.pos :]
        stripped = rest.lstrip()
        start = self.pos + len(rest) - len(stripped)
        if not stripped or stripped[0] == ",":
            self.pos = start + (1 if stripped else 0)
            return None  # Helm: an empty JSON value is null
        try:
            value, end = _JSON.raw_decode(self.text, start)
        except json.JSONDecodeError as exc:
            self.fail(exc.pos, f"a JSON value ({exc.msg})", found=None)
        except RecursionError:
            self.fail(start, "a JSON value", found="one nested too deeply")
        tail = self.text[end:]
        self.pos = end + len(tail) - len(tail.lstrip())
        self.end_of_value("the JSON value")
        return value

    def json_object(self) -> dict:
        """The whole expression as one JSON object (Helm's `--set-json '{...}'` form)."""
        start = len(self.text) - len(self.text.lstrip())
        self.pos = start
        value = self.json_value()
        if self.pos < len(self.text):
            self.fail(self.pos - 1, "the end after the JSON object", found=repr(self.text[self.pos - 1]))
        return value

    def end_of_value(self, what: str) -> None:
        """Consume the comma before the next assignment; anything else but the end is an error."""
        following = self.peek()
        if following == ",":
            self.pos += 1
        elif following is not None:
            self.fail(self.pos, f"',' or the end after {what}", found=self.describe(following))

    # --- values -------------------------------------------------------------------------------

    def convert(self, raw: str) -> Any:
        if self.kind == "string":
            return raw
        if self.kind == "file":
            return self.read_file(raw)
        return typed_value(raw)

    def read_file(self, raw: str) -> str:
        path = os.path.join(self.base_dir, raw) if self.base_dir is not None else raw
        try:
            with open(path, "rb") as handle:
                content = handle.read(loading.MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise errors.ValuesError(
                f"{FLAGS[self.kind]} {self.text}: cannot read {path}: {exc.strerror or exc}",
                hint="--set-file takes key=path; relative paths are relative to the current directory",
            ) from exc
        if len(content) > loading.MAX_FILE_BYTES:
            raise errors.ValuesError(f"{FLAGS[self.kind]} {self.text}: {path} is larger than "
                                     f"{loading.MAX_FILE_BYTES // (1024 * 1024)} MiB", hint="--set-file takes key=path")
        try:
            # The bytes as they are (a CRLF stays CRLF, as in Helm), so an error's offset is the file's.
            return content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise errors.ValuesError(
                f"{FLAGS[self.kind]} {self.text}: cannot read {path}: not UTF-8 text "
                f"(byte 0x{content[exc.start]:02x} at offset {exc.start})",
                hint="--set-file takes a text file; for binary data, give a base64-encoded copy "
                "(base64 -w0 FILE > FILE.b64) and decode it in the template with b64dec",
            ) from exc

    def assign(self, path: tuple, value: Any, key_text: str) -> None:
        container: Any = self.data
        for depth, (part, following) in enumerate(zip(path, path[1:], strict=False)):
            child = self.child(container, part)
            wanted = list if isinstance(following, int) else dict
            if child is None:
                child = wanted()
                self.store(container, part, child)
            elif not isinstance(child, wanted):
                self.fail_conflict(key_text, path[: depth + 1], child, wanted)
            container = child
        self.store(container, path[-1], value)
        self.record(path)

    def child(self, container: Any, part: str | int) -> Any:
        if isinstance(part, int):
            return container[part] if part < len(container) else None
        return container.get(part)

    def store(self, container: Any, part: str | int, value: Any) -> None:
        if isinstance(part, int):
            if len(container) <= part:
                container.extend([None] * (part + 1 - len(container)))
        container[part] = value

    def record(self, path: tuple) -> None:
        # A value assigned whole replaces any index edits made under it earlier.
        self.edits = {edit for edit in self.edits if edit[: len(path)] != path or len(edit) == len(path)}
        self.whole.add(path)
        for depth, part in enumerate(path):
            if isinstance(part, int) and not any(path[:shorter] in self.whole for shorter in range(depth + 1)):
                self.edits.add(path[: depth + 1])

    # --- scanning -----------------------------------------------------------------------------

    def peek(self) -> str | None:
        return self.text[self.pos] if self.pos < len(self.text) else None

    def read_until(self, stops: frozenset[str], *, escapes: bool = True) -> tuple[str, str | None]:
        """Characters up to the first unescaped stop (consumed); a backslash takes the next character as is."""
        chars: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            self.pos += 1
            if char == "\\" and escapes:
                if self.pos == len(text):
                    self.fail(self.pos - 1, "a character after '\\'", found="the end")
                chars.append(text[self.pos])
                self.pos += 1
            elif char in stops:
                return "".join(chars), char
            else:
                chars.append(char)
        return "".join(chars), None

    def describe(self, char: str | None) -> str:
        return "the end" if char is None else repr(char)

    def fail(self, position: int, expected: str, *, found: str | None) -> None:
        flag = FLAGS[self.kind]
        got = f", found {found}" if found else ""
        caret = " " * (len(flag) + 1 + position) + "^"
        raise errors.ValuesError(
            f"{flag} {self.text}: expected {expected} at position {position + 1}{got}"
            f"\n    {flag} {self.text}\n    {caret}",
            hint=_HINTS.get(self.kind, _HINTS["set"]),
        )

    def fail_conflict(self, key_text: str, prefix: tuple, child: Any, wanted: type) -> None:
        flag = FLAGS[self.kind]
        shape = "a list" if wanted is list else "a mapping"
        raise errors.ValuesError(
            f"{flag} {self.text}: {key_text} needs {paths.format_path(prefix)} to be {shape}, "
            f"but this expression already made it {loading.describe(child)}",
            hint="set the whole value once, or use separate --set flags (a later flag replaces an earlier one)",
        )

