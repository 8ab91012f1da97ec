"""Chart.yaml (and a v1 chart's requirements.yaml): the chart's identity and dependencies.

Owns: `ChartMetadata` (its `dependencies` are dependencies.py's records), and `parse`, which reads the text of
Chart.yaml and returns the metadata together with every problem found (each
naming the file, the line and the field), so `lint` can show them all and the
loader can refuse the chart with all of them at once. Also the kubeVersion
check against a target Kubernetes version.

Must not: read files or look for dependencies (the loader does), or raise for
a field problem (it is returned, the caller decides).
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from deploykit import yamlscalars
from deploykit.charts import problems, semver, yamlcodec
from deploykit.frozen import frozen

if TYPE_CHECKING:
    from deploykit.charts.dependencies import Dependency, ImportValue

API_VERSIONS = ("v1", "v2")
TYPES = ("application", "library")
# Helm's own rule for chart names: safe in file names, URLs and labels.
_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
_ALIAS = re.compile(r"^[a-zA-Z0-9_-]+$")
MAX_NAME_LENGTH = 250


@frozen
class ChartMetadata:
    """What Chart.yaml says, validated."""

    api_version: str
    name: str
    version: str
    type: str = "application"
    app_version: str | None = None
    description: str | None = None
    kube_version: str | None = None
    dependencies: tuple[Dependency, ...] = ()
    raw: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
    source: str = "Chart.yaml"
    text: str = dataclasses.field(default="", compare=False, repr=False)

    @property
    def is_library(self) -> bool:
        return self.type == "library"


class _Collector:
    """Gathers problems for one file, locating each field's line in its text."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.found: list[problems.Problem] = []

    def error(self, path: tuple, message: str, *, hint: str | None = None) -> None:
        field = _format(path)
        line = yamlcodec.line_of(self.text, path) if path else None
        self.found.append(problems.error(self.source, f"{field}: {message}" if field else message, line=line, hint=hint))

    def warning(self, path: tuple, message: str) -> None:
        line = yamlcodec.line_of(self.text, path) if path else None
        self.found.append(problems.warning(self.source, f"{_format(path)}: {message}", line=line))


