"""`report.json`: the stage report as JSON bytes and back (the form signing and promotion gates read).

Owns the byte encoding (UTF-8, two-space indent, keys in field order, a final
newline) so the signed bytes are stable. docs/report.schema.json describes it.
Must not: mask (write_all does) or touch files.
"""

from __future__ import annotations

import json

from deploykit import errors
from deploykit.report import model


def render(report: model.StageReport) -> bytes:
    """The report.json bytes of a report."""
    try:
        text = json.dumps(model.to_dict(report), indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:  # NaN or infinity: JSON has no such numbers
        raise errors.ReportError(f"the report holds a time that is not a finite number: {exc}",
                                 hint="this is a bug in the code that measured it; please report it") from exc
    return (text + "\n").encode()


def parse(data: bytes | str, *, source: str = "report.json") -> model.StageReport:
    """The report that report.json bytes hold; ReportError says what is wrong and where."""
    try:
        loaded = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.ReportError(f"{source} is not valid JSON: {exc}") from exc
    try:
        return model.from_dict(loaded)
    except errors.ReportError as exc:
        raise errors.ReportError(f"{source}: {exc.message}", hint=exc.hint) from exc
