"""The render's shortcuts give exactly what the general paths give: macro calls, imported names (Jinja's), quote
(json's), `to_yaml` of flat mappings (the emitter's), nindent (line by line), reading the context's records
(the sandbox's), dumping `Values` (as the plain data)."""

import copy
import json

import jinja2
import jinja2.sandbox
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploykit.charts import context, environment, helpers, yamlcodec

MACROS = (
    "{% macro two(a, b) %}[{{ a }}|{{ b }}]{% endmacro %}"
    "{% macro dflt(a, b='d') %}[{{ a }}|{{ b }}]{% endmacro %}"
    "{% macro rest() %}[{{ varargs | join(',') }}|{{ kwargs | dictsort | join(',') }}]{% endmacro %}"
    "{% macro wrap(x) %}<{{ caller() }}:{{ x }}>{% endmacro %}"
    "{% macro html() %}<b>{% endmacro %}"
)
CALLS = {
    "exact": "{{ two(1, 2) }}",
    "keywords": "{{ two(b=2, a=1) }}",
    "defaults": "{{ dflt(1) }}",
    "varargs and kwargs": "{{ rest(1, 2, k=3) }}",
    "caller": "{% call wrap(5) %}inner{% endcall %}",
    "in a loop": "{% for i in [1, 2] %}{{ two(i, loop.index) }}{% endfor %}",
    "autoescape": "{% autoescape true %}{{ html() }}{{ '<i>' }}{% endautoescape %}",
    "imported": '{% import "m.j2" as m %}{{ m.two(1, 2) }}{{ m.dflt(3) }}',
    "imported with context": '{% import "m.j2" as m with context %}{% for i in [1] %}{{ m.two(i, 2) }}{% endfor %}',
    "missing export": '{% import "m.j2" as m %}{{ m.nothing is defined }}',
}


def _render(make_chart, render_chart, call: str) -> str:
    path = make_chart({
        "templates/m.j2": MACROS,
        "templates/out.yaml": MACROS + "{% set out %}" + call + "{% endset %}"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n  v: {{ out | string | quote }}\n",
    })
    return render_chart(path).manifests[0].obj["data"]["v"]


@pytest.mark.parametrize("call", sorted(CALLS))
def test_macro_calls_render_as_plain_jinja_renders_them(make_chart, render_chart, call):
    """A chart's macro calls (keywords, defaults, caller, autoescape, imports) would render other text than Jinja's."""
    plain = jinja2.Environment(loader=jinja2.DictLoader({"m.j2": MACROS}), trim_blocks=True, lstrip_blocks=True)
    expected = plain.from_string(MACROS + CALLS[call]).render()
    assert _render(make_chart, render_chart, CALLS[call]) == expected


@given(st.one_of(st.text(), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False)))
def test_quote_is_json_of_the_text(value):
    """`| quote` would write a string some YAML or JSON reader reads back differently."""
    assert helpers.quote(value) == json.dumps(helpers._text(value), ensure_ascii=False)


FLAT_TEXTS = ["web", "app.kubernetes.io/name", "1.0.0", "bench-1.0.0", "10m", "yes", "on", "1", "0x1F", "1e3", "2024-01-01",
              "a: b", "key:", "trail ", " lead", "it's", "#x", "- x", "", "multi\nline", "ünï", "~", "<<", "x#y", "a,b"]
flat_strings = st.one_of(st.sampled_from(FLAT_TEXTS), st.text(alphabet="abz019.-_/: #'\"\n", max_size=8))
flat_values = st.one_of(flat_strings, st.integers(), st.none())


@given(st.dictionaries(flat_strings, flat_values, max_size=5))
def test_to_yaml_of_a_flat_mapping_is_the_emitters_text(mapping):
    """`to_yaml` of a chart's labels or selector would print other text than the emitter writes for the same dict."""
    flat = yamlcodec.flat_mapping(mapping)
    assert flat is None or flat + "\n" == yamlcodec.dump(mapping)


