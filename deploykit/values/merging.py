"""Merging values with Helm's rules: maps merge, lists and scalars replace, null deletes.

Owns the merge rules and the one engine that applies them, with or without
provenance. `merge` is pure and never mutates or shares its inputs; the
engine (`merge_into`) works in place on trees that its caller owns (see
`provenance.compose`), copying shared subtrees on first write.

A merged mapping never holds null: a null deletes the key below it (Helm
drops a key set to null). A mapping whose keys were all deleted stays as an
empty mapping. Lists are leaves; nulls inside them stay. With `keep_nulls`
a null over a key that is not there yet stays, as a marker that deletes the
key from whatever is merged below it later (a subchart's defaults, which
Helm coalesces after the user's values); `without_nulls` drops the markers.

Must not read files, parse text or know where layers come from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_SCALARS = frozenset({str, int, float, bool})

# A patch of list elements a `--set a[1]=x` assigned: list path -> assigned indices.
ListPatches = dict[tuple, frozenset[int]]


def merge(base: Mapping, overlay: Mapping, *, keep_nulls: bool = False) -> dict:
    """A new dict: `overlay` deep-merged over `base` with Helm's rules; inputs untouched."""
    result: dict = {}
    origins: dict = {}
    owned: set[int] = {id(result), id(origins)}
    merge_into(result, origins, base, origin=None, owned=owned, keep_nulls=keep_nulls)
    merge_into(result, origins, overlay, origin=None, owned=owned, keep_nulls=keep_nulls)
    return result


def merge_keeping_nulls(base: Mapping, overlay: Mapping) -> dict:
    """`merge` that keeps a null over a missing key as a deletion marker for defaults merged below later."""
    return merge(base, overlay, keep_nulls=True)


def without_nulls(tree: Mapping) -> dict:
    """A copy of `tree` without the null markers `keep_nulls` left in its mappings (lists untouched)."""
    return {
        key: without_nulls(value) if isinstance(value, Mapping) else value
        for key, value in tree.items()
        if value is not None
    }


def list_patches(element_paths: frozenset[tuple]) -> ListPatches:
    """Group the element paths a `--set` assigned by index into list path -> indices."""
    grouped: dict[tuple, set[int]] = {}
    for path in element_paths:
        grouped.setdefault(path[:-1], set()).add(path[-1])
    return {path: frozenset(indices) for path, indices in grouped.items()}


def merge_into(
    target: dict,
    origins: dict,
    overlay: Mapping,
    *,
    origin: Any,
    owned: set[int],
    patches: ListPatches | None = None,
    combine: Callable[[Any, Any], Any] | None = None,
    path: tuple = (),
    keep_nulls: bool = False,
) -> None:
    """Merge `overlay` into `target` in place, recording `origin` for every leaf it sets.

    `origin` is one origin for the whole overlay, or a tree mirroring it
    (when the overlay is itself composed values). `origins` mirrors `target`:
    a key maps to a nested dict where the value is a non-empty mapping,
    otherwise to the origin of that leaf. `owned` holds
    the ids of the dicts (of both trees) the caller may mutate; any other dict
    reached is copied before it is written. A list at a path in `patches` is
    patched element by element rather than replaced; its origin becomes
    `combine(previous origin, origin)`. With `keep_nulls`, a null over a
    missing key (or over an earlier marker) is stored as a marker.
    """
    tree = type(origin) is dict
    for key, value in overlay.items():
        leaf_origin = origin[key] if tree else origin
        kind = type(value)
        if kind in _SCALARS:
            target[key] = value
            origins[key] = leaf_origin
        elif value is None:
            if keep_nulls and target.get(key, None) is None:
                target[key] = None
                origins[key] = leaf_origin
            elif key in target:
                del target[key]
                del origins[key]
        elif kind is list:
            if patches and (*path, key) in patches:
                previous = target.get(key)
                target[key] = _patch_list(previous, value, (*path, key), patches)
                patched = combine(origins.get(key), leaf_origin) if combine and previous is not None else leaf_origin
                origins[key] = patched
            else:
                target[key] = _copy_list(value)
                origins[key] = leaf_origin
        elif kind is dict or isinstance(value, Mapping):
            current = target.get(key)
            if type(current) is not dict or not (current or not value):
                adopted, branch = _adopt(value, leaf_origin, owned, keep_nulls=keep_nulls)
                target[key] = adopted
                origins[key] = branch if adopted else leaf_origin
            elif not value:
                # `key: {}` over a mapping keeps it, as in Helm: only null deletes.
                if not current:
                    origins[key] = leaf_origin
            else:
                if id(current) not in owned:
                    current = target[key] = dict(current)
                    owned.add(id(current))
                branch = origins[key]
                if id(branch) not in owned:
                    branch = origins[key] = dict(branch)
                    owned.add(id(branch))
                merge_into(
                    current, branch, value, origin=leaf_origin, owned=owned,
                    patches=patches, combine=combine, path=(*path, key) if patches else path,
                    keep_nulls=keep_nulls,
                )
                if not current:
                    origins[key] = leaf_origin
        else:
            target[key] = value
            origins[key] = leaf_origin


def _adopt(mapping: Mapping, origin: Any, owned: set[int], *, keep_nulls: bool = False) -> tuple[dict, dict]:
    """Copy a subtree the target does not have yet, dropping nulls (unless kept), with the origins of its leaves."""
    tree = type(origin) is dict
    data: dict = {}
    origins: dict = {}
    for key, value in mapping.items():
        kind = type(value)
        if kind in _SCALARS:
            data[key] = value
        elif value is None:
            if not keep_nulls:
                continue
            data[key] = None
        elif kind is list:
            data[key] = _copy_list(value)
        elif (kind is dict or isinstance(value, Mapping)) and value:
            child, branch = _adopt(value, origin[key] if tree else origin, owned, keep_nulls=keep_nulls)
            data[key] = child
            origins[key] = branch if child else (origin[key] if tree else origin)
            continue
        else:
            data[key] = {} if isinstance(value, Mapping) else value
        origins[key] = origin[key] if tree else origin
    owned.add(id(data))
    owned.add(id(origins))
    return data, origins


def _copy_value(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS or value is None:
        return value
    if kind is list or kind is tuple:
        return _copy_list(value)
    if isinstance(value, Mapping):
        return {key: _copy_value(item) for key, item in value.items()}
    return value


def _copy_list(items: list) -> list:
    if all(type(item) in _SCALARS or item is None for item in items):
        return list(items)
    return [_copy_value(item) for item in items]


def _patch_list(previous: Any, items: list, path: tuple, patches: ListPatches) -> list:
    """Write the assigned elements of `items` into (a copy of) the list composed so far."""
    result = list(previous) if type(previous) is list else []
    indices = patches[path]
    if len(result) < len(items):
        result.extend([None] * (len(items) - len(result)))
    for index in indices:
        result[index] = _patch_value(result[index], items[index], (*path, index), patches)
    return result


def _patch_value(previous: Any, value: Any, path: tuple, patches: ListPatches) -> Any:
    if type(value) is list and path in patches:
        return _patch_list(previous, value, path, patches)
    if isinstance(value, Mapping) and isinstance(previous, Mapping):
        # `--set list[0].name=x` edits the element in place, keeping its other keys.
        merged = dict(previous)
        for key, item in value.items():
            if item is None:
                merged.pop(key, None)
            else:
                merged[key] = _patch_value(previous.get(key), item, (*path, key), patches)
        return merged
    return _copy_value(value)
