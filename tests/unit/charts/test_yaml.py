"""Reading and writing YAML: the fast block reader never disagrees with PyYAML; dumps round-trip."""

import json
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploykit import blockyaml, yamlscalars
from deploykit.charts import yamlcodec

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
    insert = draw.draw(st.sampled_from([" ", "  ", "\n", "- ", ": ", "#", " #", "  # c", " # x: 'y", "'", '"', "|", "\n  x: 1\n", "\t", "---\n", "{"]))
    cut = draw.draw(st.integers(min_value=0, max_value=3))
    damaged = text[:position] + insert + text[position + cut:]
    fast = blockyaml.parse(damaged)
    if fast is not blockyaml.UNSUPPORTED:
        assert fast == reference(damaged)


# What follows a value on its line: ` # note` (a comment), `#x` (no space: plain text, or PyYAML's comment after a quote).
COMMENTS = ["  # note", " #", " #x", "\t# tab", "#x", " # it's: 'q' \"d\" - [a] {b} | #z", "  ## y: on"]


def _commented(text, draw):
    """`text` with comments drawn after some lines (after `key:`, `-`, `|`, a scalar, a quote, inside `|` blocks too)
    and comment lines drawn between them."""
    lines = []
    for line in text.split("\n"):
        if line.strip(" ") and draw.draw(st.booleans()):
            line += draw.draw(st.sampled_from(COMMENTS))
        lines.append(line)
        if draw.draw(st.integers(min_value=0, max_value=5)) == 0:
            lines.append(" " * draw.draw(st.integers(min_value=0, max_value=6)) + "# a line of its own: 'x")
    return "\n".join(lines)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from(["ours", "pyyaml", "pyyaml-indent4", "pyyaml-flow"]), st.data())
def test_fast_reader_agrees_with_pyyaml_on_commented_documents(document, style, draw):
    """A values.yaml or template with `key: value  # note` would give other data than PyYAML reads from it."""
    text = {"ours": yamlcodec.dump(document),
            "pyyaml": yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
            "pyyaml-indent4": yaml.safe_dump(document, sort_keys=False, indent=4),
            "pyyaml-flow": yaml.safe_dump(document, sort_keys=False, default_flow_style=None)}[style]
    commented = _commented(text, draw)
    fast = blockyaml.parse(commented)
    assert fast is blockyaml.UNSUPPORTED or fast == reference(commented)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.data())
def test_fast_reader_keeps_reading_documents_with_spaced_comments(document, draw):
    """Charts whose values.yaml carries `# notes` after values would import PyYAML (~17 ms a template) again."""
    text = yamlcodec.dump(document)
    if blockyaml.parse(text) is blockyaml.UNSUPPORTED:
        return
    lines = [line + draw.draw(st.sampled_from(["", "  # note", " # it's: 'q' - x"])) if line else line
             for line in text.split("\n")]
    commented = "\n".join(lines)
    assert blockyaml.parse(commented) is not blockyaml.UNSUPPORTED
    assert blockyaml.parse(commented) == reference(commented)


COMMENTED = """\
# Default values.
replicas: 2  # pods per zone
image: # which image
  repository: "registry.example/web" # quoted, then a note
  tag: 'v1 #2'   # a '#' inside quotes is text
name: web#1
ports: [80, 443]  # flow, then a note
items:
  - name: a # note
  - # a block item
    name: b
  - - x  # nested
  - "q # not a note"
script: |  # a literal block
  echo hi # stays in the script
  # so does this line
labels: {tier: web}  # a note
empty:  # nothing here
"""


def test_inline_comments_read_as_pyyaml_reads_them_without_pyyaml():
    """A values.yaml with `key: value  # note` would be read by PyYAML (~17 ms a template), or read differently."""
    fast = blockyaml.parse(COMMENTED)
    assert fast == reference(COMMENTED)
    assert fast["script"] == "echo hi # stays in the script\n# so does this line\n"
    assert fast["image"]["tag"] == "v1 #2" and fast["name"] == "web#1" and fast["items"][1] == {"name": "b"}


@pytest.mark.parametrize("text", ['k: "a\\\\" # c\n', 'k: "a\\" #" # c\n', "k: 'it''s # x' # c\n", '"a #b": 1 # c\n',
                                  "'k': # c\n  - x\n", "k: it's \"a #b\"\n", "- [a, b]  # c\n", "k: {a: 1} # c\n"])
def test_quotes_and_hashes_on_a_commented_line_read_as_pyyaml_reads_them(text):
    """A `#` inside quotes would be taken for a comment (or an escaped quote for the end), or PyYAML would read it."""
    assert blockyaml.parse(text) == reference(text)


@pytest.mark.parametrize("text", ["k: v\t# tab\n", "k: 'a'# no space\n", "k: [a, 'b'] # c\n", "k: 'a' b # c\n"])
def test_unclear_inline_comments_are_left_to_pyyaml(text):
    """A comment after a tab, glued to a quote or after a flow collection holding quotes could be misread."""
    assert blockyaml.parse(text) is blockyaml.UNSUPPORTED


