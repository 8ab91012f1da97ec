"""`deploykit pipeline validate` as a user runs it: the demo pipeline, and a corpus of bad pipeline files."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BAD = REPO / "tests" / "data" / "pipelines" / "bad"

# case -> what stderr must name: file:line: field: message
CORPUS = {
    "unknown-required-stage": "unknown-required-stage.yaml:14: stages[1].requires[0]: unknown stage 'qq' (stages: staging, qa, production)",
    "later-stage-required": "later-stage-required.yaml:11: stages[0].requires[0]: stage 'qa' comes after 'staging'",
    "needs-cycle": "needs-cycle.yaml:9: releases[0].needs[0]: releases need each other in a cycle: web -> api -> db -> web",
    "needs-unknown-release": "needs-unknown-release.yaml:9: releases[0].needs[0]: unknown release 'databse' (did you mean 'database'?)",
    "key-typo": "key-typo.yaml:11: stages[0].clsuters: unknown field (did you mean 'clusters'?)",
    "plaintext-secret": "plaintext-secret.yaml:10: releases[0].secrets[0]: ",
    "missing-chart": "missing-chart.yaml:7: releases[0].chart: chart folder ",
    "stage-values-missing": "stage-values-missing.yaml:20: stages[2].values[0]: values file ",
    "duplicate-stage": "duplicate-stage.yaml:13: stages[1].name: stage 'staging' is defined twice (first at line 10)",
    "duplicate-key": "duplicate-key.yaml:15: stages[0].policy.timeout: duplicate key (first at line 14)",
    "sim-and-context": "sim-and-context.yaml:14: stages[0].clusters[0].context: a cluster is either the embedded simulator",
    "bad-timeout": "bad-timeout.yaml:14: stages[0].policy.timeout: 'two minutes' is not a duration",
    "bad-approval": "bad-approval.yaml:11: stages[0].approval: 'manaul' must be manual (or left out) (did you mean 'manual'?)",
    "bad-namespace": "bad-namespace.yaml:8: releases[0].namespace: 'Web_App' must be a DNS label",
    "yaml-syntax-error": "yaml-syntax-error.yaml:13: not valid YAML",
    "private-key-as-public": "private-key-as-public.yaml:5: publicKey: is a PRIVATE key",
    "stage-placeholder-in-release": "stage-placeholder-in-release.yaml:10: releases[0].values[0]: {stage} is known only in a stage's paths",
    "spec-and-top-level": "spec-and-top-level.yaml:14: releases: is also under spec",
    "wrong-api-version": "wrong-api-version.yaml:1: apiVersion: 'deploykit.io/v1beta1' must be deploykit.io/v1",
}


def test_demo_pipeline_validates_with_its_stages_and_waves(run_cli):
    """`make demo` users would see the demo pipeline refused, or no summary of what it deploys."""
    done = run_cli("pipeline", "validate", "pipelines/demo.yaml", cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "pipeline demo (pipelines/demo.yaml): valid" in done.stdout
    assert "stages: staging -> qa -> production" in done.stdout
    assert "wave 1: web (pipelines/demo/charts/web -> namespace web)" in done.stdout
    assert "production: requires qa; approval manual" in done.stdout
    assert "cluster sim: simulator, state .deploykit/sim/production" in done.stdout


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_bad_pipeline_exits_2_naming_file_line_and_field(case, invoke_cli):
    """A bad pipeline file would pass, crash, or leave the user guessing which line is wrong."""
    outcome = invoke_cli("pipeline", "validate", str(BAD / f"{case}.yaml"))
    assert outcome.exit_code == 2
    assert f"error: {BAD / CORPUS[case]}" in outcome.stderr
    assert "Traceback" not in outcome.stderr + outcome.stdout


def test_bad_pipeline_as_a_user_runs_it_has_no_traceback(run_cli):
    """A user in a shell would see a Python traceback instead of the problem."""
    done = run_cli("pipeline", "validate", "tests/data/pipelines/bad/needs-cycle.yaml", cwd=REPO)
    assert done.returncode == 2
    assert done.stderr.startswith("error: tests/data/pipelines/bad/needs-cycle.yaml:9: releases[0].needs[0]: ")
    assert "Traceback" not in done.stderr


def test_missing_pipeline_file_exits_2_with_a_message(run_cli, tmp_path):
    """A wrong path would end in a traceback."""
    done = run_cli("pipeline", "validate", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2
    assert "error: cannot read pipeline file" in done.stderr and "Traceback" not in done.stderr


def test_corpus_is_complete():
    """A bad pipeline file added to the corpus would never be checked."""
    assert sorted(path.stem for path in BAD.glob("*.yaml")) == sorted(CORPUS)


def test_summary_shows_release_waves_and_every_cluster(invoke_cli, tmp_path):
    """A user could not see in which order releases deploy, or where each stage goes."""
    from tests.unit.pipeline import samples

    outcome = invoke_cli("pipeline", "validate", str(samples.project(tmp_path)))
    assert outcome.exit_code == 0, outcome.stderr
    assert "releases: 2 in 2 wave(s)" in outcome.stdout
    assert "wave 2: web (" in outcome.stdout
    assert f"cluster east: kubeconfig {tmp_path / 'kube' / 'config'}, context qa-east" in outcome.stdout
    assert "reports: no public key, so stage reports are not verified" in outcome.stdout


def test_pipeline_group_lists_validate(invoke_cli):
    """`deploykit pipeline --help` would not show how to check a pipeline file."""
    outcome = invoke_cli("pipeline", "--help")
    assert outcome.exit_code == 0
    assert "validate" in outcome.stdout
