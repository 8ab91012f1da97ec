"""Merging with Helm's rules: maps merge, lists and scalars replace, null deletes; inputs untouched."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from deploykit.values import merging
from tests.unit.values.strategies import MISSING, SHAPES, leaves, lookup, tree_of_shape, trees


def test_maps_merge_key_by_key_at_every_depth() -> None:
    """An override of image.tag would drop image.repository from the chart defaults."""
    base = {"image": {"repository": "web", "tag": "1", "pull": {"policy": "Always", "secret": "x"}}}
    overlay = {"image": {"tag": "2", "pull": {"policy": "Never"}}}
    assert merging.merge(base, overlay) == {
        "image": {"repository": "web", "tag": "2", "pull": {"policy": "Never", "secret": "x"}}
    }


def test_lists_replace_as_a_whole() -> None:
    """An environment's args would be appended to the defaults' args instead of replacing them."""
    assert merging.merge({"args": ["--a", "--b"]}, {"args": ["--c"]}) == {"args": ["--c"]}


def test_a_scalar_replaces_a_mapping_and_a_mapping_replaces_a_scalar() -> None:
    """Switching a value between a string and a structure in an override would be ignored or crash."""
    assert merging.merge({"auth": {"user": "u"}}, {"auth": "none"}) == {"auth": "none"}
    assert merging.merge({"auth": "none"}, {"auth": {"user": "u"}}) == {"auth": {"user": "u"}}


def test_null_deletes_the_key() -> None:
    """`resources: null` in an override would leave the chart's resource limits in place."""
    base = {"resources": {"limits": {"cpu": 1, "memory": "1Gi"}}, "name": "web"}
    assert merging.merge(base, {"resources": {"limits": {"cpu": None}}}) == {
        "resources": {"limits": {"memory": "1Gi"}},
        "name": "web",
    }
    assert merging.merge(base, {"resources": None}) == {"name": "web"}


def test_null_for_an_absent_key_leaves_no_key() -> None:
    """A null meant to delete would instead appear in the values as an explicit null."""
    assert merging.merge({"a": 1}, {"b": None, "c": {"d": None}}) == {"a": 1, "c": {}}


def test_a_kept_null_over_an_absent_key_deletes_a_default_merged_below_later() -> None:
    """`--set sub.limits=null` would survive composing only to be lost before the subchart's defaults come in."""
    user = merging.merge_keeping_nulls({"sub": {"keep": 1}}, {"sub": {"limits": None, "keep": None}, "x": None})
    assert user == {"sub": {"limits": None}, "x": None}
    subchart = merging.merge_keeping_nulls({"limits": {"cpu": 1}, "requests": {"cpu": 2}}, user["sub"])
    assert merging.without_nulls(subchart) == {"requests": {"cpu": 2}}


def test_an_empty_mapping_does_not_clear_a_mapping() -> None:
    """`podAnnotations: {}` in an override would wipe the chart's annotations (Helm keeps them)."""
    assert merging.merge({"ann": {"a": "1"}}, {"ann": {}}) == {"ann": {"a": "1"}}


def test_deleting_every_key_leaves_an_empty_mapping() -> None:
    """A fully emptied section would vanish and templates reading it would fail as missing."""
    assert merging.merge({"ann": {"a": "1"}}, {"ann": {"a": None}}) == {"ann": {}}


def test_the_result_shares_nothing_with_the_inputs() -> None:
    """Editing merged values (e.g. adding globals) would silently edit the chart's defaults."""
    base = {"image": {"tag": "1"}, "args": [{"x": 1}]}
    result = merging.merge(base, {"image": {"pull": "Always"}})
    result["image"]["tag"] = "changed"
    result["args"][0]["x"] = 2
    assert base == {"image": {"tag": "1"}, "args": [{"x": 1}]}


@given(trees(nulls=True), trees(nulls=True))
def test_merge_never_mutates_its_inputs(base: dict, overlay: dict) -> None:
    """Composing the same defaults for two releases would give different results."""
    before = copy.deepcopy((base, overlay))
    merging.merge(base, overlay)
    assert (base, overlay) == before


@given(trees(nulls=True), trees(nulls=True))
def test_every_value_of_the_overlay_wins(base: dict, overlay: dict) -> None:
    """An -f file or --set value would be shadowed by a lower layer."""
    result = merging.merge(base, overlay)
    for path, value in leaves(overlay):
        if value is None:
            assert lookup(result, path) is MISSING
        elif value == {}:
            assert isinstance(lookup(result, path), dict)
        else:
            assert lookup(result, path) == value


@given(trees(), trees(nulls=True))
def test_base_values_survive_unless_the_overlay_touches_their_path(base: dict, overlay: dict) -> None:
    """A chart default unrelated to an override would disappear."""
    result = merging.merge(base, overlay)
    for path, value in leaves(base):
        above = [lookup(overlay, path[:depth]) for depth in range(1, len(path))]
        replaced_above = any(item is not MISSING and not isinstance(item, dict) for item in above)
        if not replaced_above and lookup(overlay, path) is MISSING:
            assert lookup(result, path) == value


@given(trees(nulls=True))
def test_merged_mappings_never_hold_null(overlay: dict) -> None:
    """Templates would see explicit nulls where the user asked for deletion."""
    assert all(value is not None for _, value in leaves(merging.merge({}, overlay)))


@given(SHAPES.flatmap(lambda shape: st.tuples(*[tree_of_shape(shape)] * 3)))
def test_layering_is_associative_for_null_free_layers_of_one_shape(layers: tuple[dict, dict, dict]) -> None:
    """Grouping -f files differently (e.g. helmfile-style pre-merging) would change the result."""
    a, b, c = layers
    assert merging.merge(merging.merge(a, b), c) == merging.merge(a, merging.merge(b, c))
