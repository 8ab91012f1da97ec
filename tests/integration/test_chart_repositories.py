"""Dependencies from a chart repository served on loopback: `deploykit dependency update|build|list`, Chart.lock, errors.

The repository is http.server in a thread on a free port, serving an index.yaml
(Helm's `repo index`) and .tgz packages the tests build with deploykit's own
packager. oci:// registries: test_chart_registries.py.
"""

from __future__ import annotations

import base64
import functools
import http.server
import shutil
import socket
import threading
from pathlib import Path

import pytest
import yaml

from tests.plugins.charts import write_chart

APP_CHART = """\
apiVersion: v2
name: app
version: 0.1.0
dependencies:
  - name: x
    version: ^1.2.0
    repository: {repository}
    condition: x.enabled
    tags: [backend]
    import-values:
      - child: exported
        parent: fromX
"""


def _x_chart(version: str) -> dict[str, str]:
    """Chart x at `version`: a Jinja2 chart."""
    return {
        "Chart.yaml": f"apiVersion: v2\nname: x\nversion: {version}\n",
        "values.yaml": "greeting: hello\nexported: {}\n",
        "templates/cm.yaml": """\
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ Release.Name }}-x
            data:
              version: "{{ Chart.Version }}"
            """,
    }


def _go_chart(version: str) -> dict[str, str]:
    """Chart gox at `version`: a Go-template chart (a `define`, Sprig's `upper`), as public repositories publish."""
    return {
        "Chart.yaml": f"apiVersion: v2\nname: gox\nversion: {version}\n",
        "values.yaml": "greeting: hello\n",
        "templates/_names.tpl": '{{- define "gox.name" -}}{{ .Release.Name }}-gox{{- end }}\n',
        "templates/cm.yaml": """\
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ include "gox.name" . }}
            data:
              greeting: {{ .Values.greeting | upper | quote }}
              version: {{ .Chart.Version | quote }}
            """,
    }


def _publish(folder: Path, version: str, chart=_x_chart) -> None:
    """Package `chart` at `version` into the repository folder and regenerate its index, as a chart publisher does."""
    import helm_python

    from deploykit.charts import archiving

    files = chart(version)
    name = yaml.safe_load(files["Chart.yaml"])["name"]
    source = write_chart(folder.parent / f"{name}-src-{version}", files)
    archiving.package(str(source), destination=str(folder))
    helm_python.repo_index_generate(str(folder))


class ChartRepository:
    def __init__(self, folder: Path, url: str) -> None:
        self.folder = folder
        self.url = url

    def publish(self, version: str, chart=_x_chart) -> None:
        _publish(self.folder, version, chart)


