"""`deploykit plan`: what an upgrade would change, object by object and field by field, with drift.

Runs the upgrade's steps before its first write (render, server-side dry-run
apply, compare with the live objects) and prints the plan; `--out FILE`
saves it as data for `upgrade --plan FILE`. With `--detailed-exitcode` the
exit code is 0 when nothing would change and 6 when something would (2 stays
bad input). Secret values never appear: Secret data and every
secret-derived string are masked in the text and in the file.

Must not: write to the cluster.
"""

from __future__ import annotations

from typing import Optional

import typer

from deploykit import errors
from deploykit.cli import apps, chartflags, engine, releaseflags, renderoptions

app = apps.command_app()

CHANGES_EXIT_CODE = 6


@app.command(no_args_is_help=True)
def plan(
    release: str = releaseflags.RELEASE,
    chart: str = chartflags.CHART,
    values_files: list[str] = chartflags.VALUES,
    set_values: list[str] = chartflags.SET,
    set_strings: list[str] = chartflags.SET_STRING,
    set_files: list[str] = chartflags.SET_FILE,
    set_json: list[str] = chartflags.SET_JSON,
    set_literals: list[str] = chartflags.SET_LITERAL,
    namespace: Optional[str] = releaseflags.NAMESPACE,
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Save the plan as JSON (for upgrade --plan)."),
    detailed_exitcode: bool = typer.Option(False, "--detailed-exitcode", help=f"Exit {CHANGES_EXIT_CODE} when there are changes, 0 when none."),
    create_namespace: bool = typer.Option(False, "--create-namespace", help="Plan as if the namespace will be created."),
    adopt: bool = releaseflags.ADOPT,
    output: str = releaseflags.OUTPUT,
    kubeconfig: Optional[str] = releaseflags.KUBECONFIG,
    kube_context: Optional[str] = releaseflags.KUBE_CONTEXT,
    allow_unencrypted_secrets: bool = chartflags.ALLOW_UNENCRYPTED,
    template_engine: str = chartflags.TEMPLATE_ENGINE,
    kube_version: Optional[str] = chartflags.CLUSTER_KUBE_VERSION,
    skip_schema_validation: bool = chartflags.SKIP_SCHEMA_VALIDATION,
    skip_crds: bool = chartflags.SKIP_CRDS,
) -> None:
    """Show what `upgrade` would change: creates, updates (field by field), prunes and drift."""
    from deploykit.release import plans, upgrading
    from deploykit.release.results import Timer
    from deploykit.report import saving
    from deploykit.secrets import redaction

    engine.check_output(output)
    with engine.connect(kubeconfig, kube_context) as kube:
        options = renderoptions.bind(
            chart, values_files=values_files, set_values=set_values, set_strings=set_strings, set_files=set_files,
            set_json=set_json, set_literals=set_literals, release=release, namespace=namespace or kube.connection.default_namespace,
            kube_version=engine.kube_version(kube, kube_version), api_versions=[],
            allow_unencrypted_secrets=allow_unencrypted_secrets, template_engine=template_engine,
            skip_schema_validation=skip_schema_validation,
        )
        prepared = upgrading.prepare(kube, upgrading.UpgradeOptions(
            render=options, create_namespace=create_namespace, adopt=adopt, skip_crds=skip_crds), timer=Timer())
    result = prepared.plan
    if out:
        try:
            saving.save(out, redaction.mask(result.to_json()))
        except OSError as exc:
            raise errors.UsageError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    if output == "table":
        for line in plans.describe(result):
            typer.echo(line)
    else:
        engine.emit(result.to_dict(), output)
    if detailed_exitcode and result.has_changes:
        raise typer.Exit(CHANGES_EXIT_CODE)
