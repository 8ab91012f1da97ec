"""The render's shortcuts give exactly what Jinja's and json's general paths give: macro calls, imported names, quote."""

import json

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploykit.charts import helpers

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
