"""CI log lines: GitLab sections, GitHub groups and annotations, plain lines elsewhere."""

from __future__ import annotations

from deploykit.report import cilog

GITLAB, GITHUB = {"GITLAB_CI": "true"}, {"GITHUB_ACTIONS": "true"}


def test_gitlab_sections_collapse():
    """In GitLab the release's output folds under its title, collapsed."""
    assert cilog.group_start("deploy web", "Deploy shop/web", env=GITLAB, now=1700000000) == (
        "\x1b[0Ksection_start:1700000000:deploy_web[collapsed=true]\r\x1b[0KDeploy shop/web")
    assert cilog.group_end("deploy web", env=GITLAB, now=1700000042) == (
        "\x1b[0Ksection_end:1700000042:deploy_web\r\x1b[0K")


def test_github_groups():
    """In GitHub Actions the output folds with ::group:: / ::endgroup::."""
    assert cilog.group_start("deploy", "Deploy shop/web", env=GITHUB, now=0) == "::group::Deploy shop/web"
    assert cilog.group_end("deploy", env=GITHUB, now=0) == "::endgroup::"


def test_github_error_annotation_escapes_its_data():
    """A failure becomes a GitHub annotation; newlines, colons and commas cannot end it early."""
    line = cilog.error("web: failed, rolled back", "CrashLoopBackOff\nexit 1 (100%)", env=GITHUB)
    assert line == "::error title=web%3A failed%2C rolled back::CrashLoopBackOff%0Aexit 1 (100%25)"


def test_gitlab_error_is_one_red_line():
    """In GitLab an error is a single red line."""
    assert cilog.error("web", "timed out\nafter 300 s", env=GITLAB) == "\x1b[31;1merror: web: timed out after 300 s\x1b[0m"


def test_plain_terminal_gets_plain_lines():
    """Outside CI there are no escape codes or workflow commands."""
    assert cilog.group_start("x", "Deploy shop/web", env={}, now=0) == "== Deploy shop/web"
    assert cilog.group_end("x", env={}, now=0) == ""
    assert cilog.error("web", "timed out", env={}) == "error: web: timed out"


def test_gitlab_wins_when_both_are_set():
    """A GitLab runner that also exports GITHUB_ACTIONS (mirrored env) is treated as GitLab."""
    assert cilog.detect({**GITLAB, **GITHUB}) == cilog.GITLAB
