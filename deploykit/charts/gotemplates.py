"""Go-template (Helm) charts: rendered by Helm 4's own engine, read back into the typed `Rendered`.

Owns handing a resolved chart tree to Helm (helm_python, imported here and
only when a Go-template chart is rendered): the chart as Helm loads it, from
its folder or archive, or from an archive made in memory when a dependency is
a `file://` chart outside charts/ (a chart without subcharts stays loaded for
the next render of the same files: `_LoadedCharts`); the values (see
`helm_values`: only what differs from the chart's defaults); the release
(Name, Namespace, Revision, IsInstall, IsUpgrade); `.Capabilities` set to the
target's version and API versions (the built-in API of that version plus
--api-versions, as for Jinja2 charts); `lookup` answered by the target
cluster when one is given (plan, upgrade: through the cluster's lookup
endpoint, whose Secret values become `Rendered.read_secrets`), empty
otherwise (template, lint). Helm's output becomes the same `Rendered` as a
Jinja2 chart's (manifests with template and line, hooks, crds/ of every
enabled chart, the root chart's NOTES.txt), and Helm's errors
(`execution error at (web/templates/x.yaml:12:20): ...`, parse errors,
`fail`) become problems naming the template file and line, every secret
string masked. The render runs under its bounds on a worker thread: past the
timeout the call is abandoned (a Go call cannot be interrupted: it runs on,
in a daemon thread that does not hold up the process's exit) and the render
fails naming the templates with a loop; output past the size bound fails it too.

Must not: merge values beyond marking deletions (the release layer composes
them), talk to a cluster itself (Helm's `lookup` does), or print.
"""

from __future__ import annotations

import dataclasses
import io
import json
import marshal
import os
import queue
import re
import tarfile
import threading
from typing import Any, Collection

from deploykit import errors, wording
from deploykit.charts import assembling, gofunctions, kubeapis, limits, packing, problems, unpacking
from deploykit.charts.chart import NOTES, Chart
from deploykit.charts.clusters import Cluster
from deploykit.charts.manifests import Rendered
from deploykit.charts.rendering import Target, finish, kube_version_problems, target_kube_version
from deploykit.charts.resolving import ChartNode

# Where Helm locates a failure: `web/templates/x.yaml:12` (then `:col`), in every message shape it has.
_UNKNOWN_FUNCTION = re.compile(r'function "(?P<name>[^"]+)" not defined')
_UNKNOWN_TEMPLATE = re.compile(r'no template "(?P<name>[^"]+)" associated with template "[^"]*"')
_LOCATION = re.compile(r"(?P<file>[^\s:()\"<>]+/templates/[^\s:()\"<>]+):(?P<line>\d+)(?::\d+)?")
_EXECUTION = re.compile(r"^execution error at \([^)]*\):\s*", re.S)
_PARSE = re.compile(r"^parse error at \([^)]*\):\s*", re.S)


def helm_values(composed: dict, defaults: dict) -> dict:
    """The values to give Helm: what differs from the chart's defaults, and a null where the user deleted a default.

    Helm reads the chart's values.yaml itself and coalesces it under what it
    is given: a value equal to its default (same type too: `true` is not `1`)
    need not cross into Go again, and a default the user's null removed must
    be named null to stay removed. The null markers over subchart defaults
    stay in `composed` as they are.
    """
    given: dict = {}
    for key, value in composed.items():
        if key not in defaults:
            given[key] = value
            continue
        default = defaults[key]
        if isinstance(value, dict) and isinstance(default, dict):
            nested = helm_values(value, default)
            if nested:
                given[key] = nested
        elif not _same(value, default):
            given[key] = value
    for key in defaults:
        if key not in composed:
            given[key] = None
    return given


def _same(value: Any, default: Any) -> bool:
    """Equal and of the same types all through (marshal writes types; it refuses subclasses such as secret strings)."""
    if value is default:
        return True
    try:
        return marshal.dumps(value) == marshal.dumps(default)
    except ValueError:
        return False


