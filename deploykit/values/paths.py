"""Value paths as users read and write them: `image.tag`, `ports[1].port`, `annotations."a.b/c"`.

Owns the text form of a path into the values tree (a tuple of str keys and
int list indices). Pure; must not look values up (that is `provenance`).
"""

from __future__ import annotations

import re

from deploykit import errors

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-/$@]+")


def format_key(key: str) -> str:
    """A single map key as it appears in a path: bare when plain, double-quoted otherwise."""
    if _PLAIN_KEY.fullmatch(key):
        return key
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_path(path: tuple) -> str:
    """("ports", 1, "port") -> "ports[1].port"; keys with dots or spaces are quoted."""
    parts: list[str] = []
    for item in path:
        if isinstance(item, int) and not isinstance(item, bool):
            parts.append(f"[{item}]")
        else:
            if parts:
                parts.append(".")
            parts.append(format_key(str(item)))
    return "".join(parts)


def parse_path(text: str) -> tuple:
    """The inverse of `format_path`: "ports[1].port" -> ("ports", 1, "port")."""
    path: list = []
    i, n = 0, len(text)
    expect_key = True  # at the start or right after a dot
    while i < n:
        char = text[i]
        if char == "[" and (not expect_key or not path):
            end = text.find("]", i)
            digits = text[i + 1 : end] if end != -1 else ""
            if end == -1 or not digits.isascii() or not digits.isdigit():
                _fail(text, i, "a list index like [0]")
            path.append(int(digits))
            i = end + 1
            expect_key = False
        elif char == "." and not expect_key:
            i += 1
            expect_key = True
            if i == n:
                _fail(text, i, "a key after '.'")
        elif expect_key and char == '"':
            key, i = _quoted_key(text, i)
            path.append(key)
            expect_key = False
        elif expect_key:
            match = _PLAIN_KEY.match(text, i)
            if not match:
                _fail(text, i, "a key (letters, digits, '_', '-', '/') or a quoted key")
            path.append(match.group())
            i = match.end()
            expect_key = False
        else:
            _fail(text, i, "'.' or '['")
    return tuple(path)


def _quoted_key(text: str, start: int) -> tuple[str, int]:
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            chars.append(text[i + 1])
            i += 2
        elif char == '"':
            return "".join(chars), i + 1
        else:
            chars.append(char)
            i += 1
    _fail(text, start, 'a closing \'"\' for this quoted key')
    raise AssertionError("unreachable")


def _fail(text: str, position: int, expected: str) -> None:
    raise errors.ValuesError(
        f"invalid value path {text!r}: expected {expected} at position {position + 1}\n"
        f"    {text}\n    {' ' * position}^",
        hint='write paths like image.tag, ports[0].port or annotations."a.b/c"',
    )
