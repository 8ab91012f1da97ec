"""Reading rendered text into manifests: documents, their index and the line each object starts on."""

import pytest

from deploykit.charts.manifests import parse_documents

OBJECT = "kind: ConfigMap\nmetadata: {name: a}\n"


@pytest.mark.parametrize(("before", "line"), [("", 1), ("# note\n", 2), ("\n\n", 3), ("  \n# x\n \n", 4), ("  # indented\n", 2)])
def test_a_manifest_starts_on_its_first_content_line(before, line):
    """An error about a rendered object would point at a comment or blank line before it, or at the wrong document."""
    report = []
    found = parse_documents(before + OBJECT + "---\n" + before + OBJECT, template="t.yaml", report=report)
    second = before.count("\n") + 3 + line
    assert [(m.document_index, m.line) for m in found] == [(0, line), (1, second)] and report == []


@pytest.mark.parametrize("blank", ["", "\n", "  \n\t\n", "\u3000\n", "\x0c\n"])
def test_documents_of_whitespace_only_are_skipped(blank):
    """A `{% if %}` rendering nothing but spaces would be reported as a broken object or shift the index of the next."""
    report = []
    found = parse_documents(blank + "---\n" + OBJECT, template="t.yaml", report=report)
    assert [(m.document_index, m.line) for m in found] == [(0, blank.count("\n") + 2)] and report == []