def render(
    root: ChartNode,
    *,
    chart_path: str,
    values: dict,
    target: Target = Target(),
    cluster: Cluster | None = None,
    secrets: Collection[str] = (),
    report: list[problems.Problem] | None = None,
    bounds: limits.RenderLimits = limits.RenderLimits(),
    library_ok: bool = False,
    skip_schema: bool = False,
) -> Rendered:
    """Render the tree with Helm; without `report`, any error raises one RenderError, else problems go to `report`.

    A library chart at the root renders nothing: an error, unless `library_ok` (lint of the library itself).
    Helm checks values.schema.json itself (deploykit checked it before, with its own messages): `skip_schema`
    (--skip-schema-validation) hands Helm the chart without its schema files.
    """
    found: list[problems.Problem] = []
    if root.chart.metadata.is_library and library_ok:
        return Rendered(manifests=())
    rendered = _render(root, chart_path=chart_path, values=values, target=target, cluster=cluster, secrets=secrets,
                       bounds=bounds, found=found, skip_schema=skip_schema)
    return finish(rendered, found, report)


def _render(root: ChartNode, *, chart_path: str, values: dict, target: Target, cluster: Cluster | None,
            secrets: Collection[str], bounds: limits.RenderLimits, found: list[problems.Problem],
            skip_schema: bool) -> Rendered:
    empty = Rendered(manifests=())
    if root.chart.metadata.is_library:
        found.append(problems.error(root.chart.metadata.source, f"{root.chart.name} is a library chart: it renders nothing by itself",
                                    hint="render an application chart that lists it under dependencies and includes its templates"))
        return empty
    found.extend(kube_version_problems(root, target.kube_version))
    if found:
        return empty
    version = target_kube_version(target).Version
    release = target.release
    options = {
        "name": release.Name, "namespace": release.Namespace, "revision": release.Revision,
        "is_install": release.IsInstall, "is_upgrade": release.IsUpgrade,
        "kube_version": version, "api_versions": [*kubeapis.api_versions(version), *target.api_versions],
    }
    lookup = cluster.lookup if cluster is not None else None
    try:
        given = json.dumps(values, default=str) if values else None  # None: Helm takes the chart's defaults as they are
        text = _bounded(lambda: _helm_render(root.chart, chart_path, given, json.dumps(options), cluster, skip_schema), bounds)
    except _HelmFailure as failure:
        secrets = _with_read(secrets, lookup)
        defined = gofunctions.defined_templates(text for node in root.walk() for text in node.chart.templates.values())
        found.append(_problem(failure.detail, failure.kind, secrets, schema_file=root.chart.schema_file, defined=defined))
        return empty
    except _Stopped:
        found.append(_timeout_problem(root, bounds.timeout))
        return empty
    outputs = json.loads(text)
    size = sum(len(body) for body in outputs.values())
    if size > bounds.max_output:
        found.append(problems.error(f"{root.prefix}/templates", f"the templates produced {size:,} characters, above the render's "
                                    f"output limit of {bounds.max_output:,}",
                                    hint="look for a range that makes far more text than meant; if the release is really that large, "
                                    "raise the bound with --render-max-output CHARACTERS or DEPLOYKIT_RENDER_MAX_OUTPUT"))
        return empty
    read = lookup.secrets_read() if lookup is not None else frozenset()
    rendered = _assemble(root, outputs, namespace=release.Namespace, secrets=_with_read(secrets, lookup), found=found)
    return dataclasses.replace(rendered, read_secrets=read) if read else rendered


def _with_read(secrets: Collection[str], lookup: Any) -> Collection[str]:
    """The render's secrets and every Secret value Helm's `lookup` read, for masking messages."""
    read = lookup.secrets_read() if lookup is not None else frozenset()
    return {*secrets, *read} if read else secrets


def _timeout_problem(root: ChartNode, timeout: float) -> problems.Problem:
    """The render ran past its timeout: Helm does not say where it was, so the templates with a loop are named."""
    loops = gofunctions.looping((f"{node.prefix}/templates/{name}", text)
                                for node in root.walk() for name, text in sorted(node.chart.templates.items()))
    where = f" (Helm does not say where; the templates with a loop: {', '.join(loops[:5])}{', ...' if len(loops) > 5 else ''})"
    return problems.error(loops[0] if len(loops) == 1 else f"{root.prefix}/templates",
                          f"rendering took longer than {timeout:g} s, the render timeout; stopped{where if len(loops) > 1 else ''}",
                          hint="look for a loop that does not end, or ranges over huge lists; if the chart is only slow, "
                          "raise the bound with --render-timeout SECONDS or DEPLOYKIT_RENDER_TIMEOUT")


