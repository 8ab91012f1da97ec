"""Leak audit: ways a template, an error or a log line could turn a decrypted value into text the redactor missed.

Each test encrypts a secret holding the canary, renders a small chart that
transforms it the way real charts do (Jinja's own filters, a JSON document
inserted without `nindent`, `b64dec`, `tpl`, an error quoting a value) and
checks that no output, error or file of the run holds the canary.
"""

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins.secrets import CANARY, SOPS

# A service-account key as CI teams store it: a JSON document in one secret value.
SERVICE_ACCOUNT = json.dumps(
    {
        "private_key": f"-----BEGIN PRIVATE KEY-----\n{CANARY}\n-----END PRIVATE KEY-----\n",
        "type": "service_account",
    },
    indent=2,
)

# An application config file kept whole in one secret value.
APP_CONFIG = f'user: app\npassword: "{CANARY}!x"\n'


def configmap(data: str) -> str:
    """A ConfigMap template whose `data:` block is `data` (already indented by two spaces)."""
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n" + data


def render(sops_project, run_deploykit, make_chart, *, secret: str, template: str, command: str = "template", extra=()):
    """Encrypt `secret` (YAML) in secrets/s.yaml, render a chart of one template with it; the run's result."""
    sops_project.encrypt("secrets/s.yaml", secret)
    chart = make_chart({"values.yaml": "missing: {}\n", "templates/probe.yaml": template})
    return run_deploykit(command, str(chart), "-f", "secrets/s.yaml", *extra, env=sops_project.env, cwd=sops_project.root)


def render_masked(sops_project, run_deploykit, make_chart, **kwargs):
    """`render` that must succeed without the canary anywhere in its output; the result."""
    result = render(sops_project, run_deploykit, make_chart, **kwargs)
    assert result.returncode == 0, result.stderr
    assert_no_canary(result)
    return result


def assert_no_canary(result) -> None:
    assert CANARY not in result.stdout
    assert CANARY not in result.stderr


def yaml_string(value: str) -> str:
    """`value` as a YAML double-quoted scalar (JSON is YAML)."""
    return json.dumps(value)


def test_jinja_urlencode_of_a_secret_is_masked(sops_project, run_deploykit, make_chart):
    """A database URL built with Jinja's `urlencode` would print a password holding '/' and '+' in clear."""
    result = render_masked(
        sops_project, run_deploykit, make_chart,
        secret=f"password: {CANARY}/+=\n",
        template=configmap('  url: "postgres://app:{{ Values.password | urlencode }}@db/app"\n'),
    )
    assert "url: postgres://app:<redacted>@db/app" in result.stdout


@pytest.mark.parametrize(
    "data",
    [
        '  config.json: |\n    {"password": {{ Values.password | tojson }}}\n',  # tojson escapes ' & < > as \\u00XX
        '  page: "<p>{{ Values.password | e }}</p>"\n',  # e writes HTML entities for ' " & < >
    ],
    ids=["tojson", "html-escape"],
)
def test_jinja_escaping_filter_of_a_secret_is_masked(sops_project, run_deploykit, make_chart, data):
    """A password holding ' & < > written through Jinja's `tojson` or `e` would print in clear."""
    render_masked(
        sops_project, run_deploykit, make_chart,
        secret=f"password: {yaml_string(CANARY + chr(39) + '&<>')}\n",
        template=configmap(data),
    )


