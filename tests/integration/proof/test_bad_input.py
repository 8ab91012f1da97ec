"""The bad-input corpus: every case exits with its documented code, says where and what to do, and changes nothing.

Cases live in tests/data/bad-input/*.yaml, one list per family (values,
charts, charts-go, secrets, pipelines, evidence, cluster); each is a small fixture:

    - name: values-duplicate-key            # unique, the test id
      files: {path: text}                   # written into the case's folder (the command's working directory)
      steps:                                # before the cluster is snapshotted, in order:
        - copy: {from: path, to: path}      #   a fixture file or folder (tokens substituted)
        - encrypt: secrets/app.yaml         #   encrypt in place with real sops (the folder's .sops.yaml)
        - edit: {path: p, prepend: t, cut_after: t, cut_before: t, replace: [old, new], to: p2}
        - remove: path
        - deploykit: [args]                 #   a run that must succeed (a first install, a staging stage);
                                            #   or {args: [...], env: {NAME: value}}
        - kubectl: [args]                   #   objects made by someone else (stdin: YAML)
      env: {NAME: value}
      run: [args]                           # the command under test
      exit: 2                               # README's exit-code table
      expect: [phrases]                     # in stderr: file, line, value path, and the next step

Tokens in files, arguments and env: {ns} (a fresh namespace on the
simulator), {work} (the case's folder), {data} (tests/data), {fixtures}
(tests/data/bad-input), {repo}, {keys} (keys/example), {kubeconfig},
{report_key} (the example report-signing key), {foreign_key} (another signing key, throwaway).

Every command runs as a user runs it (`python -m deploykit`, KUBECONFIG
pointing at a simulator of this module) and must print no traceback and
leave the simulator's whole store as it was (tests/integration/proof/clusterstate.py).

The charts-go family puts Go-template (Helm) charts through Helm's engine, each
chart written by the case itself: an unclosed action, `required`, a nil pointer,
an unknown function (did-you-mean), `fail`, an include of an undefined template
(did-you-mean among the chart's defines), and output that is not YAML.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploykit.sim import embedded
from tests.integration.proof import clusterstate
from tests.integration.test_error_boundary import LEAKS
from tests.plugins.secrets import AGE_KEY_FILE, AGE_RECIPIENT, EXAMPLE_KEYS, REPO, SOPS
from tests.plugins.sim import create_namespace

DATA = REPO / "tests" / "data"
FIXTURES = DATA / "bad-input"
REPORT_KEY = (EXAMPLE_KEYS / "report-signing.ed25519.pem").read_text()
KUBECTL = Path(sys.executable).parent / "kubectl"
SOPS_RULES = f"creation_rules:\n  - path_regex: secrets/.*\\.(yaml|yml|json)$\n    age: {AGE_RECIPIENT}\n"
FAMILIES = ("values", "charts", "charts-go", "secrets", "pipelines", "evidence", "cluster")
_counter = itertools.count()


def load_cases() -> list[dict[str, Any]]:
    cases = []
    for family in FAMILIES:
        for case in yaml.safe_load((FIXTURES / f"{family}.yaml").read_text()):
            cases.append({"family": family, **case})
    return cases


CASES = load_cases()


@pytest.fixture(scope="module")
def cluster():
    """A simulator of this module's own, API only: nothing in its store moves unless a command moves it."""
    handle = embedded.start(controllers=False)
    yield handle
    handle.stop()


def substitute(text: str, tokens: dict[str, str]) -> str:
    for name, value in tokens.items():
        text = text.replace("{" + name + "}", value)
    return text


