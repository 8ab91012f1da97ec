"""The compiled-template cache: a new process does not recompile, edits are picked up, no cache is no problem."""

import hashlib
import marshal
import os
import pickle
import subprocess
import sys

import jinja2.bccache
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


@pytest.mark.slow
def test_same_size_same_mtime_edit_is_recompiled(make_chart, tmp_path):
    """An edit that keeps the file's size and time stamp (a CI checkout, a restored cache) would render the old text."""
    cache = tmp_path / "cache"
    chart = chart_with_macros(make_chart)
    helpers_file = chart / "templates" / "_helpers.j2"
    assert render_in_new_process(chart, cache).stdout == "[{'msg': 'hello rel'}]\n"
    before = helpers_file.stat()
    helpers_file.write_text(helpers_file.read_text().replace("hello", "howdy"))
    os.utime(helpers_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert helpers_file.stat().st_size == before.st_size and helpers_file.stat().st_mtime_ns == before.st_mtime_ns
    assert render_in_new_process(chart, cache).stdout == "[{'msg': 'howdy rel'}]\n"


@pytest.mark.slow
def test_damaged_cache_files_are_recompiled_not_fatal(make_chart, tmp_path):
    """A cache restored half-written by CI (or from another tool's version) would fail every render of the job."""
    cache = tmp_path / "cache"
    chart = chart_with_macros(make_chart)
    assert render_in_new_process(chart, cache).returncode == 0
    damaged = sorted(path for path in cache.rglob("*") if path.is_file() and "jinja" in path.parts)
    assert damaged
    for index, path in enumerate(damaged):
        path.write_bytes(jinja2.bccache.bc_magic + b"\x80\x02garbage" if index % 2 == 0 else b"\x00not a cache file")
    done = render_in_new_process(chart, cache)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[{'msg': 'hello rel'}]\n"


def test_cache_file_is_used_only_for_its_own_text_and_format():
    """A cache file from another template text, another Python or a damaged write would run the wrong code."""
    checksum = hashlib.sha1(b"source").hexdigest()
    code = compile("x = 1", "<t>", "exec")
    good = jinja2.bccache.bc_magic + pickle.dumps(checksum, 2) + marshal.dumps(code)
    assert environment.compiled_code(good, checksum) == code
    assert environment.compiled_code(good, hashlib.sha1(b"other source").hexdigest()) is None
    other_python = b"j2" + pickle.dumps(jinja2.bccache.bc_version, 2) + pickle.dumps((3 << 24) | 99, 2)
    assert environment.compiled_code(other_python + good[len(jinja2.bccache.bc_magic):], checksum) is None
    assert environment.compiled_code(good[:-10], checksum) is None
    assert environment.compiled_code(jinja2.bccache.bc_magic + pickle.dumps(os.system, 2) + marshal.dumps(code), checksum) is None


def bundle_files(cache):
    return sorted(cache.rglob("tree-*.bundle"))


def per_template_files(cache):
    return sorted(cache.rglob("__jinja2_*.cache"))


@pytest.mark.slow
def test_new_process_reads_every_compiled_template_from_the_chart_bundle(make_chart, tmp_path):
    """A CI job would open one cache file per template (hundreds) instead of one per chart."""
    cache = tmp_path / "cache"
    chart = chart_with_macros(make_chart)
    assert render_in_new_process(chart, cache).returncode == 0
    assert len(bundle_files(cache)) == 1
    for path in per_template_files(cache):
        path.unlink()
    done = render_in_new_process(chart, cache, "forbid-compile")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[{'msg': 'hello rel'}]\n"


@pytest.mark.slow
def test_damaged_bundle_is_recompiled_and_rewritten(make_chart, tmp_path):
    """A bundle restored half-written by CI would fail every render, or be recompiled by every job after."""
    cache = tmp_path / "cache"
    chart = chart_with_macros(make_chart)
    assert render_in_new_process(chart, cache).returncode == 0
    [bundle] = bundle_files(cache)
    bundle.write_bytes(bundle.read_bytes()[:-50])
    for path in per_template_files(cache):
        path.unlink()
    done = render_in_new_process(chart, cache)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[{'msg': 'hello rel'}]\n"
    for path in per_template_files(cache):
        path.unlink()
    assert render_in_new_process(chart, cache, "forbid-compile").stdout == "[{'msg': 'hello rel'}]\n"


@pytest.mark.slow
def test_charts_with_the_same_template_names_share_a_bundle_safely(tmp_path):
    """Two checkouts of one chart at different versions (one CI cache) would render each other's templates."""
    from tests.plugins.charts import write_chart

    cache = tmp_path / "cache"
    old = chart_with_macros(lambda files: write_chart(tmp_path / "v1" / "app", files), greeting="hello")
    new = chart_with_macros(lambda files: write_chart(tmp_path / "v2" / "app", files), greeting="howdy")
    for chart, shown in ((old, "hello"), (new, "howdy"), (old, "hello"), (new, "howdy")):
        assert render_in_new_process(chart, cache).stdout == f"[{{'msg': '{shown} rel'}}]\n"
    assert len(bundle_files(cache)) == 1


@pytest.mark.slow
def test_same_template_text_in_two_charts_keeps_each_charts_names(make_chart, tmp_path):
    """A template shared by two charts would report its errors under the other chart's file names."""
    cache = tmp_path / "cache"
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: {{ Values.missing.deep }}\n"
    for name in ("one", "two", "one"):
        done = subprocess.run(
            [sys.executable, "-m", "deploykit", "template", "rel", str(make_chart({"Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n", "templates/cm.yaml": text}, name=name))],
            capture_output=True, text=True, timeout=60, cwd=os.getcwd(),
            env={**os.environ, "DEPLOYKIT_CACHE_DIR": str(cache), "PYTHONPATH": os.getcwd()},
        )
        assert done.returncode == 2
        assert f"{name}/templates/cm.yaml:6" in done.stderr, done.stderr


@pytest.mark.slow
def test_concurrent_jobs_sharing_one_cache_each_render_their_own_chart(tmp_path):
    """Parallel CI jobs restoring one cache would render each other's templates or fail on a torn bundle."""
    from tests.plugins.charts import write_chart

    cache = tmp_path / "cache"
    charts = [chart_with_macros(lambda files, i=i: write_chart(tmp_path / f"v{i}" / "app", files), greeting=f"hi{i}")
              for i in range(4)]
    running = [subprocess.Popen([sys.executable, "-c", RENDER, str(chart), "normal"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=os.getcwd(),
                                env={**os.environ, "DEPLOYKIT_CACHE_DIR": str(cache), "PYTHONPATH": os.getcwd()})
               for chart in charts * 2]
    outputs = [process.communicate(timeout=120) for process in running]
    assert [out for out, _ in outputs] == [f"[{{'msg': 'hi{i} rel'}}]\n" for i in range(4)] * 2, [err for _, err in outputs]
    assert not [path for path in cache.rglob("*.partial")]
    for i, chart in enumerate(charts):
        assert render_in_new_process(chart, cache).stdout == f"[{{'msg': 'hi{i} rel'}}]\n"


TAGS_RENDER = """
import sys
from tests.plugins.charts import render_chart
cached = [m.obj["data"] for m in render_chart(sys.argv[1]).manifests]
loaded_before_a_parse = "jinja2.ext" in sys.modules
print(cached, loaded_before_a_parse, [m.obj["data"] for m in render_chart(sys.argv[2]).manifests])
"""
LOOP_TAGS = "{% for i in [1, 2, 3] %}{% if i > 2 %}{% break %}{% endif %}{% do seen.append(i) %}{% endfor %}"


@pytest.mark.slow
def test_templates_served_compiled_need_no_parser_extensions_yet_new_ones_keep_their_tags(make_chart, tmp_path):
    """Every render from the cache would import Jinja's extensions (~2 ms), or a template parsed after would lose do/break."""
    cache = tmp_path / "cache"
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  seen: {{{{ seen | join(',') }}}}\n"
    cached = make_chart({"Chart.yaml": "apiVersion: v2\nname: cached\nversion: 1.0.0\n",
                         "templates/cm.yaml": "{% set seen = [] %}" + LOOP_TAGS + "\n" + config.format(name="a")}, name="cached")
    parsed = make_chart({"Chart.yaml": "apiVersion: v2\nname: parsed\nversion: 1.0.0\n", "values.yaml": f"loop: '{LOOP_TAGS}{{{{ seen | join(\"-\") }}}}'\n",
                         "templates/cm.yaml": config.format(name="b").replace("{{ seen | join(',') }}", "{{ tpl('{% set seen = [] %}' ~ Values.loop) }}")},
                        name="parsed")
    run = [sys.executable, "-c", TAGS_RENDER, str(cached), str(parsed)]
    env = {**os.environ, "DEPLOYKIT_CACHE_DIR": str(cache), "PYTHONPATH": os.getcwd()}
    first = subprocess.run(run, capture_output=True, text=True, timeout=60, cwd=os.getcwd(), env=env)
    second = subprocess.run(run, capture_output=True, text=True, timeout=60, cwd=os.getcwd(), env=env)
    assert first.stdout == "[{'seen': '1,2'}] True [{'seen': '1-2'}]\n", first.stderr
    assert second.stdout == "[{'seen': '1,2'}] False [{'seen': '1-2'}]\n", second.stderr
