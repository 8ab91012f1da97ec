"""`deploykit lint` as a user runs it, and the bad-input chart corpus through both `lint` and `template`."""

import io
import os
import tarfile

import pytest

from tests.plugins.charts import BAD_CHARTS, DEMO_CHART, DEMO_VALUES

# case -> (extra flags, template's exit code, lint's exit code, what the message must name: file and line or field)
CORPUS = {
    "chart-yaml-bad-version": ([], 2, 1, ["chart-yaml-bad-version/Chart.yaml:3:", "version: 'one-point-oh' is not a semantic version"]),
    "chart-yaml-bad-name": ([], 2, 1, ["chart-yaml-bad-name/Chart.yaml:2:", "name: 'my app!'"]),
    "chart-yaml-bad-type": ([], 2, 1, ["chart-yaml-bad-type/Chart.yaml:4:", "type: 'service' must be application or library"]),
    "chart-yaml-version-number": ([], 2, 1, ["chart-yaml-version-number/Chart.yaml:3:", "version: must be a quoted string"]),
    "chart-yaml-bad-api-version": ([], 2, 1, ["chart-yaml-bad-api-version/Chart.yaml:1:", "apiVersion: 'v3' is not supported"]),
    "missing-dependency": ([], 2, 1, ["missing-dependency/Chart.yaml:5:", "dependencies[0]: dependency 'redis'", "is not in"]),
    "dependency-version-mismatch": ([], 2, 1, ["dependency-version-mismatch/Chart.yaml:5:", "dependencies[0]: sub 1.4.0", "'^2.0.0'"]),
    "undefined-value": ([], 2, 1, ["app/templates/deployment.yaml:11:", "Values.image.tag is not defined"]),
    "template-syntax-error": ([], 2, 1, ["app/templates/service.yaml:7:", "template syntax error"]),
    "yaml-error-in-output": ([], 2, 1, ["app/templates/broken.yaml:6:", "not valid YAML", "'  labels: a: one'"]),
    "duplicate-objects": ([], 2, 1, ["app/templates/configmap.yaml:1:", "also rendered by app/templates/again.yaml:1"]),
    "missing-kind": ([], 2, 1, ["app/templates/nokind.yaml:1:", "kind: is missing"]),
    "invalid-dns-name": ([], 2, 1, ["app/templates/service.yaml:4:", "metadata.name: 'Web_Frontend' must be a DNS-1035 label"]),
    "schema-violation": ([], 2, 1, ["schema-violation/values.schema.json:5:", "Values.replicas: must be of type integer"]),
    "library-rendered-directly": ([], 2, 0, ["library-rendered-directly/Chart.yaml", "helpers is a library chart"]),
    "kube-version-mismatch": ([], 2, 1, ["kube-version-mismatch/Chart.yaml:4:", "kubeVersion: the chart requires Kubernetes"]),
    "include-outside-chart": ([], 2, 1, ["app/templates/leak.yaml:6:", "'../../../values.yaml' is outside the chart"]),
    "required-value": ([], 2, 1, ["app/templates/deployment.yaml:10:", "image is required: set image=<repository:tag>"]),
    "unknown-hook-event": ([], 2, 1, ["app/templates/job.yaml:6:", "unknown hook event 'pre-deploy'"]),
    "values-yaml-invalid": ([], 2, 1, ["values-yaml-invalid/values.yaml:3:", "not valid YAML"]),
    "missing-macro-file": ([], 2, 1, ["app/templates/service.yaml:1:", "no template 'common/_labels.j2'"]),
    "annotation-not-string": ([], 2, 1, ["app/templates/service.yaml:6:", "metadata.annotations['prometheus.io/port']: must be a string"]),
    "set-file-missing": (["--set-file", "config=no-such-file.txt"], 2, 2, ["--set-file config=no-such-file.txt", "no-such-file.txt"]),
}


def _member(name, *, kind=tarfile.REGTYPE, data=b"", link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


CHART_YAML = b"apiVersion: v2\nname: app\nversion: 1.0.0\n"
# Unsafe archives are built by the test, never committed: case -> (members, what the message must name)
ARCHIVES = {
    "archive-absolute-path": ([_member("/app/Chart.yaml", data=CHART_YAML)], ["entry '/app/Chart.yaml'", "absolute path"]),
    "archive-dotdot": ([_member("app/Chart.yaml", data=CHART_YAML), _member("app/../../evil.yaml", data=b"x")], ["entry 'app/../../evil.yaml'", "'..'"]),
    "archive-symlink-out": ([_member("app/Chart.yaml", data=CHART_YAML), _member("app/templates/x.yaml", kind=tarfile.SYMTYPE, link="../../../../etc/passwd")], ["entry 'app/templates/x.yaml'", "pointing out of the chart"]),
    "archive-device": ([_member("app/Chart.yaml", data=CHART_YAML), _member("app/templates/dev", kind=tarfile.CHRTYPE)], ["entry 'app/templates/dev'", "device"]),
    "archive-oversized-file": ([_member("app/Chart.yaml", data=CHART_YAML), _member("app/files/huge.bin", data=b"\0" * (5 * 1024 * 1024 + 1))], ["entry 'app/files/huge.bin'", "above the per-file limit"]),
}


def _build_archive(folder, case):
    path = folder / f"{case}.tgz"
    members, _ = ARCHIVES[case]
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, data)
    return path