def _serve(tmp_path: Path, *, password: str | None = None):
    folder = tmp_path / "repo"
    folder.mkdir()
    handler = functools.partial(_Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.password = password  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    repository = ChartRepository(folder, f"http://127.0.0.1:{server.server_address[1]}")
    repository.publish("1.2.3")
    return server, repository


@pytest.fixture
def chart_repository(tmp_path: Path):
    """A classic chart repository (index.yaml + x-1.2.3.tgz) served over HTTP on a free loopback port."""
    server, repository = _serve(tmp_path)
    yield repository
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_repository(tmp_path: Path):
    """The same repository behind basic auth: user ci, password s3cret-canary."""
    server, repository = _serve(tmp_path, password="s3cret-canary")
    yield repository
    server.shutdown()
    server.server_close()


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        password = self.server.password  # type: ignore[attr-defined]
        expected = "Basic " + base64.b64encode(f"ci:{password}".encode()).decode()
        if password and self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="charts"')
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        pass


@pytest.fixture
def helm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Helm's configuration for this test only: never the user's repositories.yaml or registry logins."""
    home = tmp_path / "helm-config"
    home.mkdir()
    monkeypatch.setenv("HELM_CONFIG_HOME", str(home))
    monkeypatch.delenv("HELM_REPOSITORY_CONFIG", raising=False)
    monkeypatch.delenv("HELM_REGISTRY_CONFIG", raising=False)
    return home


@pytest.fixture
def app_chart(tmp_path: Path, chart_repository: ChartRepository, helm_home: Path) -> Path:
    return write_chart(tmp_path / "app", {
        "Chart.yaml": APP_CHART.format(repository=chart_repository.url),
        "values.yaml": "x:\n  enabled: true\n",
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    })


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_update_fetches_the_dependency_writes_chart_lock_and_template_renders_it(app_chart, chart_repository, run_cli):
    """`dependency update` would not fetch from a chart repository, or the chart would not render with what it fetched."""
    done = run_cli("dependency", "update", str(app_chart))
    assert done.returncode == 0, done.stderr
    assert f"Downloading x from repo {chart_repository.url}" in done.stdout
    assert (app_chart / "charts" / "x-1.2.3.tgz").read_bytes() == (chart_repository.folder / "x-1.2.3.tgz").read_bytes()
    lock = yaml.safe_load((app_chart / "Chart.lock").read_text())
    assert lock["dependencies"] == [{"name": "x", "repository": chart_repository.url, "version": "1.2.3"}]
    rendered = run_cli("template", str(app_chart), "--release", "r")
    assert rendered.returncode == 0, rendered.stderr
    assert "# Source: app/charts/x/templates/cm.yaml" in rendered.stdout
    assert "version: 1.2.3" in rendered.stdout


def test_build_fetches_the_version_chart_lock_pins_not_the_newest(app_chart, chart_repository, run_cli):
    """CI's `dependency build` would float to a newer release than the one reviewed in Chart.lock."""
    assert run_cli("dependency", "update", str(app_chart)).returncode == 0
    chart_repository.publish("1.3.0")
    shutil.rmtree(app_chart / "charts")
    done = run_cli("dependency", "build", str(app_chart))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (app_chart / "charts").iterdir()) == ["x-1.2.3.tgz"]
    updated = run_cli("dependency", "update", str(app_chart))
    assert updated.returncode == 0, updated.stderr
    assert sorted(p.name for p in (app_chart / "charts").iterdir()) == ["x-1.3.0.tgz"]
    assert yaml.safe_load((app_chart / "Chart.lock").read_text())["dependencies"][0]["version"] == "1.3.0"


def test_list_shows_missing_ok_and_wrong_version(app_chart, chart_repository, run_cli, tmp_path):
    """A user could not tell which dependency still has to be fetched or is the wrong version."""
    missing = run_cli("dependency", "list", str(app_chart))
    assert missing.returncode == 0, missing.stderr
    assert missing.stdout.splitlines()[0].split() == ["NAME", "VERSION", "REPOSITORY", "STATUS"]
    assert missing.stdout.splitlines()[1].split() == ["x", "^1.2.0", chart_repository.url, "missing"]
    assert run_cli("dependency", "update", str(app_chart)).returncode == 0
    assert run_cli("dependency", "list", str(app_chart)).stdout.splitlines()[1].split()[-1] == "ok"
    (app_chart / "charts" / "x-1.2.3.tgz").unlink()
    old = tmp_path / "old"
    old.mkdir()
    _publish(old, "0.9.0")
    shutil.copy(old / "x-0.9.0.tgz", app_chart / "charts")
    assert run_cli("dependency", "list", str(app_chart)).stdout.splitlines()[1].split()[-2:] == ["wrong", "version"]


def test_a_dependency_not_fetched_yet_says_to_run_dependency_update(app_chart, run_cli):
    """`template` would fail without saying which dependency is missing or how to fetch it."""
    done = run_cli("template", str(app_chart))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{app_chart}/Chart.yaml:5: dependencies[0]: dependency 'x'" in done.stderr
    assert f"hint: run `deploykit dependency update {app_chart}`" in done.stderr


def test_lint_reports_a_dependency_not_fetched_yet_as_an_error_with_the_command(app_chart, run_cli):
    """`lint` in CI would pass a chart whose dependency was never fetched, or not say how to fetch it."""
    done = run_cli("lint", str(app_chart))
    assert done.returncode == 1, done.stdout + done.stderr  # lint's contract: the chart has an error
    assert f"error: {app_chart}/Chart.yaml:5: dependencies[0]: dependency 'x'" in done.stdout
    assert f"run `deploykit dependency update {app_chart}`" in done.stdout


