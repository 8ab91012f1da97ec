"""Loading a chart from a folder or a .tgz, with its dependencies.

Owns: reading a chart's files (honouring .helmignore, within the same size
bounds as archives), building the `Chart` model from them, and finding each
dependency: a folder or .tgz under charts/, or `repository: file://...`
relative to the chart folder; the version constraint is checked against the
chart found. A dependency served by a chart repository or registry (https://,
oci://, @name) is taken from charts/ only, as `deploykit dependency update`
left it: the version Chart.lock pins, and (in a chart folder) Chart.lock
current with Chart.yaml. Every problem names the file (and field); problems
found in a tree are collected into `report` when the caller passes one (lint shows them
all), and the load then fails with a `ChartError` that lists them.

Must not: render templates, merge values, or fetch anything from a network.
"""

from __future__ import annotations

import contextvars
import fnmatch
import hashlib
import json
import os
from typing import TYPE_CHECKING, Iterable

from deploykit import errors, yamlscalars
from deploykit.charts import metadata as chart_metadata
from deploykit.charts import helmconfig, problems, semver, unpacking, yamlcodec
from deploykit.charts.chart import RESERVED_FILES, Chart

if TYPE_CHECKING:
    from deploykit.charts.dependencies import Dependency, Subchart
    from deploykit.charts import lockfile

_NO_BASE = None


# Loaded charts by path, with the (path, mtime, size) of every folder and file read to load them:
# a pipeline renders the same chart for each stage, and plan then apply render it twice.
_LOADED: dict[str, tuple[tuple[tuple[str, int, int], ...], Chart]] = {}
# (path, its stat taken before it was read, or None: stat it when the load ends)
_reads: contextvars.ContextVar[list[tuple[str, os.stat_result | None]] | None] = contextvars.ContextVar("deploykit_chart_reads", default=None)
# Set while the caller wants warnings (lint): only then are values.yaml's surprising scalars looked for.
_warnings_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar("deploykit_chart_warnings", default=False)


def _record(path: str, stat: os.stat_result | None = None) -> None:
    """Note a path the load read, with its stat if taken before the read (a change after it shows in the signature)."""
    reads = _reads.get()
    if reads is not None:
        reads.append((path, stat))


def _signature(reads: list[tuple[str, os.stat_result | None]]) -> tuple[tuple[str, int, int], ...] | None:
    try:
        return tuple((path, stat.st_mtime_ns, stat.st_size)
                     for path, stat in ((path, stat or os.stat(path)) for path, stat in reads))
    except OSError:
        return None


def load_chart(path: str | os.PathLike[str], *, report: list[problems.Problem] | None = None) -> Chart:
    """Load the chart at `path` (a chart folder or a .tgz archive).

    A chart loaded before in this process is reused when no folder or file it
    was read from has changed (same modification time and size).
    """
    display = os.fspath(path)
    key = f"{display}\0{os.path.realpath(display)}"
    cached = _LOADED.get(key)
    if cached is not None and _signature([(entry[0], None) for entry in cached[0]]) == cached[0]:
        return cached[1]
    found: list[problems.Problem] = report if report is not None else []
    reads: list[tuple[str, os.stat_result | None]] = []
    token = _reads.set(reads)
    warnings_token = _warnings_wanted.set(report is not None)
    try:
        chart = _load_path(display, origin=display.rstrip("/") or "/", report=found, stack=())
    finally:
        _reads.reset(token)
        _warnings_wanted.reset(warnings_token)
    if chart is None:
        raise errors.ChartError(
            f"{display}: no such chart folder or archive",
            hint="give the path of a folder holding Chart.yaml, or of a .tgz made by `helm package`",
        )
    signature = _signature(reads)
    if signature is not None:
        if len(_LOADED) >= 16:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = (signature, chart)
    return chart


def _load_path(path: str, *, origin: str, report: list[problems.Problem], stack: tuple[str, ...]) -> Chart | None:
    """The chart in the folder or .tgz at `path`, or None when there is neither."""
    stack = stack + (os.path.realpath(path),)
    if os.path.isdir(path):
        return _build(_read_folder(path), origin=origin, base_dir=path, report=report, stack=stack)
    if os.path.isfile(path):
        return _build(_read_archive_file(path), origin=origin, base_dir=_NO_BASE, report=report, stack=stack)
    return None