@pytest.mark.parametrize(
    ("secret", "data", "shown"),
    [
        # A JSON key file inserted without `nindent` is re-read as YAML: its private key prints as plain lines.
        (f"serviceAccount: {yaml_string(SERVICE_ACCOUNT)}\n", "  key.json: {{ Values.serviceAccount }}\n", "private_key"),
        # A YAML config held in one secret is re-read and re-written: a quoted password in it prints unquoted.
        (f"config: {yaml_string(APP_CONFIG)}\n", "  settings: {{ Values.config | nindent(4) }}\n", "password: '<redacted>'"),
        # A secret stored base64-encoded and decoded with `b64dec`.
        (f"token: {base64.b64encode(CANARY.encode()).decode()}\n", '  token: "{{ Values.token | b64dec }}"\n', "token: <redacted>"),
        # A secret holding template syntax, rendered with `tpl`: its literal text.
        ("dsn: " + yaml_string(CANARY + "@{{ Release.Name }}-db") + "\n", '  dsn: "{{ tpl(Values.dsn) }}"\n', "release-name-db"),
    ],
    ids=["json-document", "yaml-document", "b64dec", "tpl"],
)
def test_text_a_template_derives_from_a_secret_is_masked(sops_project, run_deploykit, make_chart, secret, data, shown):
    """Text a chart derives from a secret (a document's strings, b64dec, tpl) would print in clear."""
    # A document re-read as YAML is a mapping where the API wants a string: render it anyway, the output is audited.
    result = render_masked(sops_project, run_deploykit, make_chart, secret=secret, template=configmap(data),
                           extra=("--skip-schema-validation",))
    assert shown in result.stdout


@pytest.mark.parametrize("password", ["Ab{{%s}}Cd", "Ab{%% %s %%}Cd"])
def test_tpl_error_on_a_password_holding_braces_is_masked(sops_project, run_deploykit, make_chart, password):
    """A chart that runs `tpl` on every value fails on a password with `{{`; the error would quote part of it."""
    fragment = CANARY.replace("-", "_")  # one identifier: Jinja quotes it whole
    result = render(
        sops_project, run_deploykit, make_chart,
        secret="password: " + yaml_string(password % fragment) + "\n",
        template=configmap('  password: "{{ tpl(Values.password) }}"\n'),
    )
    assert result.returncode == 2
    assert "error:" in result.stderr
    assert fragment not in result.stdout + result.stderr


def test_tpl_of_a_secret_leaves_nothing_in_the_template_cache(sops_project, run_deploykit, make_chart, tmp_path):
    """Compiled templates are cached on disk: a secret rendered with `tpl` would be stored there in plaintext."""
    cache = tmp_path / "cache"
    sops_project.env["DEPLOYKIT_CACHE_DIR"] = str(cache)
    result = render(
        sops_project, run_deploykit, make_chart,
        secret="dsn: " + yaml_string(CANARY + "@{{ Release.Name }}") + "\n",
        template=configmap('  dsn: "{{ tpl(Values.dsn) }}"\n'),
    )
    assert result.returncode == 0, result.stderr
    files = [path for path in cache.rglob("*") if path.is_file()]
    assert files, "the run should have used the on-disk template cache"
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("command", ["template", "lint"])
def test_undefined_key_named_by_a_secret_is_masked(sops_project, run_deploykit, make_chart, command):
    """`Values.x[secret] is not defined` quotes the key with repr(): a secret holding both quote kinds would show."""
    result = render(
        sops_project, run_deploykit, make_chart,
        secret="key: " + yaml_string(CANARY + "'\"") + "\n",
        template=configmap('  v: "{{ Values.missing[Values.key] }}"\n'),
        command=command,
    )
    assert result.returncode != 0
    assert "is not defined" in result.stdout + result.stderr
    assert_no_canary(result)


@pytest.mark.parametrize("command", ["template", "lint"])
def test_yaml_error_on_a_line_of_a_json_secret_is_masked(sops_project, run_deploykit, make_chart, command):
    """A YAML error quotes the rendered line with repr(): a line of a JSON key file would show with doubled backslashes."""
    result = render(
        sops_project, run_deploykit, make_chart,
        secret=f"serviceAccount: {yaml_string(SERVICE_ACCOUNT)}\n",
        template=configmap('  key.json: "{{ Values.serviceAccount }}"\n'),
        command=command,
    )
    assert result.returncode != 0
    assert "not valid YAML" in result.stdout + result.stderr
    assert_no_canary(result)


