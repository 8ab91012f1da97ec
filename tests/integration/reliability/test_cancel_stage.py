"""`deploykit pipeline run` cancelled (SIGTERM from a cancelled CI job) wherever it is: releases deploying in
parallel, the plan, between waves. Every release under way rolls back, every report file says `cancelled` and
what each release did, the run exits 143, and no Lease is left."""

from __future__ import annotations

import signal

from junitparser import Failure, JUnitXml, Skipped

from tests.integration.reliability.conftest import Project, report_of, wait_for_line

PIPELINE = """
apiVersion: deploykit.io/v1
kind: Pipeline
metadata:
  name: reliability
spec:
  releases:
{releases}
  stages:
    - name: dev
      clusters:
        - name: sim
          kubeconfig: {kubeconfig}
      policy: {{timeout: 30s, createNamespace: true}}
"""

RELEASE = """    - name: {name}
      chart: chart
      namespace: {namespace}
      values: [values/{name}.yaml]
      secrets: [secrets/app.yaml]
      needs: [{needs}]
"""


def _releases(project: Project, waves: list[list[str]]) -> dict[str, str]:
    """Rewrite the project's pipeline: one release per name, each in its own namespace, wave after wave (a wave
    needs every release of the one before); build 1 of each. Name -> namespace."""
    namespaces, entries, before = {}, [], []
    for wave in waves:
        for name in wave:
            namespaces[name] = f"{project.namespace}-{name}"
            entries.append(RELEASE.format(name=name, namespace=namespaces[name], needs=", ".join(before)))
            project.set_values(tag="1", file=name)
        before = wave
    (project.root / "pipeline.yaml").write_text(PIPELINE.format(releases="".join(entries),
                                                                kubeconfig=project.kubeconfig))
    return namespaces


def _statuses(report: dict) -> dict[str, str]:
    return {release["name"]: release["status"] for release in report["releases"]}


def test_sigterm_while_releases_deploy_in_parallel_rolls_each_back_and_reports_cancelled(project):
    """A cancelled CI job would kill a stage mid-wave: builds half rolled out, locks held and no report at all."""
    namespaces = _releases(project, [["fast", "slow1", "slow2"], ["later"]])
    first = project.stage()
    assert first.returncode == 0, first.stdout + first.stderr
    project.set_values(tag="2", file="fast")
    project.set_values(tag="2", file="later")
    for name in ("slow1", "slow2"):
        project.set_values(tag="2", behavior="never-ready", extra=True, file=name)
    process = project.start(project.stage_args())
    wait_for_line(process, "release fast deployed", "[slow1] applying", "[slow2] applying", timeout=60)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=90)
    assert process.returncode == 128 + signal.SIGTERM, out + err
    report = report_of(project)
    assert report["status"] == "cancelled"
    assert _statuses(report) == {"fast": "deployed", "slow1": "cancelled", "slow2": "cancelled", "later": "cancelled"}
    releases = {release["name"]: release for release in report["releases"]}
    assert releases["slow1"]["rollback"]["ok"] is True and releases["slow2"]["rollback"]["ok"] is True
    assert releases["later"]["failure"]["reason"] == "not started: the run was cancelled by SIGTERM"
    for name, tag in (("fast", "2"), ("slow1", "1"), ("slow2", "1"), ("later", "1")):
        assert project.running_tag(namespace=namespaces[name]) == tag, name
        assert project.get("configmap", "app-extra", namespace=namespaces[name]) is None, name
        assert project.consistent(name, namespace=namespaces[name]) == [], name
    assert project.plaintext_left() == []


def test_every_report_file_of_a_cancelled_stage_says_cancelled(project):
    """GitLab's JUnit view, the dotenv and the job summary of a cancelled deploy would show it failed or passed."""
    namespaces = _releases(project, [["app"], ["later"]])
    assert project.stage().returncode == 0
    project.set_values(tag="2", behavior="never-ready", file="app")
    process = project.start(project.stage_args())
    wait_for_line(process, "applying", timeout=60)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=90)
    assert process.returncode == 128 + signal.SIGTERM, out + err
    reports = project.root / "reports"
    suites = {suite.name.rsplit("/", 1)[-1]: suite for suite in JUnitXml.fromfile(str(reports / "junit.xml"))}
    app_results = [result for case in suites["app"] for result in case.result]
    assert any(isinstance(r, Failure) and "cancelled by SIGTERM" in (r.message or "") for r in app_results)
    [later] = list(suites["later"])
    assert [type(r) for r in later.result] == [Skipped] and "not started" in later.result[0].message
    assert "STATUS=cancelled" in (reports / "deploy.env").read_text().splitlines()
    assert "cancelled" in (reports / "summary.md").read_text()
    assert "cancelled" in (reports / "timeline.svg").read_text()
    assert project.running_tag(namespace=namespaces["app"]) == "1"


def test_sigterm_during_the_plan_reports_cancelled_with_nothing_applied(project):
    """A job cancelled while it planned would end with no report (or one saying it failed) and no exit code to test."""
    assert project.stage().returncode == 0
    project.set_values(tag="2", extra=True)
    done = project.stage(env={"DEPLOYKIT_TEST_SIGNAL_AT": "plan"})
    assert done.returncode == 128 + signal.SIGTERM, done.stdout + done.stderr
    report = report_of(project)
    [release] = report["releases"]
    assert report["status"] == "cancelled" and release["status"] == "cancelled"
    assert release["failure"]["reason"] == "cancelled by SIGTERM: nothing was applied"
    assert project.history() == [(1, "deployed")]
    assert project.running_tag() == "1" and project.consistent() == []


def test_sigterm_between_waves_reports_the_finished_wave_and_starts_no_other(project):
    """A job cancelled between waves would start the next wave anyway, or end with no report."""
    namespaces = _releases(project, [["app"], ["later"]])
    assert project.stage().returncode == 0
    project.set_values(tag="2", file="app")
    project.set_values(tag="2", file="later")
    # SIGTERM once release app recorded its new revision deployed: its wave is done, the next has not begun
    done = project.stage(env={"DEPLOYKIT_TEST_SIGNAL_AT": "record"})
    assert done.returncode == 128 + signal.SIGTERM, done.stdout + done.stderr
    report = report_of(project)
    assert report["status"] == "cancelled"
    assert _statuses(report) == {"app": "deployed", "later": "cancelled"}
    assert project.running_tag(namespace=namespaces["app"]) == "2"
    assert project.history("later", namespace=namespaces["later"]) == [(1, "deployed")]
    for name in ("app", "later"):
        assert project.consistent(name, namespace=namespaces[name]) == [], name
