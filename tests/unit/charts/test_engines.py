"""Which engine renders a chart: the annotation, else Go-template syntax, else Jinja2; one engine per release."""

import pytest

from deploykit import errors
from deploykit.charts import engines, gotemplates, loading, resolving
from deploykit.values import merging
from tests.plugins.charts import write_chart


def _chart(tmp_path, templates: dict[str, str], chart_yaml: str = "apiVersion: v2\nname: app\nversion: 1.0.0\n"):
    files = {"Chart.yaml": chart_yaml, **{f"templates/{name}": text for name, text in templates.items()}}
    return loading.load_chart(write_chart(tmp_path / "app", files))


@pytest.mark.parametrize("text", [
    "name: {{ .Values.name }}",
    '{{- define "app.name" -}}x{{- end -}}',
    '{{ include "app.labels" . | nindent 4 }}',
    "{{/* a comment */}}",
    "{{ $name := .Release.Name }}",
    "{{- if .Values.on }}a{{ end }}",
    "{{ range $k, $v := .Values.env }}{{ $k }}{{ end }}",
])
def test_go_template_syntax_picks_helm(tmp_path, text):
    """A Helm chart would be rendered as Jinja2 (and fail with a syntax error) though its syntax says Go templates."""
    assert engines.detected(_chart(tmp_path, {"cm.yaml": text})) == engines.HELM


@pytest.mark.parametrize("text", [
    "name: {{ Values.name }}",
    '{% if Values.on %}a{% endif %}',
    '{{ include("cm.yaml") | sha256sum }}',
    "{{ range(3) | list }}",
    "{# a comment #}",
    "kind: ConfigMap",
])
def test_jinja2_syntax_and_plain_yaml_pick_jinja2(tmp_path, text):
    """A Jinja2 chart (or one without template syntax) would be sent to Helm's engine."""
    assert engines.detected(_chart(tmp_path, {"cm.yaml": text})) == engines.JINJA2


def test_a_tpl_file_picks_helm(tmp_path):
    """A chart whose only Go template is a _helpers.tpl of defines would not be taken for a Helm chart."""
    assert engines.detected(_chart(tmp_path, {"_helpers.tpl": "", "cm.yaml": "kind: ConfigMap"})) == engines.HELM


@pytest.mark.parametrize("named", [engines.HELM, engines.JINJA2])
def test_annotation_wins_over_syntax(tmp_path, named):
    """The chart's deploykit.io/template-engine annotation would be overruled by the detection."""
    chart_yaml = f"apiVersion: v2\nname: app\nversion: 1.0.0\nannotations:\n  deploykit.io/template-engine: {named}\n"
    other = "{{ Values.x }}" if named == engines.HELM else "{{ .Values.x }}"
    assert engines.detected(_chart(tmp_path, {"cm.yaml": other}, chart_yaml)) == named


def test_unknown_annotation_is_refused_naming_the_file(tmp_path):
    """A misspelt engine annotation would silently fall back to detection."""
    chart_yaml = "apiVersion: v2\nname: app\nversion: 1.0.0\nannotations:\n  deploykit.io/template-engine: go\n"
    with pytest.raises(errors.ChartError, match=r"app/Chart.yaml: annotations.deploykit.io/template-engine: 'go'"):
        engines.detected(_chart(tmp_path, {"cm.yaml": "x"}, chart_yaml))


def test_mixed_tree_is_refused_unless_an_engine_is_forced(tmp_path):
    """A Go subchart under a Jinja2 parent would fail later with a confusing template error."""
    write_chart(tmp_path / "web", {
        "Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: lib\n",
        "templates/cm.yaml": "{{ Values.x }}",
        "charts/lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 1.0.0\n",
        "charts/lib/templates/cm.yaml": "{{ .Values.x }}",
    })
    tree = resolving.resolve(loading.load_chart(tmp_path / "web"), {}, merge=merging.merge)
    with pytest.raises(errors.ChartError, match="chart web uses Jinja2 templates, but its subchart lib"):
        engines.choose(tree)
    assert engines.choose(tree, engines.HELM) == engines.HELM


