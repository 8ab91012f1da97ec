"""The render action: from command-line inputs to rendered, checked manifests (and lint).

Owns the script of a render, phase by phase: load the chart, compose values
(chart defaults < each -f file < --set*), resolve the subchart tree, validate
every chart's values.schema.json, render (bounded in time and output size:
--render-timeout, --render-max-output or their DEPLOYKIT_RENDER_* variables).
`render` stops at the first phase that fails with a `DeploykitError` listing
every problem of that phase; `lint` runs every phase it can and returns every
problem it found, adding the checks only lint makes (macro files compiled,
kinds the target version does not serve). Both refuse objects the target
version's API would reject (its schema: unknown fields, wrong types; the
values the API server checks beyond it; apiVersions it no longer serves) and
custom resources the chart's own CRDs reject; `render` skips schema checks
with skip_schema_validation.

Must not: print (the CLI does), talk to a cluster, or put a secret value in
any message: secret leaves (per provenance) are masked in render errors.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Collection

from deploykit import errors
from deploykit.charts import checking, context, customresources, engines, limits, loading, problems, resolving
from deploykit.charts import rendering as chart_rendering
from deploykit.charts.chart import Chart
from deploykit.charts.manifests import Rendered
from deploykit.frozen import frozen
from deploykit.release.inputs import RenderOptions, check_identity, collect_layers, refuse_ciphertext
from deploykit.secrets import ciphertexts, redaction
from deploykit.values import loading as values_loading
from deploykit.values import merging, paths, provenance, scoping
from deploykit.values.layers import ValuesLayer

if TYPE_CHECKING:
    from deploykit.values import schema


@frozen
class RenderResult:
    """A rendered release: the chart, the values it was rendered with, and the objects."""

    chart: Chart
    values: provenance.Values
    tree: resolving.ChartNode
    rendered: Rendered
    engine: str = engines.JINJA2  # the template engine that rendered it: records keep it for re-renders


def _target(options: RenderOptions) -> chart_rendering.Target:
    return chart_rendering.Target(
        release=context.ReleaseInfo(
            Name=options.release,
            Namespace=options.namespace,
            Revision=options.revision,
            IsInstall=not options.is_upgrade,
            IsUpgrade=options.is_upgrade,
        ),
        kube_version=options.kube_version,
        # --api-versions, then what the target cluster serves (plan, upgrade): not inputs, so not in the digest
        api_versions=tuple(options.api_versions) + (options.cluster.api_versions if options.cluster else ()),
    )


TIMEOUT_ENV = "DEPLOYKIT_RENDER_TIMEOUT"
MAX_OUTPUT_ENV = "DEPLOYKIT_RENDER_MAX_OUTPUT"


def _bounds(options: RenderOptions) -> limits.RenderLimits:
    """The render's bounds: the flags, else the environment variables, else the defaults; each must be positive."""
    timeout = _bound(options.render_timeout, "--render-timeout", TIMEOUT_ENV, float, limits.DEFAULT_TIMEOUT)
    max_output = _bound(options.render_max_output, "--render-max-output", MAX_OUTPUT_ENV, int, limits.DEFAULT_MAX_OUTPUT)
    return limits.RenderLimits(timeout=timeout, max_output=max_output)


def _bound(given: float | None, flag: str, variable: str, kind: type, default: float) -> Any:
    source, value = flag, given
    if value is None and os.environ.get(variable, "").strip():
        source, text = variable, os.environ[variable].strip()
        try:
            value = kind(text)
        except ValueError:
            raise errors.UsageError(f"{variable}={text!r} is not a {'number' if kind is float else 'whole number'}") from None
    if value is None:
        return default
    if not value > 0:
        shown = f"{default:g}" if kind is float else f"{default:,}"
        raise errors.UsageError(f"{source} {value:g}: must be above 0", hint=f"leave it unset for the default ({shown})")
    return value


