"""The compiled-template cache: a new process does not recompile, edits are picked up, no cache is no problem."""

import os
import subprocess
import sys

import pytest

from deploykit.charts import environment

RENDER = """
import sys
if sys.argv[2] == "forbid-compile":
    import jinja2
    def refuse(*args, **kwargs):
        raise SystemExit("compiled a template")
    jinja2.Environment.compile = refuse
from tests.plugins.charts import render_chart
print([m.obj["data"] for m in render_chart(sys.argv[1]).manifests])
"""


def render_in_new_process(chart, cache, mode="normal"):
    return subprocess.run(
        [sys.executable, "-c", RENDER, str(chart), mode],
        capture_output=True, text=True, timeout=60, cwd=os.getcwd(),
        env={**os.environ, "DEPLOYKIT_CACHE_DIR": str(cache), "PYTHONPATH": os.getcwd()},
    )


def chart_with_macros(make_chart, greeting="hello"):
    return make_chart({
        "templates/_helpers.j2": "{% macro greet(who) %}" + greeting + " {{ who }}{% endmacro %}\n",
        "templates/cm.yaml": '{% import "_helpers.j2" as h %}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  msg: {{ h.greet(Release.Name) }}\n',
    })


@pytest.mark.slow
def test_second_process_loads_compiled_templates_from_the_cache(make_chart, tmp_path):
    """Every CI job would pay the full compile time of every template again."""
    chart = chart_with_macros(make_chart)
    cache = tmp_path / "cache"
    assert render_in_new_process(chart, cache, "forbid-compile").returncode != 0  # the guard works: nothing cached yet
    first = render_in_new_process(chart, cache)
    second = render_in_new_process(chart, cache, "forbid-compile")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout == "[{'msg': 'hello rel'}]\n"


@pytest.mark.slow
def test_edited_template_is_recompiled_not_served_stale(make_chart, tmp_path):
    """A fixed template would keep rendering its old, cached version."""
    cache = tmp_path / "cache"
    chart = chart_with_macros(make_chart)
    assert render_in_new_process(chart, cache).stdout == "[{'msg': 'hello rel'}]\n"
    (chart / "templates" / "_helpers.j2").write_text("{% macro greet(who) %}bye {{ who }}{% endmacro %}\n")
    assert render_in_new_process(chart, cache).stdout == "[{'msg': 'bye rel'}]\n"


@pytest.mark.slow
def test_cache_folder_is_unusable_render_still_works(make_chart, tmp_path):
    """A read-only or broken cache location (CI runners) would fail every render."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    done = render_in_new_process(chart_with_macros(make_chart), blocker / "cache")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[{'msg': 'hello rel'}]\n"


def test_cache_folder_follows_deploykit_then_xdg_then_home(monkeypatch, tmp_path):
    """The cache would land somewhere users cannot find or clear."""
    monkeypatch.setenv("DEPLOYKIT_CACHE_DIR", str(tmp_path / "dk"))
    assert environment.cache_dir().startswith(str(tmp_path / "dk" / "jinja"))
    monkeypatch.delenv("DEPLOYKIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert environment.cache_dir().startswith(str(tmp_path / "xdg" / "deploykit" / "jinja"))
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert environment.cache_dir().startswith(str(tmp_path / "home" / ".cache" / "deploykit" / "jinja"))
