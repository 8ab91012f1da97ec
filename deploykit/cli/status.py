"""`deploykit status`: the latest revision of a release, who deployed it, and its notes."""

from __future__ import annotations

from typing import Optional

import typer

from deploykit.cli import apps, engine, releaseflags

app = apps.command_app()


@app.command(no_args_is_help=True)
def status(
    release: str = releaseflags.RELEASE,
    namespace: Optional[str] = releaseflags.NAMESPACE,
    output: str = releaseflags.OUTPUT,
    kubeconfig: Optional[str] = releaseflags.KUBECONFIG,
    kube_context: Optional[str] = releaseflags.KUBE_CONTEXT,
) -> None:
    """Show the status of RELEASE."""
    from deploykit.release import querying

    engine.check_output(output)
    with engine.connect(kubeconfig, kube_context) as kube:
        data = querying.status(kube, release=release, namespace=namespace or kube.connection.default_namespace)
    if output != "table":
        engine.emit(data, output)
        return
    for key in ("name", "namespace", "revision", "status", "updated", "chart", "appVersion", "description", "deployedBy", "failure"):
        if data.get(key) not in (None, ""):
            typer.echo(f"{key}: {data[key]}")
    typer.echo(f"objects: {len(data['objects'])}")
    if data["crds"]:
        typer.echo(f"CRDs from crds/ (shared, never deleted): {', '.join(data['crds'])}")
    if data["notes"]:
        typer.echo("NOTES:\n" + data["notes"].rstrip("\n"))
