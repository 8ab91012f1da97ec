"""The chart tree for one render: which subcharts are on, and the values each one sees.

Owns Helm's dependency rules over composed values: a subchart sees its
parent's `Values.<name or alias>` merged over its own defaults, plus the
parent's `global` merged over its own; `condition` (comma-separated value
paths, the first that holds a boolean decides) and `tags` (any true tag
enables, all-false disables; a condition wins over tags) switch a subchart
off; `import-values` copies a child's values into its parent (child form
`- data` takes the child's `exports.data` into the parent's root; the
`{child: a.b, parent: c}` form takes the child's `a.b` into the parent's `c`;
the parent's own values win over what it imports). The parent's section for
an enabled subchart is replaced by the subchart's full values, so parent
templates see the subchart's defaults too; for a switched-off subchart it
stays what the parent set (Helm coalesces only enabled subcharts). A null the
user set deletes the subchart's default: `merge` keeps a null over a missing
key as a marker, and `prune` drops the markers left in what templates see.

Must not: read files or render. Merging is the values package's business: the
caller passes its `merge(base, overlay) -> dict`, keeping charts and values
independent siblings.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING, Any, Callable, Iterator

from deploykit import errors
from deploykit.charts import problems
from deploykit.charts.chart import Chart
from deploykit.frozen import frozen

if TYPE_CHECKING:
    from deploykit.charts.dependencies import Dependency

Merge = Callable[[dict, dict], dict]
Prune = Callable[[dict], dict]


@frozen
class ChartNode:
    """A chart in the render tree, with the values its templates see.

    `prefix` is its virtual path (`web`, `web/charts/common`), the start of
    every template name it owns; `value_path` is where its values live in the
    root chart's values (for provenance); `imports` maps each enabled
    dependency's key to its node, for `{% import "<key>/_x.j2" %}`.
    """

    chart: Chart
    prefix: str
    values: dict = dataclasses.field(repr=False)  # may hold decrypted values: never shown
    value_path: tuple
    children: tuple[ChartNode, ...]

    @property
    def imports(self) -> dict[str, ChartNode]:
        return {child.prefix.rsplit("/", 1)[-1]: child for child in self.children}

    def walk(self) -> Iterator[ChartNode]:
        """This node, then every enabled descendant, depth first, in Chart.yaml order."""
        yield self
        for child in self.children:
            yield from child.walk()


def resolve(
    chart: Chart, values: dict, *, merge: Merge, prune: Prune | None = None, report: list[problems.Problem] | None = None
) -> ChartNode:
    """Build the tree of enabled charts for `values` (already composed over the root's defaults)."""
    tags = values.get("tags") if isinstance(values.get("tags"), dict) else {}
    return _node(
        chart, values, prefix=chart.name, value_path=(), tags=tags, merge=merge, prune=prune or _unchanged,
        report=report if report is not None else [],
    )


def _unchanged(values: dict) -> dict:
    return values


def _node(
    chart: Chart, values: dict, *, prefix: str, value_path: tuple, tags: dict, merge: Merge, prune: Prune,
    report: list[problems.Problem],
) -> ChartNode:
    values = dict(values)
    own_sections = {sub.key: values[sub.key] for sub in chart.subcharts if sub.key in values}
    parent_global = values.get("global") if isinstance(values.get("global"), dict) else {}
    prepared: list[tuple[Any, dict]] = []
    for sub in chart.subcharts:
        section = values.get(sub.key)
        if section is None:
            section = {}
        if not isinstance(section, dict):
            raise errors.ValuesError(
                f"Values.{'.'.join(value_path + (sub.key,))} must be a mapping: it holds the values of subchart {sub.chart.name!r} "
                f"(from {chart.metadata.source} {sub.dependency.field if sub.dependency.index >= 0 else 'charts/'})"
            )
        child_values = merge(copy.deepcopy(sub.chart.values), section)
        own_global = child_values.get("global") if isinstance(child_values.get("global"), dict) else {}
        child_values["global"] = merge(own_global, parent_global)
        values[sub.key] = child_values
        prepared.append((sub, child_values))
    children: list[ChartNode] = []
    for sub, child_values in prepared:
        if not _enabled(sub.dependency, values, tags, source=chart.metadata.source, report=report):
            if sub.key in own_sections:
                values[sub.key] = own_sections[sub.key]
            else:
                del values[sub.key]
            continue
        child = _node(
            sub.chart,
            child_values,
            prefix=f"{prefix}/charts/{sub.key}",
            value_path=value_path + (sub.key,),
            tags=tags,
            merge=merge,
            prune=prune,
            report=report,
        )
        values[sub.key] = child.values
        children.append(child)
        for item in sub.dependency.import_values:
            values = _import(values, child.values, item.child, item.parent, merge=merge)
    return ChartNode(chart=chart, prefix=prefix, values=prune(values), value_path=value_path, children=tuple(children))


def _lookup(values: dict, dotted: str) -> tuple[bool, Any]:
    current: Any = values
    for key in dotted.split("."):
        if not isinstance(current, dict) or key not in current:
            return False, None
        current = current[key]
    return True, current


def _enabled(dependency: Dependency, values: dict, tags: dict, *, source: str, report: list[problems.Problem]) -> bool:
    if dependency.condition:
        for path in (p.strip() for p in dependency.condition.split(",")):
            if not path:
                continue
            found, value = _lookup(values, path)
            if found and isinstance(value, bool):
                return value
            if found and value is not None:
                report.append(problems.warning(source, f"{dependency.field}.condition: {path} is {type(value).__name__}, not a boolean; ignored"))
    if dependency.tags:
        states = [tags[tag] for tag in dependency.tags if isinstance(tags.get(tag), bool)]
        if states:
            return any(states)
    return True


def _import(parent: dict, child: dict, child_path: str, parent_path: str, *, merge: Merge) -> dict:
    found, value = _lookup(child, child_path)
    if not found:
        return parent
    keys = [k for k in parent_path.split(".") if k]
    if not keys:
        if not isinstance(value, dict):
            return parent
        return merge(value, parent)
    imported: Any = value
    for key in reversed(keys):
        imported = {key: imported}
    if not isinstance(value, dict):
        # A scalar import fills the parent path only where the parent has nothing.
        present, _ = _lookup(parent, parent_path)
        return parent if present else merge(parent, imported)
    return merge(imported, parent)