@settings(max_examples=150, deadline=None)
@given(data)
def test_dump_round_trips(value):
    """`to_yaml` would change values (e.g. "yes" read back as true)."""
    assert yaml.load(yamlcodec.dump(value), Loader=yamlcodec.Loader) == value


@pytest.mark.parametrize("text", ["name\n", "a b\n", "x:y\n"])
def test_a_string_ending_with_a_newline_is_not_written_bare(text):
    """`to_yaml` of `{"name\\n": 1}` would print `name` and `: 1` on two lines, YAML no reader takes."""
    for document in ({text: 1}, {"k": "v", text: [text]}):
        assert yaml.load(yamlcodec.dump(document), Loader=yamlcodec.Loader) == document


@settings(max_examples=300)
@given(st.text(alphabet="az09_./@%+=,()-: #'\n\t", max_size=10))
def test_strings_written_bare_are_those_the_plain_rule_allows(text):
    """The emitter would write a string bare that YAML reads as something else (`a: b`, `key:`, `trail `)."""
    rule = (re.fullmatch(r"[A-Za-z0-9_./][A-Za-z0-9 _./@%+=:,()-]*", text) is not None and ": " not in text
            and not text.endswith((" ", ":")) and not yamlscalars.retyped_by_some_reader(text))
    assert yamlcodec._plain_ok(text) == rule


def test_multi_line_strings_stay_out_of_the_emitters_memo():
    """Every config file a chart dumps would stay in memory for the whole process (a pipeline deploys many)."""
    text = "line one\nline two\n"
    yamlcodec.dump({"k": text, "l": [text]})
    yamlcodec.flat_mapping({"k": text})
    assert text not in yamlcodec._plain_memo


def test_a_key_written_twice_reads_as_pyyaml_reads_it():
    """A rendered object with a key written twice (`1:` and `"1":`) would keep a different value than PyYAML keeps."""
    text = 'x: 1\n1: a\n"1": b\n1: c\n'
    assert yamlcodec.load(text) == reference(text) == {"x": 1, "1": "b"}


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


RENDERED = "a: y\nb: 017\nc: 1:30\nd: 1e3\ne: 2001-12-14\nf: '1e3'\ng: 08\nh: =\ni: +.5\n"
RENDERED_AS_HELM = {"a": True, "b": 15, "c": "1:30", "d": 1000.0, "e": "2001-12-14", "f": "1e3", "g": 8.0, "h": "=", "i": 0.5}


@pytest.mark.parametrize("reader", ["fast", "pyyaml"])
def test_rendered_output_is_typed_as_helm_types_it(reader):
    """`enabled: y` in a rendered manifest would stay a string here and be a boolean when Helm or kubectl reads it."""
    text = RENDERED if reader == "fast" else "x: &anchor 1\n" + RENDERED  # an anchor sends it to PyYAML
    data = blockyaml.parse(text) if reader == "fast" else yamlcodec.load(text)
    assert data is not blockyaml.UNSUPPORTED
    data.pop("x", None)
    assert data == RENDERED_AS_HELM and [type(v) for v in data.values()] == [type(v) for v in RENDERED_AS_HELM.values()]


@pytest.mark.parametrize("text", ["y: 1\n0x1F: 2\n", "y: 1\n0x1F: 2\nz: &a 3\n"])
def test_rendered_keys_are_spelt_as_helm_spells_them(text):
    """A key `y:` would be "y" here and "true" once Helm or kubectl reads the manifest."""
    assert {k: v for k, v in yamlcodec.load(text).items() if k != "z"} == {"true": 1, "31": 2}


def test_a_merge_key_after_a_key_overrides_it_in_rendered_output():
    """A `<<` written after `x:` would keep x here and replace it in Helm."""
    text = "base: &b {x: 1}\nafter:\n  x: 10\n  <<: *b\nbefore:\n  <<: *b\n  x: 10\n"
    data = yamlcodec.load(text)
    assert (data["after"], data["before"]) == ({"x": 1}, {"x": 10})


@pytest.mark.parametrize("text", ["a: .inf\n", "a: [.nan]\n", "a:\n  b: -.INF\n"])
def test_infinity_in_rendered_output_is_refused_with_its_line(text):
    """An infinite number would be sent to the API server as `Infinity`, which is not JSON."""
    with pytest.raises(yaml.YAMLError) as caught:
        yamlcodec.load(text)
    assert "JSON" in str(caught.value) and caught.value.problem_mark.line == text.count("\n") - 1


RETYPED_STRINGS = ["y", "n", "Y", "N", "yes", "On", "off", "08", "017", "1e3", "1E3", "0o17", "0x1F", "1:30", "190:20:30.15",
                   "=", "<<", "~", "null", "2001-12-14", "1_000", "+.5", "1.", ".5", ".inf", "-.Inf", ".nan", "0b101", "+12", "1e400"]