# A chart's defaults as a layer, per chart content: layers are never mutated, so renders share them.
_DEFAULTS: dict[tuple[str, str], ValuesLayer] = {}


def _defaults(chart: Chart) -> ValuesLayer:
    key = (chart.digest, chart.values_file)
    layer = _DEFAULTS.get(key)
    if layer is None:
        _refuse_ciphertext_in_defaults(chart)
        if len(_DEFAULTS) >= 16:
            _DEFAULTS.clear()
        layer = _DEFAULTS[key] = values_loading.load_mapping(chart.values, source=chart.values_file)
    return layer


def _compose(chart: Chart, layers: list[ValuesLayer]) -> provenance.Values:
    # Nulls over keys the root lacks stay as markers: they delete subchart defaults when the tree resolves.
    return provenance.compose([_defaults(chart), *layers], keep_nulls=True)


def _resolve(chart: Chart, values: provenance.Values, report: list[problems.Problem] | None = None) -> resolving.ChartNode:
    return resolving.resolve(chart, values.data, merge=merging.merge_keeping_nulls, prune=merging.without_nulls, report=report)


def _surprise_problems(layers: list[ValuesLayer]) -> list[problems.Problem]:
    """A warning per plain scalar of a -f file that Helm types in a way its author may not mean (`y` is true)."""
    return [
        problems.warning(layer.source, f"Values.{paths.format_path(surprise.path)}: {surprise.message}",
                         line=surprise.line, hint="quote it if you mean the string")
        for layer in layers
        for surprise in layer.surprises
    ]


def _refuse_ciphertext_in_defaults(chart: Chart) -> None:
    """Chart defaults are never decrypted: sops ciphertext in a values.yaml of the tree would be deployed as is."""
    refuse_ciphertext(
        chart.values,
        source=chart.values_file,
        hint="chart defaults are not decrypted: move the secret values to a sops-encrypted file given with -f",
    )
    for sub in chart.subcharts:
        _refuse_ciphertext_in_defaults(sub.chart)


def secret_texts(values: provenance.Values) -> frozenset[str]:
    """The printed forms of secret leaves long enough to mask without mangling other text.

    Literal forms of each leaf (each line, base64, escaped, repr) and of the
    text a template can derive from it: chart error messages quote rendered
    lines and values with repr(), so masking the value alone is not enough.
    Short words (`admin`) are left out: charts replace literal text, which
    would cut `sysadmin` too; the run's redactor masks them as whole words in
    every printed line.
    """
    leaves = [leaf for _, leaf in values.secret_leaves()]
    if not leaves:
        return frozenset()
    from deploykit.secrets import deriving  # only for a render with secret values

    found: set[str] = set()
    for leaf in leaves:
        for _, value in ciphertexts.iter_leaves(leaf):  # a secret list is one leaf of provenance
            for text in (redaction.text_form(value), *deriving.derived(value)):
                if text and not redaction.is_too_short(text):
                    found |= {form for form in redaction.printed_forms(text) if not redaction.is_word(form)}
    return frozenset(found)


def short_secret_problems(values: provenance.Values) -> list[problems.Problem]:
    """A warning per secret leaf too short to be masked in output, naming its path and file, never its value."""
    found = []
    for path, value in values.secret_leaves():
        origin = values.source_of(path)
        items = [(path + (index,), item) for index, item in enumerate(value)] if isinstance(value, list) else [(path, value)]
        for item_path, item in items:
            if redaction.is_too_short(item):
                found.append(problems.warning(
                    origin.source if origin else "values",
                    f"Values.{paths.format_path(item_path)}: secret value too short to be masked in output "
                    f"(under {redaction.MIN_LENGTH} characters, or a word such as true/yes/on); it would show in logs unmasked",
                    hint="use a longer secret, or move this value out of the secret file if it is not secret",
                ))
    return found


