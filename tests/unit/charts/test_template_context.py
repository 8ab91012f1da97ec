"""What templates see: Values, Release, Chart, Capabilities, Files, Template, and the helpers."""

import base64
import hashlib

import pytest

from deploykit import errors


def configmap(data_lines: str) -> str:
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n" + data_lines


@pytest.fixture
def render_data(make_chart, render_chart):
    """Render one ConfigMap template and return its data mapping."""

    def render(data_lines: str, values: dict | None = None, files: dict | None = None, **target):
        path = make_chart({"templates/out.yaml": configmap(data_lines), **(files or {})})
        return render_chart(path, values, **target).manifests[0].obj["data"]

    return render


def test_values_are_reached_with_dots_and_brackets(render_data):
    """`Values.image.tag` would fail on a dict, or `Values["a.b"]` would not work."""
    data = render_data('  a: {{ Values.image.tag }}\n  b: {{ Values["dotted.key"] }}\n  c: {{ Values.list[1].name }}\n',
                       {"image": {"tag": "1.2"}, "dotted.key": "x", "list": [{"name": "p"}, {"name": "q"}]})
    assert data == {"a": 1.2, "b": "x", "c": "q"}


def test_a_values_key_named_like_a_dict_method_is_the_value(render_data):
    """`Values.config.items` would be the dict method instead of the user's `items` key."""
    data = render_data("  a: {{ Values.config.items | join(',') }}\n  b: {{ Values.config.keys() | list | length }}\n",
                       {"config": {"items": ["x", "y"]}})
    assert data == {"a": "x,y", "b": 1}


def test_missing_value_names_template_line_and_path(make_chart, render_chart):
    """A typo in a values path would render an empty string, or fail without saying where."""
    path = make_chart({"templates/out.yaml": configmap("  a: ok\n  b: {{ Values.image.tga }}\n")})
    with pytest.raises(errors.RenderError) as caught:
        render_chart(path, {"image": {"tag": "1"}})
    assert caught.value.message == "app/templates/out.yaml:7: Values.image.tga is not defined"
    assert "--set" in caught.value.hint


def test_missing_parent_of_a_value_names_the_parent(make_chart, render_chart):
    """`Values.ingress.host` without `ingress` would blame `host`, which is not the missing part."""
    path = make_chart({"templates/out.yaml": configmap("  a: {{ Values.ingress.host }}\n")})
    with pytest.raises(errors.RenderError, match="Values.ingress is not defined"):
        render_chart(path)


def test_missing_key_that_is_not_an_identifier_is_named_in_brackets(make_chart, render_chart):
    """`Values.labels["app.kubernetes.io/name"]` missing would be reported under a path the user cannot find."""
    path = make_chart({"templates/out.yaml": configmap('  a: {{ Values.labels["app.kubernetes.io/name"] }}\n')})
    with pytest.raises(errors.RenderError, match=r"Values.labels\['app.kubernetes.io/name'\] is not defined"):
        render_chart(path, {"labels": {}})


def test_default_and_is_defined_guard_missing_values(render_data):
    """Optional values could not be written without failing the render."""
    data = render_data('  a: {{ Values.x | default("fallback") }}\n  b: "{{ Values.y is defined }}"\n')
    assert data == {"a": "fallback", "b": "False"}


def test_release_chart_and_template_objects(render_data):
    """Names built from Release.Name, Chart.Version or Template.Name would be wrong."""
    data = render_data(
        "  name: {{ Release.Name }}\n  ns: {{ Release.Namespace }}\n  rev: '{{ Release.Revision }}'\n"
        "  install: '{{ Release.IsInstall }}'\n  service: {{ Release.Service }}\n"
        "  chart: {{ Chart.Name }}-{{ Chart.Version }}\n  api: {{ Chart.APIVersion }}\n"
        "  template: {{ Template.Name }}\n  base: {{ Template.BasePath }}\n",
        release="web", namespace="staging",
    )
    assert data == {
        "name": "web", "ns": "staging", "rev": "1", "install": "True", "service": "deploykit",
        "chart": "app-1.0.0", "api": "v2", "template": "app/templates/out.yaml", "base": "app/templates",
    }


