"""Helm habits at the command line: `template RELEASE CHART`, --show-only, --include-crds, version, help, completion."""

import json
import re

import pytest

import deploykit
from tests.plugins.charts import DEMO_CHART, DEMO_VALUES

STAGING = ("-f", str(DEMO_VALUES / "staging.yaml"))
CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
"""
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"


def sources(stdout):
    return [line.removeprefix("# Source: ") for line in stdout.splitlines() if line.startswith("# Source: ")]


def test_release_name_then_chart_as_helm_takes_them(invoke_cli):
    """`deploykit template web ./chart`, typed from Helm habit, would fail with 'Got unexpected extra argument'."""
    positional = invoke_cli("template", "web", str(DEMO_CHART), *STAGING)
    flagged = invoke_cli("template", str(DEMO_CHART), "--release", "web", *STAGING)
    assert positional.exit_code == 0, positional.stderr
    assert positional.stdout == flagged.stdout
    assert "name: web\n" in positional.stdout


def test_release_given_twice_is_a_usage_error(invoke_cli):
    """`template web ./chart --release api` would silently pick one of the two names."""
    done = invoke_cli("template", "web", str(DEMO_CHART), "--release", "api")
    assert done.exit_code == 2
    assert "release name given twice" in done.stderr
    assert done.stdout == ""


def test_show_only_prints_the_named_templates(invoke_cli):
    """`-s templates/service.yaml`, Helm's way to look at one template, would be refused or print everything."""
    done = invoke_cli("template", str(DEMO_CHART), *STAGING, "-s", "templates/service.yaml", "--show-only", "templates/config*.yaml")
    assert done.exit_code == 0, done.stderr
    assert sources(done.stdout) == ["web/templates/configmap.yaml", "web/templates/service.yaml"]


def test_show_only_without_a_match_exits_2(invoke_cli):
    """A mistyped -s path would print nothing and exit 0, as if the template rendered no object."""
    done = invoke_cli("template", str(DEMO_CHART), *STAGING, "-s", "templates/servce.yaml")
    assert done.exit_code == 2
    assert "could not find template templates/servce.yaml in chart" in done.stderr
    assert done.stdout == ""


def test_crds_are_printed_only_with_include_crds(invoke_cli, make_chart):
    """`template` would print crds/ unasked (Helm does not), or never, with --include-crds."""
    chart = make_chart({"crds/widget.yaml": CRD, "templates/cm.yaml": CONFIGMAP})
    plain = invoke_cli("template", str(chart))
    assert plain.exit_code == 0, plain.stderr
    assert sources(plain.stdout) == ["app/templates/cm.yaml"]
    included = invoke_cli("template", str(chart), "--include-crds")
    assert sources(included.stdout) == ["app/crds/widget.yaml", "app/templates/cm.yaml"]


def test_version_command_prints_what_the_flag_prints(run_cli):
    """`deploykit version`, as `helm version` is typed, would be an unknown command."""
    command = run_cli("version")
    assert command.returncode == 0, command.stderr
    assert command.stdout == run_cli("--version").stdout == f"deploykit {deploykit.__version__}\n"


@pytest.mark.parametrize(("args", "expected"), [
    (["--short"], f"{deploykit.__version__}\n"),
    (["-o", "json"], None),
])
def test_version_short_and_json_forms(invoke_cli, args, expected):
    """Scripts reading the version would have to cut 'deploykit ' off the text."""
    done = invoke_cli("version", *args)
    assert done.exit_code == 0, done.stderr
    if expected is None:
        assert json.loads(done.stdout)["version"] == deploykit.__version__
    else:
        assert done.stdout == expected


@pytest.mark.parametrize("command", [["template"], ["secrets", "encrypt"]])
def test_help_command_shows_the_help_of_a_command(invoke_cli, command):
    """`deploykit help template`, as `helm help template` is typed, would be an unknown command."""
    done = invoke_cli("help", *command)
    assert done.exit_code == 0, done.stderr
    assert done.stdout == invoke_cli(*command, "--help").stdout


def test_help_of_an_unknown_command_exits_2(invoke_cli):
    """`deploykit help tempalte` would print the root help as if the command existed."""
    done = invoke_cli("help", "tempalte")
    assert done.exit_code == 2
    assert "no command 'tempalte'" in done.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_script_for_the_shell(run_cli, shell):
    """`source <(deploykit completion bash)` would fail: there would be no such command."""
    done = run_cli("completion", shell)
    assert done.returncode == 0, done.stderr
    assert "_DEPLOYKIT_COMPLETE" in done.stdout
    assert "deploykit" in done.stdout and "python -m" not in done.stdout


def test_completion_for_an_unknown_shell_exits_2(invoke_cli):
    """`deploykit completion tcsh` would print nothing and exit 0."""
    done = invoke_cli("completion", "tcsh")
    assert done.exit_code == 2
    assert "tcsh" in done.stderr


def _every_command(invoke, path=()):
    from deploykit.cli import main

    names = sorted(main.COMMANDS) + ["version", "help", "completion"] if not path else None
    if names is None:
        listed = invoke(*path, "--help").stdout.split("Commands:\n", 1)
        names = [line.split()[0] for line in listed[1].splitlines() if line.startswith("  ")] if len(listed) == 2 else []
    for name in names:
        yield (*path, name)
        yield from _every_command(invoke, (*path, name))


def test_usage_lines_name_arguments_as_users_type_them(invoke_cli):
    """`--help` would show `{CHART}` and `CHART <str>`, typer's internals, instead of `CHART`."""
    commands = list(_every_command(invoke_cli))
    assert ("secrets", "check") in commands and ("template",) in commands
    for command in commands:
        text = invoke_cli(*command, "--help").stdout
        assert text.startswith("Usage: "), command
        assert not re.search(r"\{[A-Za-z]|<(str|int|list|Path|bool)", text), (command, text)
    assert "Usage: root template [OPTIONS] [RELEASE] CHART\n" in invoke_cli("template", "--help").stdout
