"""Provenance: composed values that know, for every leaf, which layer set it and whether it is secret.

Owns `Values` (merged data plus a parallel tree of origins), `Origin` and
`compose`, which merges layers in order with `merging`'s rules. A leaf is a
scalar, a list (lists replace as a whole) or an empty mapping.

Must not read files or print values: `repr(Values)` never shows data, and
`redacted` is the way to get a copy that is safe to store or show.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.values import loading, merging, paths
from deploykit.values.layers import ValuesLayer


@frozen
class Origin:
    """Where a leaf came from: a layer's source, and whether that layer is secret."""

    source: str
    secret: bool = False


def _secret_mask(_value: Any) -> str:
    return "<secret>"


class Values:
    """Merged values and their provenance; read-only by convention (subtrees are shared)."""

    __slots__ = ("_origins", "_secret_free", "data")

    def __init__(self, data: dict | None = None, *, origins: dict | None = None, secret_free: bool = False) -> None:
        # Built by `compose`; `Values()` is empty values. Plain data has no origins: compose a layer.
        if data and origins is None:
            raise ValueError("Values(data) needs origins; use compose([loading.load_mapping(data, source=...)])")
        self.data: dict = data if data is not None else {}
        self._origins: dict = origins if origins is not None else {}
        # True when no layer behind these values was secret: secret_leaves() need not walk them
        self._secret_free = secret_free or not self.data

    def __repr__(self) -> str:
        secret = sum(1 for _ in self.secret_leaves())
        return f"<Values with {sum(1 for _ in self.leaves())} leaves, {secret} secret>"

    def __bool__(self) -> bool:
        return bool(self.data)

    def source_of(self, path: str | tuple) -> Origin | None:
        """The origin of the leaf at (or holding) `path`; None for a mapping with keys, or a missing path."""
        node = self._node(path)
        return node if isinstance(node, Origin) else None

    def is_secret(self, path: str | tuple) -> bool:
        """Whether the value at `path` is, or holds, a secret leaf."""
        node = self._node(path)
        if isinstance(node, Origin):
            return node.secret
        return isinstance(node, dict) and any(origin.secret for origin in _origins_in(node))

    def sources_under(self, path: str | tuple) -> list[Origin]:
        """The distinct origins of the leaves at or below `path`, in first-seen order."""
        node = self._node(path)
        if isinstance(node, Origin):
            return [node]
        if node is None:
            return []
        return list(dict.fromkeys(_origins_in(node)))

    def get(self, path: str | tuple, default: Any = None) -> Any:
        """The value at `path` (`"image.tag"`, `("ports", 0)`), or `default` when absent."""
        node: Any = self.data
        for part in _as_path(path):
            if isinstance(node, dict) and isinstance(part, str) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return default
        return node

    def leaves(self) -> Iterator[tuple[tuple, Any, Origin]]:
        """Every leaf as (path, value, origin)."""
        yield from _walk(self.data, self._origins, ())

    def secret_leaves(self) -> Iterator[tuple[tuple, Any]]:
        """Every secret leaf as (path, value): register these with the redactor."""
        if self._secret_free:
            return
        for path, value, origin in self.leaves():
            if origin.secret:
                yield path, value

    def section(self, key: str) -> Values:
        """The sub-tree under `key` with its provenance (a subchart's part); empty when absent."""
        value = self.data.get(key)
        if value is None or value == {}:
            return Values()
        if not isinstance(value, dict):
            origin = self._origins[key]
            raise errors.ValuesError(
                f"{paths.format_key(key)} must be a mapping of values, but {origin.source} sets it to "
                f"{loading.describe(value)}",
                hint=f"give {paths.format_key(key)} keys, e.g. `{paths.format_key(key)}:\\n  enabled: true`",
            )
        return Values(value, origins=self._origins[key], secret_free=self._secret_free)

    def nested(self, key: str) -> Values:
        """These values placed under `key` (the inverse of `section`)."""
        if not self.data:
            return Values()
        return Values({key: self.data}, origins={key: self._origins}, secret_free=self._secret_free)

    def without_nulls(self) -> Values:
        """These values without the null markers `compose(..., keep_nulls=True)` left: what templates see."""
        if not _holds_null(self.data, self._origins):
            return self
        data, origins = _prune(self.data, self._origins)
        return Values(data, origins=origins, secret_free=self._secret_free)

    def redacted(self, mask: Callable[[Any], Any] = _secret_mask) -> dict:
        """A deep copy of the data with every secret leaf replaced by `mask(value)`."""
        return _redact(self.data, self._origins, mask)

    def _node(self, path: str | tuple) -> Origin | dict | None:
        node: Any = self._origins
        for part in _as_path(path):
            if isinstance(node, Origin):
                return node  # the path points inside a list or scalar leaf
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node


