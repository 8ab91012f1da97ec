"""Schema-driven type information for server-side apply and strategic merge patch.

Owns turning OpenAPI / JSON schemas into the small type graph the SSA core
walks: for every node, whether it is a scalar, a map (a struct with named
fields, or a plain map such as `labels`), or a list; whether a map is atomic;
whether a list is atomic, a set, or a map-list with its key fields (and key
defaults such as a port's `protocol: TCP`); and, per struct field, the
strategic-merge-patch strategy and merge key. Built-in kinds come from
kubernetes-validate's v1.37 `_definitions.json` (read once per process by
`definitions`); custom resources come from their CRD's `openAPIV3Schema`.

It follows kube-openapi's schemaconv rules: `x-kubernetes-list-type` wins,
else a list with patch strategy `merge` and a merge key is a map-list (a set
without a key), else it is atomic; a schema with no type is "deduced" (scalar,
granular map or atomic list, decided by the value). Does no I/O of its own
and knows nothing about objects or managers.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from deploykit.sim import definitions

SCALAR = "scalar"
MAP = "map"
LIST = "list"
DEDUCED = "deduced"

ATOMIC = "atomic"
SET = "set"
ASSOCIATIVE = "map"


# kube-openapi's schemas carry defaults for a few map-list keys; the JSON
# schemas in kubernetes-validate dropped them, so they are restated here.
_KEY_DEFAULTS: dict[tuple[str, str], Any] = {
    ("io.k8s.api.core.v1.ContainerPort", "protocol"): "TCP",
    ("io.k8s.api.core.v1.ServicePort", "protocol"): "TCP",
    ("io.k8s.api.core.v1.LocalObjectReference", "name"): "",
}


class TypeRef:
    """One node of the type graph.

    kind: SCALAR, MAP, LIST or DEDUCED. For MAP: `fields` (named struct fields),
    `element` (type of other keys; None means other keys are not declared),
    `atomic`, and `patch` (field name -> (strategies, merge key) for strategic
    merge patch). For LIST: `element`, `list_type` (ATOMIC, SET or ASSOCIATIVE),
    `keys` and `key_defaults`. For SCALAR: `scalar` ("string", "numeric",
    "boolean" or "untyped").
    """

    __slots__ = ("kind", "name", "fields", "element", "atomic", "list_type", "keys", "key_defaults", "patch", "scalar")

    def __init__(self, kind: str, name: str = "") -> None:
        self.kind = kind
        self.name = name
        self.fields: dict[str, TypeRef] = {}
        self.element: TypeRef | None = None
        self.atomic = False
        self.list_type = ATOMIC
        self.keys: tuple[str, ...] = ()
        self.key_defaults: dict[str, Any] = {}
        self.patch: dict[str, tuple[tuple[str, ...], str | None]] = {}
        self.scalar = "untyped"

    def copy(self) -> TypeRef:
        clone = TypeRef(self.kind, self.name)
        for slot in self.__slots__:
            setattr(clone, slot, getattr(self, slot))
        return clone

    def field_type(self, name: str) -> TypeRef | None:
        """Type of a map key: the named field, else the element type, else None (undeclared)."""
        found = self.fields.get(name)
        if found is not None:
            return found
        if self.kind == DEDUCED:
            return DEDUCED_TYPE
        return self.element

    def __repr__(self) -> str:
        return f"TypeRef({self.kind}, {self.name or '<inline>'})"


DEDUCED_TYPE = TypeRef(DEDUCED, "__untyped_deduced_")
DEDUCED_TYPE.element = DEDUCED_TYPE


def for_value(t: TypeRef, item: Any) -> TypeRef:
    """The type to walk a value with: deduced types become scalar, map or atomic list."""
    if t.kind != DEDUCED:
        return t
    if isinstance(item, dict):
        return _DEDUCED_MAP
    if isinstance(item, list):
        return _DEDUCED_LIST
    return _DEDUCED_SCALAR


_DEDUCED_MAP = TypeRef(MAP, "__untyped_deduced_map_")
_DEDUCED_MAP.element = DEDUCED_TYPE
_DEDUCED_LIST = TypeRef(LIST, "__untyped_deduced_list_")
_DEDUCED_LIST.element = DEDUCED_TYPE
_DEDUCED_SCALAR = TypeRef(SCALAR, "__untyped_deduced_scalar_")


def _types_of(schema: dict) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if t != "null"}
    return set()


def _list_relationship(schema: dict) -> tuple[str, tuple[str, ...]]:
    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "map":
        return ASSOCIATIVE, tuple(schema.get("x-kubernetes-list-map-keys") or ())
    if list_type == "set":
        return SET, ()
    if list_type == "atomic":
        return ATOMIC, ()
    strategies = _strategies(schema)
    if "merge" in strategies:
        merge_key = schema.get("x-kubernetes-patch-merge-key")
        return (ASSOCIATIVE, (merge_key,)) if merge_key else (SET, ())
    return ATOMIC, ()


def _strategies(schema: dict) -> tuple[str, ...]:
    raw = schema.get("x-kubernetes-patch-strategy") or ""
    return tuple(s.strip() for s in raw.split(",") if s.strip())


class _Compiler:
    """Turns JSON schema nodes into TypeRefs, following `$ref`s into `definitions` (cycles allowed)."""

    def __init__(self, definitions: dict[str, dict], *, crd_lists_atomic: bool) -> None:
        self.definitions = definitions
        self.named: dict[str, TypeRef] = {}
        # Built-in lists without a list type follow their patch strategy; CRD lists are atomic.
        self.crd_lists_atomic = crd_lists_atomic
        # Simulators in other threads may ask for a type while it is half built.
        self._lock = threading.RLock()

    def named_type(self, name: str) -> TypeRef:
        with self._lock:
            found = self.named.get(name)
            if found is None:
                found = TypeRef(DEDUCED, name)
                self.named[name] = found  # registered before filling so that cycles resolve
                self._fill(found, self.definitions[name], name)
            return found

    def compile(self, schema: dict, name: str = "") -> TypeRef:
        ref = schema.get("$ref")
        if ref is None and len(schema.get("allOf") or ()) == 1 and "$ref" in schema["allOf"][0]:
            ref = schema["allOf"][0]["$ref"]
        if ref is not None:
            target = self.named_type(ref.rsplit("/", 1)[-1])
            map_type = schema.get("x-kubernetes-map-type")
            if map_type and target.kind == MAP and target.atomic != (map_type == ATOMIC):
                target = target.copy()
                target.atomic = map_type == ATOMIC
            return target
        node = TypeRef(DEDUCED, name)
        self._fill(node, schema, name)
        return node

    def _fill(self, node: TypeRef, schema: dict, name: str) -> None:
        if "$ref" in schema or ("allOf" in schema and "properties" not in schema):
            resolved = self.compile(schema, name)
            for slot in TypeRef.__slots__:
                if slot != "name":
                    setattr(node, slot, getattr(resolved, slot))
            return
        types = _types_of(schema)
        if "array" in types or ("items" in schema and not types):
            self._fill_list(node, schema)
        elif "object" in types or "properties" in schema or "additionalProperties" in schema:
            self._fill_map(node, schema, name)
        elif schema.get("x-kubernetes-int-or-string"):
            node.kind, node.scalar = SCALAR, "untyped"
        elif types & {"string", "integer", "number", "boolean"}:
            node.kind = SCALAR
            (only,) = types if len(types) == 1 else ("untyped",)
            node.scalar = {"string": "string", "integer": "numeric", "number": "numeric", "boolean": "boolean"}.get(
                only, "untyped"
            )
            if only == "string" and schema.get("format") in ("int-or-string", "date-time"):
                node.scalar = "untyped"
        else:
            node.kind = DEDUCED

    def _fill_map(self, node: TypeRef, schema: dict, name: str) -> None:
        node.kind = MAP
        node.atomic = schema.get("x-kubernetes-map-type") == ATOMIC
        for field_name, prop in (schema.get("properties") or {}).items():
            node.fields[field_name] = self.compile(prop)
            strategies = _strategies(prop)
            if strategies or prop.get("x-kubernetes-patch-merge-key"):
                node.patch[field_name] = (strategies, prop.get("x-kubernetes-patch-merge-key"))
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            node.element = self.compile(extra)
        elif extra is True or schema.get("x-kubernetes-preserve-unknown-fields") or not node.fields:
            node.element = DEDUCED_TYPE
        if schema.get("x-kubernetes-embedded-resource"):
            self._add_type_meta(node)

    def _fill_list(self, node: TypeRef, schema: dict) -> None:
        node.kind = LIST
        items = schema.get("items")
        node.element = self.compile(items) if isinstance(items, dict) else DEDUCED_TYPE
        if self.crd_lists_atomic and "x-kubernetes-list-type" not in schema:
            node.list_type, node.keys = ATOMIC, ()
        else:
            node.list_type, node.keys = _list_relationship(schema)
        if node.list_type == ASSOCIATIVE and node.keys:
            item_type = node.element
            item_schema = self._resolve(items) if isinstance(items, dict) else {}
            for key_name in node.keys:
                default = _KEY_DEFAULTS.get((item_type.name, key_name))
                if default is None:
                    default = ((item_schema.get("properties") or {}).get(key_name) or {}).get("default")
                if default is not None:
                    node.key_defaults[key_name] = default

    def _resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.definitions[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def _add_type_meta(self, node: TypeRef) -> None:
        node.fields.setdefault("apiVersion", _string())
        node.fields.setdefault("kind", _string())
        node.fields.setdefault("metadata", _builtin().named_type("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"))


def _string() -> TypeRef:
    node = TypeRef(SCALAR)
    node.scalar = "string"
    return node


@functools.lru_cache(maxsize=1)
def _builtin() -> _Compiler:
    return _Compiler(definitions.all_definitions(), crd_lists_atomic=False)


def builtin_definition(api_version: str, kind: str) -> str | None:
    """The definition name of a built-in kind, e.g. `io.k8s.api.apps.v1.Deployment`."""
    group, _, version = api_version.rpartition("/")
    return definitions.name_of(group, version, kind)


def _crd_versions(crd: dict) -> list[tuple[str, str, dict | None]]:
    spec = crd.get("spec") or {}
    group = spec.get("group") or ""
    kind = (spec.get("names") or {}).get("kind") or ""
    out = []
    for version in spec.get("versions") or ():
        if not version.get("served", True):
            continue
        schema = ((version.get("schema") or {}).get("openAPIV3Schema")) or (
            (spec.get("validation") or {}).get("openAPIV3Schema")
        )
        api_version = f"{group}/{version.get('name')}" if group else str(version.get("name"))
        out.append((api_version, kind, schema))
    return out


class Schemas:
    """The types the simulator knows: every built-in kind, plus registered CRDs."""

    def __init__(self) -> None:
        self._custom: dict[tuple[str, str], TypeRef] = {}
        self._cache: dict[tuple[str, str], TypeRef | None] = {}
        self._lock = threading.Lock()

    @classmethod
    @functools.cache
    def builtin(cls) -> Schemas:
        """The process-wide instance (cached). Servers that register CRDs should use `fresh()`."""
        return cls()

    @classmethod
    def fresh(cls) -> Schemas:
        """A new instance sharing the (cached) built-in types, with its own CRD registrations."""
        return cls()

    def type_of(self, api_version: str, kind: str) -> TypeRef | None:
        """The type of a whole object of that kind, or None if unknown."""
        found = self._custom.get((api_version, kind))
        if found is not None:
            return found
        cached = self._cache.get((api_version, kind), False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        name = builtin_definition(api_version, kind)
        result = _builtin().named_type(name) if name else None
        self._cache[(api_version, kind)] = result
        return result

    def is_custom(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self._custom

    def register_crd(self, crd: dict) -> None:
        """Register the served versions of a CRD; its lists are atomic unless they declare a list type."""
        for api_version, kind, schema in _crd_versions(crd):
            compiler = _Compiler({}, crd_lists_atomic=True)
            root = compiler.compile(schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True})
            if root.kind != MAP:
                root = TypeRef(MAP)
                root.element = DEDUCED_TYPE
            else:
                root = root.copy()
                root.fields = dict(root.fields)
            compiler._add_type_meta(root)
            root.name = f"{api_version}/{kind}"
            with self._lock:
                self._custom[(api_version, kind)] = root

    def unregister_crd(self, crd: dict) -> None:
        with self._lock:
            for api_version, kind, _ in _crd_versions(crd):
                self._custom.pop((api_version, kind), None)
