"""`deploykit dependency update|build|list CHART`: a chart's dependencies from chart repositories and OCI registries.

A group, as Helm's: `update` resolves Chart.yaml's constraints, downloads each
dependency into charts/ and writes Chart.lock; `build` downloads what
Chart.lock pins; `list` prints each dependency with its status. The work is
Helm 4's own (deploykit.charts.repositories, through helm-python-sdk), so the
files are the ones `helm dependency ...` writes. A repository or registry that
cannot be reached exits 3; everything else wrong exits 2.

Must not: import helm_python or the chart code at module level.
"""

from __future__ import annotations

import typer

from deploykit.cli import apps

app = apps.command_app(no_args_is_help=True)

CHART = typer.Argument(..., metavar="CHART", help="Chart folder.", show_default=False)
KEYRING = typer.Option(None, "--keyring", metavar="FILE", help="Keyring holding the public keys for --verify.")
SKIP_REFRESH = typer.Option(False, "--skip-refresh", help="Do not refresh the local repository cache first.")
VERIFY = typer.Option(False, "--verify", help="Verify the packages against their signatures (.prov).")
PLAIN_HTTP = typer.Option(False, "--plain-http", help="Use insecure HTTP connections for oci:// dependencies.")


@app.callback()
def dependency() -> None:
    """Manage a chart's dependencies: update, build, list."""


def _echo_err(line: str) -> None:
    typer.echo(line, err=True)


@app.command(no_args_is_help=True)
def update(chart: str = CHART, keyring: str | None = KEYRING, skip_refresh: bool = SKIP_REFRESH,
           verify: bool = VERIFY, plain_http: bool = PLAIN_HTTP) -> None:
    """Update charts/ from Chart.yaml: resolve each dependency, download it, write Chart.lock."""
    from deploykit.charts import repositories

    repositories.update(chart, keyring=keyring, skip_refresh=skip_refresh, verify=verify, plain_http=plain_http,
                        echo=typer.echo, warn=_echo_err)


@app.command(no_args_is_help=True)
def build(chart: str = CHART, keyring: str | None = KEYRING, skip_refresh: bool = SKIP_REFRESH,
          verify: bool = VERIFY, plain_http: bool = PLAIN_HTTP) -> None:
    """Rebuild charts/ from Chart.lock (as update when there is no lock)."""
    from deploykit.charts import repositories

    repositories.build(chart, keyring=keyring, skip_refresh=skip_refresh, verify=verify, plain_http=plain_http,
                       echo=typer.echo, warn=_echo_err)


@app.command(name="list", no_args_is_help=True)
def list_dependencies(
    chart: str = CHART,
    max_col_width: int = typer.Option(80, "--max-col-width", metavar="N", help="Maximum column width of the table."),
) -> None:
    """List the dependencies of CHART with their status (ok, missing, wrong version, ...)."""
    from deploykit.charts import repositories

    rows = repositories.listing(chart)
    if not rows:
        typer.echo(f"WARNING: no dependencies at {chart.rstrip('/')}/charts")
        return
    table = [("NAME", "VERSION", "REPOSITORY", "STATUS")]
    table += [tuple(row[key][:max_col_width] for key in ("name", "version", "repository", "status")) for row in rows]
    widths = [max(len(line[column]) for line in table) for column in range(4)]
    for line in table:
        typer.echo("\t".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
