"""What `deploykit upgrade` and `deploykit install` do: deploy a chart as a release, atomically.

Turns the flag values into `UpgradeOptions`, connects, runs the upgrade
action and prints what happened (see deploykit.cli.upgrade for the exit
codes). The flags are declared (typer) in deploykit.cli.upgrade and
deploykit.cli.install; this runs under typer and under the fast front alike.

Must not: hold engine logic, or import typer.
"""

from __future__ import annotations

from typing import Any, Optional

from deploykit import errors
from deploykit.cli import engine, renderoptions
from deploykit.cli.printing import echo


def upgrade(**flags: Any) -> None:
    """`deploykit upgrade`: every flag's value as deploykit.cli.upgrade declares it."""
    run_upgrade(**flags, must_be_new=False)


def install(**flags: Any) -> None:
    """`deploykit install`: `upgrade --install` that refuses a release that exists (flags of deploykit.cli.install)."""
    run_upgrade(**flags, must_be_new=True, install=True)


def run_upgrade(
    *, release: str, chart: str, must_be_new: bool, install: bool, values_files: list[str], set_values: list[str],
    set_strings: list[str], set_files: list[str], set_json: list[str], set_literals: list[str], namespace: Optional[str], timeout: str,
    no_atomic: bool, create_namespace: bool, adopt: bool, plan_file: Optional[str], no_wait: bool,
    report: Optional[str], description: str, lock_timeout: str, kubeconfig: Optional[str],
    kube_context: Optional[str], allow_unencrypted_secrets: bool, template_engine: str = "auto",
    kube_version: Optional[str] = None, skip_schema_validation: bool = False, skip_crds: bool = False,
) -> None:
    from deploykit.release import upgrading

    wait_seconds = engine.seconds(timeout, what="--timeout")
    lock_seconds = engine.seconds(lock_timeout, what="--lock-timeout")
    engine.check_report_path(report)
    reviewed = _read_plan(plan_file) if plan_file else None
    with engine.cancellable(report=report, release=release), engine.connect(kubeconfig, kube_context) as kube:
        options = renderoptions.bind(
            chart, values_files=values_files, set_values=set_values, set_strings=set_strings, set_files=set_files,
            set_json=set_json, set_literals=set_literals, release=release, namespace=namespace or kube.connection.default_namespace,
            kube_version=engine.kube_version(kube, kube_version), api_versions=[],
            allow_unencrypted_secrets=allow_unencrypted_secrets, template_engine=template_engine,
            skip_schema_validation=skip_schema_validation,
        )
        upgrade_options = upgrading.UpgradeOptions(
            render=options, install=install, must_be_new=must_be_new, atomic=not no_atomic, wait=not no_wait,
            create_namespace=create_namespace, adopt=adopt, description=description, plan=reviewed,
            lock_timeout=lock_seconds, skip_crds=skip_crds,
        )
        try:
            result = upgrading.upgrade(kube, upgrade_options, track=engine.tracker_for(kube, timeout=wait_seconds),
                                       say=engine.say)
        except errors.DeployFailedError as exc:
            failed = getattr(exc, "result", None)
            if failed is not None and report:
                engine.write_report(report, failed.to_dict())
            raise
        except errors.DeploykitError as exc:  # SIGTERM / SIGINT: engine.cancellable
            engine.write_report(report, {"ok": False, "release": release, "error": str(exc)})
            raise
        if result.notes and result.status != "unchanged":
            echo("NOTES:\n" + result.notes.rstrip("\n"))
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
