"""`deploykit adopt helm`: take a release Helm installed under deploykit's management, without redeploying it."""

from __future__ import annotations

from typing import Optional

import typer

from deploykit.cli import apps, engine, releaseflags

app = apps.command_app(no_args_is_help=True, help="Take over a release another tool installed (Helm), in place.")


@app.callback()
def adopt() -> None:
    """Take over a release another tool installed, without deleting or recreating its objects."""


@app.command(no_args_is_help=True)
def helm(
    release: str = releaseflags.RELEASE,
    namespace: Optional[str] = releaseflags.NAMESPACE,
    output: str = releaseflags.OUTPUT,
    lock_timeout: str = releaseflags.LOCK_TIMEOUT,
    kubeconfig: Optional[str] = releaseflags.KUBECONFIG,
    kube_context: Optional[str] = releaseflags.KUBE_CONTEXT,
) -> None:
    """Import Helm's deployed revision of RELEASE as deploykit revision 1 and move its objects to deploykit."""
    from deploykit.release import adopting

    engine.check_output(output)
    quiet = output != "table"
    with engine.connect(kubeconfig, kube_context) as kube:
        result = adopting.adopt_helm(
            kube, release=release, namespace=namespace or kube.connection.default_namespace,
            lock_timeout=engine.seconds(lock_timeout, what="--lock-timeout"),
            say=(lambda line: typer.echo(line, err=True)) if quiet else engine.say,
        )
    if quiet:
        engine.emit(result.to_dict(), output)
