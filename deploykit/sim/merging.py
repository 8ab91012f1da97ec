"""The typed tree walks of server-side apply, over plain JSON objects.

Owns what structured-merge-diff's `typed` package does, walking an object
with its `typeinfo.TypeRef`:

- `validate`: the checks an applied configuration must pass (undeclared
  fields, scalar types, map-list items without keys, duplicate keys), with
  SMD's messages (`.spec.foo: field not declared in schema`).
- `field_set`: the set of fields an object sets (scalar leaves; set and
  map-list items with their `.`; atomic lists, maps and structs as one leaf;
  keys of plain maps; empty maps and nulls).
- `merge`: live ⊕ config (config wins on scalars and atomics; maps per key;
  map-lists per key, keeping the order SMD keeps; sets unioned).
- `compare`: the Modified / Added / Removed paths between two objects.
- `remove`: an object without the given members (list items, map keys,
  struct fields), emptied containers left as null as SMD leaves them.
- `stored_form`: what a Go round trip keeps of an object (no nulls; for
  built-in kinds no empty `omitempty` maps).

Pure functions: inputs are never mutated, but results share unchanged
subtrees with their inputs; copy before mutating a result. Knows nothing of
managers or managedFields (see `managing`).
"""

from __future__ import annotations

from typing import Any

from deploykit.sim import fieldpaths
from deploykit.sim.fieldpaths import FieldSet, Path
from deploykit.sim.typeinfo import ATOMIC, DEDUCED, DEDUCED_TYPE, LIST, MAP, SCALAR, TypeRef, for_value

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT", "__bool__": lambda self: False})()


class TypedError(ValueError):
    """An object does not fit its schema; `errors` are SMD-style "<path>: <message>" lines."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        if len(errors) == 1:
            text = errors[0]
        else:
            text = "\n".join(["errors:"] + ["  " + e for e in errors])
        super().__init__(text)


def _kind_of(item: Any) -> str:
    if isinstance(item, dict):
        return MAP
    if isinstance(item, list):
        return LIST
    return SCALAR


def item_element(t: TypeRef, item: Any) -> str:
    """The path element of a set or map-list item; raises ValueError with SMD's message."""
    if t.keys:
        if not isinstance(item, dict):
            if item is None:
                raise ValueError("associative list with keys may not have a null element")
            raise ValueError("associative list with keys may not have non-map elements")
        pairs = []
        for name in t.keys:
            found = item.get(name, ABSENT)
            if found is ABSENT:
                found = t.key_defaults.get(name, ABSENT)
            if found is not ABSENT:
                pairs.append((name, found))
        if not pairs:
            raise ValueError(
                "associative list with keys has an element that omits all key fields "
                f"{fieldpaths.go_json(list(t.keys))} (and doesn't have default values for any key fields)"
            )
        return fieldpaths.key(pairs)
    if isinstance(item, dict):
        raise ValueError("associative list without keys has an element that's a map type")
    if isinstance(item, list):
        raise ValueError("not supported: associative list with lists as elements")
    if item is None:
        raise ValueError("associative list without keys has an element that's an explicit null")
    return fieldpaths.value(item)


# --- validate -------------------------------------------------------------------------------

_SCALAR_CHECKS = {
    "numeric": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "expected numeric (int or float), got {go}"),
    "string": (lambda v: isinstance(v, str), "expected string, got {v}"),
    "boolean": (lambda v: isinstance(v, bool), "expected boolean, got {v}"),
    "untyped": (lambda v: isinstance(v, (str, int, float, bool)), "expected any scalar, got {v}"),
}

_GO_TYPE_NAMES = {str: "string", bool: "bool", int: "int64", float: "float64", dict: "map[string]interface {}", list: "[]interface {}"}


def validate(obj: Any, t: TypeRef, *, allow_duplicates: bool = False) -> list[str]:
    """SMD's validation of an object against its type; an empty list when it fits."""
    errors: list[str] = []
    _validate(obj, t, "", errors, allow_duplicates)
    return errors