def compose(layers: Sequence[ValuesLayer | Values], *, base: Values | None = None, keep_nulls: bool = False) -> Values:
    """Merge layers in order (later wins) over `base`, tracking the origin of every leaf.

    A layer may itself be composed `Values` (e.g. a parent chart's section);
    its leaves keep their own origins. `base` and the layers are not mutated.
    With `keep_nulls`, a null over a missing key stays as a marker that deletes
    the key from a subchart's defaults later (`without_nulls` drops markers).
    """
    data = dict(base.data) if base is not None else {}
    origins = dict(base._origins) if base is not None else {}
    owned = {id(data), id(origins)}
    secret_free = base is None or base._secret_free
    for layer in layers:
        secret_free = secret_free and (layer._secret_free if isinstance(layer, Values) else not layer.secret)
        if isinstance(layer, Values):
            merging.merge_into(data, origins, layer.data, origin=layer._origins, owned=owned, keep_nulls=keep_nulls)
            continue
        patches = merging.list_patches(layer.list_edits) if layer.list_edits else None
        merging.merge_into(
            data, origins, layer.data,
            origin=Origin(layer.source, layer.secret), owned=owned, patches=patches, combine=_patched_origin,
            keep_nulls=keep_nulls,
        )
    return Values(data, origins=origins, secret_free=secret_free)


def _patched_origin(previous: Origin | dict | None, origin: Origin) -> Origin:
    # Elements kept from the list below may be secret: the patched list stays secret then.
    if isinstance(previous, Origin) and previous.secret and not origin.secret:
        return Origin(origin.source, secret=True)
    return origin


def _as_path(path: str | tuple) -> tuple:
    return paths.parse_path(path) if isinstance(path, str) else path


def _origins_in(tree: dict) -> Iterator[Origin]:
    for node in tree.values():
        if isinstance(node, dict):
            yield from _origins_in(node)
        else:
            yield node


def _walk(data: dict, origins: dict, prefix: tuple) -> Iterator[tuple[tuple, Any, Origin]]:
    for key, value in data.items():
        node = origins[key]
        if isinstance(node, dict):
            yield from _walk(value, node, (*prefix, key))
        else:
            yield (*prefix, key), value, node


def _holds_null(data: dict, origins: dict) -> bool:
    """Whether some leaf (as `_walk` finds them) is None; no paths built: every render asks this of all values."""
    for key, value in data.items():
        node = origins[key]
        if type(node) is dict or isinstance(node, dict):
            if _holds_null(value, node):
                return True
        elif value is None:
            return True
    return False


def _prune(data: dict, origins: dict) -> tuple[dict, dict]:
    kept_data: dict = {}
    kept_origins: dict = {}
    for key, value in data.items():
        if value is None:
            continue
        node = origins[key]
        if isinstance(node, dict):
            kept_data[key], kept_origins[key] = _prune(value, node)
        else:
            kept_data[key], kept_origins[key] = value, node
    return kept_data, kept_origins


def _redact(data: dict, origins: dict, mask: Callable[[Any], Any]) -> dict:
    result = {}
    for key, value in data.items():
        node = origins[key]
        if isinstance(node, dict):
            result[key] = _redact(value, node, mask)
        elif node.secret:
            result[key] = mask(value)
        else:
            result[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
    return result

