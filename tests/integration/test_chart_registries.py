"""oci:// dependencies from a registry served on loopback (tests/plugins/registry.py): update, build, template, logins."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.plugins.charts import write_chart
from tests.plugins.registry import chart_registry, private_chart_registry  # noqa: F401 - fixtures

CHART = "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: x\n    version: ^1.2.0\n    repository: oci://{host}/charts\n"


@pytest.fixture
def helm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Helm's configuration for this test only: never the user's registry logins."""
    home = tmp_path / "helm-config"
    home.mkdir()
    monkeypatch.setenv("HELM_CONFIG_HOME", str(home))
    monkeypatch.delenv("HELM_REGISTRY_CONFIG", raising=False)
    return home


def _put_x(registry, tmp_path: Path, version: str = "1.2.3") -> None:
    from deploykit.charts import archiving

    source = write_chart(tmp_path / f"x-{version}", {
        "Chart.yaml": f"apiVersion: v2\nname: x\nversion: {version}\n",
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: '{{ Release.Name }}-x'\n",
    })
    packaged = archiving.package(str(source), destination=str(tmp_path / "packages"))
    registry.put_chart("charts", "x", version, packaged.path.read_bytes())


def test_update_pulls_from_an_oci_registry_and_build_pulls_the_locked_version(tmp_path, chart_registry, helm_home, run_cli):
    """An oci:// dependency could not be fetched, or `build` would float past the version Chart.lock pins."""
    _put_x(chart_registry, tmp_path)
    chart = write_chart(tmp_path / "app", {"Chart.yaml": CHART.format(host=chart_registry.host)})
    done = run_cli("dependency", "update", str(chart), "--plain-http")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load((chart / "Chart.lock").read_text())["dependencies"] == [
        {"name": "x", "repository": f"oci://{chart_registry.host}/charts", "version": "1.2.3"}]
    _put_x(chart_registry, tmp_path, "1.2.4")
    shutil.rmtree(chart / "charts")
    built = run_cli("dependency", "build", str(chart), "--plain-http")
    assert built.returncode == 0, built.stderr
    assert sorted(p.name for p in (chart / "charts").iterdir()) == ["x-1.2.3.tgz"]
    rendered = run_cli("template", str(chart), "--release", "r")
    assert rendered.returncode == 0, rendered.stderr
    assert "name: r-x" in rendered.stdout


def test_registry_login_is_read_from_helms_registry_config(tmp_path, private_chart_registry, helm_home, run_cli):
    """A private registry could not be pulled from with the login `helm registry login` stored, or the password would show."""
    _put_x(private_chart_registry, tmp_path)
    (helm_home / "registry").mkdir()
    auth = base64.b64encode(b"ci:s3cret-canary").decode()
    (helm_home / "registry" / "config.json").write_text(json.dumps({"auths": {private_chart_registry.host: {"auth": auth}}}))
    chart = write_chart(tmp_path / "app", {"Chart.yaml": CHART.format(host=private_chart_registry.host)})
    done = run_cli("dependency", "update", str(chart), "--plain-http")
    assert done.returncode == 0, done.stderr
    assert (chart / "charts" / "x-1.2.3.tgz").is_file()
    assert "s3cret-canary" not in done.stdout + done.stderr + (chart / "Chart.lock").read_text()


def test_a_registry_refusing_the_login_exits_3_without_the_password(tmp_path, private_chart_registry, helm_home, run_cli):
    """A missing login would give no clue that the registry refused, or print a credential."""
    _put_x(private_chart_registry, tmp_path)
    chart = write_chart(tmp_path / "app", {"Chart.yaml": CHART.format(host=private_chart_registry.host)})
    done = run_cli("dependency", "update", str(chart), "--plain-http")
    assert done.returncode == 3, done.stdout + done.stderr
    assert f"oci://{private_chart_registry.host}/charts" in done.stderr and "refused the request" in done.stderr
    assert "hint: log in as Helm does (`helm registry login HOST`" in done.stderr
    assert "s3cret-canary" not in done.stdout + done.stderr
