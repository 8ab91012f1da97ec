"""`deploykit install`: `upgrade --install` that refuses a release that is already installed."""

from __future__ import annotations

from typing import Optional

import typer

from deploykit.cli import apps, chartflags, releaseflags, run_upgrade

app = apps.command_app()


@app.command(no_args_is_help=True)
def install(
    release: str = releaseflags.RELEASE,
    chart: str = chartflags.CHART,
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
    """Install CHART as RELEASE; refuses if RELEASE is already installed (use upgrade)."""
    run_upgrade.install(**locals())
