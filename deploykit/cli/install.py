"""`deploykit install`: `upgrade --install` that refuses a release that is already installed."""

from __future__ import annotations

from typing import Optional

import typer

from deploykit.cli import apps, chartflags, engine
from deploykit.cli.upgrade import run_upgrade

app = apps.command_app()


@app.command(no_args_is_help=True)
def install(
    release: str = engine.RELEASE,
    chart: str = chartflags.CHART,
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
    skip_crds: bool = chartflags.SKIP_CRDS,
) -> None:
    """Install CHART as RELEASE; refuses if RELEASE is already installed (use upgrade)."""
    run_upgrade(**locals(), must_be_new=True, install=True)