def test_with_a_lock_but_no_archive_the_hint_is_dependency_build(app_chart, run_cli):
    """A CI checkout (Chart.lock committed, charts/ not) would be told to re-resolve instead of fetching the pinned version."""
    assert run_cli("dependency", "update", str(app_chart)).returncode == 0
    shutil.rmtree(app_chart / "charts")
    done = run_cli("template", str(app_chart))
    assert done.returncode == 2
    assert f"hint: run `deploykit dependency build {app_chart}`" in done.stderr


def test_a_lock_out_of_date_with_chart_yaml_is_refused(app_chart, run_cli):
    """A changed constraint would be deployed with the old fetched chart, the lock silently stale."""
    assert run_cli("dependency", "update", str(app_chart)).returncode == 0
    chart_yaml = app_chart / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("^1.2.0", "~1.2.0"))
    done = run_cli("template", str(app_chart))
    assert done.returncode == 2
    assert f"error: {app_chart}/Chart.lock: is out of date with {app_chart}/Chart.yaml" in done.stderr
    assert f"hint: run `deploykit dependency update {app_chart}`" in done.stderr
    built = run_cli("dependency", "build", str(app_chart))
    assert built.returncode == 2 and "out of date" in built.stderr


def test_a_fetched_archive_of_another_version_than_the_lock_pins_is_refused(app_chart, chart_repository, run_cli, tmp_path):
    """A hand-copied archive would be deployed instead of the version Chart.lock pins."""
    assert run_cli("dependency", "update", str(app_chart)).returncode == 0
    newer = tmp_path / "newer"
    newer.mkdir()
    _publish(newer, "1.3.0")
    (app_chart / "charts" / "x-1.2.3.tgz").unlink()
    shutil.copy(newer / "x-1.3.0.tgz", app_chart / "charts")
    done = run_cli("template", str(app_chart))
    assert done.returncode == 2
    assert "x 1.3.0 found at" in done.stderr and "is not the version" in done.stderr and "pins (1.2.3)" in done.stderr
    assert f"dependency build {app_chart}" in done.stderr


def test_an_unreachable_repository_exits_3_naming_it(tmp_path, helm_home, run_cli):
    """A typo'd or down repository would give Helm's vague 'no cached repository' message with a temp path."""
    url = f"http://127.0.0.1:{_free_port()}"
    chart = write_chart(tmp_path / "app", {"Chart.yaml": APP_CHART.format(repository=url)})
    done = run_cli("dependency", "update", str(chart))
    assert done.returncode == 3, done.stdout + done.stderr
    assert f"error: {chart}: could not get index.yaml from chart repository {url}:" in done.stderr
    assert "connection refused" in done.stderr
    assert "helm-c-" not in done.stderr


def test_an_at_name_repository_is_resolved_from_repositories_yaml(tmp_path, chart_repository, helm_home, run_cli):
    """`repository: "@stable"`, as Helm users write it, would not be fetched or would fail the lock check afterwards."""
    (helm_home / "repositories.yaml").write_text(
        f"apiVersion: v1\nrepositories:\n  - name: local\n    url: {chart_repository.url}\n")
    chart = write_chart(tmp_path / "app", {"Chart.yaml": APP_CHART.format(repository='"@local"')})
    done = run_cli("dependency", "update", str(chart))
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load((chart / "Chart.lock").read_text())["dependencies"][0]["repository"] == chart_repository.url
    assert (chart / "Chart.yaml").read_text().count("@local") == 1  # the user's file is left as written
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".app")) == []  # no working copy left behind
    assert run_cli("template", str(chart)).returncode == 0


def _private_entry(helm_home: Path, url: str, password: str) -> None:
    (helm_home / "repositories.yaml").write_text(
        f"apiVersion: v1\nrepositories:\n  - name: corp\n    url: {url}\n    username: ci\n    password: {password}\n")


