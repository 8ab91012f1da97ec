"""`deploykit get values|manifest|notes`: what a revision of a release was deployed with (secrets masked, always)."""

from __future__ import annotations

from typing import Optional

import typer

from deploykit.cli import apps, engine, releaseflags

app = apps.command_app(no_args_is_help=True, help="Show what a revision was deployed with; secret values are always masked.")

REVISION = typer.Option(None, "--revision", metavar="N", help="Revision (default: the latest).")


def _record(release: str, namespace: Optional[str], revision: Optional[int], kubeconfig: Optional[str], kube_context: Optional[str]):
    from deploykit.release import querying

    with engine.connect(kubeconfig, kube_context) as kube:
        return querying.revision(kube, release=release, namespace=namespace or kube.connection.default_namespace, number=revision)


@app.command()
def values(release: str = releaseflags.RELEASE, namespace: Optional[str] = releaseflags.NAMESPACE, revision: Optional[int] = REVISION,
           output: str = typer.Option("yaml", "-o", "--output", metavar="FORMAT", help="yaml or json."),
           kubeconfig: Optional[str] = releaseflags.KUBECONFIG, kube_context: Optional[str] = releaseflags.KUBE_CONTEXT) -> None:
    """The values a revision was rendered with (secret values masked)."""
    from deploykit.release import querying

    engine.emit(querying.values_of(_record(release, namespace, revision, kubeconfig, kube_context)), engine.check_output(output))


@app.command()
def manifest(release: str = releaseflags.RELEASE, namespace: Optional[str] = releaseflags.NAMESPACE, revision: Optional[int] = REVISION,
             kubeconfig: Optional[str] = releaseflags.KUBECONFIG, kube_context: Optional[str] = releaseflags.KUBE_CONTEXT) -> None:
    """The objects a revision applied (Secret data and secret-derived strings masked)."""
    from deploykit.release import querying

    typer.echo(querying.manifest_of(_record(release, namespace, revision, kubeconfig, kube_context)), nl=False)


@app.command()
def notes(release: str = releaseflags.RELEASE, namespace: Optional[str] = releaseflags.NAMESPACE, revision: Optional[int] = REVISION,
          kubeconfig: Optional[str] = releaseflags.KUBECONFIG, kube_context: Optional[str] = releaseflags.KUBE_CONTEXT) -> None:
    """The rendered NOTES.txt of a revision."""
    from deploykit.release import querying

    typer.echo(querying.notes_of(_record(release, namespace, revision, kubeconfig, kube_context)).rstrip("\n"))
