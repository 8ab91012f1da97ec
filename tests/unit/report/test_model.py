"""The stage report as data: JSON round trip, version check, field errors, CI variables, masking."""

from __future__ import annotations

import dataclasses
import json

import pytest

from deploykit import errors
from deploykit.report import jsonfile, model
from tests.unit.report import samples


def test_report_survives_a_json_round_trip():
    """A report read back from report.json is the report that was written (promotion gates read it back)."""
    report = samples.rolled_back()
    assert jsonfile.parse(jsonfile.render(report)) == report


def test_report_json_carries_its_schema_version_and_camel_case_fields():
    """report.json says which schema it follows, with the field names docs/reports.md lists."""
    data = json.loads(jsonfile.render(samples.rolled_back()))
    assert data["schemaVersion"] == model.SCHEMA_VERSION
    assert data["releases"][1]["objects"][4]["failure"]["exitCode"] == 1
    assert data["releases"][1]["revisionBefore"] == 3 and data["artifactDigest"].startswith("sha256:")


def test_unknown_schema_version_is_refused_with_a_hint():
    """A report from a newer deploykit is refused, not misread."""
    data = model.to_dict(samples.succeeded()) | {"schemaVersion": 99}
    with pytest.raises(errors.ReportError, match="schemaVersion 99 is not supported") as caught:
        jsonfile.parse(json.dumps(data))
    assert "deploykit version that wrote it" in str(caught.value)


def test_a_wrong_field_type_is_named_by_its_path():
    """A damaged report names the field that is wrong."""
    data = model.to_dict(samples.rolled_back())
    data["releases"][1]["objects"][0]["kind"] = 7
    with pytest.raises(errors.ReportError, match=r"releases\[1\]\.objects\[0\]\.kind must be str"):
        jsonfile.parse(json.dumps(data))


def test_unknown_keys_are_refused():
    """A hand-edited report with an unknown key is refused instead of silently dropping it."""
    data = model.to_dict(samples.succeeded()) | {"approvedBy": "someone"}
    with pytest.raises(errors.ReportError, match=r"unknown keys \['approvedBy'\]"):
        jsonfile.parse(json.dumps(data))


def test_invalid_json_is_a_report_error():
    """A truncated report.json gives a report error, not a traceback."""
    with pytest.raises(errors.ReportError, match="report.json is not valid JSON"):
        jsonfile.parse(b'{"schemaVersion": 1,')


def test_gitlab_variables_fill_the_ci_job():
    """A GitLab job's report names its commit, job, pipeline, project and user."""
    job = model.ci_job_from_env({
        "GITLAB_CI": "true", "CI_COMMIT_SHA": "abc", "CI_COMMIT_REF_NAME": "main", "CI_JOB_ID": "812",
        "CI_JOB_URL": "https://gl/j/812", "CI_PIPELINE_URL": "https://gl/p/9", "CI_PROJECT_PATH": "acme/shop",
        "GITLAB_USER_LOGIN": "maria", "GITHUB_ACTIONS": "true",
    })
    assert job == model.CiJob(system="gitlab", commit="abc", ref="main", job_id="812", job_url="https://gl/j/812",
                              pipeline_url="https://gl/p/9", project="acme/shop", actor="maria")


def test_github_variables_fill_the_ci_job_with_the_run_url():
    """A GitHub Actions run's report links the run attempt and names the actor."""
    job = model.ci_job_from_env({
        "GITHUB_ACTIONS": "true", "GITHUB_SHA": "def", "GITHUB_REF_NAME": "v1.2", "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_ACTOR": "octocat",
    })
    assert job.system == "github" and job.commit == "def" and job.ref == "v1.2" and job.actor == "octocat"
    assert job.job_id == "42/2"
    assert job.job_url == "https://github.com/acme/shop/actions/runs/42/attempts/2"
    assert job.pipeline_url == "https://github.com/acme/shop/actions/runs/42"


def test_a_gitlab_job_url_alone_names_a_gitlab_job():
    """A runner exporting CI_JOB_URL without GITLAB_CI would be reported local, while its records say GitLab."""
    job = model.ci_job_from_env({"CI_JOB_URL": "https://gl/j/812", "GITLAB_USER_LOGIN": "maria"})
    assert (job.system, job.job_url, job.actor) == ("gitlab", "https://gl/j/812", "maria")


def test_outside_ci_the_job_is_local():
    """A run from a laptop says so and names the user, with no CI links."""
    assert model.ci_job_from_env({"USER": "dev"}) == model.CiJob(system="local", actor="dev")


def test_masked_reaches_every_string_of_the_report():
    """Masking covers nested failures, log lines, plan keys and URLs alike."""
    report = samples.rolled_back(secret="CANARY")
    text = json.dumps(model.to_dict(model.masked(report, lambda value: value.replace("CANARY", "***"))))
    assert "CANARY" not in text and "***" in text


def test_masked_leaves_the_original_report_alone():
    """Masking a report for writing does not change the caller's report."""
    report = samples.rolled_back(secret="CANARY")
    before = dataclasses.replace(report)
    model.masked(report, lambda value: "x")
    assert report == before


def test_a_bad_time_is_a_report_error():
    """A report time that is not ISO 8601 says how to write it."""
    with pytest.raises(errors.ReportError, match="not ISO 8601"):
        model.parse_stamp("yesterday")
