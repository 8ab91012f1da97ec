"""`deploykit upgrade` (and `install`): deploy a chart as a release, atomically.

Declares the flags (typer); deploykit.cli.run_upgrade binds them into
`UpgradeOptions`, connects, runs the upgrade action and prints what
happened: the plan, tracking progress with pod logs, and on failure what
failed and what was restored. Exit codes: 0 deployed or
unchanged, 1 failed and rolled back (or cleaned up), 5 failed and the
rollback failed too, 2 bad input (nothing applied), 3 cluster unreachable or
refused, 128+N cancelled by signal N (SIGTERM 143, SIGINT 130) after rolling
back what it had applied. `--report FILE` writes the result as JSON whatever
the outcome.

Must not: hold engine logic.
"""

from __future__ import annotations

from typing import Optional

import typer

from deploykit.cli import apps, chartflags, releaseflags, run_upgrade

app = apps.command_app()


@app.command(no_args_is_help=True)
def upgrade(
    release: str = releaseflags.RELEASE,
    chart: str = chartflags.CHART,
    install: bool = typer.Option(False, "-i", "--install", help="Install the release if it does not exist."),
    values_files: list[str] = chartflags.VALUES,
    set_values: list[str] = chartflags.SET,
    set_strings: list[str] = chartflags.SET_STRING,
    set_files: list[str] = chartflags.SET_FILE,
    set_json: list[str] = chartflags.SET_JSON,
    set_literals: list[str] = chartflags.SET_LITERAL,
    namespace: Optional[str] = releaseflags.NAMESPACE,
    timeout: str = releaseflags.TIMEOUT,
    no_atomic: bool = releaseflags.NO_ATOMIC,
    create_namespace: bool = releaseflags.CREATE_NAMESPACE,
    adopt: bool = releaseflags.ADOPT,
    plan_file: Optional[str] = typer.Option(None, "--plan", metavar="FILE", help="Apply exactly this reviewed plan (from `deploykit plan --out`)."),
    no_wait: bool = releaseflags.NO_WAIT,
    report: Optional[str] = releaseflags.REPORT,
    description: str = releaseflags.DESCRIPTION,
    lock_timeout: str = releaseflags.LOCK_TIMEOUT,
    kubeconfig: Optional[str] = releaseflags.KUBECONFIG,
    kube_context: Optional[str] = releaseflags.KUBE_CONTEXT,
    allow_unencrypted_secrets: bool = chartflags.ALLOW_UNENCRYPTED,
    template_engine: str = chartflags.TEMPLATE_ENGINE,
    kube_version: Optional[str] = chartflags.CLUSTER_KUBE_VERSION,
    skip_schema_validation: bool = chartflags.SKIP_SCHEMA_VALIDATION,
    skip_crds: bool = chartflags.SKIP_CRDS,
) -> None:
    """Upgrade RELEASE to CHART (install it with --install); roll back automatically on failure."""
    run_upgrade.upgrade(**locals())
