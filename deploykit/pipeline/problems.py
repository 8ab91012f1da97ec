"""A problem found in a pipeline file (`file:line: field: message`) and the small helpers that word them.

Must not: read files or raise; callers collect problems and decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deploykit.frozen import frozen


@frozen
class Problem:
    source: str
    line: int
    field: str  # e.g. stages[1].requires[0]; empty for the file as a whole
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.source}:{self.line}: " + (f"{self.field}: {self.message}" if self.field else self.message)
        return text + (f"\nhint: {self.hint}" if self.hint else "")


def field_name(path: Iterable[Any]) -> str:
    """('stages', 1, 'requires', 0) -> 'stages[1].requires[0]'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
