"""Secret values files given with -f to `template` and `lint`: decrypted, refused when plaintext, linted."""

import base64
import subprocess
import sys

from tests.plugins.secrets import CANARY, REPO, UNRELATED_AGE_KEY_FILE

CHART = str(REPO / "pipelines" / "demo" / "charts" / "web")
SECRETS = f"secrets:\n  database:\n    password: {CANARY}\n"


def test_encrypted_file_feeds_the_chart(sops_project, run_deploykit):
    """An encrypted -f file would be read as ciphertext (ENC[...] values in the Secret)."""
    sops_project.encrypt("secrets/app.yaml", SECRETS)
    result = run_deploykit("template", CHART, "-f", "secrets/app.yaml", "--show-secrets", env=sops_project.env, cwd=sops_project.root)
    assert result.returncode == 0, result.stderr
    assert f"DATABASE_PASSWORD: {base64.b64encode(CANARY.encode()).decode()}" in result.stdout


def test_the_demo_secrets_render_with_the_example_key(secrets_env, run_deploykit):
    """The committed demo secrets would not decrypt, or not fit the demo chart's schema."""
    result = run_deploykit(
        "template", CHART, "-f", "pipelines/demo/values/staging.yaml", "-f", "pipelines/demo/secrets/staging.yaml",
        env=secrets_env, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert "DATABASE_PASSWORD: '***'" in result.stdout or "DATABASE_PASSWORD: ***" in result.stdout


def test_plaintext_secret_file_is_refused(sops_project, run_deploykit):
    """A plaintext file in secrets/ would be rendered into the cluster as if it were protected."""
    sops_project.write("secrets/plain.yaml", SECRETS)
    result = run_deploykit("template", CHART, "-f", "secrets/plain.yaml", env=sops_project.env, cwd=sops_project.root)
    assert result.returncode == 2
    assert "secrets/plain.yaml: declared secret but NOT sops-encrypted" in result.stderr
    assert result.stdout == ""
    assert CANARY not in result.stderr


def test_opt_out_renders_plaintext_locally_with_a_warning(sops_project, run_deploykit):
    """A local experiment with plaintext secrets would be impossible, or pass silently."""
    sops_project.write("secrets/plain.yaml", SECRETS)
    result = run_deploykit(
        "template", CHART, "-f", "secrets/plain.yaml", "--allow-unencrypted-secrets", env=sops_project.env, cwd=sops_project.root
    )
    assert result.returncode == 0, result.stderr
    assert "NOT encrypted" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_opt_out_is_ignored_in_ci(sops_project, run_deploykit):
    """A CI job could deploy plaintext secrets with the local-only flag."""
    sops_project.write("secrets/plain.yaml", SECRETS)
    result = run_deploykit(
        "template", CHART, "-f", "secrets/plain.yaml", "--allow-unencrypted-secrets",
        env={**sops_project.env, "CI": "true"}, cwd=sops_project.root,
    )
    assert result.returncode == 2
    assert "ignored in CI" in result.stderr


def test_wrong_key_fails_before_rendering(sops_project, run_deploykit):
    """A deploy without the right key would render with missing secrets or crash."""
    sops_project.encrypt("secrets/app.yaml", SECRETS)
    env = {**sops_project.env, "SOPS_AGE_KEY_FILE": str(UNRELATED_AGE_KEY_FILE)}
    result = run_deploykit("template", CHART, "-f", "secrets/app.yaml", env=env, cwd=sops_project.root)
    assert result.returncode == 2
    assert "no usable key" in result.stderr and "secrets/app.yaml" in result.stderr
    assert result.stdout == ""


def test_key_file_variable_naming_a_missing_file_is_called_out(sops_project, run_deploykit):
    """A typo in SOPS_AGE_KEY_FILE would read as 'set here but not able to decrypt', as if the key were wrong."""
    sops_project.encrypt("secrets/app.yaml", SECRETS)
    missing = str(sops_project.root / "keys" / "age.kye")
    env = {**sops_project.env, "SOPS_AGE_KEY_FILE": missing}
    result = run_deploykit("template", CHART, "-f", "secrets/app.yaml", env=env, cwd=sops_project.root)
    assert result.returncode == 2
    assert f"hint: SOPS_AGE_KEY_FILE={missing}: no such file or folder; fix the path" in result.stderr
    assert "not able to decrypt: SOPS_AGE_KEY_FILE" not in result.stderr


def test_encrypted_values_through_a_pipe_are_refused_not_rendered_as_ciphertext(sops_project):
    """`-f /dev/stdin` (or `-f <(...)`) with a sops file would render ENC[...] strings into the Secret and exit 0."""
    path = sops_project.encrypt("secrets/app.yaml", SECRETS)
    result = subprocess.run([sys.executable, "-m", "deploykit", "template", CHART, "-f", "/dev/stdin", "--show-secrets"],
                            input=path.read_text(), capture_output=True, text=True, timeout=60, env=sops_project.env)
    assert result.returncode == 2
    assert "/dev/stdin: sops-encrypted, but not a file deploykit decrypts" in result.stderr
    assert result.stdout == "" and "ENC[" not in result.stderr


def test_lint_warns_about_secret_values_too_short_to_mask(sops_project, run_deploykit):
    """A two-character secret would be printed unmasked everywhere without anyone being told."""
    sops_project.encrypt("secrets/short.yaml", "secrets:\n  pin: q7\n  token: long-enough-token\n")
    result = run_deploykit("lint", CHART, "-f", "secrets/short.yaml", env=sops_project.env, cwd=sops_project.root)
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "secrets/short.yaml: Values.secrets.pin: secret value too short to be masked" in warnings[0]
    assert "q7" not in result.stdout + result.stderr
