"""`deploykit template` and `lint` of Go-template (Helm) charts: Helm's engine, deploykit's values, checks and errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.plugins.charts import DEMO_CHART, REPO, write_chart

GO_CHART = REPO / "tests" / "data" / "charts" / "go-web"
PASSWORD = ("--set", "password=not-a-secret-here")


def documents(stdout: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(stdout) if doc]


def _named(objects: list[dict], kind: str, name: str) -> dict | None:
    return next((o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name), None)


@pytest.fixture
def go_chart(tmp_path):
    return shutil.copytree(GO_CHART, tmp_path / "go-web")


def test_template_gives_the_objects_helm_renders(run_cli):
    """A Go-template chart would render differently through deploykit than through Helm 4 itself."""
    import helm_python

    done = run_cli("template", "web", str(GO_CHART), "-n", "shop", *PASSWORD, "--set", "jobs.enabled=true",
                   "--show-secrets")
    assert done.returncode == 0, done.stderr
    ours = documents(done.stdout)
    with helm_python.Chart.load(str(GO_CHART)) as chart:
        theirs_text = chart.render({"password": "not-a-secret-here", "jobs": {"enabled": True}}, name="web", namespace="shop")
    theirs = [doc for name, text in sorted(theirs_text.items()) if not name.endswith("NOTES.txt")
              for doc in yaml.safe_load_all(text) if doc]
    for obj in theirs:
        obj["metadata"].setdefault("namespace", "shop")  # deploykit fills the release namespace, as apply would
    assert sorted(json.dumps(o, sort_keys=True) for o in ours) == sorted(json.dumps(o, sort_keys=True) for o in theirs)


def test_subchart_condition_and_alias_switch_and_scope_its_values(invoke_cli):
    """A subchart under an alias would render when its condition is off, or miss its parent's values and globals."""
    off = documents(invoke_cli("template", "web", str(GO_CHART), *PASSWORD).stdout)
    assert _named(off, "ConfigMap", "web-jobs") is None
    done = invoke_cli("template", "web", str(GO_CHART), *PASSWORD, "--set", "jobs.enabled=true", "--set", "global.team=payments")
    assert done.exit_code == 0, done.stderr
    workers = _named(documents(done.stdout), "ConfigMap", "web-jobs")
    assert workers["data"] == {"workers": "1", "team": "payments"}
    assert workers["metadata"]["labels"]["helm.sh/chart"] == "jobs-0.1.0"


def test_capabilities_are_the_target_version_and_api_versions(invoke_cli):
    """`.Capabilities` would be Helm's defaults instead of --kube-version and --api-versions."""
    done = invoke_cli("template", "web", str(GO_CHART), *PASSWORD, "--kube-version", "1.30",
                      "-a", "autoscaling.example.com/v1", "--skip-schema-validation")
    assert done.exit_code == 0, done.stderr
    scaler = _named(documents(done.stdout), "Scaler", "web-go-web")
    assert scaler["spec"]["kubeVersion"] == "v1.30.0"
    without = invoke_cli("template", "web", str(GO_CHART), *PASSWORD)
    assert _named(documents(without.stdout), "Scaler", "web-go-web") is None


def test_crds_print_only_with_include_crds(invoke_cli):
    """crds/ of a Helm chart would be printed without --include-crds, or lost with it."""
    plain = invoke_cli("template", "web", str(GO_CHART), *PASSWORD)
    assert "CustomResourceDefinition" not in plain.stdout
    done = invoke_cli("template", "web", str(GO_CHART), *PASSWORD, "--include-crds")
    assert documents(done.stdout)[0]["metadata"]["name"] == "widgets.go-web.example.com"


def test_required_failure_names_the_template_line(run_cli):
    """A missing required value would fail without naming the template file and line Helm reports."""
    done = run_cli("template", "web", str(GO_CHART))
    assert done.returncode == 2
    assert done.stdout == ""
    assert "go-web/templates/secret.yaml:12: set password (the database password) in a sops-encrypted values file" in done.stderr
    assert "Traceback" not in done.stderr


def test_fail_message_names_the_template_line(invoke_cli):
    """The chart's own `fail` would not reach the user with its file and line."""
    done = invoke_cli("template", "web", str(GO_CHART), *PASSWORD, "--set", "jobs.enabled=true", "--set", "jobs.workers=0")
    assert done.exit_code == 2
    assert "go-web/templates/deployment.yaml:2: jobs.workers must be at least 1 when jobs are enabled" in done.stderr


