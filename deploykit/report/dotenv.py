"""`deploy.env`: the GitLab dotenv report (`artifacts: reports: dotenv:`), variables for later jobs.

STATUS (the stage status), REVISION_<RELEASE> per release (the revision now
running: the new one, or the restored one after a rollback), ENVIRONMENT_URL
when the stage names one. GitLab reads `KEY=value` lines: names of letters,
digits and `_`, values on one line.
Must not: write files or hold anything but these variables.
"""

from __future__ import annotations

import re

from deploykit.report import model


def variable_name(release: str) -> str:
    """`REVISION_<RELEASE>`: the release name upper-cased, every other character `_`."""
    return "REVISION_" + re.sub(r"[^A-Z0-9_]", "_", release.upper())


def _value(text: str) -> str:
    return " ".join(text.split())  # one line: dotenv values cannot span lines


def running_revision(release: model.ReleaseReport) -> int | None:
    """The revision running after the stage: the restored one after a rollback, else the one written or kept."""
    if release.rollback is not None and release.rollback.ok:
        return release.rollback.to_revision
    return release.revision_after if release.revision_after is not None else release.revision_before


def render(report: model.StageReport) -> str:
    """The deploy.env text of a report."""
    lines = [f"STATUS={_value(report.status)}"]
    for release in report.releases:
        revision = running_revision(release)
        lines.append(f"{variable_name(release.name)}={'' if revision is None else revision}")
    if report.environment_url:
        lines.append(f"ENVIRONMENT_URL={_value(report.environment_url)}")
    return "\n".join(lines) + "\n"
