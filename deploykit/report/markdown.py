"""`summary.md`: the stage report as Markdown tables, for a merge request, `$GITHUB_STEP_SUMMARY` or a person.

Owns the rendering (`render`, pure) and `append_step_summary`, which appends
it to the file `$GITHUB_STEP_SUMMARY` names when the variable is set.
Must not: read the environment itself (it is passed in).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from deploykit import errors
from deploykit.report import model

_ICONS = {model.SUCCESS: "✅", model.FAILED: "❌", model.ROLLED_BACK: "↩️", model.CANCELLED: "⏹️", model.REFUSED: "⛔"}


def cell(text: object) -> str:
    """Text safe in a table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|") if text not in (None, "") else "–"


def _revisions(release: model.ReleaseReport) -> str:
    before = "–" if release.revision_before is None else str(release.revision_before)
    after = "–" if release.revision_after is None else str(release.revision_after)
    restored = f" (restored {release.rollback.to_revision})" if release.rollback and release.rollback.ok else ""
    return f"{before} → {after}{restored}"


def _plan(release: model.ReleaseReport) -> str:
    return ", ".join(f"{count} {action}" for action, count in release.plan.items() if count) or "no changes"


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _fenced(lines: list[str]) -> list[str]:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *lines, fence]


def _release_section(release: model.ReleaseReport) -> list[str]:
    lines = [f"### {cell(release.namespace)}/{cell(release.name)}: {cell(release.status)}", ""]
    if release.timings:
        lines += ["Phases: " + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in release.timings.items()), ""]
    if release.objects or release.hooks:
        lines += ["| Object | Status | Applied | Ready after | Failure |", "|---|---|---|---|---|"]
        for item in release.objects:
            reason = item.failure.reason if item.failure else ""
            lines.append(f"| {cell(item.title)} | {cell(item.status)} | {cell(item.applied_at)} "
                         f"| {_seconds(item.seconds_to_ready)} | {cell(reason)} |")
        for hook in release.hooks:
            reason = hook.failure.reason if hook.failure else ""
            lines.append(f"| hook {cell(hook.event)} {cell(hook.kind)}/{cell(hook.name)} | {'ok' if hook.ok else 'failed'} "
                         f"| – | {_seconds(hook.seconds)} | {cell(reason)} |")
        lines.append("")
    failure = release.failure
    if failure is not None:
        where = " ".join(f"{label} `{cell(value)}`" for label, value in (
            ("object", failure.object), ("pod", failure.pod), ("container", failure.container),
            ("exit code", failure.exit_code)) if value not in ("", None))
        lines += [f"**Failure:** {cell(failure.reason)}" + (f" ({where})" if where else ""), ""]
        if failure.logs:
            lines += ["<details><summary>Last log lines</summary>", "", *_fenced(failure.logs), "", "</details>", ""]
    if release.rollback is not None:
        outcome = "succeeded" if release.rollback.ok else f"FAILED: {cell(release.rollback.error)}"
        lines += [f"**Rollback** to revision {release.rollback.to_revision} {outcome}", ""]
    return lines


def render(report: model.StageReport) -> str:
    """The summary.md text of a report."""
    icon = _ICONS.get(report.status, "")
    lines = [f"## {icon} {cell(report.pipeline)} / {cell(report.stage)} on {cell(report.cluster)}: {cell(report.status)}", ""]
    facts = [("Artifact", f"`{report.artifact_digest}`" if report.artifact_digest else ""),
             ("Commit", report.ci.commit), ("Job", report.ci.job_url), ("Actor", report.ci.actor),
             ("Started", report.started_at), ("Finished", report.finished_at), ("Environment", report.environment_url)]
    lines += ["| | |", "|---|---|", *(f"| {name} | {cell(value)} |" for name, value in facts if value), ""]
    if report.releases:
        lines += ["| Release | Namespace | Status | Revision | Plan |", "|---|---|---|---|---|"]
        lines += [f"| {cell(release.name)} | {cell(release.namespace)} | {cell(release.status)} "
                  f"| {_revisions(release)} | {cell(_plan(release))} |" for release in report.releases]
        lines.append("")
    for release in report.releases:
        lines += _release_section(release)
    return "\n".join(lines).rstrip("\n") + "\n"


def append_step_summary(text: str, env: Mapping[str, str]) -> Path | None:
    """Append the summary to `$GITHUB_STEP_SUMMARY` when it is set; the file written, or None."""
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    try:
        with path.open("a", encoding="utf-8") as summary:
            summary.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise errors.ReportError(f"cannot append the summary to $GITHUB_STEP_SUMMARY ({path}): {exc.strerror}",
                                 hint="check the runner's GITHUB_STEP_SUMMARY file") from exc
    return path
