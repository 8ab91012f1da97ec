"""Values files of plain block YAML are read without PyYAML, and read exactly as the PyYAML path reads them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploykit import errors
from deploykit.charts import yamlcodec
from deploykit.values import loading, yamlreading

WORDS = ["y", "yes", "on", "Off", "017", "0x1F", "1e3", "1_000", "+1", ".5", "1.", "true", "null", "~", "1:30", "80",
         "1.5", "-3", "2001-12-14", "web", "a b", "<<", "=", ""]
scalars = st.one_of(st.sampled_from(WORDS), st.integers(-1000, 1000), st.booleans(), st.none(),
                    st.text(alphabet="abcxyz019-_. :#'\"", max_size=8))
keys = st.one_of(st.sampled_from(["y", "on", "1", "01", "name", "a.b", "true"]), st.text(alphabet="abcdxyz_", min_size=1, max_size=4))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
                      max_leaves=12)
documents = st.dictionaries(keys, values, min_size=1, max_size=4)
EDITS = ["", "y: 1\n", "name: x\nname: y\n", "a:\n  b: 1\n  b: 2\n", "list: [y, 1]\n", "m: {k: on}\n", "s: |\n  yes\n",
         "t: !!str 1\n", "&a x: 1\n", "- top\n", "k: 1 # note\n"]


def _outcome(read):
    try:
        layer = read()
    except errors.ValuesError as exc:
        return "error", exc.message
    return layer.data, tuple(layer.surprises)


def _pyyaml(text):
    data, surprises = yamlreading.parse(text, source="v.yaml", secret=False)
    return loading.ValuesLayer(data=data, source="v.yaml", surprises=surprises)


def _text(document, edit, json_values):
    text = (yamlcodec.dump(document) if not json_values else
            "".join(f"{yamlcodec.dump({key: None}).split(':')[0]}: {yamlcodec.dump(value).strip()}\n"
                    for key, value in document.items() if not isinstance(value, (dict, list))))
    return text + edit


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from(EDITS), st.booleans())
def test_block_values_read_as_the_pyyaml_path_reads_them(document, edit, json_values):
    """A values file would give other values, lose a duplicate-key error or a surprise warning, read without PyYAML."""
    text = _text(document, edit, json_values)
    assert _outcome(lambda: loading.load_text(text, source="v.yaml")) == _outcome(lambda: _pyyaml(text))


# After a value: a comment (` # ...`), or text (`#x` glued to a plain scalar; PyYAML's comment after a quote).
COMMENTS = ["", "", "  # note", " # y: on 017", " #", "#x", "\t# tab", " # 'it''s' \"q\" [a]"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from(EDITS), st.booleans(), st.data())
def test_commented_block_values_read_as_the_pyyaml_path_reads_them(document, edit, json_values, draw):
    """A values file with `key: value  # note` would give other values or lose a warning, read without PyYAML."""
    lines = _text(document, edit, json_values).split("\n")
    text = "\n".join(line + draw.draw(st.sampled_from(COMMENTS)) if line else line for line in lines)
    assert _outcome(lambda: loading.load_text(text, source="v.yaml")) == _outcome(lambda: _pyyaml(text))


def test_a_values_file_with_inline_comments_is_read_without_pyyaml():
    """Every values file with a `# note` after a value would be read by PyYAML (~17 ms a template)."""
    text = "replicas: 2  # pods per zone\nimage:  # what runs\n  tag: \"v1\"  # pinned\nports:\n  - 80 # http\n"
    assert loading._read_plain_block(text, secret=False) == {"replicas": 2, "image": {"tag": "v1"}, "ports": [80]}
