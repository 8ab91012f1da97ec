"""What `deploykit lint` does: check a chart with its values and report every problem found.

Turns the flag values (declared by typer in deploykit.cli.lint) into
`RenderOptions`, calls the lint action, prints one line per problem and a
summary on stderr, and exits 1 when an error was reported. Runs under typer
and under the fast front alike.

Must not: import typer, Jinja2, jsonschema or the chart code at module level.
"""

from __future__ import annotations

from deploykit.cli import renderoptions
from deploykit.cli.printing import echo

EXIT_FAILED = 1


def lint(
    *,
    chart: str,
    values_files: list[str],
    set_values: list[str],
    set_strings: list[str],
    set_files: list[str],
    set_json: list[str],
    set_literals: list[str],
    release: str,
    namespace: str,
    kube_version: str,
    api_versions: list[str],
    allow_unencrypted_secrets: bool,
    render_timeout: float | None,
    render_max_output: int | None,
    template_engine: str,
    skip_schema_validation: bool = False,
) -> None:
    """Check CHART and its values; print every problem; exit 1 on errors (every flag's value as deploykit.cli.lint
    declares it)."""
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
        skip_schema_validation=skip_schema_validation,
    )
    found = rendering.lint(options)
    for problem in found:
        echo(str(problem))
    error_count = sum(1 for p in found if p.level == problems.ERROR)
    warning_count = len(found) - error_count
    verdict = "failed" if error_count else "passed"
    echo(f"lint {verdict}: {chart}: {error_count} error(s), {warning_count} warning(s)", err=True)
    if error_count:
        raise SystemExit(EXIT_FAILED)
