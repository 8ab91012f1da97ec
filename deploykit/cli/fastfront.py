"""The fast front: run a well-formed `template`, `lint`, `upgrade`, `install` or `version` without typer.

Every CI job is a new process, and importing typer (and its click) costs one
~50 ms before any work. For the commands of `COMMANDS` the front reads the
arguments itself, from a table of each command's parameters, and calls the
same implementation the typer command calls. The typer declarations stay the
single source of truth: the table is what `describe` reads from them, and the
tests fail when the two drift apart (the table is then regenerated with
`describe`).

The front takes only what it fully understands: the command name first, then
the table's options (`--flag value`, `--flag=value`, short flags alone, `-`
as a value) and arguments, values typer would convert the same way. Anything
else (--help, shell completion, `--`, an unknown or grouped flag, a missing
value or argument, a value starting with `-`, a number typer might read
differently) makes `run` return False, and the typer app takes the whole
command line as before, with its messages and exit codes.

Must not: import typer, click or anything heavy at module level.
"""

from __future__ import annotations

import errno
import importlib
import os
import re
import sys
from typing import Any, NamedTuple, Optional


class Param(NamedTuple):
    """One parameter of a command: an argument (flags empty) or an option (its flags)."""

    name: str
    flags: tuple[str, ...]
    kind: str  # str, int, float, flag (a boolean switch), list (a repeatable string option)
    required: bool
    default: Any


class Command(NamedTuple):
    """Where a command's implementation lives (module, function) and its parameters, in typer's order."""

    module: str
    function: str
    params: tuple[Param, ...]


def _chart_flags() -> tuple[Param, ...]:
    return (
        Param("values_files", ("-f", "--values"), "list", False, []),
        Param("set_values", ("--set",), "list", False, []),
        Param("set_strings", ("--set-string",), "list", False, []),
        Param("set_files", ("--set-file",), "list", False, []),
        Param("set_json", ("--set-json",), "list", False, []),
        Param("set_literals", ("--set-literal",), "list", False, []),
    )


def _release_flags() -> tuple[Param, ...]:
    """What `upgrade` and `install` share after their own first flags."""
    return (
        Param("namespace", ("-n", "--namespace"), "str", False, None),
        Param("timeout", ("--timeout",), "str", False, "5m"),
        Param("no_atomic", ("--no-atomic",), "flag", False, False),
        Param("create_namespace", ("--create-namespace",), "flag", False, False),
        Param("adopt", ("--adopt",), "flag", False, False),
        Param("plan_file", ("--plan",), "str", False, None),
        Param("no_wait", ("--no-wait",), "flag", False, False),
        Param("report", ("--report",), "str", False, None),
        Param("description", ("--description",), "str", False, ""),
        Param("lock_timeout", ("--lock-timeout",), "str", False, "60s"),
        Param("kubeconfig", ("--kubeconfig",), "str", False, None),
        Param("kube_context", ("--kube-context",), "str", False, None),
        Param("allow_unencrypted_secrets", ("--allow-unencrypted-secrets",), "flag", False, False),
        Param("template_engine", ("--template-engine",), "str", False, "auto"),
        Param("kube_version", ("--kube-version",), "str", False, None),
        Param("skip_schema_validation", ("--skip-schema-validation",), "flag", False, False),
        Param("skip_crds", ("--skip-crds",), "flag", False, False),
    )


_RELEASE_AND_CHART = (Param("release", (), "str", True, None), Param("chart", (), "str", True, None))

# The parameters of each fast command, as `describe` reads them from its typer declaration (tests check it).
COMMANDS: dict[str, Command] = {
    "template": Command("deploykit.cli.run_template", "template", (
        Param("first", (), "str", True, None),
        Param("second", (), "str", False, None),
        *_chart_flags(),
        Param("release", ("--release",), "str", False, None),
        Param("namespace", ("-n", "--namespace"), "str", False, "default"),
        Param("show_only", ("-s", "--show-only"), "list", False, []),
        Param("include_crds", ("--include-crds",), "flag", False, False),
        Param("output_dir", ("--output-dir",), "str", False, None),
        Param("kube_version", ("--kube-version",), "str", False, "v1.37.0"),
        Param("api_versions", ("-a", "--api-versions"), "list", False, []),
        Param("show_secrets", ("--show-secrets",), "flag", False, False),
        Param("allow_unencrypted_secrets", ("--allow-unencrypted-secrets",), "flag", False, False),
        Param("skip_schema_validation", ("--skip-schema-validation",), "flag", False, False),
        Param("render_timeout", ("--render-timeout",), "float", False, None),
        Param("render_max_output", ("--render-max-output",), "int", False, None),
        Param("template_engine", ("--template-engine",), "str", False, "auto"),
    )),
    "upgrade": Command("deploykit.cli.run_upgrade", "upgrade", (
        *_RELEASE_AND_CHART,
        Param("install", ("-i", "--install"), "flag", False, False),
        *_chart_flags(),
        *_release_flags(),
    )),
    "install": Command("deploykit.cli.run_upgrade", "install", (
        *_RELEASE_AND_CHART,
        *_chart_flags(),
        *_release_flags(),
    )),
    "lint": Command("deploykit.cli.run_lint", "lint", (
        Param("chart", (), "str", True, None),
        *_chart_flags(),
        Param("release", ("--release",), "str", False, "release-name"),
        Param("namespace", ("-n", "--namespace"), "str", False, "default"),
        Param("kube_version", ("--kube-version",), "str", False, "v1.37.0"),
        Param("api_versions", ("-a", "--api-versions"), "list", False, []),
        Param("allow_unencrypted_secrets", ("--allow-unencrypted-secrets",), "flag", False, False),
        Param("render_timeout", ("--render-timeout",), "float", False, None),
        Param("render_max_output", ("--render-max-output",), "int", False, None),
        Param("template_engine", ("--template-engine",), "str", False, "auto"),
        Param("skip_schema_validation", ("--skip-schema-validation",), "flag", False, False),
    )),
    "version": Command("deploykit.cli.run_version", "version", (
        Param("short", ("--short",), "flag", False, False),
        Param("output", ("-o", "--output"), "str", False, None),
    )),
}

