"""summary.md: Markdown tables of the stage, and appending it to $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from deploykit.report import markdown
from tests.unit.report import samples


def test_release_table_shows_revisions_and_plan_counts():
    """The releases table says what ran before, what runs now, and what the plan changed."""
    text = markdown.render(samples.rolled_back())
    assert "| web | shop | rolled-back | 3 → 4 (restored 3) | 1 create, 3 update, 2 unchanged |" in text
    assert "| worker | shop | deployed | 7 → 8 | 1 update |" in text


def test_object_table_shows_failure_reason_and_ready_times():
    """Each object is a row with its status, apply time, time to ready and failure."""
    text = markdown.render(samples.rolled_back())
    assert "| Deployment/frontend | ready | 2026-12-04T10:00:02.300Z | 9.6 s | – |" in text
    assert "| Deployment/api | failed | 2026-12-04T10:00:02.400Z | – | CrashLoopBackOff: container api exited 1" in text
    assert "| hook pre-upgrade Job/migrate | ok | – | 1.4 s | – |" in text


def test_failure_logs_are_in_a_collapsed_code_block():
    """The failing container's last lines are one click away, not spread through the table."""
    text = markdown.render(samples.rolled_back())
    assert "<details><summary>Last log lines</summary>\n\n```\nstarting api\n" in text
    assert "**Rollback** to revision 3 succeeded" in text


def test_pipes_and_newlines_cannot_break_a_table():
    """A reason with `|` or a newline stays inside its cell."""
    assert markdown.cell("a | b\nc") == "a \\| b c"


def test_a_fence_inside_logs_does_not_close_the_code_block():
    """Log lines holding ``` get a longer fence, so the rest of the summary is not swallowed."""
    report = samples.rolled_back()
    report.releases[1].failure.logs = ["```", "done"]
    assert "````\n```\ndone\n````" in markdown.render(report)


def test_appends_to_the_github_step_summary(tmp_path):
    """In GitHub Actions the summary lands on the run page, after what is already there."""
    target = tmp_path / "summary"
    target.write_text("earlier step\n")
    assert markdown.append_step_summary("## stage", {"GITHUB_STEP_SUMMARY": str(target)}) == target
    assert target.read_text() == "earlier step\n## stage\n"


def test_no_step_summary_outside_github(tmp_path):
    """Without $GITHUB_STEP_SUMMARY nothing is written."""
    assert markdown.append_step_summary("## stage", {}) is None
