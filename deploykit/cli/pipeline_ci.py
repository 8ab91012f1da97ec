"""`deploykit pipeline ci gitlab|github FILE [--out PATH]`: write the CI configuration of a pipeline.

Binds flags, loads the pipeline file, finds the file's path relative to the
repository root (the folder holding `.git`, else the current folder) and
prints or writes what deploykit.pipeline.ci generates. Mounted into the
`pipeline` group by deploykit/cli/pipeline.py.

Must not: build any part of the CI file itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from deploykit import errors
from deploykit.cli import apps
from deploykit.pipeline import ci as ci_files
from deploykit.pipeline import model

app = apps.command_app(help="Write the CI configuration (GitLab CI or GitHub Actions) of a pipeline file.")


def load_pipeline(path: Path) -> model.Pipeline:
    """The pipeline file as a model, read by the pipeline loader."""
    from deploykit.pipeline import loading  # imported on use: only this command needs it

    return loading.load(path)


@app.command(short_help="Write the GitLab CI or GitHub Actions configuration of a pipeline file.")
def ci(
    system: str = typer.Argument(..., help="gitlab or github.", show_default=False),
    file: Path = typer.Argument(..., help="The pipeline file.", show_default=False),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write here instead of stdout (folders are created)."),
    install: str = typer.Option(
        ci_files.DEFAULT_INSTALL, "--install", help="What each job pip-installs: `.` (this repository) or a requirement such as deploykit==0.1.0."
    ),
    environment_url: list[str] = typer.Option(
        [], "--environment-url", help="STAGE=URL: the URL shown for a stage's environment (repeatable).", show_default=False
    ),
) -> None:
    """Write the CI configuration that runs FILE's stages in promotion order, one job per stage and cluster."""
    if system not in ci_files.SYSTEMS:
        raise errors.UsageError(f"unknown CI system {system!r}", hint="choose one of: " + ", ".join(ci_files.SYSTEMS))
    urls = _environment_urls(environment_url)
    pipeline = load_pipeline(file)
    unknown = sorted(set(urls) - {stage.name for stage in pipeline.stages})
    if unknown:
        raise errors.UsageError(
            f"--environment-url names no stage of {file}: {', '.join(unknown)}",
            hint="stages: " + ", ".join(stage.name for stage in pipeline.stages),
        )
    text = ci_files.generate(system, pipeline, pipeline_file=_repo_relative(file), install=install, environment_urls=urls)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
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


def _repo_relative(file: Path) -> str:
    """FILE's path from the repository root, as CI jobs (which start there) must name it."""
    path = file.resolve()
    root = next((folder for folder in path.parents if (folder / ".git").exists()), Path.cwd().resolve())
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        raise errors.UsageError(
            f"{file} is outside the repository ({root})",
            hint="generate the CI file from inside the repository that holds the pipeline file",
        ) from None
