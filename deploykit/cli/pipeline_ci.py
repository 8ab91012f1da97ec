"""`deploykit pipeline ci gitlab|github FILE [--out PATH]`: write the CI configuration of a pipeline.

Binds flags, loads the pipeline file, names the file and its local charts
by their paths from the repository root (the folder holding `.git`, else
the current folder), as CI jobs see them, and prints or writes what
deploykit.pipeline.ci generates. Mounted into the `pipeline` group by
deploykit/cli/pipeline.py.

Must not: build any part of the CI file itself; import the pipeline package
at module level (the `pipeline` group's start-up stays cheap).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from deploykit import errors
from deploykit.cli import apps

if TYPE_CHECKING:
    from deploykit.pipeline import model

SYSTEMS = ("gitlab", "github")  # deploykit.pipeline.ci.SYSTEMS, without importing it

app = apps.command_app(help="Write the CI configuration (GitLab CI or GitHub Actions) of a pipeline file.")


def load_pipeline(path: Path) -> model.Pipeline:
    """The pipeline file as a model, read by the pipeline loader."""
    from deploykit.pipeline import loading  # imported on use: only this command needs it

    return loading.load(path)


@app.command(short_help="Write the GitLab CI or GitHub Actions configuration of a pipeline file.")
def ci(
    system: str = typer.Argument(..., metavar="SYSTEM", help="gitlab or github.", show_default=False),
    file: Path = typer.Argument(..., metavar="FILE", help="The pipeline file.", show_default=False),
    out: Optional[Path] = typer.Option(None, "--out", metavar="PATH", help="Write here instead of stdout (folders are created)."),
    install: str = typer.Option(
        ".", "--install", metavar="SPEC", help="What each job pip-installs: `.` (this repository) or a requirement such as deploykit==0.1.0."
    ),
    environment_url: list[str] = typer.Option(
        [], "--environment-url", metavar="STAGE=URL", help="STAGE=URL: the URL shown for a stage's environment (repeatable).", show_default=False
    ),
) -> None:
    """Write the CI configuration that runs FILE's stages in promotion order, one job per stage and cluster."""
    from deploykit.pipeline import ci as ci_files
    from deploykit.report import saving

    if system not in SYSTEMS:
        raise errors.UsageError(f"unknown CI system {system!r}", hint="choose one of: " + ", ".join(SYSTEMS))
    urls = _environment_urls(environment_url)
    root = _repo_root(file)
    pipeline = _charts_from_root(load_pipeline(file), root)
    unknown = sorted(set(urls) - {stage.name for stage in pipeline.stages})
    if unknown:
        raise errors.UsageError(
            f"--environment-url names no stage of {file}: {', '.join(unknown)}",
            hint="stages: " + ", ".join(stage.name for stage in pipeline.stages),
        )
    text = ci_files.generate(system, pipeline, pipeline_file=_from_root(file, root), install=install, environment_urls=urls)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        saving.save(out, text)
    except OSError as exc:
        raise errors.UsageError(f"{out}: cannot be written: {exc.strerror}") from None
    typer.echo(f"wrote {out}", err=True)


def _environment_urls(pairs: list[str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for pair in pairs:
        stage, sep, url = pair.partition("=")
        if not sep or not stage or not url:
            raise errors.UsageError(f"--environment-url {pair!r} is not STAGE=URL", hint="e.g. --environment-url production=https://web.example.com")
        urls[stage] = url
    return urls


def _repo_root(file: Path) -> Path:
    """The repository holding FILE (CI jobs start there): the nearest folder with `.git`, else the current folder."""
    path = file.resolve()
    return next((folder for folder in path.parents if (folder / ".git").exists()), Path.cwd().resolve())


def _from_root(file: Path, root: Path) -> str:
    try:
        return file.resolve().relative_to(root).as_posix()
    except ValueError:
        raise errors.UsageError(
            f"{file} is outside the repository ({root})",
            hint="generate the CI file from inside the repository that holds the pipeline file",
        ) from None


def _charts_from_root(pipeline: model.Pipeline, root: Path) -> model.Pipeline:
    """The pipeline with local chart paths (the loader gives them from the current folder) made relative to `root`."""
    releases = []
    for release in pipeline.releases:
        chart = release.chart
        if "://" not in chart and Path(chart).exists():
            chart = Path(os.path.relpath(Path(chart).resolve(), root)).as_posix()
        releases.append(dataclasses.replace(release, chart=chart))
    return dataclasses.replace(pipeline, releases=tuple(releases))
