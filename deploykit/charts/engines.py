"""Which template engine renders a chart: deploykit's Jinja2, or Go templates through Helm 4's own engine.

Owns the engine names, the rule that picks one per chart (docs/charts.md,
"Template engines"): the `deploykit.io/template-engine` annotation of
Chart.yaml when present, else Go templates when a template is a `.tpl` file
or holds a Go action (`{{ .Values`, `{{- define`, `{{ include "`, `{{ $x`,
`{{/*`, `{{ end }}`, ... none of which is valid Jinja2), else Jinja2. It also
owns the check that every enabled chart of a tree uses the engine of its
root (one release renders with one engine). The cluster Helm's `lookup`
reads from is clusters.py's `Cluster`.

Must not: render, or import helm_python or jinja2 (this module decides; the
renderers are imported only once chosen).
"""

from __future__ import annotations

import re

from deploykit import errors
from deploykit.charts.chart import Chart
from deploykit.charts.resolving import ChartNode

HELM = "helm"
JINJA2 = "jinja2"
AUTO = "auto"
CHOICES = (AUTO, HELM, JINJA2)
ANNOTATION = "deploykit.io/template-engine"
_NAMES = {HELM: "Go templates, rendered by Helm", JINJA2: "Jinja2 templates"}

# `{{` then a Go-template action: a field or variable, a comment, a keyword that Jinja2 cannot start an
# expression with, or `include "..."` (Jinja2 calls it as include("...")).
_GO_ACTION = re.compile(
    r"\{\{-?\s*(?:[.$]|/\*|(?:define|template|block|if|else|end|range|with)(?=[\s}-]|$)|include\s+\")"
)


def check_choice(engine: str) -> str:
    """The engine named by --template-engine (or a pipeline's templateEngine), refused if unknown."""
    if engine not in CHOICES:
        raise errors.UsageError(f"--template-engine {engine}: unknown template engine", hint="use helm, jinja2 or auto")
    return engine


def annotated(chart: Chart) -> str | None:
    """The engine Chart.yaml's `deploykit.io/template-engine` annotation names, None without one; ChartError if unknown."""
    annotations = chart.metadata.raw.get("annotations")
    value = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
    if value is None:
        return None
    if value not in (HELM, JINJA2):
        raise errors.ChartError(f"{chart.metadata.source}: annotations.{ANNOTATION}: {value!r} is not a template engine",
                                hint="use helm (Go templates) or jinja2, or leave the annotation out to detect it")
    return str(value)


def detected(chart: Chart) -> str:
    """The chart's own engine: its annotation, else Go templates if any template shows Go syntax, else Jinja2."""
    named = annotated(chart)
    if named is not None:
        return named
    for name, text in chart.templates.items():
        if name.endswith(".tpl") or _GO_ACTION.search(text):
            return HELM
    return JINJA2


def choose(root: ChartNode, requested: str = AUTO) -> str:
    """The engine for the whole tree: `requested` unless auto; in auto, every enabled chart must agree with the root."""
    if check_choice(requested) != AUTO:
        return requested
    engine = detected(root.chart)
    for node in root.walk():
        if node is root:
            continue
        own = detected(node.chart)
        if own != engine:
            parent = next(n for n in root.walk() if node in n.children)
            raise errors.ChartError(
                f"{root.chart.metadata.source}: chart {root.chart.name} uses {_NAMES[engine]}, but its subchart "
                f"{node.chart.name} ({node.prefix}, a dependency of {parent.chart.name}) uses {_NAMES[own]}: "
                "one release renders with one engine",
                hint=f"use a {engine} version of {node.chart.name}, or port one of the two charts; if the detection is "
                f"wrong, set the annotation {ANNOTATION}: helm|jinja2 in the chart's Chart.yaml "
                "(or force one engine with --template-engine)",
            )
    return engine
