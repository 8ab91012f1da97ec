"""The one way command modules make their typer app: plain help text (no rich), errors left to the root."""

from __future__ import annotations

from typing import Any

import typer


def command_app(**options: Any) -> typer.Typer:
    """A typer app for one command module, formatted like the root: plain, fast, no pretty tracebacks."""
    return typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False, **options)
