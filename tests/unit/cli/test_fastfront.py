"""The fast front (deploykit.cli.fastfront): the same options and the same call as typer, typer for the rest."""

import importlib
import pathlib
import subprocess
import sys

import pytest

from deploykit.cli import fastfront

ROOT = pathlib.Path(__file__).resolve().parents[3]
CHART = "pipelines/demo/charts/web"


def typer_command(name: str):
    """The click command typer builds for `name`, as the root group hands it out (plain arguments, direct conversion)."""
    from deploykit.cli import root

    group = root.typer.main.get_command(root.app)
    return group.get_command(group.make_context("deploykit", [name], resilient_parsing=True), name)


@pytest.mark.parametrize("name", sorted(fastfront.COMMANDS))
def test_the_fast_table_is_what_typer_declares(name):
    """A flag added, renamed or retyped in a typer declaration would be refused or misread by the fast front
    (regenerate the table with fastfront.describe)."""
    declared = fastfront.describe(typer_command(name))
    assert fastfront.COMMANDS[name].params == declared, f"fastfront.COMMANDS[{name!r}] should read: {declared!r}"


CORPUS = [
    ["template", CHART],
    ["template", "bench", CHART, "-n", "bench"],
    ["template", CHART, "--release", "r", "--namespace=prod", "-f", "a.yaml", "--values", "-"],
    ["template", "--set", "a=1,b=2", CHART, "--set-string", "c=3", "--set-file", "d=f", "--set-json", "e={}",
     "--set-literal", "x=a,b", "-s", "templates/a.yaml", "--show-only", "templates/*.yaml"],
    ["template", CHART, "--include-crds", "--output-dir", "out", "--kube-version", "v1.30.0", "-a", "x/v1",
     "--show-secrets", "--allow-unencrypted-secrets", "--skip-schema-validation", "--render-timeout", "2.5",
     "--render-max-output", "+1000", "--template-engine", "helm", "-n", "a", "-n", "b"],
    ["template", CHART, "--render-timeout", "3", "--render-max-output=12"],
    ["upgrade", "r", CHART],
    ["upgrade", "r", CHART, "-i", "--create-namespace", "-n", "ns", "--timeout", "1s", "--no-atomic", "--adopt",
     "--plan", "p.json", "--no-wait", "--report", "r.json", "--description", "", "--lock-timeout", "5s",
     "--kubeconfig", "k", "--kube-context", "c", "--allow-unencrypted-secrets", "--template-engine", "jinja2",
     "--kube-version", "v1.31.0", "--skip-schema-validation", "-f", "v.yaml", "--set", "a=b"],
    ["upgrade", "--install", "r", "-n", "ns", CHART],
    ["install", "r", CHART, "-n", "ns", "--set-literal", "a=b", "--description=first"],
    ["lint", CHART, "-f", "v.yaml", "--release", "r", "-n", "ns", "--kube-version", "v1.30.0", "-a", "x/v1",
     "--allow-unencrypted-secrets", "--render-timeout", "1", "--render-max-output", "10", "--template-engine", "auto"],
    ["version"],
    ["version", "--short"],
    ["version", "-o", "json"],
]


@pytest.mark.parametrize("argv", CORPUS, ids=lambda argv: " ".join(argv)[:60])
def test_the_fast_front_makes_the_call_typer_makes(argv, monkeypatch):
    """A command line would do something else in a CI job (fast front) than under typer: another value, a lost
    flag, a default that differs."""
    command = fastfront.COMMANDS[argv[0]]
    module = importlib.import_module(command.module)
    calls = []
    monkeypatch.setattr(module, command.function, lambda **given: calls.append(given))
    from deploykit.cli import root

    root.app(argv, standalone_mode=False)
    assert calls == [fastfront.parse(command, argv[1:])]


LEFT_TO_TYPER = [
    ["template", CHART, "--help"],
    ["template", "-h"],
    ["template"],
    ["template", "a", "b", "c"],
    ["template", CHART, "--no-such-flag"],
    ["template", CHART, "-nprod"],
    ["template", CHART, "-f=b.yaml"],
    ["template", CHART, "-n"],
    ["template", CHART, "-n", "--show-secrets"],
    ["template", CHART, "--show-secrets=yes"],
    ["template", CHART, "--render-max-output", "12x"],
    ["template", CHART, "--render-timeout", "1e3"],
    ["template", "--", CHART],
    ["template", CHART, "-s", "-x"],
    ["upgrade", "r"],
    ["upgrade", "r", CHART, "-in", "ns"],
    ["version", "extra"],
]


