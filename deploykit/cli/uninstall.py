"""`deploykit uninstall`: delete a release's objects (keeping `resource-policy: keep` ones) and its records."""

from __future__ import annotations

from typing import Optional

import typer

from deploykit.cli import apps, engine, releaseflags

app = apps.command_app()


@app.command(no_args_is_help=True)
def uninstall(
    release: str = releaseflags.RELEASE,
    namespace: Optional[str] = releaseflags.NAMESPACE,
    keep_history: bool = typer.Option(False, "--keep-history", help="Keep the records; the release shows as uninstalled."),
    no_hooks: bool = typer.Option(False, "--no-hooks", help="Do not run pre/post-delete hooks."),
    timeout: str = releaseflags.TIMEOUT,
    lock_timeout: str = releaseflags.LOCK_TIMEOUT,
    kubeconfig: Optional[str] = releaseflags.KUBECONFIG,
    kube_context: Optional[str] = releaseflags.KUBE_CONTEXT,
) -> None:
    """Uninstall RELEASE: run its delete hooks and delete what it applied."""
    from deploykit.release import uninstalling

    cancellable = engine.cancellable(release=release, untouched="nothing was deleted",
                                     completed="the release is uninstalled", again="uninstall again when ready")
    with cancellable, engine.connect(kubeconfig, kube_context) as kube:
        options = uninstalling.UninstallOptions(
            release=release, namespace=namespace or kube.connection.default_namespace, keep_history=keep_history,
            run_hooks=not no_hooks, lock_timeout=engine.seconds(lock_timeout, what="--lock-timeout"),
        )
        uninstalling.uninstall(kube, options, track=engine.tracker_for(kube, timeout=engine.seconds(timeout, what="--timeout")),
                               say=engine.say)
