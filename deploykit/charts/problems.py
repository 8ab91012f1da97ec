"""Problems found in a chart: the unit `lint` reports and errors are built from.

Owns: `Problem` (level, file, line, message) with its one-line form
`level: file:line: message`, `field_path` (the form of the value paths
messages name), and `mask`, which replaces secret strings in any text before
it becomes a message.

Must not: decide what is a problem (the checking and loading modules do) or
print anything.
"""

from __future__ import annotations

import re
from typing import Collection, Iterable

from deploykit.frozen import frozen

ERROR = "error"
WARNING = "warning"

MASK = "***"


@frozen
class Problem:
    """One finding: where it is and what is wrong, with a hint when one helps."""

    level: str
    file: str
    line: int | None
    message: str
    hint: str | None = None

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        text = f"{self.level}: {self.location}: {self.message}" if self.file else f"{self.level}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


def error(file: str, message: str, *, line: int | None = None, hint: str | None = None) -> Problem:
    return Problem(ERROR, file, line, message, hint)


def warning(file: str, message: str, *, line: int | None = None, hint: str | None = None) -> Problem:
    return Problem(WARNING, file, line, message, hint)


def describe(problems: Iterable[Problem]) -> str:
    """Several problems as one error message: the location and message of each, one per line."""
    lines = [f"{p.location}: {p.message}" for p in problems]
    return lines[0] if len(lines) == 1 else "\n".join(["several problems:", *("  " + line for line in lines)])


def field_path(path: tuple) -> str:
    """("spec", "ports", 0, "port") -> "spec.ports[0].port", for messages; odd keys as ['key']."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.match(r"^[A-Za-z0-9_]+$", str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{part!r}]"
    return text


def mask(text: str, secrets: Collection[str]) -> str:
    """Replace every occurrence of a secret string in `text` with ***.

    Longest first, so a secret that contains another is masked whole.
    """
    if not secrets or not text:
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, MASK)
    return text