def _validate(item: Any, t: TypeRef, path: str, errors: list[str], allow_duplicates: bool) -> None:
    t = for_value(t, item)
    if item is None:
        return
    kind = t.kind
    if kind == SCALAR:
        check, message = _SCALAR_CHECKS.get(t.scalar, _SCALAR_CHECKS["untyped"])
        if not check(item):
            errors.append(
                f"{path}: " + message.format(v=fieldpaths.go_json(item), go=_GO_TYPE_NAMES.get(type(item), "unknown"))
            )
        return
    if kind == MAP:
        if not isinstance(item, dict):
            errors.append(f"{path}: expected map, got {fieldpaths.go_json(item)}")
            return
        for name, child in item.items():
            child_type = t.field_type(name)
            if child_type is None:
                errors.append(f"{path}.{name}: field not declared in schema")
                return
            _validate(child, child_type, f"{path}.{name}", errors, allow_duplicates)
        return
    if not isinstance(item, list):
        errors.append(f"{path}: expected list, got {fieldpaths.go_json(item)}")
        return
    seen: set[str] = set()
    for position, child in enumerate(item):
        if t.list_type == ATOMIC:
            _validate(child, t.element, f"{path}[{position}]", errors, allow_duplicates)
            continue
        try:
            element = item_element(t, child)
        except ValueError as exc:
            errors.append(f"{path}: element {position}: {exc}")
            return
        if element in seen and not allow_duplicates:
            errors.append(f"{path}: duplicate entries for key {fieldpaths.element_string(element)}")
        seen.add(element)
        _validate(child, t.element, path + fieldpaths.element_string(element), errors, allow_duplicates)


# --- field sets -------------------------------------------------------------------------------


def field_set(obj: Any, t: TypeRef) -> FieldSet:
    """The fields an object sets, as structured-merge-diff's ToFieldSet computes them."""
    out: set[Path] = set()
    _field_set(obj, t, (), out)
    return frozenset(out)


def _field_set(item: Any, t: TypeRef, prefix: Path, out: set[Path]) -> None:
    t = for_value(t, item)
    kind = t.kind
    if kind == MAP and isinstance(item, dict):
        if t.atomic:
            out.add(prefix)
            return
        fields = t.fields
        for name, child in item.items():
            path = prefix + ("f:" + name,)
            child_type = fields.get(name)
            if child_type is None:
                child_type = t.field_type(name)
                out.add(path)  # keys of plain maps are members even when they have children
                if child_type is None:
                    continue
            elif child is None or (isinstance(child, dict) and not child):
                out.add(path)
            _field_set(child, child_type, path, out)
        return
    if kind == LIST and isinstance(item, list):
        if t.list_type == ATOMIC:
            out.add(prefix)
            return
        elements = [_safe_element(t, child) for child in item]
        duplicates = {e for e in elements if elements.count(e) > 1} if len(set(elements)) != len(elements) else ()
        element_type = t.element
        for element, child in zip(elements, item):
            path = prefix + (element,)
            out.add(path)
            if element not in duplicates:
                _field_set(child, element_type, path, out)
        return
    if kind == SCALAR or item is None or kind != _kind_of(item):
        out.add(prefix)
        return
    # An atomic-by-shape mismatch (a list where a map is declared...) is one leaf.
    out.add(prefix)


def _safe_element(t: TypeRef, item: Any) -> str:
    try:
        return item_element(t, item)
    except ValueError as exc:
        raise TypedError([str(exc)]) from exc


def named_members(paths: FieldSet, t: TypeRef) -> FieldSet:
    """SMD's EnsureNamedFieldsAreMembers: also own every struct field that has owned children."""
    out = set(paths)
    for path in paths:
        current: TypeRef | None = t
        for depth in range(len(path) - 1):
            if current is None or current.kind == DEDUCED:
                break
            element = path[depth]
            if element[0] == "f":
                if current.kind != MAP:
                    break
                named = current.fields.get(element[2:])
                if named is not None:
                    out.add(path[: depth + 1])
                    current = named
                else:
                    current = current.element
            else:
                current = current.element if current.kind == LIST else None
    return frozenset(out)


# --- merge ---------------------------------------------------------------------------------------


def merge(lhs: Any, rhs: Any, t: TypeRef) -> Any:
    """live ⊕ config. Either side may be ABSENT (not both); the result is ABSENT only if both are."""
    if rhs is ABSENT:
        return lhs
    if lhs is ABSENT:
        return rhs
    lt, rt = for_value(t, lhs), for_value(t, rhs)
    if lt is not rt and lt.kind != rt.kind:
        return rhs
    t = rt
    kind = t.kind
    if kind == MAP:
        if t.atomic:
            return rhs
        lmap = lhs if isinstance(lhs, dict) else None
        rmap = rhs if isinstance(rhs, dict) else None
        if not lmap and not rmap:
            return rhs
        if not rmap:
            return lhs
        if not lmap:
            return rhs
        out = {}
        field_type = t.field_type
        for name, lvalue in lmap.items():
            rvalue = rmap.get(name, ABSENT)
            if rvalue is ABSENT:
                out[name] = lvalue
            else:
                child_type = field_type(name)
                out[name] = rvalue if child_type is None else merge(lvalue, rvalue, child_type)
        for name, rvalue in rmap.items():
            if name not in lmap:
                out[name] = rvalue
        return out
    if kind == LIST:
        if t.list_type == ATOMIC:
            return rhs
        llist = lhs if isinstance(lhs, list) else None
        rlist = rhs if isinstance(rhs, list) else None
        if not rlist:
            return lhs if llist else rhs
        if not llist:
            return rhs
        return _merge_list(llist, rlist, t)
    return rhs


