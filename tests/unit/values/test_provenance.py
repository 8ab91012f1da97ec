"""Composed values know which layer set every leaf and whether it is secret."""

from __future__ import annotations

import copy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploykit import errors
from deploykit.values import loading, merging, provenance, setting
from deploykit.values.layers import ValuesLayer
from deploykit.values.provenance import Origin
from tests.unit.values.samples import WEB, web_values
from tests.unit.values.strategies import MISSING, lookup, trees



def _layer(data: dict, source: str, *, secret: bool = False) -> ValuesLayer:
    return loading.load_mapping(data, source=source, secret=secret)


@pytest.fixture
def web() -> provenance.Values:
    """Chart defaults < staging.yaml < secrets.yaml (secret) < --set, as a deploy composes them."""
    return web_values("image.tag=1.5.0")


def test_composed_values_follow_helm_precedence(web: provenance.Values) -> None:
    """An environment file or --set would not override the chart's defaults."""
    assert web.data["replicas"] == 3
    assert web.data["image"] == {"repository": "registry.example.com/web", "tag": "1.5.0", "pullPolicy": "IfNotPresent"}
    assert web.data["resources"] == {"limits": {"cpu": "500m"}}
    assert web.data["db"]["password"] == "s3cr3t-staging-pw"


def test_every_leaf_names_the_layer_that_set_it(web: provenance.Values) -> None:
    """A schema error or a plan could not tell the user which file to fix."""
    assert web.source_of("replicas") == Origin(str(WEB / "staging.yaml"))
    assert web.source_of("image.tag") == Origin("--set image.tag=1.5.0")
    assert web.source_of(("image", "repository")) == Origin(str(WEB / "values.yaml"))
    assert web.source_of("db.password") == Origin(str(WEB / "secrets.yaml"), secret=True)


def test_a_path_inside_a_list_belongs_to_the_list(web: provenance.Values) -> None:
    """A problem at ports[1].port could not be traced to the file that set the ports list."""
    assert web.source_of("ports[1].port") == Origin(str(WEB / "values.yaml"))


def test_a_mapping_with_keys_or_a_missing_path_has_no_single_origin(web: provenance.Values) -> None:
    """A lookup of a section would wrongly blame one file for all its keys."""
    assert web.source_of("image") is None
    assert web.source_of("nothing.here") is None
    assert web.sources_under("image") == [Origin(str(WEB / "values.yaml")), Origin("--set image.tag=1.5.0")]


def test_secret_leaves_are_exactly_those_from_secret_layers(web: provenance.Values) -> None:
    """A decrypted value would escape the redactor, or a plain value would be masked for nothing."""
    assert dict(web.secret_leaves()) == {
        ("db", "password"): "s3cr3t-staging-pw",
        ("db", "apiToken"): "tok_9f8e7d6c5b4a",
    }
    assert web.is_secret("db.password")
    assert web.is_secret("db")  # holds a secret leaf
    assert not web.is_secret("db.host")
    assert not web.is_secret("nothing")


def test_a_plain_override_of_a_secret_leaf_is_no_longer_secret() -> None:
    """A value the user typed would be masked in diffs although it came from no secret file."""
    values = provenance.compose([_layer({"token": "abc"}, "secrets.yaml", secret=True), setting.parse_set("token=dev")])
    assert not values.is_secret("token")
    assert list(values.secret_leaves()) == []


def test_redacted_masks_secret_leaves_in_a_copy(web: provenance.Values) -> None:
    """Release records or printed values would hold decrypted passwords."""
    redacted = web.redacted()
    assert redacted["db"] == {"host": "db.internal", "user": "web", "password": "<secret>", "apiToken": "<secret>"}
    redacted["image"]["tag"] = "changed"
    assert web.data["image"]["tag"] == "1.5.0"
    assert web.redacted(lambda value: f"len={len(value)}")["db"]["password"] == "len=17"


def test_repr_never_shows_values(web: provenance.Values) -> None:
    """Logging the values object would print decrypted secrets."""
    assert "s3cr3t" not in repr(web)
    assert "secret" in repr(web)


def test_get_reads_paths_with_keys_and_indices(web: provenance.Values) -> None:
    """A chart condition like `ingress.enabled` could not be evaluated."""
    assert web.get("ingress.enabled") is True
    assert web.get("ports[1].name") == "metrics"
    assert web.get("ports[7].name", "none") == "none"
    assert web.get(("image", "tag", "deeper")) is None


def test_section_keeps_provenance(web: provenance.Values) -> None:
    """A subchart's schema errors would lose the file that set the offending value."""
    db = web.section("db")
    assert db.data["host"] == "db.internal"
    assert db.source_of("password") == Origin(str(WEB / "secrets.yaml"), secret=True)
    assert web.section("absent").data == {}


def test_a_section_that_is_not_a_mapping_names_who_set_it() -> None:
    """`--set redis=true` for a subchart would crash rendering with an obscure type error."""
    values = provenance.compose([setting.parse_set("redis=true")])
    with pytest.raises(errors.ValuesError, match=r"redis must be a mapping of values, but --set redis=true sets it"):
        values.section("redis")


def test_compose_over_a_base_leaves_the_base_unchanged() -> None:
    """Composing a second environment would change the first one's values."""
    base = provenance.compose([_layer({"image": {"tag": "1", "repo": "web"}}, "defaults")])
    before = copy.deepcopy(base.data)
    result = provenance.compose([_layer({"image": {"tag": "2"}}, "prod.yaml")], base=base)
    assert base.data == before
    assert result.data == {"image": {"tag": "2", "repo": "web"}}
    assert result.source_of("image.repo") == Origin("defaults")