def _node_values(tree: resolving.ChartNode, values: provenance.Values) -> list[tuple[resolving.ChartNode, provenance.Values]]:
    """Each enabled chart with its values and their provenance (Helm's scoping, as resolving does it)."""
    found = []

    def walk(node: resolving.ChartNode, scoped: provenance.Values) -> None:
        found.append((node, scoped.without_nulls()))
        for child in node.children:
            key = child.prefix.rsplit("/", 1)[-1]
            defaults = values_loading.load_mapping(child.chart.values, source=child.chart.values_file)
            walk(child, scoping.subchart_values(scoped, key=key, defaults=defaults, keep_nulls=True))

    walk(tree, values)
    return found


def _schema_problems(tree: resolving.ChartNode, values: provenance.Values) -> list[problems.Problem]:
    if all(node.chart.schema is None for node in tree.walk()):
        return []  # no chart of the tree has a values.schema.json: no need to scope every chart's values
    found = []
    for node, scoped in _node_values(tree, values):
        if node.chart.schema is None:
            continue
        from deploykit.values import schema  # only for a chart with a values.schema.json

        schema_file = node.chart.schema_file
        for violation in schema.validate(scoped, node.chart.schema, schema_file=schema_file):
            where = f"Values.{violation.path}" if violation.path else "Values"
            origin = f"; set by {_written_at(violation, root=node is tree)}" if violation.source else ""
            found.append(problems.error(schema_file, f"{where}: {violation.message} (rule `{violation.rule}`{origin})", line=_schema_line(violation, node)))
    return found


def _written_at(violation: schema.Violation, *, root: bool) -> str:
    """`values/prod.yaml:2`: the file (and line) that set the violating value; the line when a root chart's value
    path can be found in the file (sops keeps a file's layout, so its line is found without decrypting)."""
    source = violation.source or ""
    if not root or not violation.path or not os.path.isfile(source):
        return source
    try:
        line = values_loading.line_of(open(source, encoding="utf-8").read(), tuple(paths.parse_path(violation.path)))
    except (OSError, UnicodeDecodeError, errors.ValuesError):
        return source
    return f"{source}:{line + 1}" if line is not None else source


def _schema_line(violation: schema.Violation, node: resolving.ChartNode) -> int | None:
    """The line in values.schema.json of the property the violation is about (for `file:line`); None if not found."""
    if not violation.path:
        return None
    try:
        path = paths.parse_path(violation.path)
    except errors.ValuesError:
        return None
    schema_path: list = []
    for part in path:
        schema_path += ["items"] if isinstance(part, int) else ["properties", part]
    text = node.chart.schema_text
    if text is None:
        return None
    line = values_loading.line_of(text, tuple(schema_path))
    return line + 1 if line is not None else None


def render(options: RenderOptions) -> RenderResult:
    """Load, compose, resolve, validate and render; raises the first failing phase's error."""
    check_identity(options)
    bounds = _bounds(options)
    chart = loading.load_chart(options.chart)
    composed = _compose(chart, collect_layers(options))
    tree = _resolve(chart, composed)
    values = composed.without_nulls()
    failures = [] if options.skip_schema_validation else _schema_problems(tree, composed)
    if failures:
        raise errors.SchemaError(problems.describe(failures), hint="change the values (or --set) named in each problem")
    secrets = secret_texts(values)
    engine = engines.choose(tree, options.template_engine)
    rendered = _render_tree(engine, tree, composed, options, secrets=secrets, bounds=bounds)
    redaction.current().register_all(rendered.read_secrets)  # lookup of a live Secret: masked like a sops value
    if not options.skip_schema_validation:
        rejected = [p for p in _api_problems(rendered, options, secrets, reported=(), warnings=False) if p.level == problems.ERROR]
        if rejected:
            raise errors.RenderError(problems.describe(rejected), hint=f"Kubernetes {options.kube_version} would refuse these objects; "
                                     "fix the template or values (--skip-schema-validation renders them anyway)")
    return RenderResult(chart=chart, values=values, tree=tree, rendered=rendered, engine=engine)


