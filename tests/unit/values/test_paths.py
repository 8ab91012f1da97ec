"""Value paths: the text users read in messages and write in conditions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploykit import errors
from deploykit.values import paths


def test_list_indices_are_written_in_brackets() -> None:
    """Messages would show ports.1.port instead of the familiar ports[1].port."""
    assert paths.format_path(("ports", 1, "port")) == "ports[1].port"


def test_keys_with_dots_are_quoted() -> None:
    """An annotation key like a.b/c would read as three nested keys."""
    assert paths.format_path(("annotations", "a.b/c")) == 'annotations."a.b/c"'


def test_a_dotted_path_parses_to_keys_and_indices() -> None:
    """A condition like `redis.enabled` or `ports[0].port` would not resolve."""
    assert paths.parse_path('ports[0].port') == ("ports", 0, "port")
    assert paths.parse_path('annotations."a.b/c".x') == ("annotations", "a.b/c", "x")


def test_an_empty_path_is_the_top_level() -> None:
    """Looking up the whole values tree by "" would fail."""
    assert paths.parse_path("") == ()
    assert paths.format_path(()) == ""


@pytest.mark.parametrize("text", ["a..b", "a[x]", "a.", 'a."b', "a[1", "a b"])
def test_a_malformed_path_names_the_position(text: str) -> None:
    """A typo in a values path would surface as a confusing lookup failure."""
    with pytest.raises(errors.ValuesError, match=r"invalid value path .* at position \d+"):
        paths.parse_path(text)


keys = st.text(min_size=0, max_size=8)
path_items = st.lists(st.one_of(keys, st.integers(min_value=0, max_value=999)), max_size=6)


@given(st.builds(lambda first, rest: (first, *rest), keys, path_items))
def test_formatting_then_parsing_gives_the_path_back(path: tuple) -> None:
    """Some key (quotes, backslashes, dots) would print in a form that reads back as another path."""
    assert paths.parse_path(paths.format_path(path)) == path
