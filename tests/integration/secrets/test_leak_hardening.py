"""Leak audit, second round: escapes stacked by templates, emoji, case changes, tpl errors, short words.

Each test encrypts a secret with real sops, runs `python -m deploykit` on a
small chart that prints the secret the way the bullet describes, and checks
the canary (and its case changes) is nowhere in the output.
"""

import pytest

from tests.integration.secrets.test_leak_audit import configmap, render, yaml_string
from tests.plugins.secrets import CANARY

EMOJI_PASSWORD = CANARY + "\U0001F511"
# Quotes, a backslash, a tab and a control character: each escaping layer changes them.
SPECIAL_PASSWORD = CANARY + '"\\\t\x01x'


def assert_absent(result, *texts: str) -> None:
    for text in texts:
        assert text not in result.stdout, text
        assert text not in result.stderr, text


@pytest.mark.parametrize(
    "expression",
    ["Values.password | quote", "Values.password | to_json", "Values | to_yaml | quote", "Values.password"],
    ids=["quote", "to_json", "to_yaml", "plain"],
)
def test_a_secret_holding_an_emoji_is_masked(sops_project, run_deploykit, make_chart, expression):
    """A password with an emoji is printed as `\\U0001F511` or `\\ud83d\\udd11`: the canary around it would show."""
    result = render(
        sops_project, run_deploykit, make_chart,
        secret=f'password: "{EMOJI_PASSWORD}"\n',  # as written in a UTF-8 file (sops refuses UTF-16 escapes)
        template=configmap("  value: {{ %s }}\n" % expression),
    )
    assert result.returncode == 0, result.stderr
    assert "<redacted>" in result.stdout
    assert_absent(result, CANARY)


@pytest.mark.parametrize(
    "expression",
    ["Values | to_json | quote", "Values | to_json | to_json", "Values | to_yaml | to_json | quote"],
    ids=["json-in-yaml", "json-in-json", "yaml-in-json-in-yaml"],
)
def test_a_secret_encoded_twice_in_a_manifest_is_masked(sops_project, run_deploykit, make_chart, expression):
    """`Values | to_json | quote` doubles the escapes of a password holding " \\ or a tab: it would print in clear."""
    result = render(
        sops_project, run_deploykit, make_chart,
        secret=f"password: {yaml_string(SPECIAL_PASSWORD)}\n",
        template=configmap("  value: |\n    {{ %s }}\n" % expression),  # a block scalar prints the text as is
    )
    assert result.returncode == 0, result.stderr
    assert "<redacted>" in result.stdout
    assert_absent(result, CANARY)


@pytest.mark.parametrize("command", ["template", "lint"])
def test_a_secret_encoded_twice_in_a_fail_message_is_masked(sops_project, run_deploykit, make_chart, command):
    """`fail(x | to_json | to_json)` prints a doubly escaped password in the error: it would show in clear."""
    result = render(
        sops_project, run_deploykit, make_chart,
        secret=f"password: {yaml_string(SPECIAL_PASSWORD)}\n",
        template="{{ fail(Values.password | to_json | to_json) }}\n",
        command=command,
    )
    assert result.returncode != 0
    assert "<redacted>" in result.stdout + result.stderr
    assert_absent(result, CANARY)


