"""The typer app at the root of `deploykit`: lazy command registry, --version, `version`, `help`, `completion`.

Command modules are imported only when their command runs (or its own --help
is asked for), so start-up costs typer alone. Each command module exposes a
typer app named `app`; a one-command app becomes a plain command, a
multi-command app a group. The root's own small commands, as Helm users type
them, live here: `version`, `help CMD`, `completion SHELL`.
"""

from __future__ import annotations

import importlib
from typing import Optional

import typer
import typer.core

from deploykit import __version__, errors
from deploykit.cli import apps, run_version

# name -> (module, one-line help shown by `deploykit --help` without importing it)
COMMANDS: dict[str, tuple[str, str]] = {
    "template": ("deploykit.cli.template", "Render a chart and print its objects in apply order."),
    "lint": ("deploykit.cli.lint", "Check a chart and its values; report every problem found."),
    "secrets": ("deploykit.cli.secrets", "Encrypt, decrypt, edit, rotate and check sops secret files."),
    "sim": ("deploykit.cli.sim", "Run the embedded Kubernetes API simulator."),
    "track": ("deploykit.cli.track", "Wait for objects to become ready; fail fast and show why."),
    "upgrade": ("deploykit.cli.upgrade", "Upgrade (or --install) a release; roll back automatically on failure."),
    "install": ("deploykit.cli.install", "Install a release; refuses one that exists."),
    "plan": ("deploykit.cli.plan", "Show what an upgrade would change, field by field, with drift."),
    "rollback": ("deploykit.cli.rollback", "Deploy a stored revision of a release again."),
    "uninstall": ("deploykit.cli.uninstall", "Delete a release's objects and records."),
    "history": ("deploykit.cli.history", "List the revisions of a release."),
    "status": ("deploykit.cli.status", "Show the latest revision of a release."),
    "list": ("deploykit.cli.list", "List releases."),
    "get": ("deploykit.cli.get", "Show the values, manifest or notes of a revision (secrets masked)."),
    "adopt": ("deploykit.cli.adopt", "Take over a release Helm installed (adopt helm), without redeploying it."),
    "pipeline": ("deploykit.cli.pipeline", "Validate, plan and run a pipeline of stages (pipelines/*.yaml)."),
    "dependency": ("deploykit.cli.dependency", "Update, build or list a chart's dependencies."),
    "package": ("deploykit.cli.package", "Package a chart into a reproducible .tgz; print its sha256."),
}


class LazyGroup(typer.core.TyperGroup):
    """A group whose subcommands are imported on first use."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        apps.plain_arguments(self, ctx)  # the root's own options too
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: typer.Context, cmd_name: str) -> typer.core.TyperCommand | None:
        if cmd_name not in COMMANDS:
            found = super().get_command(ctx, cmd_name)
            return apps.plain_arguments(found, ctx) if found else None
        module = importlib.import_module(COMMANDS[cmd_name][0])
        command = typer.main.get_command(module.app)
        command.name = cmd_name
        return apps.plain_arguments(command, ctx)

    def format_commands(self, ctx: typer.Context, formatter) -> None:
        own = {name: command.get_short_help_str(80) for name, command in self.commands.items()}
        described = {**{name: text for name, (_, text) in COMMANDS.items()}, **own}
        rows = [(name, described[name]) for name in sorted(described)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    cls=LazyGroup,
    help="Deploy Kubernetes applications stage by stage, safely.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"deploykit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Deploy Kubernetes applications stage by stage, safely."""


SHELLS = ("bash", "zsh", "fish")


@app.command()
def version(
    short: bool = typer.Option(False, "--short", help="Print the version number only."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="FORMAT", help="json: the version as a JSON object."),
) -> None:
    """Print the version (as --version does)."""
    run_version.version(short=short, output=output)


@app.command(name="help")
def help_command(
    ctx: typer.Context,
    command: list[str] = typer.Argument(None, metavar="COMMAND", help="The command to explain, e.g. template or secrets encrypt."),
) -> None:
    """Show the help of a command (as COMMAND --help does)."""
    current = ctx.find_root()
    for name in command or []:
        group = current.command
        sub = group.get_command(current, name) if hasattr(group, "get_command") else None
        if sub is None:
            known = ", ".join(group.list_commands(current)) if hasattr(group, "list_commands") else "none"
            raise errors.UsageError(f"no command {name!r} in `{current.command_path}`", hint=f"commands: {known}")
        current = sub.make_context(name, [], parent=current, resilient_parsing=True)
    typer.echo(current.get_help())


@app.command()
def completion(
    shell: str = typer.Argument(..., metavar="SHELL", help="bash, zsh or fish.", show_default=False),
) -> None:
    """Print the shell completion script: source <(deploykit completion bash)."""
    from typer import _completion_shared

    if shell not in SHELLS:
        raise errors.UsageError(f"no completion for shell {shell!r}", hint=f"use one of {', '.join(SHELLS)}")
    script = _completion_shared.get_completion_script(prog_name="deploykit", complete_var="_DEPLOYKIT_COMPLETE", shell=shell)
    typer.echo(script)