def _read_archive_file(path: str) -> dict[str, bytes]:
    _record(path)
    size = os.path.getsize(path)
    if size > unpacking.MAX_TOTAL_BYTES:
        raise errors.ArchiveError(f"{path}: the archive is {size} bytes, above the limit of {unpacking.MAX_TOTAL_BYTES}")
    with open(path, "rb") as handle:
        return unpacking.read_archive(handle.read(), archive=path)


class _Ignore:
    """The subset of .helmignore that charts use: globs, `dir/`, `/anchored`, comments."""

    def __init__(self, text: str) -> None:
        self.rules: list[tuple[str, bool, bool]] = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#") or line.startswith("!"):
                continue
            dir_only = line.endswith("/")
            line = line.strip("/")
            anchored = "/" in line
            self.rules.append((line, dir_only, anchored))

    def ignores(self, relative: str, *, is_dir: bool) -> bool:
        name = relative.rsplit("/", 1)[-1]
        for pattern, dir_only, anchored in self.rules:
            if dir_only and not is_dir:
                continue
            if fnmatch.fnmatchcase(relative if anchored else name, pattern):
                return True
        return False


def _read_folder(root: str) -> dict[str, bytes]:
    ignore_file = os.path.join(root, ".helmignore")
    ignore = _Ignore(open(ignore_file, encoding="utf-8", errors="replace").read()) if os.path.isfile(ignore_file) else _Ignore("")
    real_root = os.path.realpath(root)
    files: dict[str, bytes] = {}
    total = 0

    def visit(folder: str, prefix: str, holding: frozenset[str]) -> None:
        nonlocal total
        _record(folder)  # a folder's mtime changes when an entry is added or removed
        with os.scandir(folder) as entries:
            ordered = sorted(entries, key=lambda entry: entry.name)
        for entry in ordered:
            relative = prefix + entry.name
            if entry.name == ".git":
                continue
            path = _followed_link(entry.path, real_root=real_root, holding=holding) if entry.is_symlink() else entry.path
            if entry.is_dir():
                if not ignore.ignores(relative, is_dir=True):
                    visit(path, relative + "/", holding | {os.path.realpath(path)})
                continue
            if not entry.is_file() or ignore.ignores(relative, is_dir=False):
                continue  # sockets, FIFOs, broken links: nothing a chart can use
            stat = entry.stat()  # before the read: the signature of a file changed meanwhile differs next time
            size = stat.st_size
            if size > unpacking.MAX_FILE_BYTES:
                raise errors.ChartError(f"{entry.path}: {size} bytes is above the per-file limit of {unpacking.MAX_FILE_BYTES}", hint="add it to .helmignore if the chart does not need it")
            total += size
            if total > unpacking.MAX_TOTAL_BYTES or len(files) >= unpacking.MAX_FILES:
                raise errors.ChartError(f"{root}: the chart is larger than {unpacking.MAX_TOTAL_BYTES} bytes or {unpacking.MAX_FILES} files", hint="add what it does not need to .helmignore")
            _record(path, stat)
            files[relative] = _read_bytes(path, size)

    visit(root, "", frozenset({real_root}))
    return files


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_bytes(path: str, size: int) -> bytes:
    """A file's bytes with a bare descriptor: open().read() costs a buffered reader and four more system calls,
    3x the time of this for a chart's hundreds of small files. `size` (from a stat) sizes the first read; the file
    is read to its end whatever its size now."""
    descriptor = os.open(path, _READ_FLAGS)
    try:
        chunks = [os.read(descriptor, size + 1)]
        while chunk := os.read(descriptor, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(descriptor)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _followed_link(link: str, *, real_root: str, holding: frozenset[str]) -> str:
    """Where a link in a chart folder leads: inside the chart, never to a folder that holds it, never in a loop."""
    real = os.path.realpath(link)
    if not (real == real_root or real.startswith(real_root + os.sep)):
        raise errors.ChartError(
            f"{link}: is a link pointing out of the chart (to {real}); the chart was not loaded",
            hint="copy what it points to into the chart, or remove the link: a chart's links must stay inside it",
        )
    try:
        os.stat(link)
    except FileNotFoundError:
        return real  # a broken link: skipped like any entry that is neither file nor folder
    except OSError as exc:
        raise errors.ChartError(
            f"{link}: is a symbolic link loop ({exc.strerror}); the chart was not loaded",
            hint="remove the link, or point it at a file or folder of the chart",
        ) from None
    if real in holding:
        raise errors.ChartError(
            f"{link}: is a link to {real}, a folder that holds the link, so the chart would contain itself "
            "without end; the chart was not loaded",
            hint="remove the link; to vendor a chart as a subchart, copy its folder (or its .tgz) into charts/",
        )
    return real


def _text(data: bytes, source: str, report: list[problems.Problem]) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.append(problems.error(source, f"is not UTF-8 text (byte {exc.start})"))
        return None


def _parse_values(text: str | None, source: str, report: list[problems.Problem]) -> dict:
    """values.yaml as Helm's LoadValues reads it: every document, merged in order; surprising scalars are warnings."""
    if text is None:
        return {}
    merged: dict = {}
    for first_line, document in yamlcodec.split_documents(text):
        try:
            data = yamlcodec.load_fresh(document)
        except yamlcodec.YAMLError as exc:
            line = yamlcodec.error_line(exc, document)
            report.append(problems.error(source, f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                                         line=first_line + line if line is not None else None,
                                         hint="fix the chart's values.yaml at that line (`deploykit lint CHART` "
                                              "shows every problem)"))
            return {}
        if data is None:
            continue
        if not isinstance(data, dict):
            report.append(problems.error(source, f"must be a mapping of values, not {type(data).__name__}", line=first_line))
            return {}
        merged = yamlscalars.merge_documents(merged, data)
        for line, path, message in yamlcodec.surprises(document) if _warnings_wanted.get() else ():
            report.append(problems.warning(source, f"Values.{problems.field_path(path)}: {message}", line=first_line + line - 1,
                                           hint="quote it if you mean the string"))
    return merged


def _parse_schema(text: str | None, source: str, report: list[problems.Problem]) -> dict | None:
    if text is None:
        return None
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        report.append(problems.error(source, f"not valid JSON: {exc.msg}", line=exc.lineno))
        return None
    if not isinstance(schema, dict):
        report.append(problems.error(source, "must be a JSON Schema object"))
        return None
    return schema


def _digest(files: dict[str, bytes], subcharts: Iterable[Subchart]) -> str:
    hasher = hashlib.sha256()
    for name in sorted(files):
        hasher.update(name.encode())
        hasher.update(b"\0")
        hasher.update(hashlib.sha256(files[name]).digest())
    for sub in subcharts:
        hasher.update(f"{sub.key}\0{sub.chart.digest}".encode())
    return hasher.hexdigest()


def _fail_if_errors(report: list[problems.Problem], start: int) -> None:
    mine = [p for p in report[start:] if p.level == problems.ERROR]
    if mine:
        raise errors.ChartError(problems.describe(mine), hint=mine[0].hint)


def _build(files: dict[str, bytes], *, origin: str, base_dir: str | None, report: list[problems.Problem], stack: tuple[str, ...]) -> Chart:
    start = len(report)
    chart_yaml = files.get("Chart.yaml")
    if chart_yaml is None:
        raise errors.ChartError(
            f"{origin}: no Chart.yaml, so this is not a chart",
            hint="a chart folder holds Chart.yaml, values.yaml and templates/",
        )
    chart_text = _text(chart_yaml, f"{origin}/Chart.yaml", report)
    requirements = files.get("requirements.yaml")
    meta, found = chart_metadata.parse(
        chart_text or "",
        source=f"{origin}/Chart.yaml",
        requirements=requirements.decode("utf-8", "replace") if requirements is not None else None,
        requirements_source=f"{origin}/requirements.yaml",
    )
    report.extend(found)
    values = _parse_values(_decode(files, "values.yaml", origin, report), f"{origin}/values.yaml", report)
    schema_text = _decode(files, "values.schema.json", origin, report)
    schema = _parse_schema(schema_text, f"{origin}/values.schema.json", report)
    templates: dict[str, str] = {}
    crds: dict[str, str] = {}
    own_files: dict[str, bytes] = {}
    for name in sorted(files):
        if name.startswith("templates/"):
            text = _text(files[name], f"{origin}/{name}", report)
            if text is not None:
                templates[name[len("templates/"):]] = text
        elif name.startswith("charts/"):
            continue
        elif name in RESERVED_FILES:
            continue
        else:
            if name.startswith("crds/") and name.endswith((".yaml", ".yml", ".json")):
                text = _text(files[name], f"{origin}/{name}", report)
                if text is not None:
                    crds[name[len("crds/"):]] = text
            own_files[name] = files[name]
    _fail_if_errors(report, start)
    assert meta is not None
    subcharts = _subcharts(meta, files, origin=origin, base_dir=base_dir, report=report, stack=stack)
    return Chart(
        metadata=meta,
        origin=origin,
        templates=templates,
        files=own_files,
        crds=crds,
        values=values,
        schema=schema,
        subcharts=subcharts,
        digest=_digest(files, subcharts),
        schema_text=schema_text,
    )


def _decode(files: dict[str, bytes], name: str, origin: str, report: list[problems.Problem]) -> str | None:
    data = files.get(name)
    return None if data is None else _text(data, f"{origin}/{name}", report)


def _vendored(files: dict[str, bytes], *, origin: str, base_dir: str | None, report: list[problems.Problem], stack: tuple[str, ...]) -> list[tuple[Chart, str]]:
    """Charts vendored under charts/: folders and .tgz archives."""
    folders: dict[str, dict[str, bytes]] = {}
    archives: dict[str, bytes] = {}
    for name, data in files.items():
        if not name.startswith("charts/"):
            continue
        entry, _, rest = name[len("charts/"):].partition("/")
        if rest:
            folders.setdefault(entry, {})[rest] = data
        elif entry.endswith(".tgz"):
            archives[entry] = data
    found = []
    for entry in sorted(folders):
        if "Chart.yaml" not in folders[entry]:
            continue
        where = f"{origin}/charts/{entry}"
        sub_base = os.path.join(base_dir, "charts", entry) if base_dir else None
        found.append((_build(folders[entry], origin=where, base_dir=sub_base, report=report, stack=stack), f"charts/{entry}"))
    for entry in sorted(archives):
        where = f"{origin}/charts/{entry}"
        inner = unpacking.read_archive(archives[entry], archive=where)
        found.append((_build(inner, origin=where, base_dir=_NO_BASE, report=report, stack=stack), f"charts/{entry}"))
    return found


class _DependencyProblems:
    """Reports a problem with one `dependencies` entry at its line, then fails the load."""

    def __init__(self, meta: chart_metadata.ChartMetadata, origin: str, report: list[problems.Problem]) -> None:
        self.v2 = meta.api_version == "v2"
        self.source = meta.source if self.v2 else f"{origin}/requirements.yaml"
        self.text = meta.text if self.v2 else ""
        self.report = report

    def fail_file(self, source: str, message: str, *, hint: str | None = None) -> errors.ChartError:
        self.report.append(problems.error(source, message, hint=hint))
        return errors.ChartError(f"{source}: {message}", hint=hint)

    def fail(self, dependency: Dependency, message: str, *, hint: str | None = None) -> errors.ChartError:
        line = yamlcodec.line_of(self.text, ("dependencies", dependency.index)) if self.text else None
        problem = problems.error(self.source, f"{dependency.field}: {message}", line=line, hint=hint)
        self.report.append(problem)
        return errors.ChartError(f"{problem.location}: {problem.message}", hint=hint)


def _subcharts(meta: chart_metadata.ChartMetadata, files: dict[str, bytes], *, origin: str, base_dir: str | None, report: list[problems.Problem], stack: tuple[str, ...]) -> tuple[Subchart, ...]:
    vendored = _vendored(files, origin=origin, base_dir=base_dir, report=report, stack=stack)
    if not meta.dependencies and not vendored:
        return ()
    from deploykit.charts.dependencies import Dependency, Subchart  # only for a chart with dependencies

    used: set[int] = set()
    result: list[Subchart] = []
    refuse = _DependencyProblems(meta, origin, report)
    # Only a chart folder can be fixed with `dependency update`; a packaged chart is taken as it was packaged.
    lock = _current_lock(meta, files, origin=origin, refuse=refuse) if base_dir is not None else None
    for dependency in meta.dependencies:
        candidates = [(i, chart, where) for i, (chart, where) in enumerate(vendored) if chart.name == dependency.name and i not in used]
        remote = helmconfig.is_remote(dependency.repository)
        if candidates:
            matching = [c for c in candidates if _version_ok(dependency, c[1])]
            if not matching:
                _, chart, where = candidates[0]
                raise refuse.fail(
                    dependency,
                    f"{dependency.name} {chart.metadata.version} found at {origin}/{where} does not satisfy version {dependency.version!r}",
                    hint=f"run `deploykit dependency update {origin}`" if remote else "vendor a matching version or change the constraint",
                )
            if remote and lock is not None:
                matching = _pinned(dependency, matching, lock, origin=origin, refuse=refuse)
            index, chart, where = matching[0]
            used.add(index)
            result.append(Subchart(dependency, chart, where))
            continue
        if dependency.repository and dependency.repository.startswith("file://") and base_dir is not None:
            result.append(_from_repository(dependency, refuse=refuse, base_dir=base_dir, report=report, stack=stack))
            continue
        where = f" (repository {dependency.repository})" if dependency.repository else ""
        if remote:
            command = "build" if lock is not None else "update"
            raise refuse.fail(
                dependency,
                f"dependency {dependency.name!r}{where} is not in {origin}/charts/",
                hint=f"run `deploykit dependency {command} {origin}` to fetch "
                + ("the version Chart.lock pins" if lock is not None else "it and write Chart.lock"),
            )
        raise refuse.fail(
            dependency,
            f"dependency {dependency.name!r}{where} is not in {origin}/charts/",
            hint=f"vendor it into {origin}/charts/ as a folder or .tgz (for example with `helm dependency build`), "
            "or point repository at a local chart with file://../path; deploykit does not download charts",
        )
    # Helm treats every chart vendored in charts/ as a dependency, declared or not.
    for index, (chart, where) in enumerate(vendored):
        if index not in used:
            implicit = Dependency(name=chart.name, index=-1)
            if any(sub.key == implicit.key for sub in result):
                continue
            result.append(Subchart(implicit, chart, where))
    return tuple(result)


def _current_lock(meta: chart_metadata.ChartMetadata, files: dict[str, bytes], *, origin: str, refuse: _DependencyProblems) -> lockfile.Lock | None:
    """Chart.lock of a chart with remote dependencies; refused when it is out of date with Chart.yaml."""
    if not any(helmconfig.is_remote(d.repository) for d in meta.dependencies):
        return None
    from deploykit.charts import lockfile  # only for a chart with remote dependencies

    lock = lockfile.read(files, meta, origin=origin)
    if lock is not None and lockfile.is_current(lock, meta, files) is False:
        raise refuse.fail_file(
            lock.source,
            f"is out of date with {meta.source}: its digest does not match the dependencies declared now "
            f"({', '.join(d.name for d in meta.dependencies if helmconfig.is_remote(d.repository))})",
            hint=f"run `deploykit dependency update {origin}` to resolve them again and rewrite the lock",
        )
    return lock


def _pinned(dependency: Dependency, matching: list, lock: lockfile.Lock, *, origin: str, refuse: _DependencyProblems) -> list:
    """The vendored charts at the version Chart.lock pins for `dependency` (the lock is current, so entries line up)."""
    pinned = str(lock.dependencies[dependency.index].get("version")) if dependency.index < len(lock.dependencies) else None
    kept = [c for c in matching if c[1].metadata.version == pinned]
    if pinned is not None and not kept:
        _, chart, where = matching[0]
        raise refuse.fail(
            dependency,
            f"{dependency.name} {chart.metadata.version} found at {origin}/{where} is not the version {lock.source} pins ({pinned})",
            hint=f"run `deploykit dependency build {origin}` to fetch the pinned version",
        )
    return kept or matching


def _version_ok(dependency: Dependency, chart: Chart) -> bool:
    if not dependency.version:
        return True
    from deploykit.charts import constraints  # only for a chart with dependencies

    return constraints.parse_constraint(dependency.version).allows(semver.parse_version(chart.metadata.version))


def _from_repository(dependency: Dependency, *, refuse: _DependencyProblems, base_dir: str, report: list[problems.Problem], stack: tuple[str, ...]) -> Subchart:
    relative = dependency.repository[len("file://"):]  # type: ignore[index]
    path = os.path.normpath(os.path.join(base_dir, relative))
    real = os.path.realpath(path)
    if real in stack:
        raise refuse.fail(dependency, f"{dependency.repository} leads back to a chart already being loaded ({path}): dependency cycle")
    chart = _load_path(path, origin=path, report=report, stack=stack)
    if chart is None:
        raise refuse.fail(
            dependency,
            f"repository {dependency.repository} points to {path}, which does not exist",
            hint="file:// paths are relative to the chart folder",
        )
    if chart.name != dependency.name:
        raise refuse.fail(dependency, f"{path} holds chart {chart.name!r}, not {dependency.name!r}")
    if not _version_ok(dependency, chart):
        raise refuse.fail(dependency, f"{dependency.name} {chart.metadata.version} at {path} does not satisfy version {dependency.version!r}")
    from deploykit.charts.dependencies import Subchart

    return Subchart(dependency, chart, dependency.repository or path)