@pytest.mark.parametrize("argv", LEFT_TO_TYPER, ids=lambda argv: " ".join(argv)[:60])
def test_what_the_fast_front_does_not_fully_understand_goes_to_typer(argv):
    """--help, completion or a malformed command line would get another message or exit code than typer's."""
    assert fastfront.parse(fastfront.COMMANDS[argv[0]], argv[1:]) is None


def test_shell_completion_goes_to_typer(monkeypatch):
    """Tab completion of `deploykit template ...` would run the command instead of completing it."""
    monkeypatch.setenv("_DEPLOYKIT_COMPLETE", "bash_complete")
    assert fastfront.run(["template", CHART]) is False


HEAVY = ("typer", "click", "kubernetes", "gnupg", "pydantic", "aiohttp", "rich", "tarfile")
# A chart without secret files or remote dependencies: no sops, keyrings, subprocess, Chart.lock reading or logging,
# no sops metadata, decrypted-file records or derived secret forms, no difflib (only a mistyped name needs it).
RENDER_UNNEEDED = ("subprocess", "concurrent.futures", "deploykit.secrets.sops", "deploykit.secrets.keyrings",
                   "deploykit.charts.lockfile", "logging", "deploykit.secrets.metadata", "deploykit.secrets.decrypting",
                   "difflib", "deploykit.secrets.deriving")


@pytest.mark.parametrize("argv", [
    ["template", CHART, "-n", "x", "--set", "replicaCount=2"],
    ["lint", CHART],
    ["upgrade", "r", CHART, "-n", "x", "--kubeconfig", "no-such-kubeconfig"],
    ["version"],
], ids=lambda argv: argv[0])
def test_a_command_in_a_new_process_imports_neither_typer_nor_unneeded_libraries(argv):
    """Every CI job would pay for typer, click (and the Kubernetes client, gnupg, sops, ... a template without
    secret files never uses) before doing any work."""
    heavy = {"upgrade": ("typer", "click", "gnupg", "rich"), "version": HEAVY}.get(argv[0], HEAVY + RENDER_UNNEEDED)
    code = (
        "import sys\n"
        f"sys.argv = ['deploykit', *{argv!r}]\n"
        "from deploykit.cli import main\n"
        "try:\n"
        "    main.run()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED', [m for m in {heavy!r} if m in sys.modules], file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "LOADED []" in result.stderr, result.stderr[-2000:]


# Record classes a Jinja2 chart without dependencies, kubeVersion or secret files never fills: `template` must not
# create them at start (each costs ~0.1 ms as a deploykit.frozen record, ~0.8 ms as a frozen dataclass).
PLAIN_CHART_UNUSED_RECORDS = ("Constraint", "_Bound", "_Exclusion", "Dependency", "ImportValue", "Subchart",
                              "Cluster", "SopsMetadata", "Recipient", "DecryptedFile", "Removal")


def test_a_template_of_a_plain_chart_creates_no_record_class_it_never_fills(tmp_path):
    """Every `template` of a chart without dependencies or kubeVersion would spend time creating the classes of
    version constraints, dependencies, cluster lookups and sops files before rendering anything."""
    chart = tmp_path / "plain"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: plain\nversion: 0.1.0\n")
    (chart / "templates" / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}\ndata:\n  a: b\n")
    code = (
        "import dataclasses, sys\n"
        f"sys.argv = ['deploykit', 'template', 'r', {str(chart)!r}, '-n', 'x']\n"
        "from deploykit.cli import main\n"
        "try:\n"
        "    main.run()\n"
        "except SystemExit:\n"
        "    pass\n"
        "made = {name for module_name, module in list(sys.modules.items()) if module_name.startswith('deploykit')\n"
        "        for name, value in vars(module).items() if dataclasses.is_dataclass(value)}\n"
        f"print('UNUSED', sorted(made & set({PLAIN_CHART_UNUSED_RECORDS!r})), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "kind: ConfigMap" in result.stdout, result.stderr[-2000:]
    assert "UNUSED []" in result.stderr, result.stderr[-2000:]


def test_a_mistyped_flag_still_gets_typers_message_and_exit_code():
    """A typo in a CI script would fail with another message or exit code than every other flag error."""
    result = subprocess.run([sys.executable, "-m", "deploykit", "template", CHART, "--namespce", "x"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 2
    assert "No such option: --namespce" in result.stderr