def test_capabilities_follow_the_target_kubernetes_version(render_data):
    """Charts switching on the cluster's version or APIs would take the wrong branch."""
    data = render_data(
        "  version: {{ Capabilities.KubeVersion.Version }}\n  minor: '{{ Capabilities.KubeVersion.Minor }}'\n"
        "  apps: '{{ Capabilities.APIVersions.has(\"apps/v1\") }}'\n"
        "  deployment: '{{ Capabilities.APIVersions.has(\"apps/v1/Deployment\") }}'\n"
        "  beta: '{{ \"extensions/v1beta1\" in Capabilities.APIVersions }}'\n"
        "  extra: '{{ Capabilities.APIVersions.has(\"monitoring.coreos.com/v1\") }}'\n"
        "  modern: '{{ semver_compare(\">=1.30.0-0\", Capabilities.KubeVersion.Version) }}'\n",
        kube_version="1.29.3", api_versions=("monitoring.coreos.com/v1",),
    )
    assert data == {"version": "v1.29.3", "minor": "29", "apps": "True", "deployment": "True", "beta": "False", "extra": "True", "modern": "False"}


def test_files_get_glob_lines_as_config_and_as_secrets(render_data):
    """Config files shipped in the chart could not be put into ConfigMaps and Secrets."""
    data = render_data(
        "  conf: {{ Files.get('files/app.conf') | quote }}\n"
        "  first: {{ Files.lines('files/app.conf')[0] }}\n"
        "  count: '{{ Files.glob('files/*.conf') | length }}'\n"
        "  config: {{ Files.glob('files/*.conf').as_config() | quote }}\n"
        "  secret: {{ Files.glob('files/app.conf').as_secrets() | quote }}\n",
        files={"files/app.conf": "port=80\nhost=x\n", "files/other.conf": "a=1\n", "files/readme.md": "hi\n"},
    )
    assert data["conf"] == "port=80\nhost=x\n"
    assert data["first"] == "port=80"
    assert data["count"] == "2"
    assert data["config"] == "app.conf: |\n  port=80\n  host=x\nother.conf: |\n  a=1"
    assert data["secret"] == "app.conf: " + base64.b64encode(b"port=80\nhost=x\n").decode()


@pytest.mark.parametrize(("path", "reason"), [("../../etc/passwd", "outside the chart"), ("/etc/passwd", "outside the chart"),
                                              ("templates/out.yaml", "not a file of this chart"), ("nope.txt", "not a file of this chart")])
def test_files_outside_the_chart_or_missing_are_refused(make_chart, render_chart, path, reason):
    """A template could read the machine's files, or a typo would render an empty file."""
    chart = make_chart({"templates/out.yaml": configmap(f"  a: {{{{ Files.get('{path}') }}}}\n")})
    with pytest.raises(errors.RenderError, match=f"app/templates/out.yaml:6: Files: .*{reason}"):
        render_chart(chart)


def test_text_helpers(render_data):
    """The helpers chart authors reach for would be missing or behave unlike Helm's."""
    data = render_data(
        "  b64: {{ 'hello' | b64enc }}\n  back: {{ 'aGVsbG8=' | b64dec }}\n  sha: {{ 'hello' | sha256sum }}\n"
        "  quoted: {{ 'a \"b\"' | quote }}\n  squoted: {{ \"it's\" | squote }}\n  bool: {{ true | quote }}\n"
        "  trunc: {{ 'abcdef' | trunc(3) }}\n  tail: {{ 'abcdef' | trunc(-2) }}\n  str: {{ 5 | to_string | quote }}\n"
        "  json: {{ Values.obj | to_json | quote }}\n  yaml: {{ Values.obj | to_yaml | quote }}\n"
        "  parsed: {{ ('a: 1' | from_yaml).a }}\n  fromjson: {{ ('[1, 2]' | from_json)[1] }}\n",
        {"obj": {"b": [1, 2], "a": "x"}},
    )
    assert data == {
        "b64": "aGVsbG8=", "back": "hello", "sha": hashlib.sha256(b"hello").hexdigest(),
        "quoted": 'a "b"', "squoted": "it's", "bool": "true", "trunc": "abc", "tail": "ef", "str": "5",
        "json": '{"b":[1,2],"a":"x"}', "yaml": "b:\n- 1\n- 2\na: x", "parsed": 1, "fromjson": 2,
    }


def test_nindent_places_a_block_under_a_key(make_chart, render_chart):
    """`labels: {{ ... | nindent(4) }}` would produce broken YAML."""
    path = make_chart({"templates/out.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {{ Values.labels | to_yaml | nindent(4) }}\n"})
    assert render_chart(path, {"labels": {"a": "1", "b": "2"}}).manifests[0].obj["metadata"]["labels"] == {"a": "1", "b": "2"}


