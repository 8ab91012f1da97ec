"""`deploykit upgrade` (and `install`): deploy a chart as a release, atomically.

Binds flags into `UpgradeOptions`, connects, runs the upgrade action and
prints what happened: the plan, tracking progress with pod logs, and on
failure what failed and what was restored. Exit codes: 0 deployed or
unchanged, 1 failed and rolled back (or cleaned up), 5 failed and the
rollback failed too, 2 bad input (nothing applied), 3 cluster unreachable or
refused. `--report FILE` writes the result as JSON whatever the outcome.

Must not: hold engine logic.
"""

from __future__ import annotations

from typing import Optional

import typer

from deploykit import errors
from deploykit.cli import apps, chartflags, engine

app = apps.command_app()


def run_upgrade(
    *, release: str, chart: str, must_be_new: bool, install: bool, values_files: list[str], set_values: list[str],
    set_strings: list[str], set_files: list[str], set_json: list[str], set_literals: list[str], namespace: Optional[str], timeout: str,
    no_atomic: bool, create_namespace: bool, adopt: bool, plan_file: Optional[str], no_wait: bool,
    report: Optional[str], description: str, lock_timeout: str, kubeconfig: Optional[str],
    kube_context: Optional[str], allow_unencrypted_secrets: bool, template_engine: str = "auto",
    kube_version: Optional[str] = None, skip_schema_validation: bool = False,
) -> None:
    from deploykit.release import upgrading

    wait_seconds = engine.seconds(timeout, what="--timeout")
    lock_seconds = engine.seconds(lock_timeout, what="--lock-timeout")
    engine.check_report_path(report)
    reviewed = _read_plan(plan_file) if plan_file else None
    with engine.connect(kubeconfig, kube_context) as kube:
        options = chartflags.bind(
            chart, values_files=values_files, set_values=set_values, set_strings=set_strings, set_files=set_files,
            set_json=set_json, set_literals=set_literals, release=release, namespace=namespace or kube.connection.default_namespace,
            kube_version=engine.kube_version(kube, kube_version), api_versions=[],
            allow_unencrypted_secrets=allow_unencrypted_secrets, template_engine=template_engine,
            skip_schema_validation=skip_schema_validation,
        )
        upgrade_options = upgrading.UpgradeOptions(
            render=options, install=install, must_be_new=must_be_new, atomic=not no_atomic, wait=not no_wait,
            create_namespace=create_namespace, adopt=adopt, description=description, plan=reviewed,
            lock_timeout=lock_seconds,
        )
        try:
            result = upgrading.upgrade(kube, upgrade_options, track=engine.tracker_for(kube, timeout=wait_seconds),
                                       say=engine.say)
        except errors.DeployFailedError as exc:
            failed = getattr(exc, "result", None)
            if failed is not None and report:
                engine.write_report(report, failed.to_dict())
            raise
        except (errors.DeploykitError, KeyboardInterrupt) as exc:
            engine.write_report(report, {"ok": False, "release": release, "error": str(exc) if not isinstance(exc, KeyboardInterrupt) else "interrupted"})
            raise
    if result.notes and result.status != "unchanged":
        typer.echo("NOTES:\n" + result.notes.rstrip("\n"))
    if report:  # the result's dict of a 1,000-object plan is not free
        engine.write_report(report, result.to_dict())


def _read_plan(path: str):
    import json

    from deploykit.release import plans

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise errors.UsageError(f"--plan {path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise errors.UsageError(f"--plan {path}: not JSON ({exc})", hint="give a file written by `deploykit plan --out`") from None
    return plans.Plan.from_dict(data, source=path)


@app.command(no_args_is_help=True)
def upgrade(
    release: str = engine.RELEASE,
    chart: str = chartflags.CHART,
    install: bool = typer.Option(False, "-i", "--install", help="Install the release if it does not exist."),
    values_files: list[str] = chartflags.VALUES,
    set_values: list[str] = chartflags.SET,
    set_strings: list[str] = chartflags.SET_STRING,
    set_files: list[str] = chartflags.SET_FILE,
    set_json: list[str] = chartflags.SET_JSON,
    set_literals: list[str] = chartflags.SET_LITERAL,
    namespace: Optional[str] = engine.NAMESPACE,
    timeout: str = engine.TIMEOUT,
    no_atomic: bool = engine.NO_ATOMIC,
    create_namespace: bool = engine.CREATE_NAMESPACE,
    adopt: bool = engine.ADOPT,
    plan_file: Optional[str] = typer.Option(None, "--plan", metavar="FILE", help="Apply exactly this reviewed plan (from `deploykit plan --out`)."),
    no_wait: bool = engine.NO_WAIT,
    report: Optional[str] = engine.REPORT,
    description: str = engine.DESCRIPTION,
    lock_timeout: str = engine.LOCK_TIMEOUT,
    kubeconfig: Optional[str] = engine.KUBECONFIG,
    kube_context: Optional[str] = engine.KUBE_CONTEXT,
    allow_unencrypted_secrets: bool = chartflags.ALLOW_UNENCRYPTED,
    template_engine: str = chartflags.TEMPLATE_ENGINE,
    kube_version: Optional[str] = chartflags.CLUSTER_KUBE_VERSION,
    skip_schema_validation: bool = chartflags.SKIP_SCHEMA_VALIDATION,
) -> None:
    """Upgrade RELEASE to CHART (install it with --install); roll back automatically on failure."""
    run_upgrade(**locals(), must_be_new=False)
