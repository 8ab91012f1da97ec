"""Custom resources checked against the chart's own CRDs (crds/ and CRDs rendered from templates).

Owns `Definitions`: for each (group, kind) a chart's CustomResourceDefinitions
define, the versions they serve with each one's openAPIV3Schema; and
`Definitions.findings`, which checks a custom resource against the schema of
its apiVersion the way the API server does with strict field validation:
types, required, enum, pattern, bounds, items, and unknown fields (pruned by
the server, refused by a strict client) unless the schema says
x-kubernetes-preserve-unknown-fields. apiVersion, kind and metadata are
always allowed at the root (the checks on names and labels are
checking.structure's). A version the CRD does not serve is a finding too.

Must not: look at kinds no CRD of the chart defines (the cluster may hold
their CRD: checking warns), talk to a cluster, or quote a checked value.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from deploykit.charts import kinds, validating
from deploykit.charts.manifests import Manifest
from deploykit.frozen import frozen

_ROOT_FIELDS = {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
}


@frozen
class Definition:
    """One CRD's kind: its name (plural.group), where it was rendered, and each version with its schema."""

    name: str
    source: str
    served: dict[str, dict[str, Any] | None]  # version -> openAPIV3Schema (None: the CRD gives none)


@frozen
class Definitions:
    by_kind: dict[tuple[str, str], Definition]
    # what the checks read of each schema once rather than once per custom resource: (group, kind, version) -> the
    # root schema with the fields every object has, and the plans of validating.check (the schemas never change)
    roots: dict[tuple[str, str, str], dict[str, Any]] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    plans: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def __contains__(self, group_kind: object) -> bool:
        return group_kind in self.by_kind

    def findings(self, obj: dict[str, Any]) -> list[validating.Finding]:
        """(field path, reason) for each way `obj` breaks its CRD's schema for its version; [] for other kinds."""
        api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
        key = (kinds.group_of(api_version), kind)
        definition = self.by_kind.get(key)
        if definition is None:
            return []
        version = api_version.rpartition("/")[2]
        if version not in definition.served:
            served = ", ".join(f"{kinds.group_of(api_version)}/{v}" for v in definition.served) or "no version"
            return [(("apiVersion",), f"the chart's CRD {definition.name} ({definition.source}) does not serve {version} "
                                      f"of {kind}; it serves {served}")]
        schema = definition.served[version]
        if schema is None:
            return []
        root = self.roots.get((*key, version))
        if root is None:
            root = self.roots[(*key, version)] = {**schema, "properties": {**(schema.get("properties") or {}), **_ROOT_FIELDS}}
        return validating.errors_of(obj, root, closed=True, plans=self.plans)


def collect(manifests: Iterable[Manifest]) -> Definitions:
    """The custom kinds the CustomResourceDefinitions among `manifests` define, with their served versions."""
    found: dict[tuple[str, str], Definition] = {}
    for manifest in manifests:
        if manifest.kind != "CustomResourceDefinition" or not manifest.api_version.startswith("apiextensions.k8s.io/"):
            continue
        spec = manifest.obj.get("spec")
        names = spec.get("names") if isinstance(spec, dict) else None
        if not isinstance(names, dict) or not names.get("kind"):
            continue
        key = (str(spec.get("group") or ""), str(names["kind"]))
        found[key] = Definition(name=manifest.name, source=manifest.template, served=_served(spec))
    return Definitions(found)


def _served(spec: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """version -> schema for each served version (v1's spec.versions; v1beta1's spec.validation as a fallback)."""
    shared = _schema_in(spec.get("validation"))
    versions = spec.get("versions")
    served: dict[str, dict[str, Any] | None] = {}
    if isinstance(versions, list):
        for version in versions:
            if isinstance(version, dict) and version.get("name") and version.get("served", True) is not False:
                served[str(version["name"])] = _schema_in(version.get("schema")) or shared
    elif spec.get("version"):
        served[str(spec["version"])] = shared
    return served


def _schema_in(holder: Any) -> dict[str, Any] | None:
    schema = holder.get("openAPIV3Schema") if isinstance(holder, dict) else None
    return schema if isinstance(schema, dict) else None
