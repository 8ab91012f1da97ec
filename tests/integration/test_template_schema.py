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
    assert all(each.stat().st_size > 1000 for each in cached)


def test_a_new_process_reads_only_the_schemas_of_the_kinds_it_checks(tmp_path):
    """Every `template` run would load all ~860 Kubernetes definitions (10-15 ms) to check three kinds."""
    code = (
        "import builtins\n"
        "from deploykit.charts import kubeapis\n"
        "read = []\n"
        "real_open = builtins.open\n"
        "builtins.open = lambda file, *a, **k: (read.append(str(file)), real_open(file, *a, **k))[1]\n"
        "obj = {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'w'}, 'spec': {'replicas': 'x'}}\n"
        "print(kubeapis.schema_errors(obj, kube_version='v1.37.0'))\n"
        "print('READ', sorted(path.rsplit('/', 1)[-1].split('.', 1)[-1] for path in read))\n"
    )
    env = {**os.environ, "DEPLOYKIT_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert "must be of type integer" in first.stdout, first.stderr
    assert again.stdout.splitlines()[0] == first.stdout.splitlines()[0]
    read_again = again.stdout.splitlines()[1]
    assert "'marshal'" not in read_again and "'json'" not in read_again, read_again  # not the whole set
    assert "kinds.v1.marshal" in read_again and "reached." in read_again
