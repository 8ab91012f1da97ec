"""`deploykit lint`: check a chart with its values and report every problem found.

Declares the flags (typer); deploykit.cli.run_lint binds them into
`RenderOptions`, calls the lint action and prints one line per problem,
`level: file:line: message` (with `(hint: ...)` when one helps), and a
summary on stderr. Exit codes: 0 when there is no error (warnings allowed),
1 when at least one error was reported (the chart failed lint), 2 when lint
could not run at all (chart path missing, bad flags, unreadable -f file).

Must not: import Jinja2, jsonschema or the chart code at module level.
"""

from __future__ import annotations

from deploykit.cli import apps, chartflags, run_lint

app = apps.command_app()

EXIT_FAILED = run_lint.EXIT_FAILED


@app.command(no_args_is_help=True)
def lint(
    chart: str = chartflags.CHART,
    values_files: list[str] = chartflags.VALUES,
    set_values: list[str] = chartflags.SET,
    set_strings: list[str] = chartflags.SET_STRING,
    set_files: list[str] = chartflags.SET_FILE,
    set_json: list[str] = chartflags.SET_JSON,
    set_literals: list[str] = chartflags.SET_LITERAL,
    release: str = chartflags.RELEASE,
    namespace: str = chartflags.NAMESPACE,
    kube_version: str = chartflags.KUBE_VERSION,
    api_versions: list[str] = chartflags.API_VERSIONS,
    allow_unencrypted_secrets: bool = chartflags.ALLOW_UNENCRYPTED,
    render_timeout: float | None = chartflags.RENDER_TIMEOUT,
    render_max_output: int | None = chartflags.RENDER_MAX_OUTPUT,
    template_engine: str = chartflags.TEMPLATE_ENGINE,
    skip_schema_validation: bool = chartflags.SKIP_SCHEMA_VALIDATION,
) -> None:
    """Check CHART and its values; report every problem; exit 1 on errors."""
    run_lint.lint(**locals())
