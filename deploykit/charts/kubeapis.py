"""The built-in Kubernetes API of a given version, from kubernetes-validate's JSON schemas.

Owns: which apiVersion/kind pairs a Kubernetes version serves (for
`Capabilities.APIVersions` and lint's unknown-kind warning) and validating an
object against the strict schema of its kind (lint's unknown-field errors).
Versions between those the package ships use the nearest older schema set.

Validation walks the definitions directly (charts.validating, the few JSON
Schema keywords they use) instead of through jsonschema: building a jsonschema validator over the
1.8 MB definitions cost more than rendering the demo chart. The definitions,
without their descriptions, are cached (marshal) under the deploykit cache
folder, and so are what a render needs of them: the kinds table and, per
kind met, the definitions its schema reaches. A new process loads those few
(about 1 ms for a Deployment, a Service and a ConfigMap) instead of all 860
(10-15 ms), and reads the full set only to build a missing entry.

Must not: talk to a cluster.
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import os
import sys
from typing import Any, Iterator

from deploykit.charts import validating

DEFAULT_KUBE_VERSION = "v1.37.0"

_SCHEMA_DIR_SUFFIX = "-local-strict"  # kubernetes-validate's folders: v1.29.0-local-strict


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
        parts = name[1:-len(_SCHEMA_DIR_SUFFIX)].split(".")
        if name.startswith("v") and name.endswith(_SCHEMA_DIR_SUFFIX) and len(parts) == 3 and all(
                part.isdecimal() for part in parts):
            found.append((int(parts[0]), int(parts[1]), os.path.join(root, name)))
    return tuple(sorted(found))


def _minor(kube_version: str) -> tuple[int, int] | None:
    """(major, minor) that `v1.37.0`, `1.37` or `v1.30.2-gke.1` starts with; None if it does not start so.
    Plain string tests: every process asks once, and compiling a pattern would cost more than the rest."""
    text = kube_version.strip()
    major, dot, rest = (text[1:] if text.startswith("v") else text).partition(".")
    digits = 0
    while digits < len(rest) and rest[digits].isdecimal():
        digits += 1
    if not (major.isdecimal() and dot and digits):
        return None
    return int(major), int(rest[:digits])


@functools.lru_cache(maxsize=16)  # asked for every object checked; the installed schema sets do not change
def _folder(kube_version: str) -> str | None:
    wanted = _minor(kube_version)
    available = _available()
    if wanted is None or not available:
        return None
    older = [entry for entry in available if (entry[0], entry[1]) <= wanted]
    return (older[-1] if older else available[0])[2]


@functools.lru_cache(maxsize=4)
def _definitions(folder: str) -> dict[str, Any]:
    """The version's definitions without their descriptions, from the cache when it holds them."""
    source = os.path.join(folder, "_definitions.json")
    cached = _cache_file(source)
    try:
        with open(cached, "rb") as handle:
            found = marshal.loads(handle.read())  # marshal.load reads a file in many small pieces
        if isinstance(found, dict) and "$defs" in found:
            return found
    except (OSError, EOFError, ValueError, TypeError):
        pass  # missing or unreadable: read the source again
    with open(source, encoding="utf-8") as handle:
        found = _without_descriptions(json.load(handle))
    try:
        os.makedirs(os.path.dirname(cached), mode=0o700, exist_ok=True)
        partial = f"{cached}.{os.getpid()}"
        with open(partial, "wb") as handle:
            marshal.dump(found, handle)
        os.replace(partial, cached)
    except OSError:
        pass  # a read-only cache only costs time
    return found


def _cache_file(source: str) -> str:
    """Where the compact copy of `source` is kept ($DEPLOYKIT_CACHE_DIR, else the user's cache folder)."""
    base = os.environ.get("DEPLOYKIT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "deploykit")
    stat = os.stat(source)
    key = hashlib.sha256(f"{source}:{stat.st_size}:{stat.st_mtime_ns}:{sys.version_info[:2]}".encode()).hexdigest()[:16]
    return os.path.join(base, "kubeapis", f"{key}.marshal")


def _without_descriptions(schema: Any) -> Any:
    """`schema` without its description texts (most of its size); a property named description stays."""
    if isinstance(schema, dict):
        return {k: _without_descriptions(v) for k, v in schema.items() if not (k == "description" and isinstance(v, str))}
    if isinstance(schema, list):
        return [_without_descriptions(item) for item in schema]
    return schema


# The layout of the derived cache entries below; a change of it gives them new names.
_DERIVED_FORMAT = 1


def _derived(folder: str, what: str, build: Any) -> Any:
    """`build()`, a value derived from the version's definitions, kept in the cache next to them (marshal)."""
    cached = f"{_cache_file(os.path.join(folder, '_definitions.json'))[:-len('.marshal')]}.{what}.v{_DERIVED_FORMAT}.marshal"
    try:
        with open(cached, "rb") as handle:
            return marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        pass  # missing or damaged: build it again
    found = build()
    try:
        partial = f"{cached}.{os.getpid()}"
        with open(partial, "wb") as handle:
            marshal.dump(found, handle)
        os.replace(partial, cached)
    except OSError:
        pass  # a read-only cache only costs time
    return found


@functools.lru_cache(maxsize=4)
def _kinds(folder: str) -> dict[tuple[str, str], str]:
    """(apiVersion, kind) -> definition name, for kinds with object metadata."""

    def build() -> list[tuple[tuple[str, str], str]]:
        found = []
        for name, definition in _definitions(folder)["$defs"].items():
            gvks = definition.get("x-kubernetes-group-version-kind")
            if not gvks or "metadata" not in definition.get("properties", {}):
                continue
            for gvk in gvks:
                if gvk["kind"].endswith("List"):
                    continue
                api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
                found.append(((api_version, gvk["kind"]), name))
        return found

    return {tuple(key): name for key, name in _derived(folder, "kinds", build)}


@functools.lru_cache(maxsize=256)
def _reached(folder: str, name: str) -> dict[str, Any]:
    """The definition `name` and every definition its `$ref`s reach, by name."""

    def build() -> dict[str, Any]:
        every = _definitions(folder)["$defs"]
        found: dict[str, Any] = {}
        pending = [name]
        while pending:
            current = pending.pop()
            if current in found:
                continue
            found[current] = every[current]
            pending.extend(_refs(every[current]))
        return found

    return _derived(folder, f"reached.{hashlib.sha256(name.encode()).hexdigest()[:16]}", build)


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(validating.REF_PREFIX):
            yield ref[len(validating.REF_PREFIX):]
        for value in schema.values():
            yield from _refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _refs(item)


@functools.lru_cache(maxsize=16)  # asked for every object checked: built once per version, not once per object
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


def schema_errors(obj: dict, *, kube_version: str, limit: int = 20) -> list[tuple[tuple, str]]:
    """(field path, reason) for each way `obj` breaks its kind's strict schema; [] for unknown kinds."""
    folder = _folder(kube_version)
    if folder is None:
        return []
    definition = _kinds(folder).get((obj.get("apiVersion"), obj.get("kind")))
    if definition is None:
        return []
    defs = _reached(folder, definition)
    return validating.errors_of(obj, defs[definition], defs=defs, plans=_PLANS)[:limit]


# what each loaded (never changed) definition asks, read once per process rather than once per checked object
_PLANS: dict = {}
