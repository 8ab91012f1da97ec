"""Reading and writing YAML: the fast block reader never disagrees with PyYAML; dumps round-trip."""

import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploykit.charts import blockyaml, yamlcodec

TRICKY = ["yes", "no", "on", "null", "~", "1.0", "0x1F", "1_000", "1:30", "-1", ".inf", "2024-01-01", "a: b", "#x", "a #b",
          "- x", "? q", " lead", "trail ", "it's", 'say "hi"', "multi\nline\n", "no newline\nend", "tab\tin", "ünïcode",
          "back\\slash", "", "*star", "&amp", "!bang", "%pct", "@at", "{x}", "[x]", "a,b", "key:", ":", "-", "1e3", "0o17", "=", "<<"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32), st.sampled_from(TRICKY),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
)
keys = st.one_of(st.sampled_from(["name", "app.kubernetes.io/name", "a b", "on", "1", "x:y", "-k", "'q'", "k#"]),
                 st.text(alphabet="abcdefgh-_./", min_size=1, max_size=8))
data = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=25)
documents = st.dictionaries(keys, data, min_size=1, max_size=5)


def reference(text):
    try:
        return yaml.load(text, Loader=yamlcodec.Loader)
    except yaml.YAMLError:
        return "PyYAML error"


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from(["ours", "pyyaml", "pyyaml-indent4", "pyyaml-flow", "json-values"]))
def test_fast_reader_agrees_with_pyyaml_on_dumped_documents(document, style):
    """A rendered object would differ depending on which YAML reader read it."""
    if style == "ours":
        text = yamlcodec.dump(document)
    elif style == "pyyaml":
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    elif style == "pyyaml-indent4":
        text = yaml.safe_dump(document, sort_keys=False, indent=4)
    elif style == "pyyaml-flow":
        text = yaml.safe_dump(document, sort_keys=False, default_flow_style=None)
    else:  # what `key: {{ value | to_json }}` renders
        text = "".join(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in document.items())
    fast = blockyaml.parse(text)
    assert fast is blockyaml.UNSUPPORTED or fast == reference(text)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(documents, st.data())
def test_fast_reader_agrees_with_pyyaml_on_damaged_documents(document, draw):
    """Broken indentation or stray characters would be read differently than PyYAML reads (or refuses) them."""
    text = yamlcodec.dump(document)
    position = draw.draw(st.integers(min_value=0, max_value=len(text)))
    insert = draw.draw(st.sampled_from([" ", "  ", "\n", "- ", ": ", "#", "'", '"', "|", "\n  x: 1\n", "\t", "---\n", "{"]))
    cut = draw.draw(st.integers(min_value=0, max_value=3))
    damaged = text[:position] + insert + text[position + cut:]
    fast = blockyaml.parse(damaged)
    if fast is not blockyaml.UNSUPPORTED:
        assert fast == reference(damaged)


@settings(max_examples=150, deadline=None)
@given(data)
def test_dump_round_trips(value):
    """`to_yaml` would change values (e.g. "yes" read back as true)."""
    assert yaml.load(yamlcodec.dump(value), Loader=yamlcodec.Loader) == value


def test_dump_writes_block_style_multiline_literals_and_no_anchors():
    """Rendered output would be hard to read (quoted multi-line strings, &id001 anchors)."""
    shared = {"port": 80}
    text = yamlcodec.dump({"a": shared, "b": shared, "script": "echo hi\necho there\n", "on": "yes"})
    assert text == "a:\n  port: 80\nb:\n  port: 80\nscript: |\n  echo hi\n  echo there\n'on': 'yes'\n"


def test_dates_stay_strings():
    """`date: 2024-01-01` would become a datetime the API server cannot take."""
    assert yamlcodec.load("date: 2024-01-01\nts: 2024-01-01T10:00:00Z\n") == {"date": "2024-01-01", "ts": "2024-01-01T10:00:00Z"}
    assert yamlcodec.load("date: [2024-01-01]\n") == {"date": ["2024-01-01"]}


def test_memoised_parse_hands_out_independent_copies():
    """Filling the namespace into one render's object would change the next render's."""
    text = "metadata:\n  name: a\n"
    first = yamlcodec.load_fresh(text)
    first["metadata"]["namespace"] = "changed"
    assert yamlcodec.load_fresh(text) == {"metadata": {"name": "a"}}


def test_documents_split_with_their_first_line():
    """Errors in the second document of a file would point at the wrong line."""
    text = "a: 1\n---\nb: 2\n--- # c\nc: 3\n"
    assert list(yamlcodec.split_documents(text)) == [(1, "a: 1\n"), (2, "\nb: 2\n"), (4, " # c\nc: 3\n")]


def test_line_of_a_value_path():
    """Chart.yaml problems would have no line."""
    text = "a:\n  b:\n    - x\n    - y: 1\n"
    assert yamlcodec.line_of(text, ("a", "b", 1, "y")) == 4
    assert yamlcodec.line_of(text, ("a", "missing")) == 1


@pytest.mark.parametrize("line_break", ["\x85", "\u2028", "\u2029"])
def test_fast_reader_leaves_yaml_line_breaks_to_pyyaml(line_break):
    """A value holding NEL/LS/PS would be read differently than PyYAML reads it."""
    text = yaml.safe_dump({"name": [line_break]}, allow_unicode=True)
    assert blockyaml.parse(text) is blockyaml.UNSUPPORTED


def test_block_scalar_at_the_end_of_a_file_without_newline_matches_pyyaml():
    """A literal block ending the file without a line break would gain a newline PyYAML does not give it."""
    text = "name: |\n  multi\n  li "
    assert blockyaml.parse(text) in (blockyaml.UNSUPPORTED, yaml.safe_load(text))
