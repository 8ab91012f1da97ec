"""A problem found in a pipeline file (`file:line: field: message`) and the small helpers that word them.

Must not: read files or raise; callers collect problems and decide.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable
from typing import Any


@dataclasses.dataclass(frozen=True)
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


def did_you_mean(word: Any, choices: Iterable[Any]) -> str | None:
    """The closest of `choices` to a mistyped `word`, if one is close enough."""
    if not isinstance(word, str):
        return None
    texts = [choice for choice in choices if isinstance(choice, str)]
    folded = {choice.lower(): choice for choice in texts}
    if word.lower() in folded:
        return folded[word.lower()]
    found = difflib.get_close_matches(word, texts, n=1, cutoff=0.6)
    return found[0] if found else None


def type_name(value: Any) -> str:
    """How a YAML author calls the type of a parsed value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