def _assemble(root: ChartNode, outputs: dict[str, str], *, namespace: str, secrets: Collection[str],
              found: list[problems.Problem]) -> Rendered:
    """Helm's output in the order a Jinja2 chart's would be (chart by chart, template names sorted), as `Rendered`."""
    ordered: list[tuple[str, str]] = []
    crd_files: list[tuple[str, str]] = []
    for node in root.walk():
        crd_files.extend((f"{node.prefix}/crds/{name}", text) for name, text in sorted(node.chart.crds.items()))
        for name in sorted(node.chart.templates):
            full = f"{node.prefix}/templates/{name}"
            if full in outputs and name != NOTES:
                ordered.append((full, outputs.pop(full)))
    notes = outputs.pop(f"{root.prefix}/templates/{NOTES}", None)
    # Anything else Helm rendered (it should agree with the tree on the enabled charts); a subchart's notes are not shown.
    ordered.extend((name, text) for name, text in sorted(outputs.items()) if not name.endswith(f"/templates/{NOTES}"))
    return assembling.assemble(ordered, crd_files=crd_files, notes=notes, namespace=namespace, secrets=secrets, report=found)


class _HelmFailure(Exception):
    def __init__(self, detail: str, kind: str) -> None:
        super().__init__(kind)
        self.detail = detail
        self.kind = kind


class _Stopped(Exception):
    pass


