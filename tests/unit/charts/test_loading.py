"""Loading charts from folders and archives, with their dependencies."""

import io
import os
import tarfile

import pytest

from deploykit import errors
from deploykit.charts import loading
from tests.plugins.charts import write_chart


def pack(folder, destination):
    """A Helm-layout archive of a chart folder (one top folder named after it)."""
    with tarfile.open(destination, "w:gz") as tar:
        tar.add(folder, arcname=os.path.basename(folder))
    return destination


def test_folder_chart_has_templates_files_crds_values_and_schema(make_chart):
    """A chart's parts would be missing or mixed up (Chart.yaml served as a File)."""
    path = make_chart(
        {
            "values.yaml": "replicas: 2\n",
            "values.schema.json": '{"type": "object"}',
            "templates/deployment.yaml": "kind: Deployment\n",
            "templates/_helpers.j2": "{% macro x() %}{% endmacro %}\n",
            "crds/widget.yaml": "kind: CustomResourceDefinition\n",
            "files/app.conf": "port=80\n",
        }
    )
    chart = loading.load_chart(path)
    assert chart.name == "app"
    assert sorted(chart.templates) == ["_helpers.j2", "deployment.yaml"]
    assert chart.values == {"replicas": 2}
    assert chart.schema == {"type": "object"}
    assert list(chart.crds) == ["widget.yaml"]
    assert sorted(chart.files) == ["crds/widget.yaml", "files/app.conf"]


def test_helmignore_excludes_files(make_chart):
    """Editor backups and secrets listed in .helmignore would be shipped to templates."""
    path = make_chart({".helmignore": "*.bak\nsecrets/\n", "notes.bak": "x", "secrets/key.pem": "k", "files/ok.txt": "ok"})
    assert sorted(loading.load_chart(path).files) == ["files/ok.txt"]


def test_archive_chart_loads_like_its_folder(make_chart, tmp_path):
    """`deploykit template web-1.0.0.tgz` would fail where the folder works."""
    folder = make_chart({"templates/a.yaml": "kind: A\n", "values.yaml": "a: 1\n"}, name="web")
    archived = loading.load_chart(pack(folder, tmp_path / "web-1.0.0.tgz"))
    direct = loading.load_chart(folder)
    assert (archived.templates, archived.values, archived.digest) == (direct.templates, direct.values, direct.digest)


def test_dependencies_from_charts_folder_archive_and_file_repository(tmp_path):
    """A subchart vendored one way or another would not be found."""
    write_chart(tmp_path / "common", {"Chart.yaml": "apiVersion: v2\nname: common\nversion: 1.2.0\ntype: library\n"})
    sub = write_chart(tmp_path / "build" / "redis", {"Chart.yaml": "apiVersion: v2\nname: redis\nversion: 17.3.0\n"})
    write_chart(tmp_path / "web", {
        "Chart.yaml": """
            apiVersion: v2
            name: web
            version: 1.0.0
            dependencies:
              - name: common
                version: ^1.0.0
                repository: file://../common
              - name: redis
                version: 17.x
              - name: db
                alias: primary
        """,
        "charts/db/Chart.yaml": "apiVersion: v2\nname: db\nversion: 0.1.0\n",
    })
    pack(sub, tmp_path / "web" / "charts" / "redis-17.3.0.tgz")
    write_chart(tmp_path / "web" / "charts" / "extra", {"Chart.yaml": "apiVersion: v2\nname: extra\nversion: 0.0.1\n"})
    chart = loading.load_chart(tmp_path / "web")
    found = {sub.key: (sub.chart.name, sub.found_at) for sub in chart.subcharts}
    assert found == {
        "common": ("common", "file://../common"),
        "redis": ("redis", "charts/redis-17.3.0.tgz"),
        "primary": ("db", "charts/db"),
        "extra": ("extra", "charts/extra"),  # vendored but undeclared: Helm includes it too
    }