@pytest.mark.parametrize(
    ("password", "fragment"),
    [("Ab{{ 9 f3a91x }}Cd", "f3a91x"), ("Ab{{ w0rdz.x }}Cd{{", "w0rdz"), ("Ab{% if %}Cd", "Ab{%")],
    ids=["syntax-error", "undefined", "bad-tag"],
)
@pytest.mark.parametrize("command", ["template", "lint"])
def test_tpl_of_a_secret_reports_its_path_not_its_content(sops_project, run_deploykit, make_chart, command, password, fragment):
    """A secret holding template syntax fails in `tpl`: Jinja's message would quote fragments of it."""
    result = render(
        sops_project, run_deploykit, make_chart,
        secret="db:\n  password: " + yaml_string(password) + "\n",
        template=configmap('  password: "{{ tpl(Values.db.password) }}"\n'),
        command=command,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "tpl failed on a secret value: Values.db.password" in output
    assert fragment not in output


@pytest.mark.parametrize("change", ["| upper", "| lower", "| title", "| capitalize", ".swapcase()"])
def test_a_case_changed_secret_is_masked(sops_project, run_deploykit, make_chart, change):
    """`Values.password | upper` (or lower, title, ...) would print the password in clear."""
    result = render(
        sops_project, run_deploykit, make_chart,
        secret=f"password: {CANARY.title()}\n",
        template=configmap("  value: {{ Values.password %s }}\n" % change),
    )
    assert result.returncode == 0, result.stderr
    assert "value: <redacted>" in result.stdout
    assert_absent(result, CANARY, CANARY.upper(), CANARY.title(), CANARY.swapcase(), CANARY.capitalize())


@pytest.mark.parametrize("command", ["template", "lint"])
def test_a_case_changed_secret_in_a_label_error_is_masked(sops_project, run_deploykit, make_chart, command):
    """A label error quotes the bad value: `secret | lower` of a password would show in the error."""
    result = render(
        sops_project, run_deploykit, make_chart,
        secret=f"password: {yaml_string(CANARY.upper() + '@!')}\n",
        template="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\n  labels:\n    tag: {{ Values.password | lower | quote }}\n",
        command=command,
    )
    assert result.returncode != 0
    assert "not a valid label value" in result.stdout + result.stderr
    assert_absent(result, CANARY, CANARY.upper())


SHORT_WORD_CHART = """\
apiVersion: v1
kind: Secret
metadata:
  name: admin
data:
  admin: {{ Values.user | b64enc }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: roles
data:
  role: administrator
  home: /home/sysadmin
  user: {{ Values.user }}
"""


def test_a_short_secret_is_masked_only_as_a_whole_word(sops_project, run_deploykit, make_chart):
    """A secret `admin` would mask `administrator` and `sysadmin` in unrelated objects."""
    result = render(sops_project, run_deploykit, make_chart, secret="user: admin\n", template=SHORT_WORD_CHART)
    assert result.returncode == 0, result.stderr
    assert "role: administrator" in result.stdout
    assert "home: /home/sysadmin" in result.stdout
    assert "user: <redacted>" in result.stdout


def test_a_secret_key_named_like_a_short_secret_stays_readable(sops_project, run_deploykit, make_chart):
    """A Secret whose name and key are `admin`, like its value, would print as `<redacted>: '***'`."""
    result = render(sops_project, run_deploykit, make_chart, secret="user: admin\n", template=SHORT_WORD_CHART)
    assert result.returncode == 0, result.stderr
    assert "kind: Secret\nmetadata:\n  name: admin\n" in result.stdout
    assert "data:\n  admin: '***'\n" in result.stdout
    assert "user: <redacted>" in result.stdout


def test_a_secret_key_named_like_a_short_secret_stays_readable_in_output_dir(sops_project, run_deploykit, make_chart, tmp_path):
    """--output-dir files would show `<redacted>` for a Secret's key named like a short secret value."""
    out = tmp_path / "out"
    result = render(sops_project, run_deploykit, make_chart, secret="user: admin\n", template=SHORT_WORD_CHART, extra=("--output-dir", str(out)))
    assert result.returncode == 0, result.stderr
    written = (out / "app" / "templates" / "probe.yaml").read_text()
    assert "  admin: '***'\n" in written
    assert "user: <redacted>" in written


def test_a_short_secret_does_not_mask_longer_words_in_lint_problems(sops_project, run_deploykit, make_chart):
    """A lint problem about `sysadmin-X` would read `sys***-X` when a secret value is `admin`."""
    result = render(
        sops_project, run_deploykit, make_chart, command="lint",
        secret="user: admin\n",
        template="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sysadmin-X\ndata:\n  user: {{ Values.user }}\n",
    )
    assert result.returncode != 0
    assert "'sysadmin-X'" in result.stdout + result.stderr
