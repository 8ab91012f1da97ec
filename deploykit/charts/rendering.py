"""Rendering a chart tree: templates to text, text to the typed `Rendered` result.

Owns: the template context of each chart (`Values`, `Release`, `Chart`,
`Capabilities`, `Files`, `Template`), rendering every template of every
enabled application chart (files starting with `_` hold macros only;
NOTES.txt of the root chart is rendered apart and never applied), the
kubeVersion check against the target, and turning every template failure
into a problem that names the template, the line and what is wrong: a
missing value path, a syntax error, the author's `required` message, an
include outside the chart. Secret strings are masked in every message.
The whole render runs under its bounds (`limits`): past the timeout or the
output size it stops with one problem at the template line that was running.

Must not: merge values (the caller passes a resolved tree), touch files
outside the cache, or print. Without `report`, any error raises one
`RenderError` listing them all; with `report`, problems are collected and
the best possible result is returned (lint).
"""

from __future__ import annotations

import posixpath
from types import TracebackType
from typing import Any, Collection, Iterator

import jinja2

from deploykit import errors
from deploykit.charts import assembling, context, environment, helpers, kubeapis, limits, problems, semver, yamlcodec
from deploykit.charts.chart import NOTES
from deploykit.charts.manifests import Rendered
from deploykit.charts.metadata import kube_version_problem
from deploykit.charts.resolving import ChartNode
from deploykit.frozen import frozen


@frozen
class Target:
    """Where the render is going: the release, and the Kubernetes version and APIs it offers."""

    release: context.ReleaseInfo = context.ReleaseInfo()
    kube_version: str = kubeapis.DEFAULT_KUBE_VERSION
    api_versions: tuple[str, ...] = ()


def kube_version_info(text: str) -> context.KubeVersion:
    """`Capabilities.KubeVersion` for `1.30`, `v1.30.2` or `v1.29.3-gke.1`; ValueError if unreadable."""
    version = semver.parse_version(text)
    pre = "-" + ".".join(version.prerelease) if version.prerelease else ""
    return context.KubeVersion(Version=f"v{version.major}.{version.minor}.{version.patch}{pre}", Major=str(version.major), Minor=str(version.minor))


def render(
    root: ChartNode,
    *,
    target: Target = Target(),
    secrets: Collection[str] = (),
    report: list[problems.Problem] | None = None,
    check_partials: bool = False,
    bounds: limits.RenderLimits = limits.RenderLimits(),
) -> Rendered:
    """Render the tree; see the module docstring for `report`. `check_partials` compiles `_*` files too.

    A render that goes past `bounds` (time, output size) stops there with one problem naming the template.
    """
    try:
        with limits.bounded(bounds):
            return _render(root, target=target, secrets=secrets, report=report, check_partials=check_partials)
    except limits.RenderStopped as exc:
        problem = _stopped(exc, env=environment.environment_for(root.chart), bounds=bounds, secrets=secrets)
        return finish(Rendered(manifests=()), [problem], report)
    finally:
        environment.save_compiled(root.chart)  # what this render compiled, for the next process


def _render(
    root: ChartNode,
    *,
    target: Target,
    secrets: Collection[str],
    report: list[problems.Problem] | None,
    check_partials: bool,
) -> Rendered:
    found: list[problems.Problem] = []
    if root.chart.metadata.is_library and check_partials:
        # Lint of a library chart: its macro files must compile; there is nothing to render.
        return finish(Rendered(manifests=()), _compile_partials(environment.environment_for(root.chart), root, secrets), report)
    if root.chart.metadata.is_library:
        found.append(
            problems.error(
                root.chart.metadata.source,
                f"{root.chart.name} is a library chart: it renders nothing by itself",
                hint="render an application chart that lists it under dependencies and imports its macros",
            )
        )
        return finish(Rendered(manifests=()), found, report)
    found.extend(kube_version_problems(root, target.kube_version))
    if any(p.level == problems.ERROR for p in found):
        return finish(Rendered(manifests=()), found, report)
    env = environment.environment_for(root.chart)
    capabilities = _capabilities(target)
    outputs: list[tuple[str, str]] = []
    crd_files: list[tuple[str, str]] = []
    notes: str | None = None
    for node in root.walk():
        crd_files.extend((f"{node.prefix}/crds/{name}", text) for name, text in sorted(node.chart.crds.items()))
        if check_partials:
            found.extend(_compile_partials(env, node, secrets))
        if node.chart.metadata.is_library:
            continue
        variables = {
            "Values": context.wrap_values(node.values),
            "Release": target.release,
            "Chart": context.ChartInfo.of(node.chart),
            "Capabilities": capabilities,
            "Files": context.Files(node.chart.files),
        }
        for name in sorted(node.chart.templates):
            full = f"{node.prefix}/templates/{name}"
            if posixpath.basename(name).startswith("_"):
                continue
            is_notes = name == NOTES
            if is_notes and node is not root:
                continue  # Helm shows only the top chart's notes
            text = _render_one(env, full, variables, secrets=secrets, report=found)
            if text is None:
                continue
            if is_notes:
                notes = text
            else:
                outputs.append((full, text))
    rendered = assembling.assemble(outputs, crd_files=crd_files, notes=notes, namespace=target.release.Namespace, secrets=secrets, report=found)
    return finish(rendered, found, report)


