"""Hypothesis strategies for values trees, shared by the values tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Few keys, so that generated layers overlap and merges have work to do.
KEYS = st.sampled_from(["a", "b", "c", "d"])
SCALARS = st.one_of(st.booleans(), st.integers(-5, 5), st.text(max_size=3))
PLAIN_LEAVES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.just({}))


def trees(*, nulls: bool = False) -> st.SearchStrategy[dict]:
    """Nested values mappings; with `nulls`, some values are null (deletions)."""
    leaves = st.one_of(PLAIN_LEAVES, st.none()) if nulls else PLAIN_LEAVES
    nested = st.recursive(leaves, lambda children: st.dictionaries(KEYS, children, max_size=3), max_leaves=10)
    return st.dictionaries(KEYS, nested, max_size=4)


SHAPES = st.dictionaries(
    KEYS,
    st.recursive(
        st.just("leaf"), lambda children: st.dictionaries(KEYS, children, min_size=1, max_size=3), max_leaves=8
    ),
    min_size=1,
    max_size=4,
)


@st.composite
def tree_of_shape(draw: st.DrawFn, shape: dict) -> dict:
    """A null-free tree whose every path is a mapping or a leaf as `shape` says (so no type clashes)."""
    result: dict[str, Any] = {}
    for key, sub in shape.items():
        if draw(st.booleans()):
            result[key] = draw(st.one_of(SCALARS, st.lists(SCALARS, max_size=3))) if sub == "leaf" else draw(
                tree_of_shape(sub)
            )
    return result


def leaves(tree: dict, prefix: tuple = ()) -> list[tuple[tuple, Any]]:
    """(path, value) of every leaf: scalars, lists, nulls and empty mappings."""
    found: list[tuple[tuple, Any]] = []
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            found.extend(leaves(value, (*prefix, key)))
        else:
            found.append(((*prefix, key), value))
    return found


def lookup(tree: Any, path: tuple) -> Any:
    """The value at `path`, or the `MISSING` marker."""
    for part in path:
        if not isinstance(tree, dict) or part not in tree:
            return MISSING
        tree = tree[part]
    return tree


MISSING = object()