def case_env(work: Path, tokens: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    """A user's shell: the example age key, a fresh GnuPG home and HOME, no CI, KUBECONFIG at the simulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "DEPLOYKIT_", "GITLAB_", "GITHUB_"))}
    env.pop("CI", None)
    (work.parent / "gnupg").mkdir(mode=0o700, exist_ok=True)
    env.update(HOME=str(work.parent), GNUPGHOME=str(work.parent / "gnupg"), SOPS_AGE_KEY_FILE=str(AGE_KEY_FILE),
               KUBECONFIG=tokens["kubeconfig"], DEPLOYKIT_CACHE_DIR=str(work.parent / "cache"), NO_COLOR="1")
    env.update({name: substitute(str(value), tokens) for name, value in extra.items()})
    return env


def deploykit(args: list[str], *, work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "deploykit", *args], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def edit(work: Path, how: dict[str, Any]) -> None:
    """Damage a file the way it happens in real life: a line added by hand, a cut in a merge, a value replaced."""
    path = work / how["path"]
    text = path.read_text()
    if "prepend" in how:
        text = how["prepend"] + text
    if "cut_after" in how:
        text = text[: text.index(how["cut_after"]) + len(how["cut_after"])]
    if "cut_before" in how:
        text = text[: text.index(how["cut_before"])]
    if "replace" in how:
        old, new = how["replace"]
        assert old in text, f"{old!r} not in {path}"
        text = text.replace(old, new, 1)
    target = work / how.get("to", how["path"])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def copy(source: Path, target: Path, tokens: dict[str, str]) -> None:
    """Copy a fixture file or folder into the case's folder, tokens substituted."""
    for path in [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file()):
        destination = target if source.is_file() else target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(substitute(path.read_text(), tokens))


def prepare(case: dict[str, Any], work: Path, tokens: dict[str, str], env: dict[str, str]) -> None:
    (work / ".sops.yaml").write_text(SOPS_RULES)
    for relative, text in (case.get("files") or {}).items():
        path = work / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(substitute(textwrap.dedent(text), tokens))
    for step in case.get("steps") or []:
        (kind, value), = step.items()
        if kind == "copy":
            copy(Path(substitute(value["from"], tokens)), work / value["to"], tokens)
        elif kind == "encrypt":
            subprocess.run([str(SOPS), "encrypt", "--in-place", value], cwd=work, env=env, check=True,
                           capture_output=True)
        elif kind == "edit":
            edit(work, value)
        elif kind == "remove":
            (work / value).unlink()
        elif kind == "deploykit":
            args, extra = (value["args"], value.get("env") or {}) if isinstance(value, dict) else (value, {})
            setup_env = {**env, **{name: substitute(str(text), tokens) for name, text in extra.items()}}
            done = deploykit([substitute(a, tokens) for a in args], work=work, env=setup_env)
            assert done.returncode == 0, f"setup {value} failed:\n{done.stdout}{done.stderr}"
        elif kind == "kubectl":
            args = [substitute(a, tokens) for a in value["args"]]
            stdin = substitute(textwrap.dedent(value.get("stdin", "")), tokens)
            subprocess.run([str(KUBECTL), *args], cwd=work, env=env, input=stdin, text=True, check=True,
                           capture_output=True, timeout=60)
        else:
            raise AssertionError(f"unknown step {kind!r} in case {case['name']}")


def test_the_corpus_covers_every_family_with_forty_cases():
    """Whole families of bad input (secrets, evidence, cluster refusals) would go unchecked."""
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    assert len(CASES) >= 40
    for family in FAMILIES:
        assert sum(case["family"] == family for case in CASES) >= 3, family


@pytest.mark.parametrize("case", CASES, ids=[f"{case['family']}:{case['name']}" for case in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(case, cluster, tmp_path):
    """A user would see a traceback, a vague error without file/line/path or next step, or a half-changed cluster."""
    namespace = f"bi{next(_counter)}-{uuid.uuid4().hex[:6]}"
    if case.get("namespace", True):
        create_namespace(cluster.url, namespace)
    work = tmp_path / "work"
    work.mkdir()
    tokens = {"ns": namespace, "work": str(work), "fixtures": str(FIXTURES), "data": str(DATA), "repo": str(REPO),
              "keys": str(EXAMPLE_KEYS), "kubeconfig": str(cluster.kubeconfig), "report_key": REPORT_KEY,
              "foreign_key": (FIXTURES / "pipeline" / "foreign-signing.ed25519.pem").read_text()}
    env = case_env(work, tokens, case.get("env") or {})
    prepare(case, work, tokens, env)
    before = clusterstate.snapshot(cluster)

    done = deploykit([substitute(a, tokens) for a in case["run"]], work=work, env=env)

    shown = f"exit {done.returncode}\n--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
    assert done.returncode == case["exit"], shown
    assert "error:" in done.stderr, shown
    for phrase in case["expect"]:
        assert substitute(phrase, tokens) in done.stderr, f"{phrase!r} missing\n{shown}"
    assert "hint:" in done.stderr or case.get("next_step", "hint:") in done.stderr, f"no next step\n{shown}"
    leaked = [name for name in LEAKS if name in done.stdout + done.stderr]
    assert not leaked, shown
    assert clusterstate.changes(before, clusterstate.snapshot(cluster)) == [], shown