def finish(rendered: Rendered, found: list[problems.Problem], report: list[problems.Problem] | None) -> Rendered:
    """With `report`, the problems go there and the result is returned; without, any error raises one RenderError."""
    if report is not None:
        report.extend(found)
        return rendered
    failures = [p for p in found if p.level == problems.ERROR]
    if failures:
        raise errors.RenderError(problems.describe(failures), hint=failures[0].hint)
    return rendered


def kube_version_problems(root: ChartNode, kube_version: str) -> list[problems.Problem]:
    """A problem per chart of the tree whose Chart.yaml kubeVersion the target version does not satisfy."""
    found = []
    for node in root.walk():
        reason = kube_version_problem(node.chart.metadata, kube_version)
        if reason:
            found.append(problems.error(node.chart.metadata.source, reason, line=yamlcodec.line_of(node.chart.metadata.text, ("kubeVersion",)), hint="pass the cluster's version with --kube-version"))
    return found


def target_kube_version(target: Target) -> context.KubeVersion:
    """`Capabilities.KubeVersion` of the target; UsageError naming --kube-version when it is not a version."""
    try:
        return kube_version_info(target.kube_version)
    except ValueError as exc:
        raise errors.UsageError(f"--kube-version {target.kube_version!r}: {exc}", hint="e.g. --kube-version v1.30.0") from None


def _capabilities(target: Target) -> context.Capabilities:
    kube = target_kube_version(target)

    def everything() -> Iterator[str]:
        yield from kubeapis.api_versions(kube.Version)
        yield from target.api_versions

    return context.Capabilities(KubeVersion=kube, APIVersions=context.APIVersions(everything))


def _render_one(env: jinja2.Environment, name: str, variables: dict[str, Any], *, secrets: Collection[str], report: list[problems.Problem]) -> str | None:
    try:
        template = env.get_template(name)
        text = template.render({**variables, "Template": context.TemplateInfo.of(name), helpers.INCLUDE_STACK: (name,)})
        limits.charge(len(text), template=name)
        return text
    except limits.RenderStopped as exc:
        exc.template = getattr(exc, "template", None) or name
        raise
    except Exception as exc:  # noqa: BLE001 - every template failure becomes a located problem
        report.append(_problem(exc, name, env=env, secrets=secrets))
        return None


def _stopped(exc: limits.RenderStopped, *, env: jinja2.Environment, bounds: limits.RenderLimits, secrets: Collection[str]) -> problems.Problem:
    """The problem for a render stopped at a bound, located at the template line that was running."""
    sources = env.loader.sources  # type: ignore[union-attr]
    outer = inner = None
    line: int | None = None
    tb = exc.__traceback__
    while tb is not None:  # a stop is a BaseException: Jinja did not rewrite the traceback to template lines
        name = tb.tb_frame.f_code.co_filename
        if name in sources:
            outer = outer or name
            inner, line = name, env.get_template(name).get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    file = inner or getattr(exc, "template", None) or "templates"
    if isinstance(exc, limits.RenderTimeout):
        message = f"rendering took longer than {bounds.timeout:g} s, the render timeout; stopped here"
        hint = ("look for a loop that does not end, or nested loops over large ranges; if the chart is only slow, "
                "raise the bound with --render-timeout SECONDS or DEPLOYKIT_RENDER_TIMEOUT")
    else:
        message = exc.message
        hint = ("look for a loop or a `*` that makes far more text than meant; if the release is really that large, "
                "raise the bound with --render-max-output CHARACTERS or DEPLOYKIT_RENDER_MAX_OUTPUT")
    if outer and outer != inner:
        message += f" (while rendering {outer})"
    return problems.error(file, problems.mask(message, secrets), line=line, hint=hint)


