"""helm-secrets' `-f secrets://FILE`: an encrypted values file, decrypted in memory, wherever -f is accepted."""

import pytest

from tests.integration.secrets.test_canary import CHART, SECRET_VALUES, assert_no_canary


@pytest.fixture
def canary_project(sops_project):
    """A project whose secrets/canary.yaml is sops-encrypted, holding the canary."""
    sops_project.encrypt("secrets/canary.yaml", SECRET_VALUES)
    return sops_project


@pytest.mark.parametrize("command", ["template", "lint"])
def test_secrets_scheme_decrypts_the_file_in_memory(canary_project, run_deploykit, command):
    """A helm-secrets user's `-f secrets://secrets/prod.yaml` would be refused as a missing file."""
    done = run_deploykit(command, str(CHART), "-f", "secrets://secrets/canary.yaml", env=canary_project.env,
                         cwd=canary_project.root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_no_canary(done.stdout, done.stderr)
    if command == "template":
        plain = run_deploykit("template", str(CHART), "-f", "secrets/canary.yaml", env=canary_project.env,
                              cwd=canary_project.root)
        assert done.stdout == plain.stdout  # the same render as the path itself: the secret is there, masked


@pytest.mark.parametrize("command", ["template", "lint"])
def test_a_plain_file_behind_secrets_scheme_is_refused(canary_project, run_deploykit, command):
    """A values file its author believed encrypted would be deployed from plaintext without a word."""
    (canary_project.root / "plain.yaml").write_text("replicas: 2\n")
    done = run_deploykit(command, str(CHART), "-f", "secrets://plain.yaml", env=canary_project.env,
                         cwd=canary_project.root)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error: -f secrets://plain.yaml: plain.yaml is not sops-encrypted, but secrets:// says it holds secrets" in done.stderr
    assert "sops -e -i plain.yaml" in done.stderr


def test_a_missing_file_behind_secrets_scheme_is_named(canary_project, run_deploykit):
    """A typo after secrets:// would be reported as some other path, or as a crash."""
    done = run_deploykit("template", str(CHART), "-f", "secrets://secrets/nope.yaml", env=canary_project.env,
                         cwd=canary_project.root)
    assert done.returncode == 2 and "error: -f secrets://secrets/nope.yaml: no such file" in done.stderr


def test_key_import_schemes_are_refused_with_what_to_do_instead(canary_project, run_deploykit):
    """`secrets+gpg-import://` would be read as a file path and fail with a confusing message."""
    done = run_deploykit("template", str(CHART), "-f", "secrets+gpg-import://key.asc?secrets/canary.yaml",
                         env=canary_project.env, cwd=canary_project.root)
    assert done.returncode == 2
    assert "secrets+gpg-import:// (a key imported per file) is not supported" in done.stderr
    assert "-f secrets://PATH" in done.stderr
