"""Printing from command implementations without typer: `echo`, as typer.echo (click's) does it.

Command implementations run both under typer and under the fast front
(deploykit.cli.fastfront), which must not import typer; they print through
this. Like click's echo: text to stdout (or stderr with err=True), a newline
unless nl=False, ANSI colour codes removed when the stream is not a
terminal, flushed at once.
"""

from __future__ import annotations

import re
import sys
from typing import Any

_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")  # click's own pattern


def echo(message: Any = None, *, err: bool = False, nl: bool = True) -> None:
    """Print message (str() of it) and a newline to stdout, or stderr with err=True, as typer.echo does."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    text = "" if message is None else message if isinstance(message, str) else str(message)
    if nl:
        text += "\n"
    if text:
        if not _isatty(stream):
            text = _ANSI.sub("", text)
        stream.write(text)
    stream.flush()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:  # noqa: BLE001 - a closed or odd stream reads as no terminal, as click takes it
        return False
