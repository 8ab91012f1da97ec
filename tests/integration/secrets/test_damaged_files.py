"""Values that hold sops ciphertext (ENC[...]) outside a valid sops file: refused, never rendered as the values."""

import json
import subprocess
import sys

import pytest

from tests.plugins.secrets import CANARY, REPO

CHART = str(REPO / "pipelines" / "demo" / "charts" / "web")
SECRETS = f"secrets:\n  database:\n    password: {CANARY}\n"
# The first two lines of an encrypted file (or the first line of its data, once sops has written it).
CIPHERTEXT_LINE = 3


def _encrypted_text(sops_project, name="secrets/app.yaml"):
    return sops_project.encrypt(name, SECRETS).read_text()


def _without_sops_block(text):
    return text[: text.index("\nsops:") + 1]


def _assert_refused(result, *needles):
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "ENC[AES256_GCM" not in result.stdout
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr
    assert CANARY not in result.stderr


@pytest.mark.parametrize("command", ["template", "lint"])
def test_values_file_whose_sops_block_was_lost_is_refused(sops_project, run_deploykit, command):
    """A values file whose `sops:` block was deleted in a merge would deploy the ciphertext as the password."""
    text = _encrypted_text(sops_project)
    sops_project.write("values/prod.yaml", _without_sops_block(text))
    result = run_deploykit(command, CHART, "-f", "values/prod.yaml", env=sops_project.env, cwd=sops_project.root)
    _assert_refused(
        result,
        f"error: values/prod.yaml:{CIPHERTEXT_LINE}: secrets.database.password is sops ciphertext (ENC[...])",
        "no sops metadata",
        "hint: restore the file's `sops:` block from git",
    )


def test_secret_file_cut_short_is_called_damaged(sops_project, run_deploykit):
    """A secrets/ file truncated inside its sops block would be reported as 'NOT sops-encrypted', sending the user to encrypt ciphertext."""
    text = _encrypted_text(sops_project)
    sops_project.write("secrets/app.yaml", text[: text.index("sops:") + 120])
    result = run_deploykit("template", CHART, "-f", "secrets/app.yaml", env=sops_project.env, cwd=sops_project.root)
    _assert_refused(result, "error: secrets/app.yaml: damaged sops file", "hint: restore the file's `sops:` block")
    assert "NOT sops-encrypted" not in result.stderr


def test_secret_file_cut_after_its_mac_is_called_damaged(sops_project, run_deploykit):
    """A sops file cut after its mac line would fail with sops's bare 'Version string empty'."""
    text = _encrypted_text(sops_project)
    sops_project.write("secrets/app.yaml", text[: text.index("    unencrypted_suffix")])
    result = run_deploykit("template", CHART, "-f", "secrets/app.yaml", env=sops_project.env, cwd=sops_project.root)
    _assert_refused(result, "error: secrets/app.yaml: damaged sops file", "version")


