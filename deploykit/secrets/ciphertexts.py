"""Sops ciphertext among values: what it looks like, and the leaves of a values tree it may hide in.

Owns `is_ciphertext` (sops's encrypted form of one value,
`ENC[AES256_GCM,data:...,iv:...,tag:...,type:str]`), `holds_ciphertext` and
`ciphertext_line` for a file's contents, and `iter_leaves`, the (value path,
value) walk that refusing ciphertext and masking secret values both use.
Apart from metadata.py and decrypting.py because every render asks it (a
chart's defaults and --set values holding ciphertext are refused), while
their records are needed only for a file to decrypt.

Must not: run sops, read files or decrypt anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

_CIPHERTEXT = re.compile(r"ENC\[[A-Z0-9_]+,data:")


def is_ciphertext(value: Any) -> bool:
    """True when a value is, or holds, a value sops encrypted (`ENC[AES256_GCM,data:...]`)."""
    return isinstance(value, str) and "ENC[" in value and _CIPHERTEXT.search(value) is not None


def holds_ciphertext(text: bytes) -> bool:
    """True when a file's contents hold at least one value sops encrypted."""
    return b"ENC[" in text and is_ciphertext(text.decode("utf-8", "replace"))


def ciphertext_line(text: bytes, value: str) -> int | None:
    """The 1-based line of `text` where the ciphertext held by `value` is written, or None."""
    match = _CIPHERTEXT.search(value)
    if match is None:
        return None
    decoded = text.decode("utf-8", "replace")
    index = decoded.find(value[match.start() : match.start() + 64])
    return decoded.count("\n", 0, index) + 1 if index >= 0 else None


def iter_leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(value path, value) of every scalar leaf under `node`."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from iter_leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_leaves(value, f"{prefix}[{index}]")
    else:
        yield prefix, node
