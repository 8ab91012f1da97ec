"""The chart model: a loaded chart and its resolved subcharts, as plain data.

Owns: `Chart` (metadata, templates, non-template files, CRDs, default values,
schema, subcharts, content digest). A subchart (the dependency entry that
asked for a chart, the chart found, and where it was found) is
dependencies.py's `Subchart`.

Must not: read files (loading does), render (rendering does) or merge values.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Mapping

from deploykit.frozen import frozen

if TYPE_CHECKING:
    from deploykit.charts.dependencies import Subchart
    from deploykit.charts.metadata import ChartMetadata

# Files with a meaning of their own; everything else outside templates/ and
# charts/ is reachable from templates through `Files`.
RESERVED_FILES = frozenset(
    {"Chart.yaml", "Chart.lock", "values.yaml", "values.schema.json", "requirements.yaml", "requirements.lock", ".helmignore"}
)
NOTES = "NOTES.txt"


@frozen
class Chart:
    """One chart: everything rendering needs, already read and checked.

    `origin` says where it came from (a folder or archive path as the user
    gave it, or `<parent origin>/charts/<entry>`), for messages about its files.
    Template keys are paths below templates/; file keys are chart-relative.
    """

    metadata: ChartMetadata
    origin: str
    templates: Mapping[str, str]
    files: Mapping[str, bytes]
    crds: Mapping[str, str]
    values: dict
    schema: dict | None
    subcharts: tuple[Subchart, ...]
    digest: str
    schema_text: str | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def values_file(self) -> str:
        return f"{self.origin}/values.yaml"

    @property
    def schema_file(self) -> str:
        return f"{self.origin}/values.schema.json"