@pytest.mark.parametrize("case", sorted(CORPUS) + sorted(ARCHIVES))
def test_bad_chart_fails_both_commands_naming_file_and_line(case, invoke_cli, tmp_path, monkeypatch):
    """A broken chart would pass, crash, or fail without saying which file, line or value path to fix."""
    if case in ARCHIVES:
        chart, flags, template_exit, lint_exit, expected = _build_archive(tmp_path, case), [], 2, 1, [f"{case}.tgz: ", *ARCHIVES[case][1]]
    else:
        flags, template_exit, lint_exit, expected = CORPUS[case]
        chart = BAD_CHARTS / case
    monkeypatch.chdir(tmp_path)  # relative --set-file paths resolve here, not in the repository
    rendered = invoke_cli("template", str(chart), *flags)
    assert rendered.exit_code == template_exit, rendered.stderr
    assert rendered.stdout == ""
    for part in expected:
        assert part in rendered.stderr, (part, rendered.stderr)
    linted = invoke_cli("lint", str(chart), *flags)
    assert linted.exit_code == lint_exit, linted.stdout + linted.stderr
    if lint_exit:
        for part in expected:
            assert part in linted.stdout + linted.stderr, (part, linted.stdout, linted.stderr)


def test_corpus_is_complete():
    """A bad-input chart folder would be added without a case that checks it."""
    assert sorted(os.listdir(BAD_CHARTS)) == sorted(CORPUS)
    assert len(CORPUS) + len(ARCHIVES) >= 15


@pytest.mark.parametrize("stage", ["staging", "qa", "production"])
def test_demo_chart_passes_lint_for_every_stage(run_cli, stage):
    """The demo pipeline's chart would ship with problems lint knows about."""
    done = run_cli("lint", str(DEMO_CHART), "-f", str(DEMO_VALUES / f"{stage}.yaml"), "--release", "web", "-n", stage)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr == f"lint passed: {DEMO_CHART}: 0 error(s), 0 warning(s)\n"


def test_every_problem_is_reported_one_per_line(invoke_cli, make_chart):
    """A user would fix one problem per lint run, or could not grep the output."""
    chart = make_chart({
        "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\nkubeVersion: '>=1.20.0-0'\n",
        "values.yaml": "replicas: 1\n",
        "values.schema.json": '{"type": "object", "properties": {"replicas": {"type": "integer", "maximum": 0}}}',
        "templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Values.nmae }}\n",
        "templates/b.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: Bad_Name\nspec:\n  portz: []\n",
        "templates/c.yaml": "{% if Values.replicas %}\n",
        "templates/d.yaml": "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: old\n",
        "templates/e.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n",
        "templates/_f.j2": "{% macro x() %}{{ }}{% endmacro %}\n",
    })
    done = invoke_cli("lint", str(chart))
    assert done.exit_code == 1
    lines = done.stdout.splitlines()
    expected = [
        f"error: {chart}/values.schema.json:1: Values.replicas: must be at most 0",
        "error: app/templates/_f.j2:1: template syntax error",
        "error: app/templates/a.yaml:4: Values.nmae is not defined",
        "error: app/templates/c.yaml:1: template syntax error",
        "error: app/templates/b.yaml:4: Service default/Bad_Name: metadata.name: 'Bad_Name' must be a DNS-1035 label",
        "error: app/templates/e.yaml (document 2):6: ConfigMap default/dup (v1) is also rendered by app/templates/e.yaml:1",
        "error: app/templates/b.yaml:6: Service default/Bad_Name: spec.portz: unknown field",
        "error: app/templates/d.yaml:1: PodSecurityPolicy default/old: apiVersion: policy/v1beta1 PodSecurityPolicy is no longer served since Kubernetes 1.25",
    ]
    assert len(lines) == len(expected), done.stdout
    for line, start in zip(lines, expected):
        assert line.startswith(start), (line, start)
    assert done.stderr == f"lint failed: {chart}: 8 error(s), 0 warning(s)\n"


