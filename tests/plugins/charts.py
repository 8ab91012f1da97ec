"""Shared fixtures for charts tests: charts written from a dict, rendering in-process, the CLI as a user runs it.

- every test session gets its own compiled-template cache (DEPLOYKIT_CACHE_DIR),
  so tests never write to the user's ~/.cache and never see a stale one;
- `make_chart(files, name=...)` writes a chart folder from {path: text};
- `render_chart(path, values=..., ...)` loads, resolves and renders in-process;
- `run_cli(*args)` runs `python -m deploykit ...` in a subprocess;
- `invoke_cli(*args)` runs a command in-process (typer's runner), for the many-case tests.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO_CHART = REPO / "pipelines" / "demo" / "charts" / "web"
DEMO_VALUES = REPO / "pipelines" / "demo" / "values"
BAD_CHARTS = REPO / "tests" / "data" / "charts" / "bad"

MINIMAL_CHART_YAML = "apiVersion: v2\nname: app\nversion: 1.0.0\n"


@pytest.fixture(autouse=True, scope="session")
def _isolated_template_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    if "DEPLOYKIT_CACHE_DIR" not in os.environ:
        os.environ["DEPLOYKIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("deploykit-cache"))


def write_chart(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: text} under `root` (text is dedented); Chart.yaml defaults to a minimal one."""
    files = {"Chart.yaml": MINIMAL_CHART_YAML, **files}
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"))
    return root


@pytest.fixture
def make_chart(tmp_path: Path) -> Callable[..., Path]:
    """`make_chart({"templates/x.yaml": "..."}, name="app")` -> the chart folder."""

    def make(files: dict[str, str | bytes], *, name: str = "app") -> Path:
        return write_chart(tmp_path / name, files)

    return make


def render_chart(
    path: str | os.PathLike[str],
    values: dict[str, Any] | None = None,
    *,
    release: str = "rel",
    namespace: str = "ns",
    kube_version: str = "v1.37.0",
    api_versions: tuple[str, ...] = (),
    secrets: tuple[str, ...] = (),
    report: list | None = None,
    check_partials: bool = False,
) -> Any:
    """Load, resolve and render a chart in-process, with `values` merged over its defaults."""
    from deploykit.charts import context, loading, rendering, resolving
    from deploykit.values import merging

    chart = loading.load_chart(path)
    composed = merging.merge(chart.values, values or {})
    tree = resolving.resolve(chart, composed, merge=merging.merge, report=report)
    target = rendering.Target(
        release=context.ReleaseInfo(Name=release, Namespace=namespace),
        kube_version=kube_version,
        api_versions=api_versions,
    )
    return rendering.render(tree, target=target, secrets=secrets, report=report, check_partials=check_partials)


@pytest.fixture(name="render_chart")
def render_chart_fixture() -> Callable[..., Any]:
    return render_chart


def run_deploykit(*args: str, cwd: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m deploykit ARGS` as a user runs it; stdout, stderr and exit code captured."""
    return subprocess.run(
        [sys.executable, "-m", "deploykit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_deploykit


@dataclasses.dataclass(frozen=True)
class CliOutcome:
    exit_code: int
    stdout: str
    stderr: str


def invoke_deploykit(*args: str) -> CliOutcome:
    """Run a command in-process with typer's runner, mapping errors to exit codes as `deploykit` does."""
    from typer.testing import CliRunner

    from deploykit import errors
    from deploykit.cli import main

    result = CliRunner().invoke(main.app, list(args))
    if isinstance(result.exception, errors.DeploykitError):
        return CliOutcome(result.exception.exit_code, result.stdout, result.stderr + f"error: {result.exception}\n")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliOutcome(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def invoke_cli() -> Callable[..., CliOutcome]:
    return invoke_deploykit
