"""The error boundary: every failure reaches the user as one `error:` line and an exit code, never a traceback.

Third-party exceptions (yaml.YAMLError, jinja2.TemplateError, CalledProcessError,
urllib3 and kubernetes errors) are translated at their layer's boundary; if
one slipped through, `deploykit` would print a Python traceback instead.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BAD_CHARTS = ROOT / "tests" / "data" / "charts" / "bad"
DEMO = ROOT / "pipelines" / "demo"
LEAKS = ("Traceback", "YAMLError", "TemplateSyntaxError", "UndefinedError", "CalledProcessError", "ApiException",
         "urllib3", "MaxRetryError", "ConfigException", "jsonschema.exceptions")


def unreachable_kubeconfig(tmp_path: Path) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: x}}]\n")
    return str(path)


CASES = {
    "template syntax error": ["template", str(BAD_CHARTS / "template-syntax-error")],
    "YAML error in rendered output": ["template", str(BAD_CHARTS / "yaml-error-in-output")],
    "undefined value": ["template", str(BAD_CHARTS / "undefined-value")],
    "invalid values.yaml": ["template", str(BAD_CHARTS / "values-yaml-invalid")],
    "malformed -f file": ["template", str(DEMO / "charts" / "web"), "-f",
                          str(ROOT / "tests" / "data" / "values" / "bad" / "malformed-yaml" / "values.yaml")],
    "chart path missing": ["template", "/nonexistent/chart"],
    "lint of a missing chart": ["lint", "/nonexistent/chart"],
    "sops file without a key": ["template", str(DEMO / "charts" / "web"), "-f", str(DEMO / "secrets" / "staging.yaml")],
    "secrets decrypt without a key": ["secrets", "decrypt", str(DEMO / "secrets" / "staging.yaml"), "--stdout"],
    "track against an unreachable cluster": ["track", "deployment/web", "--kubeconfig", "{kubeconfig}", "--timeout", "3s"],
    "track with a missing kubeconfig context": ["track", "deployment/web", "--kubeconfig", "{kubeconfig}",
                                                "--kube-context", "nope"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_failures_print_one_error_line_and_no_traceback(case, tmp_path):
    """A bad input or an unreachable cluster would dump a Python traceback on the user."""
    args = [a.replace("{kubeconfig}", unreachable_kubeconfig(tmp_path)) for a in CASES[case]]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "DEPLOYKIT_"))}
    env.update(GNUPGHOME=str(tmp_path / "gnupg"), HOME=str(tmp_path), DEPLOYKIT_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-m", "deploykit", *args], capture_output=True, text=True, timeout=120,
                            env=env, cwd=tmp_path)
    assert result.returncode in (1, 2, 3), result.stderr
    assert "error:" in result.stderr
    leaked = [name for name in LEAKS if name in result.stderr or name in result.stdout]
    assert not leaked, result.stderr