def test_logged_exception_goes_through_the_redactor(sops_project):
    """A log handler set up before the masking streams would print a secret from a logged exception's traceback."""
    sops_project.encrypt("secrets/s.yaml", f"password: {CANARY}\n")
    script = (
        "import logging\n"
        "from pathlib import Path\n"
        "logging.basicConfig()\n"  # the handler keeps the real stderr: only the filter stands between
        "from deploykit.secrets import decrypting, redaction\n"
        "redaction.install_streams()\n"
        "password = decrypting.decrypt_file(Path('secrets/s.yaml')).data['password']\n"
        "try:\n"
        "    raise RuntimeError('cannot connect with ' + password)\n"
        "except RuntimeError:\n"
        "    logging.getLogger('app').exception('connection failed')\n"
        "logging.getLogger('app').warning('where', stack_info=True)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=sops_project.env, cwd=sops_project.root,
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "RuntimeError: cannot connect with <redacted>" in result.stderr
    assert "Stack (most recent call last)" in result.stderr
    assert_no_canary(result)


def test_output_dir_files_hold_no_transformed_secret(sops_project, run_deploykit, make_chart, tmp_path):
    """--output-dir files pass the redactor: a secret decoded by the template (b64dec) would be written in clear."""
    out = tmp_path / "out"
    encoded = base64.b64encode(CANARY.encode()).decode()
    result = render(
        sops_project, run_deploykit, make_chart,
        secret=f"token: {encoded}\n",
        template=configmap('  token: "{{ Values.token | b64dec }}"\n'),
        extra=("--output-dir", str(out)),
    )
    assert result.returncode == 0, result.stderr
    written = [path for path in out.rglob("*") if path.is_file()]
    assert written
    for path in written:
        assert CANARY not in path.read_text(), path


def test_sops_gets_no_secret_in_its_arguments_or_environment(sops_project, run_deploykit, make_chart, tmp_path):
    """sops's command line is visible in `ps` and its environment in /proc: a decrypted value there would leak."""
    spy_log = tmp_path / "sops-calls.log"
    spy = tmp_path / "sops-spy"
    spy.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{spy_log}"\nenv >> "{spy_log}"\nexec "{SOPS}" "$@"\n')
    spy.chmod(0o755)
    sops_project.env["DEPLOYKIT_SOPS"] = str(spy)
    result = render(
        sops_project, run_deploykit, make_chart,
        secret=f"password: {CANARY}\n",
        template=configmap('  password: "{{ Values.password }}"\n'),
    )
    assert result.returncode == 0, result.stderr
    calls = spy_log.read_text()
    assert "decrypt --input-type yaml --output-type json" in calls
    assert CANARY not in calls


def test_render_result_reprs_show_no_secret(sops_project, make_chart, monkeypatch):
    """A script printing a render result (or a test failure showing it) would show decrypted values in the repr."""
    from deploykit.release import rendering
    from deploykit.release.inputs import RenderOptions

    sops_project.encrypt("secrets/s.yaml", f"password: {CANARY}\n")
    chart = make_chart({"templates/probe.yaml": configmap('  password: "{{ Values.password }}"\n')})
    monkeypatch.chdir(sops_project.root)
    result = rendering.render(RenderOptions(chart=str(chart), values_files=("secrets/s.yaml",)))
    assert result.rendered.manifests[0].obj["data"]["password"] == CANARY
    for shown in (result, result.tree, result.rendered, result.rendered.manifests[0]):
        assert CANARY not in repr(shown)


def test_a_crash_in_a_command_prints_no_local_variables(sops_project, make_chart):
    """A crash traceback with local variables (typer's pretty tracebacks) would print the rendered objects, secrets cut short."""
    sops_project.encrypt("secrets/s.yaml", f"password: {CANARY}\n")
    chart = make_chart({"templates/probe.yaml": configmap('  password: "{{ Values.password }}"\n')})
    script = (
        "import sys\n"
        "from deploykit.charts import yamlcodec\n"
        "def crash(data):\n"
        "    objects_of_the_release = data\n"
        "    raise RuntimeError('unexpected')\n"
        "yamlcodec.dump = crash\n"
        f"sys.argv = ['deploykit', 'template', {str(chart)!r}, '-f', 'secrets/s.yaml']\n"
        "from deploykit.cli.main import run\n"
        "run()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=sops_project.env, cwd=sops_project.root,
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "RuntimeError: unexpected" in result.stderr
    assert "objects_of_the_release" not in result.stderr
    assert_no_canary(result)