def test_skip_schema_validation_skips_the_values_and_object_schemas(invoke_cli, make_chart):
    """lint would refuse --skip-schema-validation (plan, upgrade and template take it) or still check the schemas."""
    chart = make_chart({
        "values.yaml": "replicas: 1\n",
        "values.schema.json": '{"type": "object", "properties": {"replicas": {"type": "integer", "maximum": 0}}}',
        "templates/b.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  portz: []\n",
    })
    assert invoke_cli("lint", str(chart)).exit_code == 1
    done = invoke_cli("lint", str(chart), "--skip-schema-validation")
    assert done.exit_code == 0, done.stdout
    assert done.stdout == ""


def test_warnings_alone_exit_0(invoke_cli, make_chart):
    """A deprecated API (a warning) would fail a CI job as if it were an error."""
    chart = make_chart({"templates/x.yaml": "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n"})
    done = invoke_cli("lint", str(chart), "--kube-version", "1.25.0")
    assert done.exit_code == 0
    assert done.stdout == ("warning: app/templates/x.yaml:1: HorizontalPodAutoscaler default/web: apiVersion: autoscaling/v2beta2 "
                           "HorizontalPodAutoscaler is deprecated and no longer served from Kubernetes 1.26: move to autoscaling/v2\n")


def test_lint_checks_against_the_target_version(invoke_cli, make_chart):
    """Lint for an older cluster would refuse APIs that cluster still serves."""
    chart = make_chart({"templates/x.yaml": "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n"})
    assert invoke_cli("lint", str(chart), "--kube-version", "1.25.0").exit_code == 0
    newer = invoke_cli("lint", str(chart))
    assert newer.exit_code == 1
    assert "no longer served since Kubernetes 1.26 (the target is v1.37.0): use autoscaling/v2" in newer.stdout


def test_a_crd_with_a_malformed_spec_is_reported_not_a_crash(invoke_cli, make_chart):
    """A CRD whose spec is a list would crash lint with a traceback instead of naming the field."""
    chart = make_chart({"templates/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                                              "metadata:\n  name: widgets.example.com\nspec:\n- group: example.com\n"})
    done = invoke_cli("lint", str(chart))
    assert done.exit_code == 1
    assert done.stdout == ("error: app/templates/crd.yaml:5: CustomResourceDefinition widgets.example.com: "
                           "spec: must be of type object, not array\n")


@pytest.mark.parametrize(("args", "message"), [
    (["no/such/chart"], "no/such/chart: no such chart folder or archive"),
    ([str(DEMO_CHART), "-f", "no/such/values.yaml"], "no/such/values.yaml"),
    ([str(DEMO_CHART), "--set", "a[=1"], "--set"),
])
def test_lint_that_cannot_run_exits_2(run_cli, args, message):
    """CI could not tell "the chart is bad" (1) from "lint was called wrongly" (2)."""
    done = run_cli("lint", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_scalars_helm_types_surprisingly_are_warned_with_file_line_and_path(invoke_cli, make_chart, tmp_path):
    """`debug: y` or `mode: 017` would deploy true and 15 with no word from lint."""
    chart = make_chart({
        "values.yaml": "feature:\n  enabled: y\nname: 'n'\n",
        "templates/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    })
    override = tmp_path / "stage.yaml"
    override.write_text("a: 1\n---\nmodes:\n  - 017\n  - '017'\non: 1e3\n")
    done = invoke_cli("lint", str(chart), "-f", str(override))
    assert done.exit_code == 0
    assert done.stdout.splitlines() == [
        f"warning: {chart}/values.yaml:2: Values.feature.enabled: `y` is read as the boolean true (hint: quote it if you mean the string)",
        f"warning: {override}:4: Values.modes[0]: `017` is read as the number 15 (hint: quote it if you mean the string)",
        f"warning: {override}:6: Values.true: the key `on` is read as the boolean true (hint: quote it if you mean the string)",
        f"warning: {override}:6: Values.true: `1e3` is read as the number 1000 (hint: quote it if you mean the string)",
    ]


def test_rendered_scalars_helm_types_surprisingly_are_warned_at_their_line(invoke_cli, make_chart):
    """A template writing the string `on` bare would send a boolean to the cluster with no word from lint."""
    chart = make_chart({
        "values.yaml": "mode: 'on'\n",
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  mode: {{ Values.mode }}\n",
    })
    done = invoke_cli("lint", str(chart))
    assert done.stdout.splitlines()[0] == (
        "warning: app/templates/cm.yaml:6: ConfigMap default/x: data.mode: `on` is read as the boolean true "
        "(hint: quote it in the template if you mean the string: {{ value | quote }})"
    )