def _merge_list(lhs: list, rhs: list, t: TypeRef) -> Any:
    """SMD's visitListItems: shared items follow the config's order, live-only items keep their place."""
    element_type = t.element
    rhs_elements = [_safe_element(t, item) for item in rhs]
    rhs_items = dict(zip(rhs_elements, rhs))
    lhs_elements = [_safe_element(t, item) for item in lhs]
    lhs_items: dict[str, Any] = {}
    for element, item in zip(lhs_elements, lhs):
        # A duplicated live key merges as null, as SMD's observed map records it.
        lhs_items[element] = None if element in lhs_items else item
    shared = [e for e in rhs_elements if e in lhs_items]
    shared_at = 0
    next_shared = shared[0] if shared else None
    merged_rhs: set[str] = set()
    out = []
    li, ri, llen, rlen = 0, 0, len(lhs), len(rhs)
    while li < llen or ri < rlen:
        if li < llen and ri < rlen:
            element = lhs_elements[li]
            if element == rhs_elements[ri]:
                merged_rhs.add(element)
                out.append(merge(lhs_items[element], rhs_items[element], element_type))
                li += 1
                ri += 1
                shared_at += 1
                next_shared = shared[shared_at] if shared_at < len(shared) else None
                continue
            if element in rhs_items and next_shared is not None and next_shared != element:
                li += 1
                continue
        if li < llen:
            element = lhs_elements[li]
            if element not in rhs_items:
                out.append(lhs[li])
                li += 1
                continue
            if element in merged_rhs:
                li += 1
        if ri < rlen:
            element = rhs_elements[ri]
            merged_rhs.add(element)
            out.append(merge(lhs_items.get(element, ABSENT), rhs_items[element], element_type))
            ri += 1
            if next_shared is not None and next_shared == element:
                shared_at += 1
                next_shared = shared[shared_at] if shared_at < len(shared) else None
    return out


# --- compare ---------------------------------------------------------------------------------------


class Comparison:
    """What changed between two objects, as field sets (SMD's typed.Comparison)."""

    __slots__ = ("modified", "added", "removed")

    def __init__(self) -> None:
        self.modified: set[Path] = set()
        self.added: set[Path] = set()
        self.removed: set[Path] = set()

    def is_same(self) -> bool:
        return not (self.modified or self.added or self.removed)

    def excluding(self, prefixes: FieldSet) -> Comparison:
        """The comparison without the paths at or under `prefixes` (reset fields)."""
        if not prefixes:
            return self
        out = Comparison()
        out.modified = set(fieldpaths.without_prefixes(frozenset(self.modified), prefixes))
        out.added = set(fieldpaths.without_prefixes(frozenset(self.added), prefixes))
        out.removed = set(fieldpaths.without_prefixes(frozenset(self.removed), prefixes))
        return out


def compare(lhs: Any, rhs: Any, t: TypeRef) -> Comparison:
    """The paths Modified, Added and Removed from lhs to rhs."""
    result = Comparison()
    if lhs == rhs:
        # Equal in C first: most applies change nothing, and then there is nothing to walk.
        return result
    _compare(lhs, rhs, t, (), result)
    return result


def _leaf(lhs: Any, rhs: Any, path: Path, result: Comparison) -> None:
    if lhs is ABSENT:
        result.added.add(path)
    elif rhs is ABSENT:
        result.removed.add(path)
    elif lhs != rhs or type(lhs) is not type(rhs):
        result.modified.add(path)


def _compare(lhs: Any, rhs: Any, t: TypeRef, path: Path, result: Comparison) -> None:
    if lhs is rhs:
        return
    shape = rhs if rhs is not ABSENT else lhs
    t = for_value(t, shape)
    kind = t.kind
    if lhs is not ABSENT and rhs is not ABSENT and _kind_of(lhs) != _kind_of(rhs) and lhs is not None and rhs is not None:
        _leaf(lhs, rhs, path, result)
        return
    if kind == MAP and not t.atomic:
        lmap = lhs if isinstance(lhs, dict) else None
        rmap = rhs if isinstance(rhs, dict) else None
        if not lmap and not rmap:
            _leaf(lhs, rhs, path, result)
            return
        lmap = lmap or {}
        rmap = rmap or {}
        field_type = t.field_type
        for name in [*lmap, *(k for k in rmap if k not in lmap)]:
            child_type = field_type(name)
            lvalue, rvalue = lmap.get(name, ABSENT), rmap.get(name, ABSENT)
            if child_type is None:
                _leaf(lvalue, rvalue, path + ("f:" + name,), result)
            else:
                _compare(lvalue, rvalue, child_type, path + ("f:" + name,), result)
    elif kind == LIST and t.list_type != ATOMIC:
        llist = lhs if isinstance(lhs, list) else None
        rlist = rhs if isinstance(rhs, list) else None
        if not llist and not rlist:
            _leaf(lhs, rhs, path, result)
            return
        _compare_items(llist or [], rlist or [], t, path, result)
    else:
        _leaf(lhs, rhs, path, result)
        return
    if lhs is ABSENT:
        result.added.add(path)
    elif rhs is ABSENT:
        result.removed.add(path)


