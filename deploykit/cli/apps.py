"""The one way command modules make their typer app: plain help text (no rich), errors left to the root.

Also owns how arguments read in `--help`: `CHART`, `[PATHS]...`, as users
type them, not typer's `{CHART}` / `CHART <str>`.
"""

from __future__ import annotations

from typing import Any

import typer
import typer.core


def command_app(**options: Any) -> typer.Typer:
    """A typer app for one command module, formatted like the root: plain, fast, no pretty tracebacks."""
    return typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False, **options)


class PlainArgument(typer.core.TyperArgument):
    """An argument shown by its upper-case name alone: `CHART`, `[PATHS]...`."""

    def _shown_name(self) -> str:
        return (self.metavar or self.name or "").upper()

    def _rich_display_name(self) -> str:
        return self._shown_name() + ("..." if self.metavar is None and self.nargs != 1 else "")

    def _usage_display_name(self) -> str:
        name = self._shown_name()
        if not self.required and not name.startswith("["):
            name = f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        return [] if self.hidden else [self._usage_display_name()]

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def plain_arguments(command: Any) -> Any:
    """`command` (and its subcommands) with every typer argument shown plainly; returned for chaining."""
    for param in command.params:
        if type(param) is typer.core.TyperArgument:
            param.__class__ = PlainArgument
    for sub in getattr(command, "commands", {}).values():
        plain_arguments(sub)
    return command
