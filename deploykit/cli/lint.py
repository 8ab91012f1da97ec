"""`deploykit lint`: check a chart with its values and report every problem found.

Binds flags into `RenderOptions`, calls the lint action, prints one line per
problem, `level: file:line: message` (with `(hint: ...)` when one helps), and
a summary on stderr. Exit codes: 0 when there is no error (warnings allowed),
1 when at least one error was reported (the chart failed lint), 2 when lint
could not run at all (chart path missing, bad flags, unreadable -f file).

Must not: import Jinja2, jsonschema or the chart code at module level.
"""

from __future__ import annotations

import typer

from deploykit.cli import apps, chartflags, renderoptions

app = apps.command_app()

EXIT_FAILED = 1


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
) -> None:
    """Check CHART and its values; report every problem; exit 1 on errors."""
    from deploykit.charts import problems
    from deploykit.release import rendering

    options = renderoptions.bind(
        chart,
        values_files=values_files,
        set_values=set_values,
        set_strings=set_strings,
        set_files=set_files,
        set_json=set_json,
        set_literals=set_literals,
        release=release,
        namespace=namespace,
        kube_version=kube_version,
        api_versions=api_versions,
        allow_unencrypted_secrets=allow_unencrypted_secrets,
        render_timeout=render_timeout,
        render_max_output=render_max_output,
        template_engine=template_engine,
    )
    found = rendering.lint(options)
    for problem in found:
        typer.echo(str(problem))
    error_count = sum(1 for p in found if p.level == problems.ERROR)
    warning_count = len(found) - error_count
    verdict = "failed" if error_count else "passed"
    typer.echo(f"lint {verdict}: {chart}: {error_count} error(s), {warning_count} warning(s)", err=True)
    if error_count:
        raise typer.Exit(EXIT_FAILED)