def test_composed_values_can_be_a_layer_and_keep_their_origins() -> None:
    """A parent's section layered over subchart defaults would lose which file set each value."""
    parent = provenance.compose([
        _layer({"redis": {"port": 1}}, "parent.yaml"),
        _layer({"redis": {"auth": "x"}}, "s.yaml", secret=True),
    ])
    defaults = _layer({"port": 6379, "image": "redis"}, "chart redis defaults")
    sub = provenance.compose([defaults, parent.section("redis")])
    assert sub.data == {"port": 1, "image": "redis", "auth": "x"}
    assert sub.source_of("port") == Origin("parent.yaml")
    assert sub.is_secret("auth")


def test_a_set_index_edits_the_list_from_a_values_file() -> None:
    """`-f values.yaml --set hosts[0].name=x` would drop the other hosts and keys (Helm edits in place)."""
    values = provenance.compose([
        _layer({"hosts": [{"name": "a", "paths": ["/"]}, {"name": "b"}]}, "values.yaml"),
        setting.parse_set("hosts[0].name=x"),
    ])
    assert values.data["hosts"] == [{"name": "x", "paths": ["/"]}, {"name": "b"}]
    assert values.source_of("hosts") == Origin("--set hosts[0].name=x")


def test_a_set_index_beyond_the_list_grows_it_with_nulls() -> None:
    """`--set list[3]=x` over a two-element list would fail or drop the elements."""
    values = provenance.compose([_layer({"list": ["a", "b"]}, "v.yaml"), setting.parse_set("list[3]=x")])
    assert values.data["list"] == ["a", "b", None, "x"]


def test_a_set_index_into_a_secret_list_keeps_it_secret() -> None:
    """Editing one element of a secret list would expose the other decrypted elements."""
    secret_list = _layer({"tokens": ["t1", "t2"]}, "s.yaml", secret=True)
    values = provenance.compose([secret_list, setting.parse_set("tokens[1]=x")])
    assert values.data["tokens"] == ["t1", "x"]
    assert values.is_secret("tokens")


def test_a_set_index_leaves_the_lower_layer_untouched() -> None:
    """Patching a list for one release would patch the chart's defaults for the next."""
    defaults = _layer({"list": [{"a": 1}]}, "defaults")
    provenance.compose([defaults, setting.parse_set("list[0].a=2")])
    assert defaults.data == {"list": [{"a": 1}]}


# --- properties -------------------------------------------------------------------------------


@given(st.lists(trees(nulls=True), min_size=1, max_size=4))
def test_compose_gives_the_same_data_as_merging_in_order(datas: list[dict]) -> None:
    """compose and merge would disagree on Helm's rules."""
    expected: dict = {}
    for data in datas:
        expected = merging.merge(expected, data)
    layers = [_layer(data, f"layer{index}") for index, data in enumerate(datas)]
    assert provenance.compose(layers).data == expected


@given(st.lists(trees(nulls=True), min_size=1, max_size=4))
def test_every_leaf_points_at_the_last_layer_that_set_it(datas: list[dict]) -> None:
    """A message would blame a file whose value was overridden later."""
    values = provenance.compose([_layer(data, f"layer{index}") for index, data in enumerate(datas)])
    for path, value, origin in values.leaves():
        index = int(origin.source.removeprefix("layer"))
        written = lookup(datas[index], path)
        assert written == value or (isinstance(value, dict) and isinstance(written, dict))
        for later in datas[index + 1 :]:
            at_path = lookup(later, path)
            assert at_path is MISSING or (at_path == {} and isinstance(value, dict))
            assert all(isinstance(lookup(later, path[:depth]), dict) or lookup(later, path[:depth]) is MISSING
                       for depth in range(1, len(path)))


@given(st.lists(trees(nulls=True), min_size=2, max_size=5), st.data())
def test_composing_a_prefix_first_gives_the_same_values_and_origins(datas: list[dict], data: st.DataObject) -> None:
    """Composing parent values once and reusing them would give different results or blame."""
    layers = [_layer(tree, f"layer{index}", secret=index % 2 == 1) for index, tree in enumerate(datas)]
    split = data.draw(st.integers(1, len(layers) - 1))
    whole = provenance.compose(layers)
    grouped = provenance.compose(layers[split:], base=provenance.compose(layers[:split]))
    assert grouped.data == whole.data
    assert list(grouped.leaves()) == list(whole.leaves())


@given(trees(nulls=True), trees(nulls=True))
def test_without_nulls_drops_exactly_the_null_leaves_and_keeps_the_rest(defaults, overrides):
    """A null over a subchart default would reach templates as None, or values without nulls would be copied for
    nothing on every render (the check for nulls must find exactly the leaves `leaves()` calls None)."""
    composed = provenance.compose([_layer(defaults, "values.yaml"), _layer(overrides, "-f a.yaml")], keep_nulls=True)
    pruned = composed.without_nulls()
    has_null = any(value is None for _, value, _ in composed.leaves())
    assert (pruned is composed) is not has_null
    assert [leaf for leaf in composed.leaves() if leaf[1] is not None] == list(pruned.leaves())


def test_a_list_holding_null_is_a_value_not_a_null_marker():
    """`ports: [null]` would be pruned from the values a template sees."""
    composed = provenance.compose([_layer({"ports": [None]}, "values.yaml")], keep_nulls=True)
    assert composed.without_nulls().data == {"ports": [None]}
    assert provenance.compose([composed, _layer({"a": None}, "-f a.yaml")], keep_nulls=True).without_nulls().data == {"ports": [None]}