def test_credentials_of_the_repositories_yaml_entry_are_used_and_never_shown(tmp_path, private_repository, helm_home, run_cli):
    """A password-protected repository could not be fetched from, or its password would end up in output or Chart.lock."""
    _private_entry(helm_home, private_repository.url, "s3cret-canary")
    chart = write_chart(tmp_path / "app", {"Chart.yaml": APP_CHART.format(repository=private_repository.url)})
    done = run_cli("dependency", "update", str(chart))
    assert done.returncode == 0, done.stderr
    assert f"Downloading x from repo {private_repository.url}" in done.stdout
    lock = (chart / "Chart.lock").read_text()
    assert yaml.safe_load(lock)["dependencies"][0]["repository"] == private_repository.url
    shutil.rmtree(chart / "charts")
    built = run_cli("dependency", "build", str(chart))
    assert built.returncode == 0, built.stderr
    assert (chart / "Chart.lock").read_text() == lock  # build leaves the lock as it is
    rendered = run_cli("template", str(chart))
    assert rendered.returncode == 0, rendered.stderr
    assert "s3cret-canary" not in done.stdout + done.stderr + built.stdout + built.stderr + lock


def test_a_wrong_password_is_refused_by_the_repository_without_showing_it(tmp_path, private_repository, helm_home, run_cli):
    """A bad credential would give no clue (or print the password) instead of naming the repository and its 401."""
    _private_entry(helm_home, private_repository.url, "wrong-canary")
    chart = write_chart(tmp_path / "app", {"Chart.yaml": APP_CHART.format(repository=private_repository.url)})
    done = run_cli("dependency", "update", str(chart))
    assert done.returncode == 3, done.stdout + done.stderr
    assert f"could not get index.yaml from chart repository {private_repository.url}" in done.stderr
    assert "401 Unauthorized" in done.stderr
    assert "wrong-canary" not in done.stdout + done.stderr
    assert "127.0.0.1" not in done.stderr.replace(private_repository.url, "")  # the proxy stays out of sight


def test_an_oci_dependency_not_fetched_says_to_run_dependency_update(tmp_path, helm_home, run_cli):
    """An oci:// dependency would be reported as a vendoring problem with no way forward."""
    chart = write_chart(tmp_path / "app", {"Chart.yaml": APP_CHART.format(repository="oci://registry.example.com/charts")})
    done = run_cli("template", str(chart))
    assert done.returncode == 2
    assert "dependency 'x' (repository oci://registry.example.com/charts) is not in" in done.stderr
    assert f"hint: run `deploykit dependency update {chart}`" in done.stderr


def test_template_and_lint_of_a_chart_without_remote_dependencies_never_load_helm(make_chart, run_cli):
    """Every `template` would pay for loading Helm's 80 MB library, though only `dependency` needs it."""
    chart = make_chart({"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"})
    probe = (
        "import sys\nfrom deploykit.cli import main\n"
        "for args in (['template', sys.argv[1]], ['lint', sys.argv[1]]):\n"
        "    sys.argv = ['deploykit', *args]\n"
        "    try:\n        main.run()\n    except SystemExit as exc:\n        assert not exc.code, exc.code\n"
        "print('helm_python loaded' if 'helm_python' in sys.modules else 'helm_python not loaded', file=sys.stderr)\n"
    )
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", probe, str(chart)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().endswith("helm_python not loaded")


@pytest.mark.parametrize("command", ["plan", "upgrade"])
def test_plan_and_upgrade_refuse_a_stale_lock_before_touching_the_cluster(app_chart, run_cli, sim, sim_namespace, sim_http, command):
    """A deploy would go out with a dependency Chart.yaml no longer asks for."""
    assert run_cli("dependency", "update", str(app_chart)).returncode == 0
    chart_yaml = app_chart / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("^1.2.0", "~1.2.0"))
    extra = ("--install",) if command == "upgrade" else ()
    done = run_cli(command, "app", str(app_chart), "-n", sim_namespace, "--kubeconfig", sim.kubeconfig, *extra)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{app_chart}/Chart.lock: is out of date with {app_chart}/Chart.yaml" in done.stderr
    assert f"hint: run `deploykit dependency update {app_chart}`" in done.stderr
    assert sim_http("GET", f"/api/v1/namespaces/{sim_namespace}/configmaps")[1]["items"] == []


