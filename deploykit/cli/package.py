"""`deploykit package CHART [--destination DIR] [--version V] [--app-version V]`: a reproducible chart archive.

Prints where the archive was written (Helm's line) and its digest, the
`sha256:<hex>` a pipeline's artifact records for a packaged chart.

Must not: import the chart code at module level.
"""

from __future__ import annotations

from typing import Optional

import typer

from deploykit.cli import apps

app = apps.command_app()


@app.command(no_args_is_help=True)
def package(
    chart: str = typer.Argument(..., metavar="CHART", help="Chart folder.", show_default=False),
    destination: str = typer.Option(".", "-d", "--destination", metavar="DIR", help="Where to write the archive."),
    version: Optional[str] = typer.Option(None, "--version", metavar="V", help="Set the chart's version in the package."),
    app_version: Optional[str] = typer.Option(None, "--app-version", metavar="V", help="Set the chart's appVersion in the package."),
) -> None:
    """Package CHART into NAME-VERSION.tgz: the same files give the same bytes; prints its path and sha256."""
    from deploykit.charts import archiving

    packaged = archiving.package(chart, destination=destination, version=version, app_version=app_version)
    typer.echo(f"Successfully packaged chart and saved it to: {packaged.path}")
    typer.echo(f"digest: {packaged.digest}")
