"""`deploykit template` as a user runs it: the demo chart, values flags, secrets masking, output folder, errors."""

import base64
import os
import subprocess
import sys
import tarfile

import pytest
import yaml

from tests.plugins.charts import DEMO_CHART, DEMO_VALUES

SECRETS = "secrets:\n  database:\n    user: app\n    password: pa55-w0rd-canary\n  apiToken: tok-canary-123456\n"


def documents(stdout):
    return [doc for doc in yaml.safe_load_all(stdout) if doc]


def test_demo_chart_renders_for_staging_in_apply_order(run_cli):
    """`make demo` would fail, or objects would come out in an order that breaks a first install."""
    done = run_cli("template", str(DEMO_CHART), "-f", str(DEMO_VALUES / "staging.yaml"), "--release", "web", "-n", "staging")
    assert done.returncode == 0, done.stderr
    sources = [line for line in done.stdout.splitlines() if line.startswith("# Source: ")]
    assert sources == [
        "# Source: web/templates/configmap.yaml",
        "# Source: web/templates/service.yaml",
        "# Source: web/templates/deployment.yaml",
        "# Source: web/templates/ingress.yaml",
        "# Source: web/templates/migration-job.yaml",
    ]
    objects = documents(done.stdout)
    assert {o["metadata"]["namespace"] for o in objects} == {"staging"}
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    assert deployment["metadata"]["name"] == "web"
    assert len(deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]) == 64
    ingress = next(o for o in objects if o["kind"] == "Ingress")
    assert ingress["spec"]["rules"][0]["host"] == "web.staging.example.com"


def test_stage_values_change_what_is_rendered(invoke_cli):
    """Production would get staging's replica count or host."""
    done = invoke_cli("template", str(DEMO_CHART), "-f", str(DEMO_VALUES / "production.yaml"), "--release", "web", "-n", "production")
    objects = documents(done.stdout)
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 3
    assert next(o for o in objects if o["kind"] == "Ingress")["spec"]["tls"][0]["hosts"] == ["web.example.com"]


def test_set_flags_override_files_in_helms_order(invoke_cli, tmp_path):
    """`--set` would lose to a -f file, or --set-file / --set-json would be ignored."""
    note = tmp_path / "greeting.txt"
    note.write_text("from a file")
    done = invoke_cli(
        "template", str(DEMO_CHART), "-f", str(DEMO_VALUES / "qa.yaml"),
        "--set", "replicaCount=4", "--set-string", "image.tag=2.0", "--set-json", 'config={"LOG_LEVEL":"trace"}',
        "--set-file", f"config.GREETING={note}",
    )
    assert done.exit_code == 0, done.stderr
    objects = documents(done.stdout)
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 4
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":2.0")
    assert next(o for o in objects if o["kind"] == "ConfigMap")["data"] == {"GREETING": "from a file", "LOG_LEVEL": "trace"}


def test_set_literal_takes_the_value_verbatim_and_comes_last(invoke_cli):
    """`--set-literal` would be an unknown flag, split the value at commas, or lose to --set."""
    done = invoke_cli(
        "template", str(DEMO_CHART), "--set-json", '{"config": {"LOG_LEVEL": "debug"}}',
        "--set", "config.GREETING=hi", "--set-literal", "config.GREETING=a,b=c\\,d",
    )
    assert done.exit_code == 0, done.stderr
    config_map = next(o for o in documents(done.stdout) if o["kind"] == "ConfigMap")
    assert config_map["data"] == {"GREETING": "a,b=c\\,d", "LOG_LEVEL": "debug"}