def _render_tree(engine: str, tree: resolving.ChartNode, composed: provenance.Values, options: RenderOptions, *,
                 secrets: frozenset[str], bounds: limits.RenderLimits, report: list[problems.Problem] | None = None,
                 check_partials: bool = False) -> Rendered:
    """The tree rendered by its engine: deploykit's Jinja2, or Helm's own (Go templates; imported only then)."""
    if engine != engines.HELM:
        return chart_rendering.render(tree, target=_target(options), secrets=secrets, report=report,
                                      check_partials=check_partials, bounds=bounds)
    from deploykit.charts import gotemplates

    # Helm gets the values composed as for Jinja2 and coalesces them itself: subchart scoping, globals, aliases.
    values = gotemplates.helm_values(composed.data, tree.chart.values)
    return gotemplates.render(tree, chart_path=options.chart, values=values, target=_target(options),
                              cluster=options.cluster, secrets=secrets, report=report, bounds=bounds,
                              library_ok=check_partials, skip_schema=options.skip_schema_validation)


def lint(options: RenderOptions) -> list[problems.Problem]:
    """Every problem found in the chart with these inputs; raises only when lint cannot run at all."""
    check_identity(options)
    bounds = _bounds(options)
    if not os.path.exists(options.chart):
        raise errors.UsageError(f"{options.chart}: no such chart folder or archive")
    found: list[problems.Problem] = []
    try:
        chart = loading.load_chart(options.chart, report=found)
    except errors.ChartError as exc:
        if not any(p.level == problems.ERROR for p in found):
            # Not about a chart file (an unreadable folder, an unsafe archive): the message names the path.
            found.append(problems.error("", exc.message, hint=exc.hint))
        return found
    layers = collect_layers(options)
    composed = _compose(chart, layers)
    values = composed.without_nulls()
    secrets = secret_texts(values)
    found.extend(_surprise_problems(layers))
    found.extend(short_secret_problems(values))
    try:
        tree = _resolve(chart, composed, report=found)
    except errors.DeploykitError as exc:
        found.append(problems.error(chart.metadata.source, problems.mask(exc.message, secrets), hint=exc.hint))
        return found
    if not options.skip_schema_validation:
        found.extend(_schema_problems(tree, composed))
    try:
        engine = engines.choose(tree, options.template_engine)
    except errors.ChartError as exc:
        found.append(problems.error(chart.metadata.source, exc.message.split(": ", 1)[-1], hint=exc.hint))
        return found
    rendered = _render_tree(engine, tree, composed, options, secrets=secrets, bounds=bounds, report=found,
                            check_partials=True)
    # A line already reported (e.g. a non-string annotation) need not be reported again by its schema.
    found.extend(_api_problems(rendered, options, secrets, reported={(p.file, p.line) for p in found},
                               schemas=not options.skip_schema_validation))
    return found


def _api_problems(rendered: Rendered, options: RenderOptions, secrets: frozenset[str], *, reported: Collection[tuple],
                  warnings: bool = True, schemas: bool = True) -> list[problems.Problem]:
    """What the target version's API says about every object (kinds it does not serve, apiVersions it no longer
    serves, values it would refuse) and the chart's CRDs about its custom resources; with warnings, also the plain
    scalars whose type may surprise (a second YAML parse of every object: lint only); without `schemas`
    (--skip-schema-validation), only those."""
    every = [*rendered.crds, *rendered.manifests, *(hook.manifest for hook in rendered.hooks)]
    custom = checking.custom_kinds(every)
    crds = customresources.collect(every)
    found = []
    for manifest in every:
        if warnings:
            found.extend(checking.surprising_scalars(manifest, secrets=secrets))
        if not schemas:
            continue
        for problem in checking.api_problems(manifest, kube_version=options.kube_version, custom_kinds=custom,
                                              crds=crds, secrets=secrets):
            if (problem.file, problem.line) not in reported:
                found.append(problem)
    return found