def test_to_yaml_of_labels_takes_the_flat_path():
    """Labels and selectors, the common `to_yaml` of a chart, would go through the slower general emitter."""
    labels = {"app.kubernetes.io/name": "web", "app.kubernetes.io/version": "1.0.0"}
    assert yamlcodec.flat_mapping(labels) == "app.kubernetes.io/name: web\napp.kubernetes.io/version: 1.0.0"


@given(st.text(alphabet=" \t\n\x85\u3000ab", max_size=12), st.integers(min_value=0, max_value=6))
def test_nindent_pads_every_line_but_blank_ones(text, width):
    """`| nindent` would pad a blank line, leaving trailing spaces, or miss a line."""
    pad = " " * width
    assert helpers.nindent(text, width) == "\n" + "\n".join(pad + line if line.strip() else line for line in text.split("\n"))


def _context_objects():
    env = environment.ChartEnvironment()
    module = env.from_string("{% macro m() %}x{% endmacro %}{% set v = 1 %}{% set _hidden = 2 %}").module
    return [
        (context.ReleaseInfo(), ["Name", "Revision", "IsInstall", "Service"]),
        (context.KubeVersion(Version="v1.30.0", Major="1", Minor="30"), ["Version", "Major", "GitVersion"]),
        (context.TemplateInfo.of("app/templates/x.yaml"), ["Name", "BasePath"]),
        (module, ["m", "v", "_hidden", "_body_stream"]),
    ]


@pytest.mark.parametrize("index", range(4))
def test_context_records_and_imports_read_as_the_sandbox_reads_them(index):
    """`Release.Name`, `Capabilities.KubeVersion.GitVersion` or `h.labels` would read other than Jinja's sandbox reads
    them, or let a template reach Python internals (`Release.__class__`)."""
    obj, names = _context_objects()[index]
    ours = environment.ChartEnvironment(undefined=environment.PathUndefined)
    sandbox = jinja2.sandbox.SandboxedEnvironment(undefined=environment.PathUndefined)
    for name in [*names, "__class__", "__dict__", "missing", "of"]:
        mine, theirs = ours.getattr(obj, name), sandbox.getattr(obj, name)
        assert type(mine) is type(theirs)
        if isinstance(theirs, jinja2.Undefined):
            assert mine._undefined_message == theirs._undefined_message
        else:
            assert mine == theirs


values_trees = st.recursive(
    st.one_of(flat_strings, st.integers(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(flat_strings, inner, max_size=3)), max_leaves=12)


@given(st.dictionaries(flat_strings, values_trees, max_size=4), st.booleans())
def test_to_yaml_of_values_is_the_text_of_the_plain_data(tree, reached):
    """`Values.resources | to_yaml` would print other text than the same data written in the template."""
    expected = helpers.to_yaml(tree)
    wrapped = context.wrap_values(copy.deepcopy(tree))
    if reached:  # children a template reached are wrapped themselves
        list(wrapped.items())
        for child in wrapped.values():
            if isinstance(child, list):
                list(child)
    assert helpers.to_yaml(wrapped) == expected


leaves = st.one_of(flat_strings, st.integers(), st.booleans(), st.none())


@given(st.dictionaries(flat_strings, leaves, min_size=1, max_size=4), st.lists(leaves, min_size=1, max_size=4))
def test_leaves_written_directly_are_the_general_paths_text(mapping, items):
    """A label, an image, a replica count or an argument would be written other than the emitter's general path
    (the key's scalar, then the value's) writes it."""
    try:
        expected_mapping = "".join(yamlcodec._scalar(key) + ":" + yamlcodec._value(value, "") for key, value in mapping.items())
        expected_items = "".join("-" + yamlcodec._value(item, "") for item in items)
    except yamlcodec._Unsupported:  # left to PyYAML whole
        return
    yamlcodec._plain_memo.clear()  # strings seen for the first time, as in a new process
    assert yamlcodec.dump(mapping) == expected_mapping
    assert yamlcodec.dump(items) == expected_items
    assert yamlcodec.dump(mapping) == expected_mapping  # and once the emitter knows them
