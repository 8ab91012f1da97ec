"""Property tests: whatever text a cluster or a container puts in a report, every file stays well-formed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploykit import errors
from deploykit.report import jsonfile, junit, markdown, timeline
from tests.unit.report import samples

ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


def _with_text(reason: str, line: str, name: str):
    report = samples.rolled_back()
    web = report.releases[1]
    web.failure.reason, web.failure.logs = reason, [line, line]
    web.objects[4].name = name
    return report


@given(ANY_TEXT, ANY_TEXT, ANY_TEXT)
def test_any_text_survives_the_json_round_trip(reason, line, name):
    """Reasons and log lines with any characters read back from report.json unchanged."""
    report = _with_text(reason, line, name)
    assert jsonfile.parse(jsonfile.render(report)) == report


@given(ANY_TEXT, ANY_TEXT, ANY_TEXT)
def test_any_text_gives_parseable_junit_and_svg(reason, line, name):
    """Control characters from container logs never make junit.xml or timeline.svg unreadable."""
    report = _with_text(reason, line, name)
    ElementTree.fromstring(junit.render(report))
    ElementTree.fromstring(timeline.render(report))


@given(ANY_TEXT)
def test_any_reason_stays_in_its_table_row(reason):
    """A reason with newlines or pipes never adds rows or columns to the summary's tables."""
    report = _with_text(reason, "log", "api")
    row = next(line for line in markdown.render(report).splitlines() if line.startswith("| Deployment/api"))
    assert row.replace("\\|", "").count("|") == 6


def test_non_finite_timings_are_refused():
    """A NaN timing (a clock bug) is a report error, not an invalid report.json."""
    report = samples.succeeded()
    report.releases[0].timings["track"] = float("nan")
    with pytest.raises(errors.ReportError, match="not a finite number"):
        json.loads(jsonfile.render(report))
