"""The built-in kinds' schemas, read once from kubernetes-validate's v1.37 definitions.

Owns loading `_definitions.json` (JSON Schema `$defs` of every built-in type)
and finding the definition of a group/version/kind. Used for unknown-field
checks and the OpenAPI documents. Must not interpret the schemas for
server-side apply: `typeinfo` does that.
"""

from __future__ import annotations

import functools
import json
import pathlib
from typing import Any

KUBE_VERSION = "1.37.0"
REF_PREFIX = "#/$defs/"


def _schema_dir() -> pathlib.Path:
    import kubernetes_validate

    root = pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    return root / f"v{KUBE_VERSION}-local"


@functools.lru_cache(maxsize=1)
def all_definitions() -> dict[str, dict[str, Any]]:
    with open(_schema_dir() / "_definitions.json", encoding="utf-8") as fh:
        return json.load(fh)["$defs"]


@functools.lru_cache(maxsize=1)
def _by_gvk() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, schema in all_definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            # Several definitions share a GVK (DeleteOptions, WatchEvent); the kind's own wins.
            if name.endswith("." + gvk["kind"]) or (gvk["group"], gvk["version"], gvk["kind"]) not in index:
                index[(gvk["group"], gvk["version"], gvk["kind"])] = name
    return index


def name_of(group: str, version: str, kind: str) -> str | None:
    """Definition name of a kind, e.g. `io.k8s.api.apps.v1.Deployment`."""
    return _by_gvk().get((group, version, kind))


def schema_of(group: str, version: str, kind: str) -> dict[str, Any] | None:
    name = name_of(group, version, kind)
    return all_definitions()[name] if name else None


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref`s to the definition they name."""
    defs = all_definitions()
    while "$ref" in schema:
        schema = defs[schema["$ref"][len(REF_PREFIX):]]
    return schema


def object_meta() -> dict[str, Any]:
    return all_definitions()["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]