def test_syntax_error_names_the_template_line(invoke_cli, go_chart):
    """A Go-template syntax error would not name the file and line, or would be taken for Jinja2."""
    (go_chart / "templates" / "broken.yaml").write_text("kind: ConfigMap\n\n{{ if .Values.image }}\nx: 1\n")
    done = invoke_cli("template", "web", str(go_chart), *PASSWORD)
    assert done.exit_code == 2
    assert "go-web/templates/broken.yaml:5: template syntax error: unexpected EOF" in done.stderr


def test_values_schema_is_checked_with_path_and_file(invoke_cli):
    """values.schema.json of a Helm chart would not be checked, or not name the value path and file."""
    done = invoke_cli("template", "web", str(GO_CHART), *PASSWORD, "--set", "replicas=-1")
    assert done.exit_code == 2
    assert "go-web/values.schema.json:" in done.stderr and "Values.replicas" in done.stderr


def test_lint_of_a_go_chart_passes_and_reports_a_required_value(run_cli):
    """`lint` would fail a sound Helm chart, or miss a required value with its file and line."""
    good = run_cli("lint", str(GO_CHART), *PASSWORD)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_cli("lint", str(GO_CHART))
    assert bad.returncode == 1
    assert "go-web/templates/secret.yaml:12" in bad.stdout + bad.stderr


def test_jinja2_parent_with_a_go_subchart_is_a_clear_error(run_cli, tmp_path):
    """A release mixing both template languages would fail with a template syntax error instead of saying why."""
    chart = write_chart(tmp_path / "shop", {
        "Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - name: go-web\n    version: 1.2.0\n",
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}\n",
    })
    shutil.copytree(GO_CHART, chart / "charts" / "go-web")
    done = run_cli("template", "web", str(chart), *PASSWORD)
    assert done.returncode == 2
    assert "chart shop uses Jinja2 templates, but its subchart go-web" in done.stderr
    assert "uses Go templates" in done.stderr and "deploykit.io/template-engine" in done.stderr


def test_template_engine_flag_forces_an_engine(invoke_cli, tmp_path):
    """--template-engine helm would be ignored for a chart whose templates hold no template syntax at all."""
    chart = write_chart(tmp_path / "plain", {"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n"
                                             "data:\n  text: '{{`{{ kept }}`}}'\n"})
    helm = invoke_cli("template", str(chart), "--template-engine", "helm")
    assert helm.exit_code == 0, helm.stderr
    assert documents(helm.stdout)[0]["data"]["text"] == "{{ kept }}"
    bad = invoke_cli("template", str(chart), "--template-engine", "go")
    assert bad.exit_code == 2 and "use helm, jinja2 or auto" in bad.stderr


def test_jinja2_render_never_loads_helm(tmp_path):
    """Rendering a Jinja2 chart would load Helm's Go runtime (slower start, for nothing)."""
    code = ("import sys; from deploykit.cli.main import run; sys.argv = ['deploykit', 'template', sys.argv[1]]\n"
            "try:\n    run()\nexcept SystemExit:\n    pass\nprint('HELM LOADED' if 'helm_python' in sys.modules else 'no helm')")
    done = subprocess.run([sys.executable, "-c", code, str(DEMO_CHART)], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().endswith("no helm"), done.stdout[-300:] + done.stderr


def test_lint_of_a_go_library_chart_passes(invoke_cli):
    """`lint` of a Helm library chart would fail because a library renders nothing by itself."""
    done = invoke_cli("lint", str(GO_CHART / "charts" / "common"))
    assert done.exit_code == 0, done.stdout + done.stderr


def test_skip_schema_validation_also_skips_helms_own_schema_check(invoke_cli):
    """--skip-schema-validation would still fail a Helm chart: Helm's engine checks values.schema.json itself."""
    done = invoke_cli("template", "web", str(GO_CHART), *PASSWORD, "--set", "replicas=-1", "--skip-schema-validation")
    assert done.exit_code == 0, done.stderr
    assert _named(documents(done.stdout), "Deployment", "web-go-web")["spec"]["replicas"] == -1