def _compile_partials(env: jinja2.Environment, node: ChartNode, secrets: Collection[str]) -> list[problems.Problem]:
    found = []
    for name in sorted(node.chart.templates):
        if posixpath.basename(name).startswith("_"):
            full = f"{node.prefix}/templates/{name}"
            try:
                env.get_template(full)
            except Exception as exc:  # noqa: BLE001
                found.append(_problem(exc, full, env=env, secrets=secrets))
    return found


def _locate(tb: TracebackType | None, known: Collection[str]) -> tuple[str, int] | None:
    """The innermost template frame of a traceback (Jinja rewrites frames to template lines)."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename in known:
            found = (filename, tb.tb_lineno)
        elif filename == "<template>" and found is not None:
            found = (found[0] + " (in a tpl string)", found[1])
        tb = tb.tb_next
    return found


def _secret_tpl_problem(exc: BaseException, name: str, *, env: jinja2.Environment, secrets: Collection[str]) -> problems.Problem | None:
    """The problem of `tpl` failing on a string holding a secret, or None: Jinja's message would
    quote fragments of the secret (`'w0rd' is undefined`, `got 'f3a91'`), so it is left out."""
    failed = next((source for source in helpers.tpl_sources(exc) if any(secret in source.text for secret in secrets)), None)
    if failed is None:
        return None
    located = _locate(exc.__traceback__, env.loader.sources)  # type: ignore[union-attr]
    file, line = located if located else (name, None)
    where = failed.values_path or "a string built from one"
    return problems.error(
        file,
        f"tpl failed on a secret value: {where} (the template error is not shown: it would quote the secret)",
        line=line,
        hint="a secret is not a template: insert it without tpl, or keep `{{`, `{%` and `{#` out of it",
    )


_SYNTAX_HINT = "fix the Jinja2 syntax at that line; `deploykit lint CHART` lists every problem of the chart at once"


def _problem(exc: BaseException, name: str, *, env: jinja2.Environment, secrets: Collection[str]) -> problems.Problem:
    secret_tpl = _secret_tpl_problem(exc, name, env=env, secrets=secrets)
    if secret_tpl is not None:
        return secret_tpl
    hint = None
    if isinstance(exc, jinja2.TemplateSyntaxError):
        file, line = exc.name or exc.filename or name, exc.lineno
        message = f"template syntax error: {exc.message}"
        hint = "Jinja2, not Go templates: arguments go in parentheses (`| nindent(4)`, `include(\"x.yaml\")`), values are `Values.x`, not `.Values.x`" if "end of print statement" in (exc.message or "") or exc.message == "unexpected '.'" else _SYNTAX_HINT
    else:
        located = _locate(exc.__traceback__, env.loader.sources)  # type: ignore[union-attr]
        file, line = located if located else (name, None)
        if isinstance(exc, jinja2.UndefinedError):
            message = exc.message or "undefined value"
            if message.startswith("Values"):
                hint = "set it in values.yaml, a -f file or --set; or guard it with `is defined` or `| default(...)`"
        elif isinstance(exc, jinja2.TemplateNotFound) and not isinstance(exc, jinja2.TemplatesNotFound):
            asked = getattr(env, "requested", {}).get(exc.name, exc.name)
            message = f"no template {asked!r} (looked for {exc.name})"
            hint = "import and include find the chart's own templates by their path below templates/, and a dependency's as <name or alias>/<path>"
        elif isinstance(exc, jinja2.TemplatesNotFound):
            message = f"no template among {exc.templates!r} in the chart"
        elif isinstance(exc, (helpers.TemplateFailure, context.FileAccessError)):
            message = str(exc.args[0]) if exc.args else type(exc).__name__
            if isinstance(exc, environment.TemplatePathError):
                hint = "name the template by its path below templates/ (a dependency's as <name or alias>/<path>)"
        elif isinstance(exc, jinja2.exceptions.SecurityError):
            message = f"not allowed in a chart template: {exc}"
        elif isinstance(exc, MemoryError):
            message = "out of memory: a value or an output far too large"
        elif isinstance(exc, RecursionError):
            message = "recursion too deep (a macro or include calls itself)"
        else:
            message = f"{type(exc).__name__}: {exc}"
        if file != name and located:
            message += f" (while rendering {name})"
    return problems.error(file, problems.mask(message, secrets), line=line, hint=hint)
