"""The `deploykit` console script: version, help, start-up cost."""

import subprocess
import sys

import deploykit


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploykit", *args], capture_output=True, text=True, timeout=60
    )


def test_version_prints_package_version():
    """`deploykit --version` would print nothing useful to a user filing a bug."""
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"deploykit {deploykit.__version__}"


def test_help_lists_commands_without_importing_heavy_libraries():
    """`deploykit --help` would be slow: it would load the Kubernetes client, Jinja2 or gnupg."""
    code = (
        "import sys\n"
        "from deploykit.cli import main\n"
        "try:\n"
        "    main.app(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('kubernetes', 'jinja2', 'gnupg', 'aiohttp', 'rich') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "template" in result.stdout
    assert "HEAVY []" in result.stdout


def test_unknown_command_exits_2():
    """A typo in a CI script would look like success or crash with a traceback."""
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert "no-such-command" in result.stderr


def test_template_and_lint_do_not_import_the_kubernetes_client():
    """Rendering a chart offline would pay for (and depend on) the Kubernetes client and the simulator's server."""
    code = (
        "import sys, io, contextlib\n"
        "from deploykit.cli import main\n"
        "for args in (['template', 'pipelines/demo/charts/web', '-n', 'x'], ['lint', 'pipelines/demo/charts/web']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            main.app(args, standalone_mode=False)\n"
        "        except SystemExit:\n"
        "            pass\n"
        "print('LOADED', [m for m in ('kubernetes', 'aiohttp', 'gnupg') if m in sys.modules])\n"
    )
    root = __import__("pathlib").Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=root)
    assert "LOADED []" in result.stdout, result.stderr


def test_template_and_upgrade_parse_flags_without_pydantic():
    """Every CI job would pay ~100 ms for typer's pydantic conversion of flags that are plain strings and numbers
    (and a chart folder for tarfile, a render for the ctypes only a render timeout needs)."""
    code = (
        "import sys, io, contextlib\n"
        "from deploykit.cli import main\n"
        "for args in (['template', 'pipelines/demo/charts/web', '-n', 'x', '--render-max-output', '1000000', '-s', "
        "'templates/deployment.yaml'], ['upgrade', 'r', 'pipelines/demo/charts/web', '-n', 'x', '--timeout', '1s', "
        "'--kubeconfig', 'no-such-kubeconfig']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "        try:\n"
        "            main.app(args, standalone_mode=False)\n"
        "        except BaseException:\n"
        "            pass\n"
        "    if args[0] == 'template':\n"
        "        print('TEMPLATE LOADED', [m for m in ('pydantic', 'tarfile', 'ctypes') if m in sys.modules])\n"
        "print('ADAPTERS', 'typer._adapters' in sys.modules)\n"
    )
    root = __import__("pathlib").Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=root)
    assert "TEMPLATE LOADED []" in result.stdout, result.stderr  # upgrade imports pydantic with the kubernetes client
    assert "ADAPTERS False" in result.stdout, result.stderr


def test_a_bad_number_flag_still_gets_typers_message():
    """A typo in a number flag would be accepted, crash, or read differently from every other flag error."""
    result = run_cli("template", "pipelines/demo/charts/web", "--render-max-output", "12x")
    assert result.returncode == 2
    assert "Invalid value for '--render-max-output'" in result.stderr
