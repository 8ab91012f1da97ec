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

app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)

EXIT_FAILED = 1


@app.command(no_args_is_help=True)
def lint(
    chart: str = typer.Argument(..., help="Chart folder or .tgz archive.", show_default=False),
    values_files: list[str] = typer.Option([], "-f", "--values", help="Values file (YAML or JSON); repeat for more, later wins."),
    set_values: list[str] = typer.Option([], "--set", help="Set values: a.b=v,list[0]=x (typed as Helm does)."),
    set_strings: list[str] = typer.Option([], "--set-string", help="Set values, always as strings."),
    set_files: list[str] = typer.Option([], "--set-file", help="Set a value to the text of a file: key=path."),
    set_json: list[str] = typer.Option([], "--set-json", help="Set values from JSON: key=<json>."),
    release: str = typer.Option("release-name", "--release", help="Release name (Release.Name)."),
    namespace: str = typer.Option("default", "-n", "--namespace", help="Namespace (Release.Namespace)."),
    kube_version: str = typer.Option("v1.37.0", "--kube-version", help="Target Kubernetes version: kubeVersion check, known kinds, object schemas."),
    api_versions: list[str] = typer.Option([], "-a", "--api-versions", help="Extra API versions for Capabilities.APIVersions."),
    allow_unencrypted_secrets: bool = typer.Option(False, "--allow-unencrypted-secrets", help="Local experiments only: accept plaintext secret files (ignored in CI)."),
) -> None:
    """Check CHART and its values; report every problem; exit 1 on errors."""
    from deploykit.charts import problems
    from deploykit.release import rendering
    from deploykit.release.inputs import RenderOptions

    options = RenderOptions(
        chart=chart,
        values_files=tuple(values_files),
        set_values=tuple(set_values),
        set_strings=tuple(set_strings),
        set_files=tuple(set_files),
        set_json=tuple(set_json),
        release=release,
        namespace=namespace,
        kube_version=kube_version,
        api_versions=tuple(api_versions),
        allow_unencrypted_secrets=allow_unencrypted_secrets or None,
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