def test_secret_values_are_masked_unless_show_secrets(run_cli, tmp_path):
    """`deploykit template` in a CI log would print every secret of the release."""
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(SECRETS)
    masked = run_cli("template", str(DEMO_CHART), "-f", str(secrets))
    assert masked.returncode == 0, masked.stderr
    secret = next(o for o in documents(masked.stdout) if o["kind"] == "Secret")
    assert secret["data"] == {"APITOKEN": "***", "DATABASE_PASSWORD": "***", "DATABASE_USER": "***"}
    assert base64.b64encode(b"pa55-w0rd-canary").decode() not in masked.stdout
    shown = run_cli("template", str(DEMO_CHART), "-f", str(secrets), "--show-secrets")
    secret = next(o for o in documents(shown.stdout) if o["kind"] == "Secret")
    assert base64.b64decode(secret["data"]["DATABASE_PASSWORD"]) == b"pa55-w0rd-canary"


def test_output_dir_gets_one_file_per_template(invoke_cli, tmp_path):
    """`--output-dir` would write one file for everything, or lose the hook."""
    out = tmp_path / "out"
    done = invoke_cli("template", str(DEMO_CHART), "-f", str(DEMO_VALUES / "staging.yaml"), "--release", "web", "--output-dir", str(out))
    assert done.exit_code == 0 and done.stdout == ""
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.yaml"))
    assert written == [f"web/templates/{name}.yaml" for name in ("configmap", "deployment", "ingress", "migration-job", "service")]
    assert (out / "web/templates/service.yaml").read_text().startswith("---\n# Source: web/templates/service.yaml\napiVersion: v1\nkind: Service\n")


def test_output_dir_with_show_secrets_is_refused(invoke_cli, tmp_path):
    """Decrypted secrets would be written to disk in plaintext."""
    done = invoke_cli("template", str(DEMO_CHART), "--show-secrets", "--output-dir", str(tmp_path / "out"))
    assert done.exit_code == 2
    assert "never writes secret values to disk" in done.stderr
    assert not (tmp_path / "out").exists()


def test_output_dir_that_is_a_file_is_a_usage_error(invoke_cli, tmp_path):
    """`--output-dir` naming an existing file would end in a Python traceback (NotADirectoryError)."""
    target = tmp_path / "rendered.yaml"
    target.write_text("keep me\n")
    done = invoke_cli("template", str(DEMO_CHART), "-f", str(DEMO_VALUES / "staging.yaml"), "--output-dir", str(target))
    assert done.exit_code == 2
    assert f"--output-dir {target} is a file" in done.stderr
    assert target.read_text() == "keep me\n"


def test_chart_yaml_given_as_the_chart_says_to_give_the_folder(invoke_cli):
    """`template chart/Chart.yaml` would answer with tarfile's internals (ReadError, method gz, bz2, xz)."""
    done = invoke_cli("template", str(DEMO_CHART / "Chart.yaml"))
    assert done.exit_code == 2
    assert "not a chart folder" in done.stderr and "give the folder holding Chart.yaml" in done.stderr
    assert "ReadError" not in done.stderr and "method gz" not in done.stderr


@pytest.mark.parametrize("expression", ["labels | nindent 4", ".Values.labels"])
def test_go_template_habit_gets_a_jinja2_hint(invoke_cli, make_chart, expression):
    """A Helm user writing `| nindent 4` or `.Values.x` would get a bare Jinja2 parser message and no way forward."""
    chart = make_chart({"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
                                             "  labels: {{ " + expression + " }}\n"})
    # `.Values.x` alone makes a chart a Go-template (Helm) chart: the hint is for charts that are Jinja2 by decision.
    forced = ["--template-engine", "jinja2"] if expression.startswith(".") else []
    done = invoke_cli("template", str(chart), *forced)
    assert done.exit_code == 2
    assert "app/templates/cm.yaml:5: template syntax error" in done.stderr
    assert "hint: Jinja2, not Go templates: arguments go in parentheses (`| nindent(4)`" in done.stderr


