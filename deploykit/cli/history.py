"""`deploykit history`: every revision of a release, with status and description."""

from __future__ import annotations

from typing import Optional

import typer

from deploykit.cli import apps, engine, releaseflags

app = apps.command_app()


@app.command(no_args_is_help=True)
def history(
    release: str = releaseflags.RELEASE,
    namespace: Optional[str] = releaseflags.NAMESPACE,
    output: str = releaseflags.OUTPUT,
    kubeconfig: Optional[str] = releaseflags.KUBECONFIG,
    kube_context: Optional[str] = releaseflags.KUBE_CONTEXT,
) -> None:
    """List the revisions of RELEASE: deployed, failed, superseded, rollbacks."""
    from deploykit.release import querying

    engine.check_output(output)
    with engine.connect(kubeconfig, kube_context) as kube:
        rows = querying.history(kube, release=release, namespace=namespace or kube.connection.default_namespace)
    if output != "table":
        engine.emit(rows, output)
        return
    engine.table(rows, ("revision", "updated", "status", "chart", "appVersion", "description"))
