"""The one way command modules make their typer app: plain help text (no rich), errors left to the root.

Also owns how arguments read in `--help`: `CHART`, `[PATHS]...`, as users
type them, not typer's `{CHART}` / `CHART <str>`; and how plain values
(str, int, float, list[str]) are converted: directly, not through the
pydantic TypeAdapter typer builds for every parameter of a command (importing
pydantic and building those adapters cost a CI job ~100 ms on every run).
Anything else, and any value the direct way does not take, goes through
typer's own conversion, so its errors read as typer's.
"""

from __future__ import annotations

import re
from typing import Any

import typer
import typer.core

try:  # typer >= 0.20 converts values through pydantic; older ones do not need this
    from typer import _coercion
except ImportError:  # pragma: no cover - depends on the installed typer
    _coercion = None  # type: ignore[assignment]


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


_INTEGER = re.compile(r"[-+]?[0-9]+")
_DECIMAL = re.compile(r"[-+]?[0-9]+(\.[0-9]*)?")


def _direct(annotation: Any, value: Any) -> tuple[bool, Any]:
    """(True, converted) for a value converted without pydantic, (False, None) for one left to typer."""
    kind = type(value)
    if annotation is str and kind is str:
        return True, value
    if annotation is int and (kind is int or (kind is str and _INTEGER.fullmatch(value))):
        return True, int(value)
    if annotation is float and (kind in (int, float) or (kind is str and _DECIMAL.fullmatch(value))):
        return True, float(value)
    if annotation is bool and kind is bool:
        return True, value
    if annotation == list[str] and kind in (list, tuple) and all(type(item) is str for item in value):
        return True, list(value)
    return False, None


if _coercion is not None:

    class _DirectParam(_coercion.RuntimeParam):
        """typer's conversion of one parameter, done directly for plain values, by typer otherwise."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            done, converted = _direct(self.annotation, value)
            if done:
                return converted
            return _coercion.build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)


def _convert_directly(param: Any) -> None:
    descriptor = getattr(param, "type_descriptor", None)
    if _coercion is None or descriptor is None or getattr(param, "_runtime_param", False) is not None:
        return
    info = descriptor.parameter_info
    plain = descriptor.annotation in (str, int, float, bool) or descriptor.annotation == list[str]
    if plain and info.parser is None and getattr(info, "click_type", None) is None and not (
            descriptor.is_path or descriptor.is_file or descriptor.is_choice or descriptor.is_ranged):
        param._runtime_param = _DirectParam(parameter_info=info, annotation=descriptor.annotation)


def plain_arguments(command: Any, ctx: Any = None) -> Any:
    """`command` (and its subcommands) with every typer argument shown plainly and plain values converted
    directly (its --help option too, given the context whose help option names it inherits); returned for
    chaining."""
    for param in command.params:
        if type(param) is typer.core.TyperArgument:
            param.__class__ = PlainArgument
        _convert_directly(param)
    if ctx is not None:
        help_option = command.get_help_option(ctx)  # made once per command, then kept
        if help_option is not None:
            _convert_directly(help_option)
    for sub in getattr(command, "commands", {}).values():
        plain_arguments(sub, ctx)
    return command