def test_values_from_stdin_with_dash(tmp_path):
    """`-f -`, which Helm users pipe generated values into, would fail with 'cannot read values file -'."""
    done = subprocess.run([sys.executable, "-m", "deploykit", "template", str(DEMO_CHART), "-f", "-"],
                          input="replicaCount: 4\n", capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    deployment = next(o for o in documents(done.stdout) if o["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 4


@pytest.mark.parametrize("flag", [["-f", "/dev/zero"], ["--set-file", "blob=/dev/zero"]])
def test_endless_values_input_is_refused_not_read_to_exhaustion(flag):
    """`-f /dev/zero` or a runaway pipe would eat all memory until the OOM killer ends the CI job."""
    import resource

    def limit_memory():  # a regression fails this test with MemoryError instead of starving the machine
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))

    done = subprocess.run([sys.executable, "-m", "deploykit", "template", str(DEMO_CHART), *flag], capture_output=True,
                          text=True, timeout=120, preexec_fn=limit_memory)
    assert done.returncode == 2, done.stderr
    assert "larger than 20 MiB" in done.stderr


def test_packaged_chart_renders_like_its_folder(invoke_cli, make_chart, tmp_path):
    """A chart shipped as .tgz would not render."""
    chart = make_chart({"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}\n"}, name="app")
    archive = tmp_path / "app-1.0.0.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(chart, arcname="app")
    assert invoke_cli("template", str(archive), "--release", "r").stdout == invoke_cli("template", str(chart), "--release", "r").stdout != ""


def test_bad_chart_exits_2_with_a_located_message_and_no_traceback(run_cli, make_chart):
    """A template mistake would show a Python traceback instead of the template and line."""
    chart = make_chart({"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Values.nmae }}\n"})
    done = run_cli("template", str(chart))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: app/templates/cm.yaml:4: Values.nmae is not defined\nhint: ")
    assert "Traceback" not in done.stderr


def test_target_kubernetes_version_is_checked(invoke_cli):
    """The demo chart would render for a cluster older than it supports."""
    done = invoke_cli("template", str(DEMO_CHART), "--kube-version", "v1.22.0")
    assert done.exit_code == 2
    assert f"{DEMO_CHART}/Chart.yaml:7: kubeVersion: the chart requires Kubernetes '>= 1.25.0-0'; the target is v1.22.0" in done.stderr


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--release", "Web_App", "release name 'Web_App' is invalid"),
    ("-n", "Staging", "namespace 'Staging' is invalid"),
    ("--kube-version", "latest", "--kube-version 'latest'"),
])
def test_bad_flags_exit_2(invoke_cli, flag, value, message):
    """A bad release name or namespace would fail only when the cluster refuses the objects."""
    done = invoke_cli("template", str(DEMO_CHART), flag, value)
    assert done.exit_code == 2
    assert message in done.stderr


def test_template_help_lists_the_flags(run_cli):
    """Users would not find --set-file, --output-dir or --show-secrets."""
    done = run_cli("template", "--help")
    assert done.returncode == 0
    for flag in ("--values", "--set", "--set-string", "--set-file", "--set-json", "--set-literal", "--release", "--namespace", "--output-dir", "--kube-version", "--api-versions", "--show-secrets"):
        assert flag in done.stdout


def test_template_quotes_strings_that_yaml_readers_would_retype(invoke_cli, make_chart):
    """`template | kubectl apply -f -` would send `y`, `08` or `1e3` as a boolean or a number, even after `| quote`."""
    words = ["y", "n", "on", "08", "1e3", "0o17", "1:30"]
    chart = make_chart({
        "values.yaml": "".join(f"w{index}: '{word}'\n" for index, word in enumerate(words)),
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: words\ndata:\n"
        + "".join(f"  w{index}: {{{{ Values.w{index} | quote }}}}\n" for index in range(len(words))),
    })
    done = invoke_cli("template", str(chart))
    assert done.exit_code == 0, done.stderr
    expected = {f"w{index}": word for index, word in enumerate(words)}
    assert documents(done.stdout)[0]["data"] == expected  # a YAML 1.1 reader
    helm_python = pytest.importorskip("helm_python")
    assert helm_python.values_from_yaml(done.stdout)["data"] == expected  # Helm's reader
