"""`deploykit template`: the command's flags (typer); deploykit.cli.run_template does the work.

Takes `CHART --release NAME` or Helm's `RELEASE CHART`. The fast front
(deploykit.cli.fastfront) reads the same flags from its table, checked
against these declarations by the tests.

Must not: import Jinja2, jsonschema or the chart code at module level
(`deploykit --help` stays fast).
"""

from __future__ import annotations

from typing import Optional

import typer

from deploykit.cli import apps, chartflags, run_template

app = apps.command_app()

DEFAULT_RELEASE = run_template.DEFAULT_RELEASE


@app.command(no_args_is_help=True)
def template(
    first: str = typer.Argument(..., metavar="[RELEASE] CHART", show_default=False,
                                help="Chart folder or .tgz archive, after the release name if given (as Helm takes them)."),
    second: Optional[str] = typer.Argument(None, hidden=True),
    values_files: list[str] = chartflags.VALUES,
    set_values: list[str] = chartflags.SET,
    set_strings: list[str] = chartflags.SET_STRING,
    set_files: list[str] = chartflags.SET_FILE,
    set_json: list[str] = chartflags.SET_JSON,
    set_literals: list[str] = chartflags.SET_LITERAL,
    release: Optional[str] = typer.Option(None, "--release", metavar="NAME", help=f"Release name (Release.Name; default {DEFAULT_RELEASE})."),
    namespace: str = chartflags.NAMESPACE,
    show_only: list[str] = typer.Option([], "-s", "--show-only", metavar="TEMPLATE", help="Print only the objects of this template (templates/x.yaml, globs allowed); repeat for more."),
    include_crds: bool = typer.Option(False, "--include-crds", help="Also print the CRDs of the charts' crds/ folders (first, as they are applied)."),
    output_dir: str | None = typer.Option(None, "--output-dir", metavar="DIR", help="Write one file per template under this folder instead of printing."),
    kube_version: str = chartflags.KUBE_VERSION,
    api_versions: list[str] = chartflags.API_VERSIONS,
    show_secrets: bool = typer.Option(False, "--show-secrets", help="Print the values of Secret objects instead of ***."),
    allow_unencrypted_secrets: bool = chartflags.ALLOW_UNENCRYPTED,
    skip_schema_validation: bool = typer.Option(False, "--skip-schema-validation", help="Check neither values.schema.json nor the objects against the Kubernetes schemas (as Helm)."),
    render_timeout: float | None = chartflags.RENDER_TIMEOUT,
    render_max_output: int | None = chartflags.RENDER_MAX_OUTPUT,
    template_engine: str = chartflags.TEMPLATE_ENGINE,
) -> None:
    """Render CHART and print its objects as YAML, in apply order."""
    run_template.template(**locals())
