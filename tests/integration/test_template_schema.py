"""`deploykit template` refuses objects the target Kubernetes version's schema rejects, unless --skip-schema-validation."""

import os
import subprocess
import sys

import pytest

from tests.plugins.charts import DEMO_CHART, DEMO_VALUES

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          {extra}
"""


@pytest.mark.parametrize(("replicas", "extra", "expected"), [
    ("three", "", "app/templates/deploy.yaml:6: Deployment default/web: spec.replicas: must be of type integer, not string"),
    ("2", "imagePolicy: Always", "app/templates/deploy.yaml:16: Deployment default/web: spec.template.spec.containers[0].imagePolicy: unknown field"),
    ("2", "ports: [{containerPort: http}]", "app/templates/deploy.yaml:16: Deployment default/web: spec.template.spec.containers[0].ports[0].containerPort: must be of type integer, not string"),
])
def test_objects_the_schema_rejects_fail_template(invoke_cli, make_chart, replicas, extra, expected):
    """`template | kubectl apply` would get as far as the cluster before a wrong type or unknown field is refused."""
    chart = make_chart({"templates/deploy.yaml": DEPLOYMENT.format(replicas=replicas, extra=extra)})
    done = invoke_cli("template", str(chart))
    assert done.exit_code == 2, done.stdout
    assert done.stdout == ""
    assert expected in done.stderr


def test_skip_schema_validation_renders_anyway(invoke_cli, make_chart):
    """A chart for a cluster with a newer field than the schemas deploykit ships could not be rendered at all."""
    chart = make_chart({"templates/deploy.yaml": DEPLOYMENT.format(replicas="2", extra="imagePolicy: Always"),
                        "values.schema.json": '{"type": "object", "required": ["image"]}'})
    done = invoke_cli("template", str(chart), "--skip-schema-validation")
    assert done.exit_code == 0, done.stderr
    assert "imagePolicy: Always" in done.stdout


def test_the_demo_chart_is_valid_for_its_target_versions(invoke_cli):
    """Schema validation would refuse the demo chart that real clusters accept."""
    for version in ("v1.30.0", "v1.37.0"):
        done = invoke_cli("template", str(DEMO_CHART), "-f", str(DEMO_VALUES / "production.yaml"), "--kube-version", version)
        assert done.exit_code == 0, done.stderr


def test_schema_validation_builds_no_jsonschema_validator():
    """`template` would pay ~100 ms per run for a jsonschema validator over 1.8 MB of Kubernetes definitions."""
    code = (
        "import sys\n"
        "from deploykit.charts import kubeapis\n"
        "obj = {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'w'}, 'spec': {'replicas': 'x'}}\n"
        "print(kubeapis.schema_errors(obj, kube_version='v1.37.0'))\n"
        "print('JSONSCHEMA', 'jsonschema' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "must be of type integer" in done.stdout, done.stdout + done.stderr
    assert "JSONSCHEMA False" in done.stdout


def test_an_unreadable_schema_cache_is_read_around(tmp_path):
    """A truncated cache file (a full disk, a killed run) would break every later `template` run."""
    code = (
        "from deploykit.charts import kubeapis\n"
        "obj = {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'w'}, 'spec': {'replicas': 'x'}}\n"
        "print(kubeapis.schema_errors(obj, kube_version='v1.37.0'))\n"
    )
    env = {**os.environ, "DEPLOYKIT_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    cached = sorted((tmp_path / "kubeapis").iterdir())  # the definitions, the kinds table, the Deployment's part
    assert len(cached) == 3
    for each in cached:
        each.write_bytes(each.read_bytes()[:1000])
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert "must be of type integer" in first.stdout and again.stdout == first.stdout, again.stderr


FAILED = {"template": 2, "lint": 1}  # template: bad input, nothing rendered; lint: the chart has errors

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, maximum: 10}
                color: {type: string, enum: [red, blue]}
"""

WIDGET = """\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  size: {{ Values.size }}
  color: {{ Values.color }}
"""


@pytest.mark.parametrize("crd_path", ["crds/widget.yaml", "templates/crd.yaml"])
@pytest.mark.parametrize("command", ["template", "lint"])
def test_custom_resources_the_charts_crd_rejects_fail_naming_template_line_and_path(invoke_cli, make_chart, crd_path,
                                                                                   command):
    """A custom resource with a bad enum or an out-of-range value would reach the API server (or be pruned)."""
    chart = make_chart({crd_path: WIDGET_CRD, "templates/widget.yaml": WIDGET,
                        "values.yaml": "size: 12\ncolor: green\n"})
    done = invoke_cli(command, str(chart))
    assert done.exit_code == FAILED[command], done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "app/templates/widget.yaml:6: Widget default/w: spec.size: must be at most 10" in output
    assert "app/templates/widget.yaml:7: Widget default/w: spec.color: must be one of 'red', 'blue'" in output


@pytest.mark.parametrize("command", ["template", "lint"])
def test_a_removed_api_version_fails_with_its_replacement_named(invoke_cli, make_chart, command):
    """A chart written for Kubernetes 1.24 would be rendered, then refused by the cluster with "no matches for kind"."""
    chart = make_chart({"templates/pdb.yaml": "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n"
                                              "  name: web\nspec:\n  maxUnavailable: 1\n"})
    done = invoke_cli(command, str(chart), "--kube-version", "v1.30.0")
    assert done.exit_code == FAILED[command], done.stdout + done.stderr
    assert ("app/templates/pdb.yaml:1: PodDisruptionBudget default/web: apiVersion: policy/v1beta1 PodDisruptionBudget "
            "is no longer served since Kubernetes 1.25 (the target is v1.30.0): use policy/v1") in done.stdout + done.stderr
    older = invoke_cli(command, str(chart), "--kube-version", "v1.24.0")
    assert older.exit_code == 0, older.stdout + older.stderr


def test_missing_required_fields_and_bad_enums_fail_naming_line_and_path(invoke_cli, make_chart):
    """A container without a name, or an imagePullPolicy the API server does not know, would reach the cluster."""
    chart = make_chart({"templates/deploy.yaml": DEPLOYMENT.format(replicas="2", extra="imagePullPolicy: Sometimes")
                        .replace("        - name: web\n          image: nginx", "        - image: nginx")})
    done = invoke_cli("template", str(chart))
    assert done.exit_code == 2, done.stdout
    assert "app/templates/deploy.yaml:14: Deployment default/web: spec.template.spec.containers[0]: 'name' is required" in done.stderr
    assert ("app/templates/deploy.yaml:15: Deployment default/web: spec.template.spec.containers[0].imagePullPolicy: "
            "'Sometimes' is not supported here: supported values: 'Always', 'IfNotPresent', 'Never'") in done.stderr
