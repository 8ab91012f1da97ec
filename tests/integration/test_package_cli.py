"""`deploykit package CHART`: a reproducible archive Helm can load, whose sha256 is the pipeline's chart digest."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

import yaml

from deploykit.pipeline import evidence
from deploykit.pipeline.model import Cluster, Pipeline, Release, Stage
from tests.plugins.charts import run_deploykit, write_chart

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\nappVersion: '1.4'\n",
    "values.yaml": "image:\n  repository: registry.example.com/web\n  tag: '1.4'\n",
    ".helmignore": "*.bak\nnotes/\n",
    "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    "templates/old.yaml.bak": "left over\n",
    "notes/todo.txt": "not shipped\n",
    "files/config.ini": "[web]\n",
}


def _package(run_cli, chart: Path, destination: Path, *extra: str) -> tuple[Path, str]:
    done = run_cli("package", str(chart), "--destination", str(destination), *extra)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("Successfully packaged chart and saved it to: ")
    return Path(first.rsplit(": ", 1)[1]), second.removeprefix("digest: ")


def test_packaging_twice_gives_the_same_bytes_whatever_the_files_mtimes(tmp_path, run_cli):
    """A rebuild of the same commit would get another digest, and the promotion gate would refuse it."""
    first_chart = write_chart(tmp_path / "a" / "web", CHART)
    second_chart = tmp_path / "b" / "web"
    shutil.copytree(first_chart, second_chart)
    for number, path in enumerate(sorted(second_chart.rglob("*"))):
        os.utime(path, (1_000_000 + number, 2_000_000 + number))
    first, first_digest = _package(run_cli, first_chart, tmp_path / "out1")
    second, second_digest = _package(run_cli, second_chart, tmp_path / "out2")
    assert first.name == second.name == "web-1.0.0.tgz"
    assert first.read_bytes() == second.read_bytes()
    assert first_digest == second_digest and first_digest.startswith("sha256:") and len(first_digest) == 71


def test_the_archive_has_helms_layout_and_honours_helmignore(tmp_path, run_cli):
    """Helm could not load the package, or it would ship files .helmignore leaves out."""
    import helm_python

    archive, _ = _package(run_cli, write_chart(tmp_path / "web", CHART), tmp_path / "out")
    with tarfile.open(fileobj=io.BytesIO(archive.read_bytes())) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["web/.helmignore", "web/Chart.yaml", "web/files/config.ini",
                                         "web/templates/cm.yaml", "web/values.yaml"]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {(0, 0, 0, "", "", 0o644)}
    assert archive.read_bytes()[4:8] == b"\0\0\0\0"  # gzip header: no time stamp
    with helm_python.Chart.load(archive) as chart:
        assert (chart.name, chart.version) == ("web", "1.0.0")
        assert [t["name"] for t in chart.templates] == ["templates/cm.yaml"]


def test_version_and_app_version_flags_are_written_into_the_package(tmp_path, run_cli):
    """A CI job could not stamp the build's version into the chart it promotes."""
    archive, _ = _package(run_cli, write_chart(tmp_path / "web", CHART), tmp_path / "out",
                          "--version", "1.1.0-rc.1", "--app-version", "2024.1")
    assert archive.name == "web-1.1.0-rc.1.tgz"
    with tarfile.open(archive) as tar:
        meta = yaml.safe_load(tar.extractfile("web/Chart.yaml").read())
    assert (meta["version"], meta["appVersion"]) == ("1.1.0-rc.1", "2024.1")


def test_the_printed_digest_is_the_chart_digest_a_pipeline_records(tmp_path, run_cli):
    """A release manager could not match the package CI built with the artifact a stage report names."""
    archive, digest = _package(run_cli, write_chart(tmp_path / "src" / "web", CHART), tmp_path / "charts")
    release = Release(name="web", chart=f"charts/{archive.name}", namespace="shop", values=())
    stage = Stage(name="staging", clusters=(Cluster("sim", sim_state=".sim"),), values=())
    pipeline = Pipeline(name="demo", source="pipelines/demo.yaml", releases=(release,), stages=(stage,))
    assert evidence.artifact(pipeline, base=tmp_path).charts == {"web": digest}


def test_a_chart_that_does_not_load_is_not_packaged(tmp_path, run_cli):
    """A broken chart would be packaged and published, failing only at deploy time."""
    chart = write_chart(tmp_path / "web", {"Chart.yaml": "apiVersion: v2\nname: web\n"})
    done = run_cli("package", str(chart), "--destination", str(tmp_path / "out"))
    assert done.returncode == 2
    assert f"{chart}/Chart.yaml" in done.stderr and "version" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_packaged_go_template_chart_installs_from_its_archive(tmp_path, run_cli, sim, sim_namespace, sim_http):
    """A Go-template chart packaged by deploykit would not install from its .tgz through Helm's engine."""
    chart = write_chart(tmp_path / "goweb", {
        "Chart.yaml": "apiVersion: v2\nname: goweb\nversion: 0.3.0\n",
        "values.yaml": "greeting: hello\n",
        "templates/_helpers.tpl": '{{- define "goweb.name" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end }}\n',
        "templates/cm.yaml": """\
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ include "goweb.name" . }}
            data:
              greeting: {{ .Values.greeting | title | quote }}
            """,
    })
    archive, _ = _package(run_cli, chart, tmp_path / "out")
    done = run_cli("upgrade", "web", str(archive), "--install", "-n", sim_namespace, "--kubeconfig", sim.kubeconfig)
    assert done.returncode == 0, done.stdout + done.stderr
    status, fetched, _ = sim_http("GET", f"/api/v1/namespaces/{sim_namespace}/configmaps/web-goweb")
    assert status == 200, fetched
    assert fetched["data"] == {"greeting": "Hello"}
    history = run_cli("history", "web", "-n", sim_namespace, "--kubeconfig", sim.kubeconfig)
    assert "goweb-0.3.0" in history.stdout


def test_a_package_write_failing_on_a_full_disk_keeps_the_previous_archive_whole(tmp_path):
    """A full disk mid-write would leave a truncated .tgz that the next job uploads or installs."""
    import random
    import resource
    import subprocess
    import sys

    chart = write_chart(tmp_path / "web", {**CHART, "files/blob.bin": ""})
    (chart / "files" / "blob.bin").write_bytes(random.Random(1).randbytes(64 * 1024))  # does not compress
    previous, _ = _package(run_deploykit, chart, tmp_path / "out")
    before = previous.read_bytes()
    (chart / "files" / "blob.bin").write_bytes(random.Random(2).randbytes(64 * 1024))
    limit = len(before) // 2  # below the new archive's size: the kernel fails the write (EFBIG; Python ignores SIGXFSZ)
    done = subprocess.run(
        [sys.executable, "-m", "deploykit", "package", str(chart), "--destination", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot write the package" in done.stderr
    assert previous.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["web-1.0.0.tgz"]
