"""What templates see: `Values`, `Release`, `Chart`, `Capabilities`, `Files`, `Template`.

Owns the objects of the template context, named as in Helm. `Values` is a
tree of `ValuesDict`/`ValuesList`: real dicts and lists (so `to_yaml`,
`items()`, `in` and `length` behave as users expect) that also know their
own path, so a missing key fails as `Values.image.tag is not defined`
rather than as an anonymous undefined.

Must not: import Jinja2 (the environment module wires these in), touch the
file system (`Files` serves the chart's files already in memory), or print.
"""

from __future__ import annotations

import base64
import fnmatch
import posixpath
from collections.abc import Mapping
from typing import Any, Iterator

from deploykit.charts import yamlcodec
from deploykit.charts.chart import Chart
from deploykit.frozen import frozen


def _wrapped(value: Any, path: str) -> Any:
    kind = type(value)
    if kind is dict:
        return ValuesDict(value, path)
    if kind is list:
        return ValuesList(value, path)
    return value


class ValuesDict(dict):
    """A values mapping that knows its path (`Values.image`) for error messages.

    Children become ValuesDict/ValuesList when a template reaches them (by
    key, `get`, `items()` or `values()`), not before: a chart's templates
    read a small part of a large values tree.
    """

    __slots__ = ("_path",)

    def __init__(self, data: dict, path: str) -> None:
        super().__init__(data)
        self._path = path

    @property
    def values_path(self) -> str:
        return self._path

    def __getitem__(self, key: Any) -> Any:
        value = dict.__getitem__(self, key)
        kind = type(value)
        if kind is dict or kind is list:
            value = _wrapped(value, child_path(self._path, key))
            dict.__setitem__(self, key, value)
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self else default

    def items(self) -> Iterator[tuple[Any, Any]]:  # type: ignore[override]
        return ((key, self[key]) for key in dict.keys(self))  # type: ignore[return-value]

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        return (self[key] for key in dict.keys(self))  # type: ignore[return-value]


class ValuesList(list):
    """A values list that knows its path (`Values.ports`); its items are wrapped as they are reached."""

    __slots__ = ("_path",)

    def __init__(self, items: list, path: str) -> None:
        super().__init__(items)
        self._path = path

    @property
    def values_path(self) -> str:
        return self._path

    def __getitem__(self, index: Any) -> Any:
        value = list.__getitem__(self, index)
        if isinstance(index, slice):
            return value
        kind = type(value)
        if kind is dict or kind is list:
            position = index if index >= 0 else len(self) + index
            value = _wrapped(value, f"{self._path}[{position}]")
            list.__setitem__(self, index, value)
        return value

    def __iter__(self) -> Iterator[Any]:
        return (self[index] for index in range(len(self)))


yamlcodec.register_mapping(ValuesDict)
yamlcodec.register_sequence(ValuesList)


def child_path(parent: str, key: Any) -> str:
    """`Values.image` + `tag` -> `Values.image.tag`; keys that are not identifiers use brackets."""
    if isinstance(key, str) and key.isidentifier():
        return f"{parent}.{key}"
    return f"{parent}[{key!r}]"


def find_values_path(values: ValuesDict, text: str) -> str | None:
    """The path of the first string leaf equal to `text` under `values` (`Values.db.password`); None if none is."""
    pending: list[tuple[str, Any]] = [(values.values_path, values)]
    while pending:
        path, node = pending.pop(0)
        if isinstance(node, dict):
            pending.extend((child_path(path, key), dict.__getitem__(node, key)) for key in dict.keys(node))
        elif isinstance(node, list):
            pending.extend((f"{path}[{index}]", list.__getitem__(node, index)) for index in range(len(node)))
        elif isinstance(node, str) and node == text:
            return path
    return None


def wrap_values(value: dict, path: str = "Values") -> ValuesDict:
    """The template's view of a values tree: path-aware, wrapping nested values on first access."""
    return ValuesDict(value, path)


@frozen
class ReleaseInfo:
    """`Release`: the release being rendered."""

    Name: str = "release-name"
    Namespace: str = "default"
    Revision: int = 1
    IsInstall: bool = True
    IsUpgrade: bool = False
    Service: str = "deploykit"


