"""`deploykit pipeline run` on the demo pipeline: stages in order, signed evidence between them, gates that refuse."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
KEY = (REPO / "keys" / "example" / "report-signing.ed25519.pem").read_text()
CRASH = {"migrations": {"enabled": False},
         "podAnnotations": {"sim.deploykit.io/behavior": "crashloop", "sim.deploykit.io/logs": "panic: DATABASE_URL is not set"}}


@pytest.fixture
def project(tmp_path: Path, secrets_env) -> Path:
    """A copy of the repository's pipelines/ (demo pipeline, charts, values, secrets) to run from."""
    shutil.copytree(REPO / "pipelines", tmp_path / "pipelines", ignore=shutil.ignore_patterns("ci"))
    (tmp_path / ".git").mkdir()
    return tmp_path


def run(project: Path, *args: str, key: str | None = KEY, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEPLOYKIT_CACHE_DIR": str(project / ".cache"), **(env or {})}
    env.pop("DEPLOYKIT_REPORT_KEY", None)
    if key:
        env["DEPLOYKIT_REPORT_KEY"] = key
    return subprocess.run([sys.executable, "-m", "deploykit", "pipeline", "run", "pipelines/demo.yaml", *args],
                          cwd=project, env=env, capture_output=True, text=True, timeout=180)


def report(project: Path, stage: str) -> dict:
    return json.loads((project / "reports" / stage / "report.json").read_text())


def stage(project: Path, name: str, *extra: str, key: str | None = KEY, env: dict | None = None
          ) -> subprocess.CompletedProcess[str]:
    return run(project, "--stage", name, "--report-dir", f"reports/{name}", "--evidence", "reports", *extra, key=key,
               env=env)


def test_the_demo_is_promoted_through_every_stage_with_signed_evidence(project):
    """A stage would run without its required evidence, or the reports would be missing or unsigned."""
    for name, extra in (("staging", ()), ("qa", ()), ("production", ("--approve", "production"))):
        done = stage(project, name, *extra)
        assert done.returncode == 0, done.stdout + done.stderr
        files = sorted(p.name for p in (project / "reports" / name).iterdir())
        assert files == ["deploy.env", "junit.xml", "report.json", "report.sig", "summary.md", "timeline.svg"]
        assert report(project, name)["status"] == "success"
    timings = report(project, "staging")["releases"][0]["timings"]
    assert {"decrypt", "render", "plan", "apply", "track"} <= set(timings)
    digests = {report(project, name)["artifactDigest"] for name in ("staging", "qa", "production")}
    assert len(digests) == 1
    # the demo chart's Ingress host is where each stage can be reached: GitLab's environment URL
    assert "ENVIRONMENT_URL=http://web.staging.example.com/" in (project / "reports" / "staging" / "deploy.env").read_text()


def test_production_needs_its_approval(project):
    """A manual stage would deploy without anyone approving it."""
    assert stage(project, "staging").returncode == 0 and stage(project, "qa").returncode == 0
    done = stage(project, "production")
    assert done.returncode == 4 and "needs a manual approval" in done.stderr and "--approve production" in done.stderr
    assert report(project, "production")["status"] == "refused"


def test_missing_tampered_or_foreign_evidence_refuses_the_stage(project):
    """A stage would accept no report, an edited one, or one made for another build."""
    missing = stage(project, "qa")
    assert missing.returncode == 4 and "no report of stage staging" in missing.stderr
    assert stage(project, "staging").returncode == 0
    path = project / "reports" / "staging" / "report.json"
    original = path.read_text()
    path.write_text(original.replace('"success"', '"success" ', 1))
    tampered = stage(project, "qa")
    assert tampered.returncode == 4 and "signature check failed" in tampered.stderr
    path.write_text(original)
    values = project / "pipelines" / "demo" / "charts" / "web" / "values.yaml"
    values.write_text(values.read_text() + "\n# a new build\n")
    foreign = stage(project, "qa")
    assert foreign.returncode == 4 and "not this build's" in foreign.stderr


def test_a_failing_stage_is_rolled_back_reports_why_and_blocks_promotion(project):
    """A crash-looping build would stay deployed, its report would not say why, or qa would take it."""
    assert stage(project, "staging").returncode == 0
    values = project / "pipelines" / "demo" / "values" / "staging.yaml"
    values.write_text(yaml.safe_dump({**yaml.safe_load(values.read_text()), **CRASH}))
    done = stage(project, "staging")
    assert done.returncode == 1, done.stdout + done.stderr
    data = report(project, "staging")
    [release] = data["releases"]
    assert data["status"] == "rolled-back" and release["rollback"]["ok"] is True
    # The attempt was revision 2; revision 1 runs again (summary.md: "1 → 2 (restored 1)", deploy.env: 1).
    assert (release["revisionBefore"], release["revisionAfter"], release["rollback"]["toRevision"]) == (1, 2, 1)
    assert "| 1 → 2 (restored 1) |" in (project / "reports" / "staging" / "summary.md").read_text()
    assert "REVISION_WEB=1" in (project / "reports" / "staging" / "deploy.env").read_text().splitlines()
    assert release["failure"]["container"] == "web" and "CrashLoopBackOff" in release["failure"]["reason"]
    assert "panic: DATABASE_URL is not set" in release["failure"]["logs"]
    assert "panic: DATABASE_URL is not set" in (project / "reports" / "staging" / "junit.xml").read_text()
    refused = stage(project, "qa")
    assert refused.returncode == 4 and "ended rolled-back, not success" in refused.stderr


def test_unsigned_reports_cannot_open_a_gate(project):
    """Without a signing key the next stage would trust reports anyone could write."""
    assert stage(project, "staging", key=None).returncode == 0
    assert not (project / "reports" / "staging" / "report.sig").exists()
    done = stage(project, "qa")
    assert done.returncode == 4 and "is not signed" in done.stderr


def test_no_decrypted_secret_is_in_any_report_file(project):
    """A password the app logs (or a reason quoting it) would leak through report.json, junit.xml or the timeline."""
    from tests.plugins.secrets import SOPS

    plain = subprocess.run([str(SOPS), "decrypt", "--output-type", "json", "pipelines/demo/secrets/staging.yaml"],
                           cwd=project, capture_output=True, text=True, check=True, env=os.environ).stdout
    leaves: list[str] = []

    def collect(node):
        if isinstance(node, dict):
            for value in node.values():
                collect(value)
        elif isinstance(node, str) and len(node) >= 8:
            leaves.append(node)

    collect({k: v for k, v in json.loads(plain).items() if k != "sops"})
    assert leaves
    staging = project / "pipelines" / "demo" / "values" / "staging.yaml"
    assert stage(project, "staging").returncode == 0
    # the crashing app prints every secret value: the failure's log lines carry them into the reports
    crash = {**CRASH, "podAnnotations": {**CRASH["podAnnotations"],
                                         "sim.deploykit.io/logs": "\n".join(f"connecting with {leaf}" for leaf in leaves)}}
    staging.write_text(yaml.safe_dump({**yaml.safe_load(staging.read_text()), **crash}))
    assert stage(project, "staging").returncode == 1
    junit = (project / "reports" / "staging" / "junit.xml").read_text()
    assert "connecting with" in junit  # the log lines are there, masked
    for path in (project / "reports" / "staging").iterdir():
        text = path.read_text(errors="replace")
        decoded = [text] + [_b64(token) for token in re.findall(r"[A-Za-z0-9+/=]{12,}", text)]
        for leaf in leaves:
            assert not any(leaf in candidate for candidate in decoded), path.name


def _b64(token: str) -> str:
    try:
        return base64.b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


def test_in_github_actions_the_output_is_grouped_annotated_and_summarised(project):
    """A GitHub job would show one flat log, no error annotation, and an empty job summary."""
    summary = project / "step-summary.md"
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    staging = project / "pipelines" / "demo" / "values" / "staging.yaml"
    staging.write_text(yaml.safe_dump({**yaml.safe_load(staging.read_text()), **CRASH}))
    done = stage(project, "staging", env=github)
    assert done.returncode == 1
    assert "::group::stage staging: deploy" in done.stdout and "::endgroup::" in done.stdout
    [annotation] = [line for line in done.stdout.splitlines() if line.startswith("::error title=staging/sim")]
    assert "release web failed::" in annotation and "CrashLoopBackOff" in annotation
    assert "demo / staging on sim" in summary.read_text()


def test_pipeline_plan_shows_what_a_stage_would_change(project):
    """A reviewer could not see a stage's changes before running it."""
    env = {**os.environ, "DEPLOYKIT_CACHE_DIR": str(project / ".cache")}

    def plan() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "deploykit", "pipeline", "plan", "pipelines/demo.yaml", "--stage",
                               "staging"], cwd=project, env=env, capture_output=True, text=True, timeout=120)

    assert "5 to create" in plan().stdout
    assert stage(project, "staging").returncode == 0
    assert "No changes" in plan().stdout
    staging = project / "pipelines" / "demo" / "values" / "staging.yaml"
    staging.write_text(yaml.safe_dump({**yaml.safe_load(staging.read_text()), "replicaCount": 3}))
    done = plan()
    assert done.returncode == 0 and "~ update    Deployment web/web" in done.stdout and "spec.replicas: 1 -> 3" in done.stdout
    assert "spec.replicas: 1 -> 3" in plan().stdout  # planning again: the first plan wrote nothing
