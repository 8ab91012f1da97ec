"""A chart's dependencies as records, for the charts that have some.

Owns: `Dependency` and `ImportValue` (an entry of Chart.yaml's
`dependencies:` and its `import-values`, as metadata.py reads them) and
`Subchart` (a dependency and the chart that satisfies it, as loading.py finds
it). Apart from metadata.py and chart.py so that a chart without
dependencies does not pay for creating these classes: import it where a
dependency is read or found.

Must not: read files, parse Chart.yaml or load charts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit.frozen import frozen

if TYPE_CHECKING:
    from deploykit.charts.chart import Chart


@frozen
class ImportValue:
    """One `import-values` entry: copy the child's `child` path into the parent's `parent` path."""

    child: str
    parent: str


@frozen
class Dependency:
    """One entry of `dependencies:`, as written by the chart author."""

    name: str
    version: str | None = None
    repository: str | None = None
    alias: str | None = None
    condition: str | None = None
    tags: tuple[str, ...] = ()
    import_values: tuple[ImportValue, ...] = ()
    index: int = 0

    @property
    def key(self) -> str:
        """The name the dependency has in its parent: values section and import prefix."""
        return self.alias or self.name

    @property
    def field(self) -> str:
        return f"dependencies[{self.index}]"


@frozen
class Subchart:
    """A dependency and the chart that satisfies it."""

    dependency: Dependency
    chart: Chart
    found_at: str

    @property
    def key(self) -> str:
        return self.dependency.key
