"""CI log conventions: collapsible sections and error annotations in GitLab and GitHub, plain lines elsewhere.

GitLab: `section_start:<unix time>:<name>[collapsed=true]` / `section_end:...`
escape lines. GitHub Actions: `::group::` / `::endgroup::` and
`::error title=...::message` workflow commands. Anywhere else: plain lines.
Pure: the environment (and the time, for GitLab) are passed in; every
function returns the line to print, or "" when there is nothing to print.
Must not: print or read os.environ.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

GITLAB, GITHUB, PLAIN = "gitlab", "github", "plain"
_CLEAR = "\x1b[0K"


def detect(env: Mapping[str, str]) -> str:
    """gitlab (GITLAB_CI set), github (GITHUB_ACTIONS set) or plain."""
    if env.get("GITLAB_CI"):
        return GITLAB
    if env.get("GITHUB_ACTIONS"):
        return GITHUB
    return PLAIN


def section_name(text: str) -> str:
    """A GitLab section name: letters, digits, `_`, `.` and `-` only."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text) or "section"


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def group_start(name: str, title: str, *, env: Mapping[str, str], now: int, collapsed: bool = True) -> str:
    """The line that opens a collapsible group titled `title`."""
    system = detect(env)
    if system == GITLAB:
        options = "[collapsed=true]" if collapsed else ""
        return f"{_CLEAR}section_start:{now}:{section_name(name)}{options}\r{_CLEAR}{_one_line(title)}"
    if system == GITHUB:
        return f"::group::{_one_line(title)}"
    return f"== {_one_line(title)}"


def group_end(name: str, *, env: Mapping[str, str], now: int) -> str:
    """The line that closes the group (empty outside CI)."""
    system = detect(env)
    if system == GITLAB:
        return f"{_CLEAR}section_end:{now}:{section_name(name)}\r{_CLEAR}"
    if system == GITHUB:
        return "::endgroup::"
    return ""


def error(title: str, message: str, *, env: Mapping[str, str]) -> str:
    """An error line: a GitHub annotation in Actions, red `error:` in GitLab, plain `error:` elsewhere."""
    system = detect(env)
    if system == GITHUB:
        return f"::error title={_github_property(title)}::{_github_data(message)}"
    text = f"error: {_one_line(title)}: {_one_line(message)}" if title else f"error: {_one_line(message)}"
    if system == GITLAB:
        return f"\x1b[31;1m{text}\x1b[0m"
    return text