def test_missing_dependency_names_the_entry_and_what_to_do(make_chart):
    """A user would not know which dependency is missing or how to provide it."""
    path = make_chart({"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: redis\n    version: ^17\n"})
    report = []
    with pytest.raises(errors.ChartError) as caught:
        loading.load_chart(path, report=report)
    assert caught.value.message == f"{path}/Chart.yaml:5: dependencies[0]: dependency 'redis' is not in {path}/charts/"
    assert "file://" in caught.value.hint and "charts/" in caught.value.hint
    assert [(p.file, p.line) for p in report] == [(f"{path}/Chart.yaml", 5)]


def test_dependency_version_mismatch_is_refused(make_chart):
    """A vendored subchart of the wrong major version would be used silently."""
    path = make_chart({
        "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: ^2.0.0\n",
        "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 1.4.0\n",
    })
    with pytest.raises(errors.ChartError, match=r"dependencies\[0\]: sub 1.4.0 found at .*charts/sub does not satisfy version '\^2.0.0'"):
        loading.load_chart(path)


@pytest.mark.parametrize(
    ("repository", "message"),
    [
        ("file://../nowhere", "points to"),
        ("file://.", "dependency cycle"),
    ],
)
def test_bad_file_repository_is_refused(make_chart, repository, message):
    """A wrong file:// path would crash or loop forever."""
    path = make_chart({"Chart.yaml": f"apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: app\n    repository: {repository}\n"})
    with pytest.raises(errors.ChartError, match=message):
        loading.load_chart(path)


def test_file_repository_holding_another_chart_is_refused(tmp_path):
    """file://../x pointing at the wrong chart would render someone else's templates."""
    write_chart(tmp_path / "other", {"Chart.yaml": "apiVersion: v2\nname: other\nversion: 1.0.0\n"})
    write_chart(tmp_path / "app", {"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: common\n    repository: file://../other\n"})
    with pytest.raises(errors.ChartError, match="holds chart 'other', not 'common'"):
        loading.load_chart(tmp_path / "app")


def test_link_out_of_a_chart_folder_is_refused(make_chart, tmp_path):
    """A symlink in a chart could make templates read files from the machine (e.g. ~/.kube/config)."""
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    path = make_chart({"templates/a.yaml": "kind: A\n"})
    os.symlink(outside, path / "files.txt")
    with pytest.raises(errors.ChartError, match="is a link pointing out of the chart"):
        loading.load_chart(path)


def test_folder_without_chart_yaml_is_not_a_chart(tmp_path):
    """Pointing at the wrong folder would produce an empty render instead of an error."""
    (tmp_path / "templates").mkdir()
    with pytest.raises(errors.ChartError, match="no Chart.yaml, so this is not a chart"):
        loading.load_chart(tmp_path)


def test_missing_path_is_a_clear_error(tmp_path):
    """A typo in the chart path would give a traceback."""
    with pytest.raises(errors.ChartError, match="no such chart folder or archive"):
        loading.load_chart(tmp_path / "nope")


def test_problems_of_chart_yaml_and_values_yaml_are_all_reported(make_chart):
    """lint would stop at the first broken file of a chart."""
    path = make_chart({
        "Chart.yaml": "apiVersion: v2\nname: app\nversion: nope\n",
        "values.yaml": "a: [1\n",
        "values.schema.json": "{not json",
    })
    report = []
    with pytest.raises(errors.ChartError):
        loading.load_chart(path, report=report)
    assert sorted(os.path.basename(p.file) for p in report) == ["Chart.yaml", "values.schema.json", "values.yaml"]
    assert all(p.line for p in report)


def test_oversized_folder_file_is_refused(make_chart, monkeypatch):
    """A large file left in a chart folder would be read into every render."""
    from deploykit.charts import unpacking

    monkeypatch.setattr(unpacking, "MAX_FILE_BYTES", 50)
    path = make_chart({"files/big.bin": b"\0" * 100})
    with pytest.raises(errors.ChartError, match="big.bin: 100 bytes is above the per-file limit"):
        loading.load_chart(path)


