"""Chart.lock as Helm writes and checks it: the pinned version of each dependency and the digest tying it to Chart.yaml.

Owns: reading Chart.lock (requirements.lock for apiVersion v1 charts) from a
chart's files, and Helm's digest (resolver.HashReq): sha256 over Go's JSON of
[Chart.yaml's dependencies, the lock's dependencies], with `@name` /
`alias:name` repositories first replaced by their URL from repositories.yaml,
as `helm dependency build` does. A lock whose digest differs is out of date
with Chart.yaml: someone changed a dependency without running `dependency update`.

Must not: fetch anything, or decide what to do about a stale lock (the loader does).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import yaml

from deploykit import errors
from deploykit.charts import helmconfig
from deploykit.charts.metadata import ChartMetadata
from deploykit.frozen import frozen

# chart.Dependency's JSON fields in Go's declaration order; all but name and repository are omitempty.
_FIELDS = ("name", "version", "repository", "condition", "tags", "enabled", "import-values", "alias")
_ALWAYS = frozenset({"name", "repository"})


@frozen
class Lock:
    source: str  # the lock file's path, for messages
    digest: str
    dependencies: tuple[dict, ...]


def lock_name(meta: ChartMetadata) -> str:
    return "requirements.lock" if meta.api_version == "v1" else "Chart.lock"


def read(files: dict[str, bytes], meta: ChartMetadata, *, origin: str) -> Lock | None:
    """The chart's lock file, or None when it has none."""
    name = lock_name(meta)
    data = files.get(name)
    if data is None:
        return None
    source = f"{origin}/{name}"
    try:
        parsed = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        parsed = None
    entries = parsed.get("dependencies") if isinstance(parsed, dict) else None
    if not isinstance(parsed, dict) or not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise errors.ChartError(f"{source}: not a lock file Helm wrote (no `dependencies` list)",
                                hint=f"delete it and run `deploykit dependency update {origin}`")
    return Lock(source=source, digest=str(parsed.get("digest") or ""), dependencies=tuple(entries))


def requirements(meta: ChartMetadata, files: dict[str, bytes]) -> list[dict]:
    """The dependency entries as written (Chart.yaml, or requirements.yaml for v1), aliases resolved to URLs."""
    if meta.api_version == "v1":
        raw = yaml.safe_load(files.get("requirements.yaml", b"").decode("utf-8", "replace")) or {}
    else:
        raw = meta.raw
    entries = [dict(entry) for entry in (raw.get("dependencies") or []) if isinstance(entry, dict)]
    for entry in entries:
        repository = str(entry.get("repository") or "")
        if helmconfig.alias_name(repository) is not None:
            url = helmconfig.resolve_alias(repository)
            if url is None:
                raise errors.ChartError(
                    f"{meta.source}: dependency {entry.get('name')!r}: repository {repository!r} names no repository "
                    f"in {helmconfig.repository_config()}",
                    hint=f"add it (`helm repo add {helmconfig.alias_name(repository)} URL`), or write its URL in Chart.yaml",
                )
            entry["repository"] = url
    return entries


def _go_value(value: Any) -> str:
    """Go's encoding/json of a decoded YAML value: compact, map keys sorted, <>& and U+2028/9 escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _go_dependency(entry: dict) -> str:
    fields = []
    for field in _FIELDS:
        value = entry.get(field)
        if field in _ALWAYS:
            value = "" if value is None else str(value)
        elif not value:
            continue  # omitempty: "", false, nil and empty lists are left out
        elif field in ("version", "condition", "alias"):
            value = str(value)
        fields.append(f"{_go_value(field)}:{_go_value(value)}")
    return "{" + ",".join(fields) + "}"


def digest(required: list[dict], locked: list[dict] | tuple[dict, ...]) -> str:
    """Helm's resolver.HashReq: `sha256:` + hex over the JSON of [required, locked]."""
    payload = "[" + ",".join(
        "null" if not entries else "[" + ",".join(_go_dependency(e) for e in entries) + "]" for entries in (required, locked)
    ) + "]"
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def is_current(lock: Lock, meta: ChartMetadata, files: dict[str, bytes]) -> bool | None:
    """True when the lock was written for the dependencies Chart.yaml declares now; None when that cannot be
    told: a `@name` repository that repositories.yaml does not hold (a CI job that never ran `helm repo add`)."""
    try:
        required = requirements(meta, files)
    except errors.ChartError:
        return None
    return digest(required, lock.dependencies) == lock.digest


_REPOSITORY_LINE = re.compile(r"^(\s*(?:-\s+)?repository:\s*)(.*?)\s*$", re.MULTILINE)
_DIGEST_LINE = re.compile(r"^digest:.*$", re.MULTILINE)


def relocated(text: str, urls: dict[str, str], required: list[dict] | None) -> str:
    """Lock text with its repository URLs replaced per `urls`, and the digest recomputed against `required`
    (kept as it is when `required` is None: a stale lock must stay stale).

    Helm's sigs.k8s.io/yaml layout is kept line for line (only those values and the digest change).
    """
    def swap(match: re.Match) -> str:
        value = match.group(2).strip("'\"")
        return match.group(1) + urls.get(value, match.group(2))

    moved = _REPOSITORY_LINE.sub(swap, text)
    if required is None:
        return moved
    entries = (yaml.safe_load(moved) or {}).get("dependencies") or []
    return _DIGEST_LINE.sub(f"digest: {digest(required, entries)}", moved, count=1)
