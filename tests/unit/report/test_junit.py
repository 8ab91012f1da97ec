"""junit.xml: a testsuite per release, a testcase per object and hook, failures with reason and log lines."""

from __future__ import annotations

import junitparser

from deploykit.report import junit
from tests.unit.report import samples


def _suites(tmp_path, report):
    path = tmp_path / "junit.xml"
    path.write_bytes(junit.render(report))
    return {suite.name: suite for suite in junitparser.JUnitXml.fromfile(str(path))}


def test_one_suite_per_release(tmp_path):
    """GitLab's test tab shows each release of the stage as its own suite."""
    assert set(_suites(tmp_path, samples.rolled_back())) == {"production/shop/worker", "production/shop/web"}


def test_one_case_per_object_hook_and_rollback(tmp_path):
    """Each object, hook and the rollback appear as test cases under their release."""
    names = [case.name for case in _suites(tmp_path, samples.rolled_back())["production/shop/web"]]
    assert names == ["ConfigMap/web-config", "Secret/web-no-secret", "Service/web", "Deployment/frontend",
                     "Deployment/api", "PodDisruptionBudget/web", "hook pre-upgrade Job/migrate",
                     "rollback to revision 3"]


def test_failed_object_carries_reason_and_log_lines(tmp_path):
    """The failing Deployment's test case shows why it failed and its container's last log lines."""
    case = next(case for case in _suites(tmp_path, samples.rolled_back())["production/shop/web"]
                if case.name == "Deployment/api")
    (failure,) = case.result
    assert isinstance(failure, junitparser.Failure)
    assert failure.message.startswith("CrashLoopBackOff: container api exited 1")
    assert "pod: api-7d9f-x2x" in failure.text and "exit code: 1" in failure.text
    assert "connecting with password no-secret" in failure.text


def test_terminal_escapes_in_logs_do_not_break_the_xml(tmp_path):
    """Coloured container logs (ANSI escapes) still give a junit.xml CI can parse."""
    case = next(case for case in _suites(tmp_path, samples.rolled_back())["production/shop/web"]
                if case.name == "Deployment/api")
    assert "[31mfatal: auth failed" in case.result[0].text


def test_counts_add_up(tmp_path):
    """The suite counters match its cases: one failure, untracked objects skipped."""
    suite = _suites(tmp_path, samples.rolled_back())["production/shop/web"]
    assert (suite.tests, suite.failures, suite.skipped) == (8, 1, 3)


def test_release_failure_without_an_object_gets_a_deploy_case(tmp_path):
    """A release that failed before any object (a plan error) still shows a failing test."""
    report = samples.succeeded()
    release = report.releases[0]
    release.objects, release.status = [], "failed"
    release.failure = samples.model.FailureReport(reason="plan: forbidden")
    (case,) = list(_suites(tmp_path, report)["staging/shop/web"])
    assert case.name == "deploy" and case.result[0].message == "plan: forbidden"


def test_successful_stage_has_no_failures(tmp_path):
    """A clean stage is all green in CI."""
    suite = _suites(tmp_path, samples.succeeded())["staging/shop/web"]
    assert (suite.tests, suite.failures) == (1, 0) and float(list(suite)[0].time) == 3.0
