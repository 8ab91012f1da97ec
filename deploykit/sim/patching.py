"""The three non-apply patch formats of the Kubernetes API.

Owns applying a patch body to a live object:

- `merge_patch`: JSON merge patch (RFC 7386): maps merge, `null` deletes,
  anything else replaces.
- `strategic_merge_patch`: kubectl's strategic merge patch, driven by the
  `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` of the
  built-in types (`typeinfo`): lists with strategy `merge` merge items by
  their merge key (or union primitive values), other lists replace; the
  directives `$patch: replace|delete|merge`, `$retainKeys`,
  `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`; the order
  of merged lists as apimachinery's strategicpatch computes it. Without type
  information (custom resources) it behaves as a merge patch: lists replace.
- `json_patch`: RFC 6902 (add, remove, replace, move, copy, test), all or
  nothing.

Failures raise `statuses.ApiError` with the status the real server sends:
400 for a malformed patch, 422 (reason Invalid, the server's generic message,
the precise reason in `details.causes`) for a JSON patch that does not apply.
Pure: inputs are never mutated; results are fresh copies.
"""

from __future__ import annotations

from typing import Any

from deploykit.sim import statuses
from deploykit.sim.defaulting import copy_json
from deploykit.sim.typeinfo import LIST, MAP, TypeRef

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_SET_ORDER = "$setElementOrder/"
_DELETE_FROM = "$deleteFromPrimitiveList/"


# --- JSON merge patch (RFC 7386) ------------------------------------------------------------------


def merge_patch(obj: Any, patch: Any) -> Any:
    """RFC 7386: the patch's maps merge into `obj`, `null` removes a key, other values replace."""
    if not isinstance(patch, dict):
        return copy_json(patch)
    out = copy_json(obj) if isinstance(obj, dict) else {}
    _merge_into(out, patch)
    return out


def _merge_into(target: dict, patch: dict) -> None:
    for name, value in patch.items():
        if value is None:
            target.pop(name, None)
        elif isinstance(value, dict):
            current = target.get(name)
            if not isinstance(current, dict):
                current = {}
                target[name] = current
            _merge_into(current, value)
        else:
            target[name] = copy_json(value)


# --- strategic merge patch ------------------------------------------------------------------------


class _PatchError(Exception):
    def __init__(self, message: str, *, code: int = 400) -> None:
        super().__init__(message)
        self.code = code


def strategic_merge_patch(obj: Any, patch: Any, *, type_ref: TypeRef | None) -> dict:
    """kubectl's strategic merge patch of `obj` (see the module docstring)."""
    if not isinstance(patch, dict):
        raise statuses.bad_request("invalid JSON document: a strategic merge patch must be an object")
    original = copy_json(obj) if isinstance(obj, dict) else {}
    try:
        return _merge_map(original, copy_json(patch), type_ref)
    except _PatchError as exc:
        if exc.code == 400:
            raise statuses.bad_request(str(exc)) from exc
        raise statuses.ApiError(exc.code, "", str(exc)) from exc


def _field_info(t: TypeRef | None, name: str) -> tuple[TypeRef | None, tuple[str, ...], str | None]:
    """(type of the field, patch strategies, merge key) under a map type."""
    if t is None or t.kind != MAP:
        return None, (), None
    strategies, merge_key = t.patch.get(name, ((), None))
    child = t.fields.get(name) or t.element
    if child is not None and child.kind not in (MAP, LIST):
        child = child if child.kind != "deduced" else None
    return child, strategies, merge_key


def _merge_map(original: dict, patch: dict, t: TypeRef | None) -> dict:
    directive = patch.get(_DIRECTIVE)
    if directive is not None:
        if directive == "replace":
            del patch[_DIRECTIVE]
            return patch
        if directive == "delete":
            return {}
        if directive != "merge":
            raise _PatchError(f"Unknown patch type: {directive} in map: {patch}")
        del patch[_DIRECTIVE]
    retain = patch.pop(_RETAIN_KEYS, None)
    if retain is not None:
        if not isinstance(retain, list):
            raise _PatchError("invalid patch format of retainKeys")
        keep = set(retain)
        for name in [k for k in original if k not in keep]:
            del original[name]
    for order_key in [k for k in patch if k.startswith(_SET_ORDER)]:
        _apply_element_order(original, patch, order_key, t)
    for name, value in list(patch.items()):
        delete_list = name.startswith(_DELETE_FROM)
        if delete_list:
            name = name[len(_DELETE_FROM):]
            if name not in original:
                continue
        child_type, strategies, merge_key = _field_info(t, name)
        if value is None:
            original.pop(name, None)
            continue
        current = original.get(name)
        if name not in original or _shape(current) != _shape(value):
            if not delete_list:
                original[name] = _fresh(value, child_type, strategies, merge_key)
            continue
        if isinstance(value, dict):
            original[name] = value if "replace" in strategies else _merge_map(current, value, child_type)
        elif isinstance(value, list):
            if "merge" in strategies:
                item_type = child_type.element if child_type is not None and child_type.kind == LIST else None
                original[name] = _merge_list(current, value, item_type, merge_key, delete_list)
            else:
                original[name] = value
        else:
            original[name] = value
    return original


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    return "scalar"


