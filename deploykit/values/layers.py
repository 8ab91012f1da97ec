"""The values layer: one parsed source of values (a file, a `--set`, chart defaults).

Owns the `ValuesLayer` record only. It must not parse, merge or print values:
its repr never shows the data, because a secret layer holds decrypted values.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, NamedTuple

from deploykit.frozen import frozen


class Surprise(NamedTuple):
    """A plain scalar in a values file whose type Helm's YAML rule may not give as its author meant (for lint)."""

    line: int  # 1-based
    path: tuple
    message: str  # e.g. "`y` is read as the boolean true"


@frozen
class ValuesLayer:
    """Plain JSON-like values from one source, merged by `provenance.compose` in order.

    `list_edits` holds the paths of list elements that a `--set a[1]=x`
    assigns by index: `compose` writes those elements into the list composed
    so far (as Helm does for lists from `-f` files) instead of replacing the
    whole list. It is empty for files and mappings. `surprises` holds the
    plain scalars of a YAML file typed in a way that may surprise (lint warns).
    """

    data: dict[str, Any] = field(repr=False)
    source: str
    secret: bool = False
    list_edits: frozenset[tuple] = field(default=frozenset(), repr=False)
    surprises: tuple[Surprise, ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        # Never show data: a secret layer holds decrypted values.
        kind = "secret " if self.secret else ""
        return f"<{kind}ValuesLayer from {self.source} with {len(self.data)} top-level keys>"
