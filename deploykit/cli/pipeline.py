"""`deploykit pipeline ...`: the commands about a pipeline file (docs/pipelines.md).

A group: each subcommand is one function below that binds its arguments and
calls the pipeline package. `validate` reads the file and prints a summary
(stages, clusters, releases in waves), or every problem as
`error: file:line: field: message` and exits 2.

Must not: import the pipeline package at module level (start-up stays cheap).
"""

from __future__ import annotations

import typer

from deploykit.cli import apps

app = apps.command_app(no_args_is_help=True)

EXIT_INVALID = 2

PIPELINE_FILE = typer.Argument(..., metavar="FILE", help="A pipeline file, e.g. pipelines/demo.yaml.", show_default=False)


@app.callback()
def pipeline() -> None:
    """Validate, plan and run a pipeline of stages."""


@app.command(no_args_is_help=True)
def validate(file: str = PIPELINE_FILE) -> None:
    """Check FILE (schema, names, needs, requires, files, secrets); print its stages and release waves."""
    from deploykit.pipeline import loading

    found_pipeline, found = loading.check(file)
    if found_pipeline is None:
        for problem in found:
            typer.echo(f"error: {problem}", err=True)
        typer.echo(f"pipeline invalid: {file}: {len(found)} problem(s)", err=True)
        raise typer.Exit(EXIT_INVALID)
    for line in summary_lines(found_pipeline):
        typer.echo(line)


def summary_lines(pipeline) -> list[str]:
    """What `validate` prints of a valid pipeline: one line per wave, stage and cluster."""
    waves = pipeline.release_waves()
    lines = [f"pipeline {pipeline.name} ({pipeline.source}): valid",
             f"releases: {len(pipeline.releases)} in {len(waves)} wave(s)"]
    for number, wave in enumerate(waves, start=1):
        names = ", ".join(f"{release.name} ({release.chart} -> namespace {release.namespace})" for release in wave)
        lines.append(f"  wave {number}: {names}")
    lines.append(f"stages: {' -> '.join(stage.name for stage in pipeline.stages)}")
    for stage in pipeline.stages:
        gates = [f"requires {', '.join(stage.requires)}"] if stage.requires else []
        gates += [f"approval {stage.approval}"] if stage.approval else []
        policy = stage.policy
        flags = [f"timeout {policy.timeout}", "atomic" if policy.atomic else "not atomic"]
        flags += ["create-namespace"] if policy.create_namespace else []
        lines.append(f"  {stage.name}: " + "; ".join(gates + [", ".join(flags)]))
        for cluster in stage.clusters:
            where = (f"simulator, state {cluster.sim_state}" if cluster.is_sim
                     else f"kubeconfig {cluster.kubeconfig or '(default)'}, context {cluster.context or '(current)'}")
            lines.append(f"    cluster {cluster.name}: {where}")
    lines.append("reports: signed, verified with the pipeline's ed25519 public key" if pipeline.public_key
                 else "reports: no public key, so stage reports are not verified")
    return lines


@app.command(no_args_is_help=True)
def run(
    file: str = PIPELINE_FILE,
    stages: list[str] = typer.Option([], "--stage", metavar="NAME", help="Run this stage (repeat for more); default: every stage in order."),
    clusters: list[str] = typer.Option([], "--cluster", metavar="NAME", help="Only this cluster of the stage (CI runs one job per cluster)."),
    report_dir: str = typer.Option("reports", "--report-dir", metavar="DIR", help="Where the stage reports go (one folder per stage when running several)."),
    evidence: str | None = typer.Option(None, "--evidence", metavar="DIR", help="Reports of earlier stages, as DIR/<stage>/report.json + report.sig."),
    approve: list[str] = typer.Option([], "--approve", metavar="NAME", help="Approve a stage with `approval: manual`."),
) -> None:
    """Run stages of FILE: gates, deploy every release on every cluster, write signed reports."""
    import os
    from pathlib import Path

    from deploykit import errors
    from deploykit.pipeline import loading, stages as stage_action
    from deploykit.release import cancelling
    from deploykit.secrets import redaction

    found_pipeline, found = loading.check(file)
    if found_pipeline is None:
        for problem in found:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(EXIT_INVALID)
    names = [stage.name for stage in found_pipeline.stages]
    unknown = [name for name in stages if name not in names]
    if unknown:
        raise errors.UsageError(f"--stage {unknown[0]}: {file} has no such stage (stages: {', '.join(names)})")
    chosen = [stage for stage in found_pipeline.stages if not stages or stage.name in stages]
    options = stage_action.RunOptions(
        base=Path.cwd(), report_dir=Path(report_dir), evidence=Path(evidence) if evidence else None,
        approved=tuple(approve), clusters=tuple(clusters), env=dict(os.environ), mask=redaction.mask,
    )
    with cancelling.handling():  # SIGTERM / SIGINT: the releases under way roll back, the reports say cancelled
        runs = stage_action.run_stages(found_pipeline, chosen, options, say=lambda line: typer.echo(line))
    failed = next((r for r in runs if r.exit_code), None)
    if failed is not None:
        typer.echo(f"error: stage {failed.stage} {failed.status}: see its reports in {report_dir}", err=True)
        raise typer.Exit(failed.exit_code)


@app.command(no_args_is_help=True)
def plan(
    file: str = PIPELINE_FILE,
    stage: str = typer.Option(..., "--stage", metavar="NAME", help="The stage to plan."),
    clusters: list[str] = typer.Option([], "--cluster", metavar="NAME", help="Only this cluster of the stage."),
    output: str = typer.Option("table", "-o", "--output", metavar="FORMAT", help="table or json."),
) -> None:
    """Show what running STAGE would change, per cluster and release (secrets masked); nothing is written."""
    import json
    from pathlib import Path

    from deploykit import errors
    from deploykit.pipeline import loading, running
    from deploykit.release import plans

    if output not in ("table", "json"):
        raise errors.UsageError(f"-o {output}: unknown output format", hint="use table or json")
    found_pipeline, found = loading.check(file)
    if found_pipeline is None:
        for problem in found:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(EXIT_INVALID)
    try:
        chosen = found_pipeline.stage(stage)
    except KeyError:
        names = ", ".join(s.name for s in found_pipeline.stages)
        raise errors.UsageError(f"--stage {stage}: {file} has no such stage (stages: {names})") from None
    planned = running.plan_stage(found_pipeline, chosen, base=Path.cwd(), clusters=tuple(clusters))
    if output == "json":
        typer.echo(json.dumps([{"cluster": cluster, "release": release, "plan": plan.to_dict()}
                               for cluster, release, plan in planned], indent=2))
        return
    for cluster, release, plan in planned:
        typer.echo(f"== stage {stage}, cluster {cluster}, release {release}")
        for line in plans.describe(plan):
            typer.echo(line)


def _mount_ci() -> None:
    from deploykit.cli import pipeline_ci

    app.command("ci", short_help="Write the GitLab CI or GitHub Actions file of a pipeline.")(pipeline_ci.ci)


_mount_ci()