def _fresh(value: Any, t: TypeRef | None, strategies: tuple[str, ...], merge_key: str | None) -> Any:
    """A value the original lacks: its directives applied against nothing, nulls dropped."""
    if isinstance(value, dict):
        return _merge_map({}, value, t)
    if isinstance(value, list) and "merge" in strategies:
        item_type = t.element if t is not None and t.kind == LIST else None
        return _merge_list([], value, item_type, merge_key, False)
    return value


def _is_map_list(original: list, patch: list) -> bool:
    kinds = {_shape(item) for item in original + patch if item is not None}
    if "list" in kinds:
        raise _PatchError("lists of lists are not supported", code=422)
    if len(kinds) > 1:
        raise _PatchError(f"the elements of a list must be of one type, got {sorted(kinds)}")
    return kinds == {"map"}


def _merge_list(original: list, patch: list, t: TypeRef | None, merge_key: str | None, delete_list: bool) -> list:
    if not original and not patch:
        return original
    if not _is_map_list(original, patch):
        if delete_list:
            return [item for item in original if item not in patch]
        merged = _deduplicated(original + patch)
        patch_items, server_only = _partition(merged, patch, None)
        return _normalized_order(patch_items, server_only, patch, original, None)
    if not merge_key:
        raise _PatchError("cannot merge lists without merge key", code=500)
    original, patch, replaced = _special_elements(original, patch, merge_key)
    if replaced:
        return patch
    server_order = list(original)
    for item in patch:
        if merge_key not in item:
            raise _PatchError(f"map: {item} does not contain declared merge key: {merge_key}", code=500)
        position = _index_of(original, item, merge_key)
        if position >= 0:
            original[position] = _merge_map(original[position], item, t)
        else:
            original.append(_merge_map({}, item, t))
    patch_items, server_only = _partition(original, patch, merge_key)
    return _normalized_order(patch_items, server_only, patch, server_order, merge_key)


def _deduplicated(items: list) -> list:
    out: list = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _special_elements(original: list, patch: list, merge_key: str) -> tuple[list, list, bool]:
    """Apply `$patch: delete` items; a `$patch: replace` item makes the patch the whole list."""
    plain = []
    replace = False
    for item in patch:
        directive = item.get(_DIRECTIVE)
        if directive is None:
            plain.append(item)
        elif directive == "delete":
            if merge_key not in item:
                raise _PatchError(f"map: {item} does not contain declared merge key: {merge_key}", code=500)
            original = [o for o in original if not (isinstance(o, dict) and o.get(merge_key) == item[merge_key])]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _PatchError("merging lists cannot yet be specified in the patch", code=500)
        else:
            raise _PatchError(f"Unknown patch type: {directive} in map: {item}")
    if replace:
        return plain, plain, True
    return original, plain, False


def _index_of(items: list, item: Any, merge_key: str | None) -> int:
    for position, candidate in enumerate(items):
        if merge_key is None:
            if candidate == item:
                return position
        elif isinstance(candidate, dict) and isinstance(item, dict) and candidate.get(merge_key) == item.get(merge_key):
            return position
    return -1


def _partition(merged: list, order: list, merge_key: str | None) -> tuple[list, list]:
    """(items present in `order`, the others), each in merged order."""
    present, absent = [], []
    for item in merged:
        (present if _index_of(order, item, merge_key) >= 0 else absent).append(item)
    return present, absent


def _normalized_order(patch_items: list, server_only: list, patch_order: list, server_order: list, merge_key: str | None) -> list:
    """apimachinery's normalizeElementOrder: patch items in patch order, server-only items interleaved
    where the live list had them."""

    def by(order: list) -> Any:
        def position(item: Any) -> int:
            found = _index_of(order, item, merge_key)
            return found if found >= 0 else len(order)

        return position

    right = sorted(patch_items, key=by(patch_order))
    left = sorted(server_only, key=by(server_order))
    out: list = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li = _index_of(server_order, left[i], merge_key)
            ri = _index_of(server_order, right[j], merge_key)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


def _apply_element_order(original: dict, patch: dict, order_key: str, t: TypeRef | None) -> None:
    """`$setElementOrder/<list>`: merge that list now and order it as the directive says."""
    order = patch.pop(order_key)
    name = order_key[len(_SET_ORDER):]
    if not isinstance(order, list):
        raise _PatchError("invalid patch format of setElementOrder list")
    child_type, strategies, merge_key = _field_info(t, name)
    in_original, in_patch = name in original, name in patch
    live = original.get(name) if isinstance(original.get(name), list) else []
    patched = patch.pop(name) if in_patch else None
    if in_patch and not isinstance(patched, list):
        raise _PatchError("invalid patch format of setElementOrder list")
    for item in patched or ():
        if isinstance(item, dict) and item.get(_DIRECTIVE) is not None:
            continue
        if _index_of(order, item, merge_key) < 0:
            raise _PatchError("invalid patch format of setElementOrder list: the list and its order do not match")
    if in_original and not in_patch:
        merged = live
    elif in_patch and not in_original:
        merged = _fresh(patched, child_type, strategies, merge_key)
    elif in_patch:
        if "merge" in strategies:
            item_type = child_type.element if child_type is not None and child_type.kind == LIST else None
            merged = _merge_list(live, patched, item_type, merge_key, False)
        else:
            merged = patched
    else:
        return
    patch_items, server_only = _partition(merged, order, merge_key)
    original[name] = _normalized_order(patch_items, server_only, order, live, merge_key)