def test_json_file_cut_in_the_middle_is_called_damaged(sops_project, run_deploykit):
    """A JSON sops file cut mid-way would be reported as 'NOT sops-encrypted' instead of damaged."""
    sops_project.write("secrets/app.json", json.dumps({"secrets": {"database": {"password": CANARY}}}))
    text = sops_project.encrypt("secrets/app.json", (sops_project.root / "secrets/app.json").read_text()).read_text()
    sops_project.write("secrets/app.json", text[: len(text) // 2])
    result = run_deploykit("template", CHART, "-f", "secrets/app.json", env=sops_project.env, cwd=sops_project.root)
    _assert_refused(result, "error: secrets/app.json", "damaged sops file", "cannot be parsed as json")


def test_ciphertext_on_stdin_is_refused(sops_project):
    """`-f -` fed a sops file without its metadata would render the ciphertext as the values."""
    text = _without_sops_block(_encrypted_text(sops_project))
    result = subprocess.run(
        [sys.executable, "-m", "deploykit", "template", CHART, "-f", "-"],
        env=sops_project.env, cwd=sops_project.root, input=text, capture_output=True, text=True, timeout=60,
    )
    _assert_refused(result, "error: -: secrets.database.password holds sops ciphertext (ENC[...])")


def test_ciphertext_through_set_file_is_refused(sops_project, run_deploykit):
    """`--set-file` of an encrypted file would put the whole ciphertext in the value."""
    sops_project.encrypt("secrets/app.yaml", SECRETS)
    result = run_deploykit(
        "template", CHART, "--set-file", "secrets.database.password=secrets/app.yaml",
        env=sops_project.env, cwd=sops_project.root,
    )
    _assert_refused(result, "error: --set-file secrets.database.password=secrets/app.yaml: secrets.database.password holds sops ciphertext")


@pytest.mark.parametrize("flag", ["--set", "--set-string"])
def test_ciphertext_through_set_is_refused(sops_project, run_deploykit, flag):
    """A ciphertext pasted into --set would be deployed as the password."""
    text = _encrypted_text(sops_project)
    value = next(line.split(": ", 1)[1] for line in text.splitlines() if "password: ENC[" in line)
    result = run_deploykit("template", CHART, flag, f"secrets.database.password={value}",
                           env=sops_project.env, cwd=sops_project.root)
    _assert_refused(result, f"error: {flag} secrets.database.password=ENC[", "holds sops ciphertext")
    assert "hint: give the sops-encrypted file's own path with -f" in result.stderr


def test_ciphertext_through_set_json_is_refused(sops_project, run_deploykit):
    """A ciphertext quoted into --set-json would be deployed as the password."""
    text = _encrypted_text(sops_project)
    value = next(line.split(": ", 1)[1] for line in text.splitlines() if "password: ENC[" in line)
    result = run_deploykit("template", CHART, "--set-json", f'secrets={{"database":{{"password":"{value}"}}}}',
                           env=sops_project.env, cwd=sops_project.root)
    _assert_refused(result, "secrets.database.password holds sops ciphertext")


def test_values_that_only_mention_sops_still_render(sops_project, run_deploykit):
    """A chart value named `sops` or a string starting with ENC would be refused as a damaged secret file."""
    sops_project.write("values/plain.yaml", "sops:\n  enabled: true\nnote: ENC[not-ciphertext]\n")
    result = run_deploykit("template", CHART, "-f", "values/plain.yaml", env=sops_project.env, cwd=sops_project.root)
    assert result.returncode == 0, result.stderr


def test_secrets_check_reports_a_values_file_whose_sops_block_was_lost(sops_project, run_deploykit):
    """The CI guard would pass a values/ file holding ciphertext without its sops block, which then deploys it."""
    sops_project.encrypt("secrets/app.yaml", SECRETS)
    text = (sops_project.root / "secrets/app.yaml").read_text()
    sops_project.write("values/prod.yaml", _without_sops_block(text))
    result = run_deploykit("secrets", "check", ".", env=sops_project.env, cwd=sops_project.root)
    assert result.returncode == 2
    assert "FAIL  values/prod.yaml" in result.stdout
    assert f"values/prod.yaml:{CIPHERTEXT_LINE}: secrets.database.password is sops ciphertext" in result.stdout
    assert "ok    secrets/app.yaml" in result.stdout


def test_ciphertext_in_chart_defaults_is_refused(sops_project, run_deploykit, make_chart):
    """A chart whose values.yaml (or a subchart's) holds sops ciphertext would deploy the ciphertext as the value."""
    value = next(line.split(": ", 1)[1] for line in _encrypted_text(sops_project).splitlines() if "password: ENC[" in line)
    chart = make_chart({
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
        "charts/db/Chart.yaml": "apiVersion: v2\nname: db\nversion: 1.0.0\n",
        "charts/db/values.yaml": f"auth:\n  password: {value}\n",
    })
    result = run_deploykit("template", str(chart), env=sops_project.env, cwd=sops_project.root)
    _assert_refused(result, "app/charts/db/values.yaml: auth.password holds sops ciphertext (ENC[...])",
                    "hint: chart defaults are not decrypted")
