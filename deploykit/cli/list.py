"""`deploykit list`: the releases of a namespace (or of all) with their latest revision."""

from __future__ import annotations

from typing import Optional

import typer

from deploykit.cli import apps, engine, releaseflags

app = apps.command_app()


@app.command()
def list_(
    namespace: Optional[str] = releaseflags.NAMESPACE,
    all_namespaces: bool = typer.Option(False, "-A", "--all-namespaces", help="List releases of every namespace."),
    uninstalled: bool = typer.Option(False, "--uninstalled", help="Also list releases uninstalled with --keep-history."),
    output: str = releaseflags.OUTPUT,
    kubeconfig: Optional[str] = releaseflags.KUBECONFIG,
    kube_context: Optional[str] = releaseflags.KUBE_CONTEXT,
) -> None:
    """List releases."""
    from deploykit.release import querying

    engine.check_output(output)
    with engine.connect(kubeconfig, kube_context) as kube:
        rows = querying.list_releases(kube, namespace=namespace or kube.connection.default_namespace,
                                      all_namespaces=all_namespaces, uninstalled=uninstalled)
    if output != "table":
        engine.emit(rows, output)
        return
    engine.table(rows, ("name", "namespace", "revision", "updated", "status", "chart", "appVersion"))