def test_a_pipeline_names_the_release_and_the_missing_dependency(app_chart, tmp_path):
    """A pipeline run would fail on a not-yet-fetched dependency without saying which release or what to run."""
    from deploykit import errors
    from deploykit.pipeline import evidence
    from deploykit.pipeline.model import Cluster, Pipeline, Release, Stage

    release = Release(name="app", chart=str(app_chart), namespace="shop", values=())
    stage = Stage(name="staging", clusters=(Cluster("sim", sim_state=".sim"),), values=())
    pipeline = Pipeline(name="demo", source="pipelines/demo.yaml", releases=(release,), stages=(stage,))
    with pytest.raises(errors.PipelineError) as caught:
        evidence.artifact(pipeline, base=tmp_path)
    assert "release app:" in caught.value.message and "dependency 'x'" in caught.value.message
    assert caught.value.hint == f"run `deploykit dependency update {app_chart}` to fetch it and write Chart.lock"


def test_a_packaged_chart_is_taken_as_packaged_whatever_its_lock_says(tmp_path, run_cli, helm_home):
    """A chart from a public repository whose own lock names an `@repo` the user never added could not be rendered."""
    from deploykit.charts import archiving

    old = tmp_path / "old"
    old.mkdir()
    _publish(old, "1.2.3")
    files = {
        "Chart.yaml": APP_CHART.format(repository='"@their-repo"').encode(),
        "Chart.lock": b"dependencies:\n- name: x\n  repository: https://example.com\n  version: 1.2.3\ndigest: sha256:00\n",
        "charts/x-1.2.3.tgz": (old / "x-1.2.3.tgz").read_bytes(),
        "templates/cm.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    }
    archive = tmp_path / "app-0.1.0.tgz"
    archive.write_bytes(archiving.archive_bytes("app", files))
    done = run_cli("template", str(archive), "--release", "r")
    assert done.returncode == 0, done.stderr
    assert "name: r-x" in done.stdout


def test_a_committed_lock_with_an_at_name_renders_where_the_repository_was_never_added(tmp_path, chart_repository, helm_home, run_cli):
    """A CI job with charts/ and Chart.lock committed but no `helm repo add` could not render the chart."""
    (helm_home / "repositories.yaml").write_text(
        f"apiVersion: v1\nrepositories:\n  - name: local\n    url: {chart_repository.url}\n")
    chart = write_chart(tmp_path / "app", {"Chart.yaml": APP_CHART.format(repository='"@local"')})
    assert run_cli("dependency", "update", str(chart)).returncode == 0
    (helm_home / "repositories.yaml").unlink()
    done = run_cli("template", str(chart), "--release", "r")
    assert done.returncode == 0, done.stderr
    assert "name: r-x" in done.stdout


def test_a_go_chart_upgrades_with_a_go_subchart_fetched_from_a_repository(tmp_path, chart_repository, helm_home, run_cli,
                                                                         sim, sim_namespace, sim_http):
    """A Go-template subchart fetched by `dependency update` would not be rendered by Helm's engine on upgrade."""
    chart_repository.publish("2.0.1", _go_chart)
    chart = write_chart(tmp_path / "goapp", {
        "Chart.yaml": f"""\
            apiVersion: v2
            name: goapp
            version: 0.1.0
            dependencies:
              - name: gox
                version: ~2.0.0
                repository: {chart_repository.url}
            """,
        "values.yaml": "gox:\n  greeting: from the parent\n",
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-app\n",
    })
    assert run_cli("dependency", "update", str(chart)).returncode == 0
    assert (chart / "charts" / "gox-2.0.1.tgz").is_file()
    done = run_cli("upgrade", "app", str(chart), "--install", "-n", sim_namespace, "--kubeconfig", sim.kubeconfig)
    assert done.returncode == 0, done.stdout + done.stderr
    status, fetched, _ = sim_http("GET", f"/api/v1/namespaces/{sim_namespace}/configmaps/app-gox")
    assert status == 200, fetched
    assert fetched["data"] == {"greeting": "FROM THE PARENT", "version": "2.0.1"}
