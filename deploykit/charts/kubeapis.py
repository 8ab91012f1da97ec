"""The built-in Kubernetes API of a given version, from kubernetes-validate's JSON schemas.

Owns: which apiVersion/kind pairs a Kubernetes version serves (for
`Capabilities.APIVersions` and lint's unknown-kind warning) and validating an
object against the strict schema of its kind (lint's unknown-field errors).
Versions between those the package ships use the nearest older schema set.

Must not: talk to a cluster, or import jsonschema before a validation is
asked for (start-up time).
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import Any, Iterator

DEFAULT_KUBE_VERSION = "v1.37.0"

_SCHEMA_DIR = re.compile(r"^v(\d+)\.(\d+)\.\d+-local-strict$")


@functools.lru_cache(maxsize=1)
def _schema_root() -> str | None:
    try:
        import importlib.util

        spec = importlib.util.find_spec("kubernetes_validate")
    except ImportError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = os.path.join(list(spec.submodule_search_locations)[0], "kubernetes-json-schema")
    return root if os.path.isdir(root) else None


@functools.lru_cache(maxsize=1)
def _available() -> tuple[tuple[int, int, str], ...]:
    root = _schema_root()
    if root is None:
        return ()
    found = []
    for name in os.listdir(root):
        match = _SCHEMA_DIR.match(name)
        if match:
            found.append((int(match[1]), int(match[2]), os.path.join(root, name)))
    return tuple(sorted(found))


def _minor(kube_version: str) -> tuple[int, int] | None:
    match = re.match(r"^v?(\d+)\.(\d+)", kube_version.strip())
    return (int(match[1]), int(match[2])) if match else None


def _folder(kube_version: str) -> str | None:
    wanted = _minor(kube_version)
    available = _available()
    if wanted is None or not available:
        return None
    older = [entry for entry in available if (entry[0], entry[1]) <= wanted]
    return (older[-1] if older else available[0])[2]


@functools.lru_cache(maxsize=4)
def _definitions(folder: str) -> dict[str, Any]:
    with open(os.path.join(folder, "_definitions.json"), encoding="utf-8") as handle:
        return json.load(handle)


@functools.lru_cache(maxsize=4)
def _kinds(folder: str) -> dict[tuple[str, str], str]:
    """(apiVersion, kind) -> definition name, for kinds with object metadata."""
    found: dict[tuple[str, str], str] = {}
    for name, definition in _definitions(folder)["$defs"].items():
        gvks = definition.get("x-kubernetes-group-version-kind")
        if not gvks or "metadata" not in definition.get("properties", {}):
            continue
        for gvk in gvks:
            if gvk["kind"].endswith("List"):
                continue
            api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            found[(api_version, gvk["kind"])] = name
    return found


def known_kinds(kube_version: str) -> frozenset[tuple[str, str]]:
    """Every (apiVersion, kind) the version serves; empty when no schemas are installed."""
    folder = _folder(kube_version)
    return frozenset(_kinds(folder)) if folder else frozenset()


def api_versions(kube_version: str) -> Iterator[str]:
    """`group/version` and `group/version/Kind` strings, as Helm's Capabilities.APIVersions holds them."""
    for api_version, kind in known_kinds(kube_version):
        yield api_version
        yield f"{api_version}/{kind}"


def versions_of(kube_version: str, kind: str) -> list[str]:
    """The apiVersions under which the version serves `kind` (for "use X instead" hints)."""
    return sorted(api for api, k in known_kinds(kube_version) if k == kind)


@functools.lru_cache(maxsize=64)
def _validator(folder: str, definition: str) -> Any:
    import jsonschema
    import referencing

    definitions = _definitions(folder)
    resource = referencing.Resource.from_contents(definitions)
    registry = referencing.Registry().with_resource(definitions["$id"], resource)
    schema = {"$schema": definitions["$schema"], "$ref": f"{definitions['$id']}#/$defs/{definition}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def schema_errors(obj: dict, *, kube_version: str, limit: int = 20) -> list[tuple[tuple, str]]:
    """(field path, reason) for each way `obj` breaks its kind's strict schema; [] for unknown kinds."""
    folder = _folder(kube_version)
    if folder is None:
        return []
    definition = _kinds(folder).get((obj.get("apiVersion"), obj.get("kind")))
    if definition is None:
        return []
    found = []
    for error in _validator(folder, definition).iter_errors(obj):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            declared = error.schema.get("properties", {})
            found.extend((path + (key,), "unknown field") for key in error.instance if key not in declared)
        else:
            found.append((path, _reason(error)))
        if len(found) >= limit:
            break
    return sorted(found, key=lambda item: [str(p) for p in item[0]])


def _reason(error: Any) -> str:
    if error.validator == "type":
        expected = error.validator_value
        expected = [t for t in expected if t != "null"] if isinstance(expected, list) else [expected]
        return f"must be of type {' or '.join(expected)}, not {_json_type(error.instance)}"
    if error.validator == "required":
        return error.message.split(" is a required property")[0] + " is required"
    if error.validator == "enum":
        return f"must be one of {', '.join(repr(v) for v in error.validator_value if v is not None)}"
    return error.validator + " violated"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"
