"""Field sets and their fieldsV1 encoding."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploykit.sim import fieldpaths as fp

CONTAINER = 'k:{"name":"app"}'
TRIE = {
    "f:metadata": {"f:labels": {"f:app": {}}},
    "f:spec": {"f:containers": {CONTAINER: {".": {}, "f:image": {}, "f:name": {}}}, "f:replicas": {}},
}


def test_decode_then_encode_gives_back_the_trie():
    """A stored managedFields entry survives a read and a write unchanged."""
    assert fp.encode(fp.decode(TRIE)) == TRIE


def test_a_node_with_dot_is_a_member_with_children():
    """`.` makes a list item itself owned, not only its fields."""
    paths = fp.decode(TRIE)
    item = (fp.field("spec"), fp.field("containers"), CONTAINER)
    assert item in paths and item + (fp.field("image"),) in paths
    assert (fp.field("spec"),) not in paths and (fp.field("metadata"), fp.field("labels")) not in paths


def test_encoding_orders_keys_as_structured_merge_diff():
    """Fields come before keys, values and indexes; `.` comes first; text keys sort by name."""
    paths = {
        (fp.field("x"), fp.index(1)),
        (fp.field("x"), fp.value("b")),
        (fp.field("x"), fp.key([("name", "a")])),
        (fp.field("x"), fp.field("z")),
        (fp.field("x"),),
    }
    assert list(fp.encode(paths)["f:x"]) == [".", "f:z", 'k:{"name":"a"}', 'v:"b"', "i:1"]
    assert list(json.loads(json.dumps(fp.encode({(fp.field("b"),), (fp.field("a"),)})))) == ["f:a", "f:b"]


def test_key_elements_are_canonical_whatever_the_input_order():
    """Keys sort their fields, so `protocol, containerPort` and `containerPort, protocol` are one element."""
    spelled = 'k:{"protocol":"TCP","containerPort":80}'
    assert fp.canonical(spelled) == 'k:{"containerPort":80,"protocol":"TCP"}'
    assert fp.key([("protocol", "TCP"), ("containerPort", 80)]) == 'k:{"containerPort":80,"protocol":"TCP"}'
    assert fp.decode({"f:ports": {spelled: {}}}) == {("f:ports", 'k:{"containerPort":80,"protocol":"TCP"}')}


def test_json_is_written_as_go_writes_it():
    """HTML characters are escaped like Go's encoding/json, so keys match the real server byte for byte."""
    assert fp.go_json({"a": "<b>&"}) == '{"a":"\\u003cb\\u003e\\u0026"}'
    assert fp.value("héllo") == 'v:"héllo"'


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("f:spec", "f:replicas"), ".spec.replicas"),
        (("f:spec", "f:containers", 'k:{"name":"app"}', "f:image"), '.spec.containers[name="app"].image'),
        (("f:ports", 'k:{"containerPort":80,"protocol":"TCP"}'), '.ports[containerPort=80,protocol="TCP"]'),
        (("f:metadata", "f:finalizers", 'v:"x"'), '.metadata.finalizers[="x"]'),
        (("f:args", "i:0"), ".args[0]"),
    ],
)
def test_paths_print_as_in_conflict_messages(path, text):
    """Conflict causes name fields the way kubectl users know from real clusters."""
    assert fp.path_string(path) == text


def test_sorted_paths_list_members_of_a_node_before_its_children():
    """Several conflicts with one manager are listed in structured-merge-diff's order."""
    paths = {("f:b",), ("f:a", "f:x"), ("f:c",), ("f:a",)}
    assert fp.sorted_paths(paths) == [("f:a",), ("f:b",), ("f:c",), ("f:a", "f:x")]


@pytest.mark.parametrize(
    "bad",
    [[], {"f:a": []}, {"x:a": {}}, {'k:{"name":': {}}, {"i:one": {}}, {"k:[]": {}}],
    ids=["not-object", "child-not-object", "unknown-kind", "bad-json", "bad-index", "key-not-object"],
)
def test_malformed_fields_v1_is_refused(bad):
    """A corrupt managedFields entry is reported instead of being silently misread."""
    with pytest.raises(ValueError):
        fp.decode(bad)


def test_without_prefixes_drops_a_subtree():
    """Reset fields remove a whole subtree (status and everything under it) from a set."""
    paths = frozenset({("f:status",), ("f:status", "f:replicas"), ("f:spec", "f:replicas"), ("f:statusx",)})
    assert fp.without_prefixes(paths, frozenset({("f:status",)})) == {("f:spec", "f:replicas"), ("f:statusx",)}


_names = st.text(alphabet="abcxyz-./<&é", min_size=1, max_size=6)
_elements = st.one_of(
    _names.map(fp.field),
    st.dictionaries(_names, st.one_of(st.integers(-5, 5), _names, st.booleans()), min_size=1, max_size=2).map(
        lambda d: fp.key(d.items())),
    st.one_of(st.integers(-5, 5), _names).map(fp.value),
    st.integers(0, 9).map(fp.index),
)


@settings(max_examples=60, deadline=None)
@given(st.frozensets(st.lists(_elements, min_size=1, max_size=4).map(tuple), max_size=12))
def test_any_field_set_survives_encoding(paths):
    """Whatever a manager owns is read back identically from its fieldsV1."""
    encoded = fp.encode(paths)
    assert fp.decode(json.loads(json.dumps(encoded))) == paths
    assert fp.encode(fp.decode(encoded)) == encoded