def test_digest_changes_with_any_file(make_chart):
    """An edited template would be rendered from a stale compiled copy."""
    path = make_chart({"templates/a.yaml": "a: 1\n"})
    before = loading.load_chart(path).digest
    (path / "templates" / "a.yaml").write_text("a: 2\n")
    assert loading.load_chart(path).digest != before


def test_reloading_sees_edited_added_and_removed_files(make_chart):
    """A second render in the same process (plan, then apply; the next stage) would use a stale chart."""
    path = make_chart({"templates/a.yaml": "a: 1\n"})
    assert loading.load_chart(path).templates == {"a.yaml": "a: 1\n"}
    assert loading.load_chart(path) is loading.load_chart(path)  # unchanged: reused
    (path / "templates" / "a.yaml").write_text("a: 22\n")
    assert loading.load_chart(path).templates == {"a.yaml": "a: 22\n"}
    (path / "templates" / "b.yaml").write_text("b: 1\n")
    assert sorted(loading.load_chart(path).templates) == ["a.yaml", "b.yaml"]
    (path / "templates" / "a.yaml").unlink()
    assert sorted(loading.load_chart(path).templates) == ["b.yaml"]


def test_a_file_edited_while_the_chart_loads_is_read_again_next_time(make_chart, monkeypatch):
    """A template saved during a render (after deploykit read it) would stay stale for the rest of the process."""
    path = make_chart({"templates/a.yaml": "a: 1\n", "templates/b.yaml": "b: 1\n"})
    real_read = loading._read_bytes

    def read_editing_a_once_read(name, size):
        if str(name).endswith("b.yaml") and (path / "templates" / "a.yaml").read_text() == "a: 1\n":
            (path / "templates" / "a.yaml").write_text("a: 22\n")  # a.yaml was read already: sorted before b.yaml
        return real_read(name, size)

    monkeypatch.setattr(loading, "_read_bytes", read_editing_a_once_read)
    assert loading.load_chart(path).templates["a.yaml"] == "a: 1\n"
    monkeypatch.undo()
    assert loading.load_chart(path).templates["a.yaml"] == "a: 22\n"


def test_v1_chart_takes_dependencies_from_requirements_yaml(make_chart):
    """A Helm 2 era chart (apiVersion v1, requirements.yaml) would lose its subcharts."""
    path = make_chart({
        "Chart.yaml": "apiVersion: v1\nname: old\nversion: 0.1.0\n",
        "requirements.yaml": "dependencies:\n  - name: redis\n    version: ~1.2.0\n    alias: cache\n",
        "charts/redis/Chart.yaml": "apiVersion: v1\nname: redis\nversion: 1.2.3\n",
    })
    chart = loading.load_chart(path)
    assert [(sub.key, sub.chart.metadata.version) for sub in chart.subcharts] == [("cache", "1.2.3")]
    assert "requirements.yaml" not in chart.files


def test_chart_files_larger_than_one_read_and_empty_ones_load_whole(make_chart):
    """A chart file over a read's size would load cut off (a CRD bundle, a big dashboard), or an empty one fail."""
    big = "".join(f"line-{i:08d}\n" for i in range(150_000))  # 2.1 MB: more than one read of the bare descriptor
    path = make_chart({"files/dashboard.json": big, "files/empty.txt": "", "templates/a.yaml": "a: 1\n"})
    chart = loading.load_chart(path)
    assert chart.files["files/dashboard.json"] == big.encode()
    assert chart.files["files/empty.txt"] == b""


def test_a_file_grown_after_its_size_was_taken_is_read_to_its_end(tmp_path):
    """A file appended to between the stat and the read would load cut off at its old size."""
    path = tmp_path / "grown.yaml"
    path.write_bytes(b"x" * 100_000)
    assert loading._read_bytes(str(path), 10) == b"x" * 100_000
    assert loading._read_bytes(str(path), 100_000) == b"x" * 100_000
