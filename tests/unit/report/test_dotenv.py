"""deploy.env: the GitLab dotenv variables later jobs read."""

from __future__ import annotations

from deploykit.report import dotenv
from tests.unit.report import samples


def _variables(report):
    return dict(line.split("=", 1) for line in dotenv.render(report).splitlines())


def test_status_revisions_and_environment_url():
    """Later jobs get the stage status, the revision running per release and the environment URL."""
    report = samples.rolled_back()
    report.environment_url = "https://shop.example"
    assert _variables(report) == {"STATUS": "rolled-back", "REVISION_WORKER": "8", "REVISION_WEB": "3",
                                  "ENVIRONMENT_URL": "https://shop.example"}


def test_no_environment_url_when_none_is_given():
    """Without an environment URL the variable is left out (GitLab would link an empty URL)."""
    assert "ENVIRONMENT_URL" not in _variables(samples.succeeded())


def test_release_names_become_valid_variable_names():
    """A release named `api-gateway.v2` gives REVISION_API_GATEWAY_V2, a name GitLab accepts."""
    assert dotenv.variable_name("api-gateway.v2") == "REVISION_API_GATEWAY_V2"


def test_values_stay_on_one_line():
    """A newline in a value cannot inject another variable."""
    report = samples.succeeded()
    report.environment_url = "https://x\nSTATUS=success"
    lines = dotenv.render(report).splitlines()
    assert [line for line in lines if line.startswith("STATUS=")] == ["STATUS=success"]