@frozen
class ChartInfo:
    """`Chart`: the chart's metadata, with Helm's field names."""

    Name: str
    Version: str
    AppVersion: str | None
    APIVersion: str
    Type: str
    Description: str | None
    KubeVersion: str | None
    Home: str | None
    Icon: str | None
    Keywords: tuple
    Sources: tuple
    Maintainers: tuple
    Annotations: Mapping
    Deprecated: bool

    @classmethod
    def of(cls, chart: Chart) -> ChartInfo:
        meta = chart.metadata
        raw = meta.raw
        return cls(
            Name=meta.name,
            Version=meta.version,
            AppVersion=meta.app_version,
            APIVersion=meta.api_version,
            Type=meta.type,
            Description=meta.description,
            KubeVersion=meta.kube_version,
            Home=raw.get("home"),
            Icon=raw.get("icon"),
            Keywords=tuple(raw.get("keywords") or ()),
            Sources=tuple(raw.get("sources") or ()),
            Maintainers=tuple(raw.get("maintainers") or ()),
            Annotations=dict(raw.get("annotations") or {}),
            Deprecated=bool(raw.get("deprecated", False)),
        )

    def __str__(self) -> str:
        return f"{self.Name}-{self.Version}"


@frozen
class KubeVersion:
    """`Capabilities.KubeVersion`: prints as `v1.37.0`."""

    Version: str
    Major: str
    Minor: str

    @property
    def GitVersion(self) -> str:  # noqa: N802 - Helm's name
        return self.Version

    def __str__(self) -> str:
        return self.Version


class APIVersions:
    """`Capabilities.APIVersions`: `has("apps/v1")`, `has("apps/v1/Deployment")`, or `in`."""

    def __init__(self, loader: Any) -> None:
        # The set is built on first use: most renders never ask.
        self._loader = loader
        self._known: frozenset[str] | None = None

    def _all(self) -> frozenset[str]:
        if self._known is None:
            self._known = frozenset(self._loader())
        return self._known

    def has(self, api_version: str) -> bool:
        return api_version in self._all()

    def __contains__(self, api_version: object) -> bool:
        return api_version in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._all()))


@frozen
class Capabilities:
    """`Capabilities`: what the target cluster offers."""

    KubeVersion: KubeVersion
    APIVersions: APIVersions


class FileAccessError(LookupError):
    """A template asked `Files` for something outside the chart or missing."""


class Files(Mapping):
    """`Files`: the chart's non-template files, by chart-relative path.

    `get(path)` returns the text; `get_bytes`, `lines`, `glob(pattern)` (a
    smaller Files), `as_config()` (YAML of base name -> text, for a
    ConfigMap's data) and `as_secrets()` (base name -> base64, for a Secret's
    data). Paths with `..` or a leading `/` are refused: templates cannot
    reach outside the chart.
    """

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self._files = files

    def __getitem__(self, path: str) -> str:
        return self.get(path)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._files))

    def __len__(self) -> int:
        return len(self._files)

    def _bytes(self, path: str) -> bytes:
        normal = posixpath.normpath(str(path)) if path else ""
        if str(path).startswith("/") or normal == ".." or normal.startswith("../"):
            raise FileAccessError(f"Files: {path!r} is outside the chart; templates may only read the chart's own files")
        try:
            return self._files[normal]
        except KeyError:
            raise FileAccessError(f"Files: {path!r} is not a file of this chart (templates/ and Chart.yaml are not Files)") from None

    def get(self, path: str, default: Any = None) -> str:  # type: ignore[override]
        return self._bytes(path).decode("utf-8", "replace")

    def get_bytes(self, path: str) -> bytes:
        return self._bytes(path)

    def lines(self, path: str) -> list[str]:
        return self.get(path).splitlines()

    def glob(self, pattern: str) -> Files:
        return Files({name: data for name, data in self._files.items() if fnmatch.fnmatchcase(name, pattern)})

    def as_config(self) -> str:
        data = {posixpath.basename(name): self._files[name].decode("utf-8", "replace") for name in sorted(self._files)}
        return yamlcodec.dump(data).rstrip("\n") if data else ""

    def as_secrets(self) -> str:
        data = {posixpath.basename(name): base64.b64encode(self._files[name]).decode("ascii") for name in sorted(self._files)}
        return yamlcodec.dump(data).rstrip("\n") if data else ""


@frozen
class TemplateInfo:
    """`Template`: the template being rendered (`web/templates/deployment.yaml`) and its folder."""

    Name: str
    BasePath: str

    @classmethod
    def of(cls, name: str) -> TemplateInfo:
        head, found, _ = name.partition("/templates/")
        return cls(Name=name, BasePath=f"{head}/templates" if found else posixpath.dirname(name))
