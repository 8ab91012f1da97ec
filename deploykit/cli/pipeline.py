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