def test_required_shows_the_authors_message(make_chart, render_chart):
    """A missing required value would show a generic error instead of the chart author's instructions."""
    path = make_chart({"templates/out.yaml": configmap("  a: {{ Values.image | required('set image to repository:tag') }}\n")})
    with pytest.raises(errors.RenderError, match=r"^app/templates/out.yaml:6: set image to repository:tag$"):
        render_chart(path)
    with pytest.raises(errors.RenderError, match="set image"):
        render_chart(path, {"image": ""})


def test_fail_stops_the_render_with_the_message(make_chart, render_chart):
    """A chart's own validation (`fail`) would be ignored."""
    path = make_chart({"templates/out.yaml": "{% if Values.replicas > 5 %}{{ fail('at most 5 replicas') }}{% endif %}\n" + configmap("  a: b\n")})
    with pytest.raises(errors.RenderError, match="app/templates/out.yaml:1: at most 5 replicas"):
        render_chart(path, {"replicas": 9})


def test_tpl_renders_a_values_string_with_the_context(render_data):
    """Values holding templates (`host: "{{ Release.Name }}.example.com"`) would stay unrendered."""
    data = render_data("  host: {{ tpl(Values.host) }}\n", {"host": "{{ Release.Name }}.example.com"}, release="web")
    assert data == {"host": "web.example.com"}


def test_include_renders_another_template_for_a_checksum(make_chart, render_chart):
    """`checksum/config: {{ include("configmap.yaml") | sha256sum }}` would not roll pods on config change."""
    path = make_chart({
        "templates/configmap.yaml": configmap("  greeting: {{ Values.greeting }}\n"),
        "templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n"
                                     "    checksum/config: {{ include('configmap.yaml') | sha256sum }}\n"
                                     "    template: {{ include('_name.txt') | trim }}\n",
        "templates/_name.txt": "{{ Template.Name }}\n",
    })
    first = render_chart(path, {"greeting": "hi"})
    second = render_chart(path, {"greeting": "hello"})
    checksum = [m for m in first.manifests if m.kind == "Deployment"][0].annotations
    assert len(checksum["checksum/config"]) == 64
    assert checksum["template"] == "app/templates/_name.txt"
    assert [m for m in second.manifests if m.kind == "Deployment"][0].annotations["checksum/config"] != checksum["checksum/config"]


def test_include_cycle_is_an_error(make_chart, render_chart):
    """Two templates including each other would recurse until a RecursionError traceback."""
    path = make_chart({"templates/a.yaml": "{{ include('_b.txt') }}", "templates/_b.txt": "{{ include('a.yaml') }}"})
    with pytest.raises(errors.RenderError, match="include cycle: app/templates/a.yaml -> app/templates/_b.txt -> app/templates/a.yaml"):
        render_chart(path)


def test_sandbox_refuses_python_internals(make_chart, render_chart):
    """A chart could escape the template language through Python attributes (`__class__`)."""
    path = make_chart({"templates/out.yaml": configmap("  a: {{ Values.__class__.__mro__ }}\n")})
    with pytest.raises(errors.RenderError, match="app/templates/out.yaml:6"):
        render_chart(path)


def test_missing_key_in_a_loop_item_names_the_item_path(make_chart, render_chart):
    """A typo inside `{% for port in Values.ports %}` would not say which item or key."""
    path = make_chart({"templates/out.yaml": configmap("{% for p in Values.ports %}\n  p{{ loop.index }}: '{{ p.nmae }}'\n{% endfor %}\n")})
    with pytest.raises(errors.RenderError, match=r"Values.ports\[0\].nmae is not defined"):
        render_chart(path, {"ports": [{"name": "http"}, {"name": "metrics"}]})
    nested = make_chart({"templates/out.yaml": configmap("{% for k, v in Values.apps.items() %}\n  {{ k }}: '{{ v.image.tag }}'\n{% endfor %}\n")}, name="nested")
    with pytest.raises(errors.RenderError, match=r"Values.apps.web.image.tag is not defined"):
        render_chart(nested, {"apps": {"web": {"image": {"repo": "x"}}}})


def test_to_json_of_an_infinite_number_fails_with_its_path(make_chart, render_chart):
    """`to_json` would print `Infinity`, which is not JSON: the API server or the app reading it would choke."""
    path = make_chart({"templates/out.yaml": configmap("  j: {{ {'limits': [1.0, Values.big | float]} | to_json | quote }}\n")})
    with pytest.raises(errors.RenderError, match=r"^app/templates/out.yaml:6: to_json: the value at .limits\[1\] is infinite, which JSON cannot hold"):
        render_chart(path, {"big": "1e999"})