def test_helm_values_name_a_deleted_default_null():
    """A default the user deleted with null would come back when Helm coalesces the chart's defaults again."""
    defaults = {"a": 1, "tls": {"cert": "x", "key": "y"}, "keep": 2}
    composed = {"tls": {"cert": "mine"}, "keep": 3, "extra": None}
    assert gotemplates.helm_values(composed, defaults) == {"a": None, "tls": {"cert": "mine", "key": None}, "keep": 3,
                                                          "extra": None}


def test_helm_values_leave_out_what_equals_the_defaults():
    """Every render would hand Helm the whole values tree again (JSON both ways), or drop a value whose type differs."""
    defaults = {"a": 1, "b": {"c": 2, "d": 4}, "on": 1, "list": [1, 2]}
    composed = {"a": 1, "b": {"c": 2, "d": 3}, "on": True, "list": [1, 2]}
    assert gotemplates.helm_values(composed, defaults) == {"b": {"d": 3}, "on": True}


def _render_go(path, values=None):
    from deploykit.charts import context
    from deploykit.charts.rendering import Target

    chart = loading.load_chart(path)
    tree = resolving.resolve(chart, chart.values, merge=merging.merge)
    given = gotemplates.helm_values({**chart.values, **(values or {})}, chart.values)
    rendered = gotemplates.render(tree, chart_path=str(path), values=given,
                                  target=Target(release=context.ReleaseInfo(Name="r", Namespace="ns")))
    return [m.obj["data"] for m in rendered.manifests]


def test_a_chart_helm_loaded_before_is_never_stale(tmp_path):
    """A second render in one process (plan then apply, pipeline stages) would reuse Helm's chart with old values or files."""
    path = write_chart(tmp_path / "app", {
        "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n", "values.yaml": "size: small\n",
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  size: {{ .Values.size }}\n",
    })
    assert _render_go(path, {"size": "large"}) == [{"size": "large"}]
    assert _render_go(path) == [{"size": "small"}]
    (path / "templates" / "cm.yaml").write_text((path / "templates" / "cm.yaml").read_text() + "  edited: \"yes\"\n")
    assert _render_go(path) == [{"size": "small", "edited": "yes"}]


@pytest.mark.parametrize("detail, where, message", [
    ("execution error at (web/templates/a.yaml:6:8): set the password", ("web/templates/a.yaml", 6), "set the password"),
    ("parse error at (web/templates/b.yaml:5): unexpected EOF", ("web/templates/b.yaml", 5),
     "template syntax error: unexpected EOF"),
    ('template: web/templates/_h.tpl:3:3: executing "web/templates/b.yaml" at <tpl .Values.t .>: error calling tpl: boom',
     ("web/templates/_h.tpl", 3), 'executing "web/templates/b.yaml" at <tpl .Values.t .>: error calling tpl: boom'),
    ('web/templates/b.yaml:3:10\n  executing "web/templates/b.yaml" at <.Values.a.b>:\n    nil pointer evaluating interface {}.b',
     ("web/templates/b.yaml", 3), 'executing "web/templates/b.yaml" at <.Values.a.b>: nil pointer evaluating interface {}.b'),
])
def test_helm_messages_become_located_problems(detail, where, message):
    """Helm's error would reach the user without its template file and line, or with Go's framing around it."""
    problem = gotemplates._problem(detail, "HelmRenderError", ())
    assert (problem.file, problem.line, problem.message) == (*where, message)


def test_secrets_are_masked_in_helm_messages():
    """A secret quoted by a chart's `fail` would be printed in the problem."""
    problem = gotemplates._problem("execution error at (web/templates/a.yaml:1:2): bad s3cret-value-123",
                                   "HelmRenderError", {"s3cret-value-123"})
    assert problem.message == "bad ***"
