"""`--set` and friends in Helm's syntax: paths, lists, escapes, types, files, JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploykit import errors
from deploykit.values import setting

# Cases from Helm's pkg/strvals tests: the results Helm users rely on.
HELM_CASES = [
    ("name1=null,f=false,t=true", {"name1": None, "f": False, "t": True}),
    ("name1=value1,name2=value2,", {"name1": "value1", "name2": "value2"}),
    ("name1=,name2=value2", {"name1": "", "name2": "value2"}),
    ("leading_zeros=00009,zero=0,long=1234567890", {"leading_zeros": "00009", "zero": 0, "long": 1234567890}),
    ("name1=one\\,two,name2=three\\=four", {"name1": "one,two", "name2": "three=four"}),
    ("name1=one two three", {"name1": "one two three"}),
    ("outer.inner1=value,outer.middle.inner=value", {"outer": {"inner1": "value", "middle": {"inner": "value"}}}),
    ("name1.name2=", {"name1": {"name2": ""}}),
    ("name1={value1,value2},name2={1021,902}", {"name1": ["value1", "value2"], "name2": [1021, 902]}),
    ("name1.name2={value1,value2}", {"name1": {"name2": ["value1", "value2"]}}),
    ("list[0]=foo,list[1]=bar", {"list": ["foo", "bar"]}),
    ("list[0]=foo,list[3]=bar", {"list": ["foo", None, None, "bar"]}),
    ("list[0].foo=bar,list[0].hello=world", {"list": [{"foo": "bar", "hello": "world"}]}),
    ("nested[1][1]=1", {"nested": [None, [None, 1]]}),
    ("name1.name2[1].foo=bar,name1.name2[0].foo=bar", {"name1": {"name2": [{"foo": "bar"}, {"foo": "bar"}]}}),
]


@pytest.mark.parametrize(("expression", "expected"), HELM_CASES)
def test_helm_expressions_give_helm_values(expression: str, expected: dict) -> None:
    """A --set line copied from a Helm pipeline would produce different values here."""
    assert setting.parse_set(expression).data == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True), ("FALSE", False), ("Null", None), ("0", 0), ("-12", -12), ("+7", 7),
        ("007", "007"), ("1.5", "1.5"), ("1e3", "1e3"), ("9223372036854775808", "9223372036854775808"),
        ("", ""), ("yes", "yes"), ("1_000", "1_000"),
    ],
)
def test_values_are_typed_as_helm_types_them(text: str, expected: Any) -> None:
    """`--set replicas=3` would render as a string, or a version like 007 would lose its zeros."""
    assert setting.typed_value(text) == expected
    assert type(setting.typed_value(text)) is type(expected)


def test_a_layer_is_named_after_the_flag_as_typed() -> None:
    """Messages would not say which --set flag a value came from."""
    assert setting.parse_set("image.tag=2").source == "--set image.tag=2"
    assert setting.parse_set("image.tag=2", kind="string").source == "--set-string image.tag=2"


def test_set_string_keeps_every_value_a_string() -> None:
    """A version tag like 1234 or a flag value "true" would turn into a number or a boolean."""
    assert setting.parse_set("tag=1234,debug=true,none=null,list={1,2}", kind="string").data == {
        "tag": "1234", "debug": "true", "none": "null", "list": ["1", "2"],
    }


def test_an_empty_list_is_empty() -> None:
    """`--set args={}` would give a list holding one empty string (as Helm does)."""
    assert setting.parse_set("args={}").data == {"args": []}


def test_set_file_reads_the_file_text_relative_to_base_dir(tmp_path: Path) -> None:
    """A config file passed with --set-file would arrive as its path instead of its content."""
    (tmp_path / "app.conf").write_text("listen 80;\nworkers 4;\n")
    layer = setting.parse_set("config=app.conf", kind="file", base_dir=tmp_path)
    assert layer.data == {"config": "listen 80;\nworkers 4;\n"}
    assert layer.source == "--set-file config=app.conf"


def test_set_json_takes_structured_values() -> None:
    """`--set-json` with objects and arrays (Helm 3.10+) would be refused or stringified."""
    expression = 'ports=[{"port":80},{"port":443}],debug=true,name="7",empty='
    assert setting.parse_set(expression, kind="json").data == {
        "ports": [{"port": 80}, {"port": 443}], "debug": True, "name": "7", "empty": None,
    }


def test_set_literal_takes_everything_after_the_equals_sign() -> None:
    """A value with commas and backslashes would be split or unescaped."""
    assert setting.parse_set("sql=a,b=c\\d", kind="literal").data == {"sql": "a,b=c\\d"}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a\\[0]=1", {"a[0]": 1}),
        ("a\\.b=1", {"a.b": 1}),
        ("a\\=b=1", {"a=b": 1}),
        ("a\\,b=1", {"a,b": 1}),
        ("a]=1", {"a]": 1}),
        ("a=x\\,y\\=z\\[0]", {"a": "x,y=z[0]"}),
        ("a={x\\,y,z}", {"a": ["x,y", "z"]}),
    ],
)
def test_escapes_keep_special_characters_literal(expression: str, expected: dict) -> None:
    """`--set a\\[0]=1` would be refused instead of setting the key `a[0]`, as Helm does."""
    assert setting.parse_set(expression).data == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a,b=1", {"a,b": "1"}),
        ("a\\.b=x\\,y", {"a\\": {"b": "x\\,y"}}),
        ("conf.sql=select a, b from t where c=1", {"conf": {"sql": "select a, b from t where c=1"}}),
        ("a={1,2}", {"a": "{1,2}"}),
    ],
)
def test_set_literal_reads_keys_without_escapes_and_the_value_verbatim(expression: str, expected: dict) -> None:
    """`--set-literal` would unescape or split a key that Helm takes as written."""
    assert setting.parse_set(expression, kind="literal").data == expected


def test_set_json_takes_a_whole_object() -> None:
    """`--set-json '{"a":2}'` (Helm 3.15+) would be refused as a key without a value."""
    layer = setting.parse_set(' {"a": 2, "b": {"c": [1, null]}} ', kind="json")
    assert layer.data == {"a": 2, "b": {"c": [1, None]}}


def test_escaped_dots_keep_a_key_whole() -> None:
    """An annotation key like prometheus.io/scrape would become nested maps."""
    assert setting.parse_set("podAnnotations.prometheus\\.io/scrape=true").data == {
        "podAnnotations": {"prometheus.io/scrape": True}
    }


def test_index_assignments_are_recorded_as_list_edits() -> None:
    """`--set ports[1].port=x` would replace the whole ports list instead of editing element 1."""
    assert setting.parse_set("ports[1].port=8443").list_edits == {("ports", 1)}


def test_a_whole_list_assignment_is_not_an_edit() -> None:
    """`a={x,y},a[2]=z` would patch the list below instead of replacing it with [x, y, z]."""
    layer = setting.parse_set("a={x,y},a[2]=z")
    assert layer.data == {"a": ["x", "y", "z"]}
    assert layer.list_edits == frozenset()


def test_too_deep_nesting_is_refused() -> None:
    """A runaway generated --set would allocate without bound (Helm limits nesting to 30)."""
    with pytest.raises(errors.ValuesError, match="at most 30 nested keys"):
        setting.parse_set(".".join(["k"] * 40) + "=1")


def test_an_unknown_kind_is_a_programming_error() -> None:
    """A typo in the CLI wiring would silently parse --set-json as --set."""
    with pytest.raises(ValueError, match="unknown --set kind"):
        setting.parse_set("a=1", kind="yaml")  # type: ignore[arg-type]


# --- round trips ------------------------------------------------------------------------------

_SPECIAL = set("\\,.=[]{}")


def _escape(text: str) -> str:
    return "".join("\\" + char if char in _SPECIAL else char for char in text)


def _render_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return _escape(str(value))


def _render(tree: dict, prefix: str = "") -> list[str]:
    parts = []
    for key, value in tree.items():
        path = prefix + _escape(key)
        if isinstance(value, dict):
            parts.extend(_render(value, path + "."))
        elif isinstance(value, list):
            parts.append(f"{path}={{{','.join(_render_scalar(item) for item in value)}}}")
        else:
            parts.append(f"{path}={_render_scalar(value)}")
    return parts


_KEYS = st.text(min_size=1, max_size=5)
_UNTYPED = st.text(max_size=6).filter(lambda text: setting.typed_value(text) == text)
_TYPED_SCALARS = st.one_of(_UNTYPED, st.booleans(), st.none(), st.integers(-(2**63), 2**63 - 1))
_LIST_OK = lambda items: items != [""]  # noqa: E731  `{}` is the empty list, so [""] has no spelling


def _maps(scalars: st.SearchStrategy) -> st.SearchStrategy[dict]:
    lists = st.lists(scalars, max_size=3).filter(_LIST_OK)
    return st.dictionaries(
        _KEYS,
        st.recursive(
            st.one_of(scalars, lists), lambda c: st.dictionaries(_KEYS, c, min_size=1, max_size=3), max_leaves=8
        ),
        min_size=1,
        max_size=4,
    )


@given(_maps(_TYPED_SCALARS))
def test_a_map_written_as_set_parses_back_to_itself(tree: dict) -> None:
    """Some key or value (with , . = [ ] { } or \\) could not be passed through --set intact."""
    assert setting.parse_set(",".join(_render(tree))).data == tree


@given(_maps(st.one_of(st.text(max_size=6), st.sampled_from(["true", "123", "null", "0", "False"]))))
def test_set_string_parses_every_value_back_as_the_same_string(tree: dict) -> None:
    """A string that looks like a number or a boolean would change type through --set-string."""
    assert setting.parse_set(",".join(_render(tree)), kind="string").data == tree


@given(_maps(_TYPED_SCALARS))
def test_a_map_written_as_set_json_parses_back_to_itself(tree: dict) -> None:
    """Some JSON value would not survive --set-json, e.g. one holding commas."""
    parts = [f"{_escape(key)}={json.dumps(value)}" for key, value in tree.items()]
    assert setting.parse_set(",".join(parts), kind="json").data == tree


@pytest.mark.parametrize(
    ("expression", "kind", "expected"),
    [
        ("", "set", "expected a key=value assignment at position 1"),
        ("a[1", "set", "expected a closing ']' for this list index at position 2"),
        ("a[ 1]=x", "set", "expected a list index (a number) inside [ ] at position 3, found ' 1'"),
        ('{"a":2},b=3', "json", "expected the end after the JSON object at position 8, found ','"),
        ("a.=1", "set", "expected a key at position 3, found '='"),
        ("a[0]x=1", "set", "expected '.', '[' or '=' after the list index at position 5, found 'x'"),
        ("a={x}y", "set", "expected ',' or the end after '}' at position 6, found 'y'"),
        ("a[70000]=1", "set", "expected a list index of at most 65536 at position 3"),
        ("a[0]=1,a.b=2", "set", "a.b needs a to be a mapping, but this expression already made it a list"),
        ("a=[1] 2", "json", "expected ',' or the end after the JSON value at position 7, found '2'"),
        ("a=" + "[" * 100_000, "json", "expected a JSON value at position 3, found one nested too deeply"),
    ],
)
def test_a_syntax_error_names_the_expression_position_and_what_was_expected(
    expression: str, kind: setting.Kind, expected: str
) -> None:
    """A typo in a CI variable would fail with no hint of where in the --set it is."""
    with pytest.raises(errors.ValuesError) as caught:
        setting.parse_set(expression, kind=kind)
    assert expected in str(caught.value)
    assert f"{setting.FLAGS[kind]} {expression[:40]}" in str(caught.value)


def test_set_file_keeps_the_file_text_as_it_is(tmp_path: Path) -> None:
    """A --set-file of a Windows-edited file would lose its CRLF line ends, which Helm keeps."""
    (tmp_path / "script.bat").write_bytes(b"echo one\r\necho two\r\n")
    assert setting.parse_set("script=script.bat", kind="file", base_dir=tmp_path).data == {"script": "echo one\r\necho two\r\n"}


def test_set_file_that_is_not_text_names_the_file(tmp_path: Path) -> None:
    """A binary file passed with --set-file would crash with a UnicodeDecodeError traceback."""
    (tmp_path / "blob.bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(errors.ValuesError, match=r"--set-file cert=blob.bin: cannot read .*blob.bin: not UTF-8 text"):
        setting.parse_set("cert=blob.bin", kind="file", base_dir=tmp_path)


def test_set_file_that_is_not_text_says_where_and_how_to_pass_binary_data(tmp_path: Path) -> None:
    """A binary --set-file would fail without saying which byte, or how to pass binary data instead."""
    (tmp_path / "cert.der").write_bytes(b"0\x82\x01\n\xa0")
    with pytest.raises(errors.ValuesError, match=r"byte 0x82 at offset 1") as caught:
        setting.parse_set("cert=cert.der", kind="file", base_dir=tmp_path)
    assert "base64" in caught.value.hint and "b64dec" in caught.value.hint
