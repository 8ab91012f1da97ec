"""`deploykit pipeline ci gitlab|github FILE [--out PATH]` (the command module, before the pipeline group mounts it)."""

import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from deploykit import errors
from deploykit.cli import pipeline_ci
from deploykit.pipeline import ci, model

PIPELINE_YAML = """\
apiVersion: deploykit.io/v1
kind: Pipeline
metadata: {name: shop}
releases:
  - {name: web, chart: charts/web, namespace: web}
stages:
  - {name: staging, clusters: [{name: staging, context: staging}]}
  - name: production
    clusters: [{name: eu, context: eu}, {name: us, context: us}]
    requires: [staging]
    approval: manual
"""


def read_pipeline(path: Path) -> model.Pipeline:
    """A minimal pipeline reader for these tests only (the real loader is deploykit.pipeline.loading)."""
    data = yaml.safe_load(path.read_text())
    # As the real loader does: paths relative to the file's folder, as seen from the current folder.
    base = os.path.dirname(os.fspath(path))
    return model.Pipeline(
        name=data["metadata"]["name"],
        source=str(path),
        releases=tuple(
            model.Release(**{**release, "chart": os.path.normpath(os.path.join(base, release["chart"]))})
            for release in data["releases"]
        ),
        stages=tuple(
            model.Stage(
                name=stage["name"],
                clusters=tuple(model.Cluster(**cluster) for cluster in stage["clusters"]),
                requires=tuple(stage.get("requires", ())),
                approval=stage.get("approval"),
            )
            for stage in data["stages"]
        ),
    )


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A repository with its pipeline file in deploy/, read by the test reader."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy/pipeline.yaml").write_text(PIPELINE_YAML)
    (tmp_path / "deploy/charts/web").mkdir(parents=True)
    monkeypatch.setattr(pipeline_ci, "load_pipeline", read_pipeline)
    monkeypatch.chdir(tmp_path / "deploy")
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(pipeline_ci.app, list(args))


@pytest.mark.parametrize("system", ci.SYSTEMS)
def test_prints_the_generated_file_naming_the_pipeline_from_the_repo_root(repo, system):
    """CI jobs, which start at the repository root, would look for the pipeline file in the wrong place."""
    result = invoke(system, "pipeline.yaml")
    assert result.exit_code == 0, result.output
    assert ("$DEPLOYKIT_PIPELINE" if system == "gitlab" else "DEPLOYKIT_PIPELINE") in result.stdout
    variables = yaml.safe_load(result.stdout)["variables" if system == "gitlab" else "env"]
    assert variables["DEPLOYKIT_PIPELINE"] == "deploy/pipeline.yaml"


def test_chart_folders_are_hashed_by_their_path_from_the_repo_root(repo):
    """The GitHub cache key would hash no file (a path seen from where the command ran), so it never changes."""
    result = invoke("github", "pipeline.yaml")
    assert "hashFiles('deploy/charts/web/**')" in result.stdout


def test_out_writes_the_file_and_creates_folders(repo):
    """`--out .github/workflows/deploy.yml` would fail on a fresh repository or print instead of writing."""
    result = invoke("github", str(repo / "deploy/pipeline.yaml"), "--out", str(repo / ".github/workflows/deploy.yml"))
    assert result.exit_code == 0, result.output
    assert (repo / ".github/workflows/deploy.yml").read_text() == invoke("github", "pipeline.yaml").stdout
    assert result.stdout == ""


def test_environment_url_reaches_the_stage_environment(repo):
    """`--environment-url production=URL` would not link the production environment to the application."""
    result = invoke("gitlab", "pipeline.yaml", "--environment-url", "production=https://shop.example.com")
    assert yaml.safe_load(result.stdout)["deploy:production"]["environment"]["url"] == "https://shop.example.com"


def test_environment_url_of_an_unknown_stage_is_refused(repo):
    """A typo in --environment-url would be ignored silently."""
    result = invoke("gitlab", "pipeline.yaml", "--environment-url", "prod=https://x")
    assert isinstance(result.exception, errors.UsageError)
    assert "prod" in str(result.exception) and "staging, production" in str(result.exception)


def test_unknown_system_is_refused_before_reading_the_file(repo):
    """`pipeline ci jenkins FILE` would crash or write a file instead of naming the known systems."""
    result = invoke("jenkins", "missing.yaml")
    assert isinstance(result.exception, errors.UsageError)
    assert "gitlab, github" in str(result.exception)