class _Worker:
    """A thread that makes Helm's calls, kept for the next render (a new thread per render costs Go a new binding)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[tuple[Any, dict[str, Any], threading.Event]] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="deploykit-helm-render", daemon=True).start()

    def _serve(self) -> None:
        while True:
            call, box, done = self.jobs.get()
            try:
                box["text"] = call()
            except BaseException as exc:  # noqa: BLE001 - carried to the waiting thread
                box["error"] = exc
            done.set()


_idle_workers: list[_Worker] = []
_workers_lock = threading.Lock()


def _bounded(call: Any, bounds: limits.RenderLimits) -> str:
    """`call()` on a Helm worker thread, waited on for the render timeout.

    A Go call cannot be stopped: past the timeout its worker is left to finish
    on its own (a daemon thread: the process still exits at once) and never
    used again.
    """
    with _workers_lock:
        worker = _idle_workers.pop() if _idle_workers else None
    worker = worker or _Worker()
    box: dict[str, Any] = {}
    done = threading.Event()
    worker.jobs.put((call, box, done))
    if not done.wait(bounds.timeout):
        raise _Stopped()
    with _workers_lock:
        _idle_workers.append(worker)
    if "error" in box:
        raise box["error"]
    return box["text"]


def _helm_render(chart: Chart, path: str, values: str | None, options: str, cluster: Cluster | None,
                 skip_schema: bool) -> str:
    import helm_python
    from helm_python import _native  # the wrapper passes neither kube_version nor api_versions: the native call does

    key = (os.path.realpath(path), chart.digest, skip_schema)
    loaded = _loaded_charts.take(key)
    if loaded is None:
        loaded = _load(helm_python, chart, path, skip_schema=skip_schema)
        # Asked before the render: it may switch a subchart off in the loaded chart.
        key = None if json.loads(_native.call_string("helm_chart_dependencies", loaded._raw())) else key
    try:
        if cluster is None:
            text = _native.call_string("helm_render", loaded._raw(), values, options)
        else:
            kubeconfig, context = (cluster.lookup.kubeconfig(), None) if cluster.lookup else (cluster.kubeconfig, cluster.context)
            with helm_python.Config(kubeconfig_path=kubeconfig, kube_context=context) as config:
                text = _native.call_string("helm_render_with_config", config._raw(), loaded._raw(), values, options)
    except helm_python.HelmKubeError as exc:
        loaded.close()
        raise errors.KubeError(f"Helm's lookup could not reach the cluster: {exc.detail.splitlines()[0] if exc.detail else exc}",
                               hint="check the kubeconfig and context (--kubeconfig, --kube-context)") from None
    except helm_python.HelmError as exc:
        loaded.close()
        raise _HelmFailure(exc.detail or str(exc), type(exc).__name__) from None
    _loaded_charts.give_back(key, loaded)
    return text


class _LoadedCharts:
    """Charts Helm has loaded, kept for the next render of the same files (loading is a quarter of Helm's time).

    Keyed by the chart's path and deploykit's digest of the files it read for
    this render, so a changed file is a new key, never a stale chart. Only a
    chart without subcharts is kept: Helm's render writes into a loaded chart's
    subcharts and values (switched-off subcharts, globals). A chart is lent to
    one render at a time; a second render at once loads its own.
    """

    LIMIT = 8

    def __init__(self) -> None:
        self._idle: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def take(self, key: tuple) -> Any:
        with self._lock:
            return self._idle.pop(key, None)

    def give_back(self, key: tuple | None, loaded: Any) -> None:
        """Keep `loaded` for the next render of `key`; None: a chart with subcharts, closed."""
        if key is None:
            loaded.close()
            return
        with self._lock:
            evicted = [self._idle.pop(key, None)]
            if len(self._idle) >= self.LIMIT:
                evicted.append(self._idle.pop(next(iter(self._idle))))
            self._idle[key] = loaded
        for old in evicted:
            if old is not None:
                old.close()


_loaded_charts = _LoadedCharts()


def _load(helm_python: Any, chart: Chart, path: str, *, skip_schema: bool) -> Any:
    """The chart as Helm loads it: from `path` itself, or from an archive made in memory when a dependency lies
    outside it or the schema files are left out."""
    if _all_vendored(chart) and not skip_schema:
        return helm_python.Chart.load(path)
    files = packing.source_files(path, chart)
    if set(files) == {packing.ARCHIVE_NAME}:
        if not skip_schema:
            return helm_python.Chart.load_archive(files[packing.ARCHIVE_NAME])
        files = unpacking.read_archive(files[packing.ARCHIVE_NAME], archive=path)
    if skip_schema:
        files = {name: data for name, data in files.items() if not name.endswith("values.schema.json")}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(f"{chart.name}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return helm_python.Chart.load_archive(buffer.getvalue())


def _all_vendored(chart: Chart) -> bool:
    return all(sub.found_at.startswith("charts/") and _all_vendored(sub.chart) for sub in chart.subcharts)


def _problem(detail: str, kind: str, secrets: Collection[str], *, schema_file: str = "values.schema.json",
             defined: Collection[str] = ()) -> problems.Problem:
    """A problem for one of Helm's messages: the template file and line it names, the message without Go's framing."""
    located = _LOCATION.search(detail)
    file, line = (located["file"], int(located["line"])) if located else ("templates", None)
    hint = None
    if _EXECUTION.match(detail):  # required / fail: the chart author's own message
        message = _EXECUTION.sub("", detail, count=1)
        hint = "the chart stopped the render on purpose: give the value its message asks for (values.yaml, -f or --set)"
    elif _PARSE.match(detail):
        message = "template syntax error: " + _PARSE.sub("", detail, count=1)
        hint = "Go templates: check the action's syntax and that every if/range/with/define has its {{ end }}"
        unknown = _UNKNOWN_FUNCTION.search(message)
        if unknown:
            guess = wording.did_you_mean(unknown["name"], gofunctions.FUNCTIONS)
            message += f" (did you mean {guess!r}?)" if guess else ""
            hint = "not a function of Helm's templates (Go's, Sprig's, include, tpl, required, toYaml, lookup): check its spelling"
    else:
        message = detail[len("template: "):] if detail.startswith("template: ") else detail
        if located and message.startswith(located.group(0)):
            message = message[len(located.group(0)):].lstrip(": \n")
        missing = _UNKNOWN_TEMPLATE.search(message)
        if missing:
            guess = wording.did_you_mean(missing["name"], defined)
            message = message.replace(missing.group(0), f'no template "{missing["name"]}"')
            message += f" (did you mean {guess!r}?)" if guess else ""
            hint = (f'define it with {{{{ define "{missing["name"]}" }}}} ... {{{{ end }}}} in a templates/_helpers.tpl of the chart '
                    "or a dependency, or include a name that is defined")
        if "nil pointer evaluating" in message:
            hint = "a value on that path is not set: set it (values.yaml, -f or --set), or guard it with `if`, `with` or `default`"
    if kind == "HelmValuesError":  # Helm's own values.schema.json check (deploykit's passed)
        file, message = schema_file, f"Helm's check of the values against the schema failed: {message}"
        hint = "change the values named (values.yaml, -f or --set), or render with --skip-schema-validation"
    message = " ".join(part.strip() for part in message.splitlines() if part.strip())
    return problems.error(file, problems.mask(message, secrets), line=line, hint=hint)