# The numbers typer's direct conversion takes (deploykit.cli.apps); any other spelling is left to typer.
# Patterns, not compiled ones: re compiles them on the first int or float option (most runs give none).
_INTEGER = r"[-+]?[0-9]+"
_DECIMAL = r"[-+]?[0-9]+(\.[0-9]*)?"


def parse(command: Command, args: list[str]) -> Optional[dict[str, Any]]:
    """The keyword arguments typer would call the command's implementation with, or None for a command line
    the front leaves to typer."""
    by_flag = {flag: param for param in command.params for flag in param.flags}
    values = {param.name: list(param.default) if param.kind == "list" else param.default for param in command.params}
    positional: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        index += 1
        if not token.startswith("-") or token == "-":
            positional.append(token)
            continue
        flag, equals, attached = token.partition("=") if token.startswith("--") else (token, "", "")
        param = by_flag.get(flag)
        if param is None:  # --help, --, an unknown or mistyped flag, -nNAME, grouped short flags
            return None
        if param.kind == "flag":
            if equals:
                return None
            values[param.name] = True
            continue
        if equals:
            value = attached
        elif index < len(args) and (not args[index].startswith("-") or args[index] == "-"):
            value = args[index]
            index += 1
        else:  # no value, or one typer might read as a flag
            return None
        converted = _converted(param.kind, value)
        if converted is None:
            return None
        if param.kind == "list":
            values[param.name].append(converted)
        else:
            values[param.name] = converted
    arguments = [param for param in command.params if not param.flags]
    if len(positional) > len(arguments) or any(param.required for param in arguments[len(positional):]):
        return None
    values.update((param.name, value) for param, value in zip(arguments, positional))
    return values


def _converted(kind: str, value: str) -> Any:
    if kind == "int":
        return int(value) if re.fullmatch(_INTEGER, value) else None
    if kind == "float":
        return float(value) if re.fullmatch(_DECIMAL, value) else None
    return value


def run(argv: list[str]) -> bool:
    """Run the command line if the front takes it (True), else do nothing (False: typer's turn). Exits as typer
    would on Ctrl-C (130), end of input (1, `Aborted!`) and a closed stdout (1)."""
    if not argv or argv[0] not in COMMANDS or _completing():
        return False
    command = COMMANDS[argv[0]]
    values = parse(command, argv[1:])
    if values is None:
        return False
    implementation = getattr(importlib.import_module(command.module), command.function)
    try:
        implementation(**values)
    except KeyboardInterrupt:
        sys.exit(130)
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        sys.exit(1)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        _quiet_streams()
        sys.exit(1)
    return True


def _completing() -> bool:
    """A shell asking for completions (click's _PROG_COMPLETE variable): typer answers."""
    return any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ)


def _quiet_streams() -> None:
    """After a closed pipe, flushing at exit must not fail again (as click's PacifyFlushWrapper)."""
    sys.stdout, sys.stderr = _Pacified(sys.stdout), _Pacified(sys.stderr)


class _Pacified:
    """A stream whose flush ignores a closed pipe."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def describe(click_command: Any) -> tuple[Param, ...]:
    """The parameters of a typer-made click command as the table holds them (for the tests, and to regenerate
    the table); `kind` is None for a parameter the front cannot take (then the command must stay typer's)."""
    described = []
    for param in click_command.params:
        annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        plain = param.callback is None and param.envvar is None and param.nargs == 1 and param.expose_value
        if getattr(param, "is_flag", False):
            kind = "flag" if annotation is bool and param.default is False and not param.secondary_opts else None
        elif param.multiple:
            kind = "list" if annotation == list[str] else None
        else:
            kind = {str: "str", int: "int", float: "float"}.get(annotation)
        is_option = param.param_type_name == "option"
        flags = tuple(param.opts) if is_option else ()
        default = list(param.default) if isinstance(param.default, (list, tuple)) else param.default
        described.append(Param(param.name, flags, kind if plain else None, bool(param.required), default))
    return tuple(described)