def _group_items(items: list, t: TypeRef, order: list[str]) -> dict[str, list]:
    """Items by element (duplicates kept together); new elements are appended to `order`."""
    grouped: dict[str, list] = {}
    for item in items:
        element = _safe_element(t, item)
        if element in grouped:
            grouped[element].append(item)
        else:
            grouped[element] = [item]
            if element not in order:
                order.append(element)
    return grouped


def _compare_items(lhs: list, rhs: list, t: TypeRef, path: Path, result: Comparison) -> None:
    order: list[str] = []
    lvalues = _group_items(lhs, t, order)
    rvalues = _group_items(rhs, t, order)
    element_type = t.element
    for element in order:
        litems = lvalues.get(element, ())
        ritems = rvalues.get(element, ())
        item_path = path + (element,)
        if len(litems) <= 1 and len(ritems) <= 1:
            _compare(litems[0] if litems else ABSENT, ritems[0] if ritems else ABSENT, element_type, item_path, result)
        elif len(litems) >= 2 and len(ritems) >= 2:
            if list(litems) != list(ritems):
                result.modified.add(item_path)
        elif len(litems) >= 2:
            if ritems:
                _compare(ABSENT, ritems[0], element_type, item_path, result)
            result.removed.add(item_path)
        else:
            if litems:
                _compare(litems[0], ABSENT, element_type, item_path, result)
            result.added.add(item_path)


# --- remove ------------------------------------------------------------------------------------------


def remove(obj: Any, paths: FieldSet, t: TypeRef) -> Any:
    """The object without the members of `paths` (SMD's RemoveItems)."""
    if not paths:
        return obj
    return _remove(obj, fieldpaths.trie(paths), t)


def _remove(item: Any, node: dict, t: TypeRef) -> Any:
    t = for_value(t, item)
    if t.kind == LIST and isinstance(item, list):
        if not item or t.list_type == ATOMIC:
            return item
        out = []
        for child in item:
            element = _safe_element(t, child)
            sub = node.get(element)
            if sub is None:
                out.append(child)
            elif fieldpaths.is_member(sub):
                continue
            else:
                out.append(_remove(child, sub, t.element))
        return out or None
    if t.kind == MAP and isinstance(item, dict):
        if not item or t.atomic:
            return item
        out_map = {}
        for name, child in item.items():
            sub = node.get("f:" + name)
            if sub is None:
                out_map[name] = child
            elif fieldpaths.is_member(sub):
                continue
            else:
                child_type = t.field_type(name)
                out_map[name] = child if child_type is None else _remove(child, sub, child_type)
        return out_map or None
    return item


def stored_form(obj: Any, t: TypeRef, *, omit_empty_maps: bool) -> Any:
    """The object as the API server stores it after a Go round trip; shares untouched subtrees.

    Null map values are dropped (a nil pointer, map or slice is omitted), and,
    for built-in kinds (`omit_empty_maps`), so are empty plain maps such as
    `labels: {}` (`omitempty` maps); empty structs such as `resources: {}` stay.
    """
    t = for_value(t, obj)
    if isinstance(obj, dict):
        changed = False
        out = {}
        for name, child in obj.items():
            if child is None:
                changed = True
                continue
            child_type = t.field_type(name) if t.kind == MAP else None
            if child_type is None:
                child_type = DEDUCED_TYPE
            if omit_empty_maps and isinstance(child, dict) and not child and _is_plain_map(child_type):
                changed = True
                continue
            cleaned = stored_form(child, child_type, omit_empty_maps=omit_empty_maps)
            changed = changed or cleaned is not child
            out[name] = cleaned
        return out if changed else obj
    if isinstance(obj, list):
        element = t.element if t.kind == LIST and t.element is not None else DEDUCED_TYPE
        cleaned_items = [stored_form(child, element, omit_empty_maps=omit_empty_maps) for child in obj]
        if any(a is not b for a, b in zip(cleaned_items, obj)):
            return cleaned_items
        return obj
    return obj


def _is_plain_map(t: TypeRef) -> bool:
    # A map of declared values (labels, data, limits), not a struct and not a free-form object.
    return t.kind == MAP and not t.fields and t.element is not None and t.element is not DEDUCED_TYPE