# --- JSON patch (RFC 6902) ------------------------------------------------------------------------

_INVALID_MESSAGE = "the server rejected our request due to an error in our request"


class _OperationError(Exception):
    pass


def json_patch(obj: Any, operations: Any) -> Any:
    """RFC 6902, all or nothing; 400 for a malformed patch, 422 for one that does not apply."""
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise statuses.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy_json(obj)
    for position, operation in enumerate(operations):
        try:
            doc = _apply_operation(doc, operation)
        except _OperationError as exc:
            cause = {"reason": "FieldValueInvalid", "message": str(exc), "field": f"[{position}]"}
            raise statuses.ApiError(422, "Invalid", _INVALID_MESSAGE, {"causes": [cause]}) from exc
    return doc


def _pointer(path: Any, what: str) -> list[str]:
    if not isinstance(path, str):
        raise _OperationError(f"operation missing {what} field")
    if path == "":
        return []
    if not path.startswith("/"):
        raise _OperationError(f"JSON pointer must be empty or start with a \"/\": {path}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _walk(doc: Any, parts: list[str], path: str, op: str) -> Any:
    node = doc
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise _OperationError(f"{op} operation does not apply: doc is missing path: {path}: missing value")
    return node


def _container(doc: Any, parts: list[str], path: str, op: str) -> Any:
    node = _walk(doc, parts[:-1], path, op)
    if not isinstance(node, (dict, list)):
        raise _OperationError(f"{op} operation does not apply: doc is missing path: {path}: missing value")
    return node


def _list_index(node: list, part: str, path: str, *, allow_end: bool) -> int:
    if part == "-" and allow_end:
        return len(node)
    if not part.lstrip("-").isdigit():
        raise _OperationError(f"Unable to access invalid index: {part}: invalid index referenced")
    position = int(part)
    limit = len(node) if allow_end else len(node) - 1
    if position < 0 or position > limit:
        raise _OperationError(f"Unable to access invalid index: {position}: invalid index referenced")
    return position


def _get(doc: Any, path: Any, op: str, what: str = "path") -> Any:
    return _walk(doc, _pointer(path, what), path, op)


def _add(doc: Any, path: str, value: Any, op: str = "add") -> Any:
    parts = _pointer(path, "path")
    if not parts:
        return copy_json(value)
    node = _container(doc, parts, path, op)
    last = parts[-1]
    if isinstance(node, dict):
        node[last] = copy_json(value)
    else:
        node.insert(_list_index(node, last, path, allow_end=True), copy_json(value))
    return doc


def _remove(doc: Any, path: str, op: str = "remove") -> Any:
    parts = _pointer(path, "path")
    if not parts:
        raise _OperationError(f"{op} operation does not apply: cannot remove the whole document")
    node = _container(doc, parts, path, op)
    last = parts[-1]
    if isinstance(node, dict):
        if last not in node:
            raise _OperationError(f"Unable to remove nonexistent key: {last}: missing value")
        del node[last]
    else:
        del node[_list_index(node, last, path, allow_end=False)]
    return doc


def _apply_operation(doc: Any, operation: dict) -> Any:
    op = operation.get("op")
    path = operation.get("path")
    if op in ("add", "replace", "test") and "value" not in operation:
        raise _OperationError(f"{op} operation missing value")
    if op == "add":
        return _add(doc, path, operation["value"])
    if op == "remove":
        return _remove(doc, path)
    if op == "replace":
        parts = _pointer(path, "path")
        if not parts:
            return copy_json(operation["value"])
        node = _container(doc, parts, path, "replace")
        last = parts[-1]
        if isinstance(node, dict):
            if last not in node:
                raise _OperationError(f"replace operation does not apply: doc is missing key: {path}: missing value")
            node[last] = copy_json(operation["value"])
        else:
            node[_list_index(node, last, path, allow_end=False)] = copy_json(operation["value"])
        return doc
    if op == "test":
        if _get(doc, path, "test") != operation["value"]:
            raise _OperationError(f"testing value {path} failed: test failed")
        return doc
    if op in ("move", "copy"):
        source = operation.get("from")
        value = copy_json(_get(doc, source, op, "from"))
        if op == "move":
            if isinstance(path, str) and path.startswith(source + "/"):
                raise _OperationError(f"move operation does not apply: cannot move {source} into its own child {path}")
            doc = _remove(doc, source, "move")
        return _add(doc, path, value, op)
    raise _OperationError(f"Unexpected kind: {op}")
