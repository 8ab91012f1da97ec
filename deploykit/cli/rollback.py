"""`deploykit rollback`: deploy a stored revision again (re-rendered from its record, secrets decrypted in memory)."""

from __future__ import annotations

from typing import Optional

import typer

from deploykit import errors
from deploykit.cli import apps, engine, releaseflags

app = apps.command_app()


@app.command(no_args_is_help=True)
def rollback(
    release: str = releaseflags.RELEASE,
    revision: Optional[int] = typer.Argument(None, metavar="[REVISION]", help="Revision to return to (default: the previous deployed one).", show_default=False),
    namespace: Optional[str] = releaseflags.NAMESPACE,
    timeout: str = releaseflags.TIMEOUT,
    no_wait: bool = releaseflags.NO_WAIT,
    no_atomic: bool = releaseflags.NO_ATOMIC,
    report: Optional[str] = releaseflags.REPORT,
    lock_timeout: str = releaseflags.LOCK_TIMEOUT,
    kubeconfig: Optional[str] = releaseflags.KUBECONFIG,
    kube_context: Optional[str] = releaseflags.KUBE_CONTEXT,
) -> None:
    """Roll RELEASE back to REVISION: drift is corrected, fields other managers own are kept."""
    from deploykit.release import rolling_back

    wait_seconds = engine.seconds(timeout, what="--timeout")
    engine.check_report_path(report)
    with engine.cancellable(report=report, release=release), engine.connect(kubeconfig, kube_context) as kube:
        options = rolling_back.RollbackOptions(
            release=release, namespace=namespace or kube.connection.default_namespace, revision=revision,
            wait=not no_wait, atomic=not no_atomic, lock_timeout=engine.seconds(lock_timeout, what="--lock-timeout"),
        )
        try:
            result = rolling_back.rollback(kube, options, track=engine.tracker_for(kube, timeout=wait_seconds),
                                           say=engine.say)
        except errors.DeployFailedError as exc:
            if getattr(exc, "result", None) is not None:
                engine.write_report(report, exc.result.to_dict())
            raise
        engine.write_report(report, result.to_dict())