_YAML12_CORE = re.compile(r"(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
                          r"|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.nan|\.NaN|\.NAN)")


def _plain_values(text):
    """The plain scalars in a dumped document (what a YAML 1.2 reader would type)."""
    return [event.value for event in yaml.parse(text) if isinstance(event, yaml.ScalarEvent) and event.implicit[0] and event.style is None]


@pytest.mark.parametrize("text", RETYPED_STRINGS)
def test_dump_quotes_every_string_a_yaml_reader_would_retype(text):
    """`template` would print `y`, `08` or `1e3` bare, and kubectl and Helm would read a boolean or a number."""
    helm_python = pytest.importorskip("helm_python")
    for document in ({"k": text, text: "v"}, {"k": [text], "multi": "a\nb\n", "f": 1.5}):
        dumped = yamlcodec.dump(document)
        assert yaml.safe_load(dumped) == document  # YAML 1.1 with every implicit type (PyYAML)
        assert helm_python.values_from_yaml(dumped) == document  # Helm's reader
        assert not [v for v in _plain_values(dumped) if _YAML12_CORE.fullmatch(v) and v not in ("1.5",)]  # YAML 1.2 core


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(alphabet="0123456789.eE+-_xobOX:yYnN~=<", min_size=1, max_size=6),
                       st.text(alphabet="0123456789.eE+-_xobOX:yYnN~=< ", max_size=8), min_size=1, max_size=8))
def test_dumped_strings_read_back_as_strings_by_helm(document):
    """A string value would come back from Helm's YAML reader as a boolean or a number."""
    helm_python = pytest.importorskip("helm_python")
    assert helm_python.values_from_yaml(yamlcodec.dump(document)) == document


# Lines that repeat between documents (the reader memoises whole `key: scalar` lines), put together at random depths.
SHARED_LINES = ["name: web", "port: 80", "on: yes", "k: 'it''s'", 'q: "a\\tb"', "empty: []", "flow: [a, 1]", "map: {a: 1}",
                "nothing: ~", "labels:", "labels: ", "script: |", "  echo hi  ", "- name: web", "- 80", "-", "k: v # c", "y: 1"]


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 2, 4]), st.sampled_from(SHARED_LINES)), min_size=1, max_size=10), st.booleans())
def test_lines_read_before_read_as_pyyaml_reads_them_in_any_document(lines, final_break):
    """A label line read in one template would read differently in the next one, at another depth or after a block."""
    text = "\n".join(" " * indent + line for indent, line in lines) + ("\n" if final_break else "")
    first, again = blockyaml.parse(text), blockyaml.parse(text)  # the second reading takes every line from the memo
    assert first is blockyaml.UNSUPPORTED or first == reference(text)
    assert again == first or again is first is blockyaml.UNSUPPORTED


def test_memoised_lines_never_share_a_collection_between_documents():
    """Filling one object's empty `ports: []` would fill it in every object rendered with the same line."""
    first = blockyaml.parse("ports: []\nflow: [a]\nmap: {a: 1}\n")
    for value in first.values():
        value.clear() if isinstance(value, dict) else value.append("changed")
    assert blockyaml.parse("ports: []\nflow: [a]\nmap: {a: 1}\n") == {"ports": [], "flow": ["a"], "map": {"a": 1}}


@pytest.mark.parametrize("text", ["labels: \n  app: web\nport: 80  \n", "a: 1\n   \n\nb:  \n  - x \n", "a: 1\nb: 2",
                                  "script: |\n  keep  \n\n  these  \nend: 1\n", "\n\na: 1\n", "a: 1 \n# only a note \n"])
def test_blank_lines_and_trailing_spaces_read_as_pyyaml_reads_them(text):
    """`labels: ` left by a template, or spaces ending a line of a `|` block, would read differently than PyYAML."""
    assert blockyaml.parse(text) == reference(text)


@pytest.mark.parametrize("code", range(128))
def test_every_ascii_character_reads_as_pyyaml_reads_it(code):
    """A control character in a rendered value would be read by the fast reader where PyYAML refuses (or reads) it."""
    char = chr(code)
    for text in (f"k: a{char}b\n", f"{char}k: 1\n", f"k: 1{char}\n", f"k:\n{char} - x\n", f"k: |\n  a{char}b\n"):
        fast = blockyaml.parse(text)
        assert fast is blockyaml.UNSUPPORTED or fast == reference(text)


def test_a_text_read_many_times_hands_out_independent_copies_every_time():
    """Filling the namespace into a third render's object (read from the packed copy) would change the fourth's."""
    text = "metadata:\n  name: many\n  labels: {a: b}\n"
    for _ in range(4):
        data = yamlcodec.load_fresh(text)
        assert data == {"metadata": {"name": "many", "labels": {"a": "b"}}}
        data["metadata"]["labels"]["a"] = "changed"