def _format(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _load_mapping(text: str, collector: _Collector, what: str) -> dict | None:
    try:
        data = yamlcodec.load(text)
    except yamlcodec.YAMLError as exc:
        found_line = yamlcodec.error_line(exc, text)
        line = found_line + 1 if found_line is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        collector.found.append(problems.error(collector.source, f"not valid YAML: {reason}", line=line))
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        collector.error((), f"{what} must be a mapping, not {type(data).__name__}")
        return None
    return data


def _string(data: dict, key: str, collector: _Collector, *, required: bool = False, prefix: tuple = ()) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            collector.error(prefix + (key,), "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        collector.error(prefix + (key,), f"must be a string, not {type(value).__name__}")
        return None
    # A number read into one of Helm's string fields is spelt as Go spells it: `appVersion: 1.0` is "1", `08` is "8".
    return value if isinstance(value, str) else yamlscalars.key_text(value)


def _version(data: dict, collector: _Collector) -> str | None:
    value = data.get("version")
    if value is None or value == "":
        collector.error(("version",), "is required (a semantic version such as 1.0.0)")
        return None
    if not isinstance(value, str):
        # YAML reads `version: 1.10` as the number 1.1: refuse rather than guess.
        collector.error(("version",), f"must be a quoted string (YAML read {value!r} as a number)", hint='write version: "1.10.0"')
        return None
    try:
        semver.parse_version(value)
    except ValueError as exc:
        collector.error(("version",), str(exc))
        return None
    return value


def _dependencies(entries: Any, collector: _Collector, prefix: tuple) -> tuple[Dependency, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        collector.error(prefix, "must be a list")
        return ()
    from deploykit.charts import constraints  # only for a chart with dependencies
    from deploykit.charts.dependencies import Dependency

    found: list[Dependency] = []
    keys: dict[str, int] = {}
    for index, entry in enumerate(entries):
        path = prefix + (index,)
        if not isinstance(entry, dict):
            collector.error(path, "must be a mapping with at least a name")
            continue
        name = _string(entry, "name", collector, required=True, prefix=path)
        if name is None:
            continue
        version = _string(entry, "version", collector, prefix=path)
        if version is not None:
            try:
                constraints.parse_constraint(version)
            except ValueError as exc:
                collector.error(path + ("version",), f"is not a version constraint: {exc}")
                version = None
        alias = _string(entry, "alias", collector, prefix=path)
        if alias is not None and not _ALIAS.match(alias):
            collector.error(path + ("alias",), f"{alias!r} may hold only letters, digits, '_' and '-'")
            alias = None
        condition = _string(entry, "condition", collector, prefix=path)
        tags = entry.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            collector.error(path + ("tags",), "must be a list of strings")
            tags = []
        imports = _imports(entry.get("import-values"), collector, path + ("import-values",))
        dependency = Dependency(
            name=name,
            version=version,
            repository=_string(entry, "repository", collector, prefix=path),
            alias=alias,
            condition=condition,
            tags=tuple(tags),
            import_values=imports,
            index=index,
        )
        if dependency.key in keys:
            collector.error(path, f"{dependency.key!r} is already used by dependencies[{keys[dependency.key]}]", hint="give one of them an alias")
            continue
        keys[dependency.key] = index
        found.append(dependency)
    return tuple(found)


def _imports(entries: Any, collector: _Collector, path: tuple) -> tuple[ImportValue, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        collector.error(path, "must be a list")
        return ()
    from deploykit.charts.dependencies import ImportValue

    found = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str) and entry:
            # Child form: the child's `exports.<name>` merges into the parent's root.
            found.append(ImportValue(child=f"exports.{entry}", parent=""))
        elif isinstance(entry, dict) and isinstance(entry.get("child"), str) and isinstance(entry.get("parent"), str):
            found.append(ImportValue(child=entry["child"], parent=entry["parent"]))
        else:
            collector.error(path + (index,), "must be a name (child form) or a mapping with `child` and `parent` strings")
    return tuple(found)


def parse(text: str, *, source: str, requirements: str | None = None, requirements_source: str = "requirements.yaml") -> tuple[ChartMetadata | None, list[problems.Problem]]:
    """Read Chart.yaml text; return the metadata (None if unusable) and every problem found."""
    collector = _Collector(text, source)
    data = _load_mapping(text, collector, "Chart.yaml")
    if data is None:
        return None, collector.found
    api_version = _string(data, "apiVersion", collector, required=True)
    if api_version is not None and api_version not in API_VERSIONS:
        collector.error(("apiVersion",), f"{api_version!r} is not supported (use v2)")
        api_version = None
    name = _string(data, "name", collector, required=True)
    if name is not None and (not _NAME.match(name) or len(name) > MAX_NAME_LENGTH):
        collector.error(("name",), f"{name!r} may hold only letters, digits, '.', '_' and '-' (at most {MAX_NAME_LENGTH})")
        name = None
    version = _version(data, collector)
    chart_type = _string(data, "type", collector) or "application"
    if chart_type not in TYPES:
        collector.error(("type",), f"{chart_type!r} must be application or library")
    elif chart_type == "library" and api_version == "v1":
        collector.error(("type",), "library charts need apiVersion v2")
    kube_version = _string(data, "kubeVersion", collector)
    if kube_version is not None:
        from deploykit.charts import constraints  # only for a chart that names a kubeVersion

        try:
            constraints.parse_constraint(kube_version)
        except ValueError as exc:
            collector.error(("kubeVersion",), f"is not a version constraint: {exc}")
            kube_version = None
    app_version = _string(data, "appVersion", collector)
    description = _string(data, "description", collector)
    maintainers = data.get("maintainers") or []
    if not isinstance(maintainers, list):
        collector.error(("maintainers",), "must be a list")
    else:
        for index, maintainer in enumerate(maintainers):
            if not isinstance(maintainer, dict) or not maintainer.get("name"):
                collector.error(("maintainers", index), "needs a name")
    if api_version == "v1" and requirements is not None:
        req_collector = _Collector(requirements, requirements_source)
        req = _load_mapping(requirements, req_collector, "requirements.yaml")
        dependencies = _dependencies((req or {}).get("dependencies"), req_collector, ("dependencies",))
        collector.found.extend(req_collector.found)
    else:
        dependencies = _dependencies(data.get("dependencies"), collector, ("dependencies",))
    if any(p.level == problems.ERROR for p in collector.found) or None in (api_version, name, version):
        return None, collector.found
    metadata = ChartMetadata(
        api_version=api_version,  # type: ignore[arg-type]
        name=name,  # type: ignore[arg-type]
        version=version,  # type: ignore[arg-type]
        type=chart_type,
        app_version=app_version,
        description=description,
        kube_version=kube_version,
        dependencies=dependencies,
        raw=data,
        source=source,
        text=text,
    )
    return metadata, collector.found


def kube_version_problem(metadata: ChartMetadata, kube_version: str) -> str | None:
    """Why the chart refuses the target Kubernetes version, or None when it accepts it."""
    if not metadata.kube_version:
        return None
    try:
        target = semver.parse_version(kube_version)
    except ValueError:
        return None
    from deploykit.charts import constraints  # only for a chart that names a kubeVersion

    if constraints.parse_constraint(metadata.kube_version).allows(target):
        return None
    return f"kubeVersion: the chart requires Kubernetes {metadata.kube_version!r}; the target is {kube_version}"
