"""The canary: a secret from an encrypted file never shows in output, files or errors of any command."""

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins.secrets import CANARY, REPO

CHART = REPO / "pipelines" / "demo" / "charts" / "web"
FORMS = (CANARY, base64.b64encode(CANARY.encode()).decode())
SECRET_VALUES = f"""\
secrets:
  database:
    password: {CANARY}
  apiToken: token-{CANARY}
config:
  LEAKED_INTO_CONFIG: {CANARY}
"""


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        for form in FORMS:
            assert form not in text


def assert_no_canary_on_disk(*roots: Path) -> None:
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                for form in FORMS:
                    assert form.encode() not in data, path


@pytest.fixture
def canary_project(sops_project, monkeypatch, tmp_path):
    """A project with the canary in an encrypted file; deploykit runs in it with caches in tmp."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sops_project.env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    sops_project.encrypt("secrets/canary.yaml", SECRET_VALUES)
    return sops_project


def run_in(project, run_deploykit, *args, env=None):
    result = run_deploykit(*args, env=env or project.env, cwd=project.root)
    assert_no_canary(result.stdout, result.stderr)
    return result


def test_template_never_shows_the_canary(canary_project, run_deploykit, tmp_path):
    """`deploykit template` would print a decrypted secret (plain or base64) in a ConfigMap or a Secret."""
    result = run_in(canary_project, run_deploykit, "template", str(CHART), "-f", "secrets/canary.yaml")
    assert result.returncode == 0, result.stderr
    assert "LEAKED_INTO_CONFIG: <redacted>" in result.stdout
    assert_no_canary_on_disk(tmp_path)


def test_template_output_dir_files_never_hold_the_canary(canary_project, run_deploykit, tmp_path):
    """--output-dir would write decrypted secrets to disk."""
    out = tmp_path / "out"
    result = run_in(canary_project, run_deploykit, "template", str(CHART), "-f", "secrets/canary.yaml", "--output-dir", str(out))
    assert result.returncode == 0, result.stderr
    assert any(out.rglob("*.yaml"))
    assert_no_canary_on_disk(tmp_path)


def test_template_show_secrets_is_the_explicit_exception(canary_project, run_deploykit):
    """A user asking for --show-secrets would get masked output and no way to check their Secret."""
    result = run_deploykit("template", str(CHART), "-f", "secrets/canary.yaml", "--show-secrets", env=canary_project.env, cwd=canary_project.root)
    assert result.returncode == 0, result.stderr
    assert base64.b64encode(CANARY.encode()).decode() in result.stdout
    assert_no_canary(result.stderr)


def test_lint_never_shows_the_canary(canary_project, run_deploykit, tmp_path):
    """`deploykit lint` would print a decrypted secret in a problem report."""
    result = run_in(canary_project, run_deploykit, "lint", str(CHART), "-f", "secrets/canary.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_canary_on_disk(tmp_path)


def test_errors_about_a_secret_value_never_show_it(canary_project, run_deploykit, tmp_path):
    """A schema error about a secret leaf would quote the decrypted value."""
    canary_project.encrypt("secrets/bad.yaml", f"replicaCount: {CANARY}\nimage:\n  tag: {CANARY}\n")
    for command in ("template", "lint"):
        result = run_in(canary_project, run_deploykit, command, str(CHART), "-f", "secrets/bad.yaml")
        assert result.returncode != 0
        assert "replicaCount" in result.stdout + result.stderr
    assert_no_canary_on_disk(tmp_path)


@pytest.mark.slow
def test_secrets_commands_never_show_the_canary(canary_project, run_deploykit, tmp_path):
    """Any `deploykit secrets` command other than `decrypt --stdout` would print the secret."""
    secret = "secrets/canary.yaml"
    results = [
        run_in(canary_project, run_deploykit, "secrets", "check", "."),
        run_in(canary_project, run_deploykit, "secrets", "keys", secret),
        run_in(canary_project, run_deploykit, "secrets", "rotate", secret),
        run_in(canary_project, run_deploykit, "secrets", "updatekeys", secret),
        run_in(canary_project, run_deploykit, "secrets", "edit", secret, env={**canary_project.env, "EDITOR": "true"}),
        run_in(canary_project, run_deploykit, "secrets", "encrypt", secret),
        run_in(canary_project, run_deploykit, "secrets", "decrypt", secret),
    ]
    assert [r.returncode for r in results] == [0, 0, 0, 0, 0, 2, 2]
    assert_no_canary_on_disk(tmp_path)


def test_uncaught_traceback_and_logs_are_masked(canary_project, tmp_path):
    """A crash (or a log line) after decryption would print the secret in a traceback."""
    script = (
        "import logging, sys\n"
        "from pathlib import Path\n"
        "from deploykit.secrets import decrypting, redaction\n"
        "redaction.install_streams()\n"
        "logging.basicConfig()\n"
        "data = decrypting.decrypt_file(Path('secrets/canary.yaml')).data\n"
        "print('stdout:', data['secrets']['database']['password'])\n"
        "logging.getLogger('x').warning('log: %s', data['secrets']['database']['password'])\n"
        "raise RuntimeError('boom: ' + data['secrets']['database']['password'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=canary_project.env, cwd=canary_project.root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "stdout: <redacted>" in result.stdout
    assert "log: <redacted>" in result.stderr
    assert "RuntimeError: boom: <redacted>" in result.stderr
    assert_no_canary(result.stdout, result.stderr)
