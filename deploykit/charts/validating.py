"""One walker of OpenAPI schemas over rendered objects: Kubernetes' own definitions and CRDs' openAPIV3Schema.

Owns `check`, which appends (field path, reason) for each way a value breaks
a schema, over the JSON Schema subset both kinds of schema use: type (and
`nullable`, `x-kubernetes-int-or-string`), properties, additionalProperties,
required, items, enum, `$ref`, a oneOf of scalar types (IntOrString,
Quantity), allOf / anyOf / oneOf / not as rules, pattern, minimum / maximum
(exclusive too), multipleOf, min/maxLength, min/maxItems, uniqueItems,
min/maxProperties. With `closed=True` (a CRD's structural schema) an object
whose schema declares neither additionalProperties nor
`x-kubernetes-preserve-unknown-fields` takes no other fields: the API server
would prune them, and a strict client is refused.

Reasons never quote the checked value (it may be a secret): they name the
rule it breaks.

Must not: raise on a value or a schema it does not understand (an odd schema
is checked as far as it goes), load schemas (kubeapis and customresources
do), or print.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable

from deploykit.wording import json_type as _json_type

Finding = tuple[tuple, str]

REF_PREFIX = "#/$defs/"
# keys an embedded resource (x-kubernetes-embedded-resource) and a custom resource's root always allow
RESOURCE_FIELDS = ("apiVersion", "kind", "metadata")


def check(value: Any, schema: dict, *, defs: dict | None = None, path: tuple = (), closed: bool = False,
          found: list[Finding], plans: dict | None = None) -> None:
    """Append (path, reason) to `found` for each way `value` breaks `schema` (see the module docstring).

    `plans` keeps what each schema asks for, read once per schema rather than once per checked value: pass
    one dict for every check over schemas that are never changed afterwards (kubeapis' loaded definitions)."""
    _check(value, schema, _NO_DEFS if defs is None else defs, path, closed, found, {} if plans is None else plans)


_NO_DEFS: dict = {}  # one empty dict, never changed: a plan links its fields once under it (see _Plan.link)


def errors_of(value: Any, schema: dict, *, defs: dict | None = None, closed: bool = False,
              plans: dict | None = None) -> list[Finding]:
    """Every (path, reason) for `value` against `schema`, sorted by path."""
    found: list[Finding] = []
    check(value, schema, defs=defs, closed=closed, found=found, plans=plans)
    if len(found) < 2:
        return found  # most objects: nothing to sort
    return sorted(found, key=lambda item: [str(p) for p in item[0]])


class _Plan:
    """What one schema asks of a value, read from the schema once."""

    __slots__ = ("schema", "nullable", "types", "accepts", "classes", "types_only", "enum", "rules", "bounds", "declared",
                 "extra", "open_ended", "embedded", "required", "items", "scalar_done", "null_ok", "passing",
                 "plain_object", "links")

    def __init__(self, schema: dict) -> None:
        self.schema = schema
        self.nullable = bool(schema.get("nullable"))
        self.types_only = False  # a oneOf of scalar types: the type is all that is checked
        if schema.get("x-kubernetes-int-or-string"):
            self.types: tuple = ("integer", "string")
        elif "oneOf" in schema and _only_types(schema["oneOf"]):
            self.types = tuple(t for option in schema["oneOf"] for t in _types(option))
            self.types_only = True
        else:
            self.types = tuple(_types(schema))
        # the common type test as a plain isinstance, without a call: object / string / array (or null)
        plain = bool(self.types) and set(self.types) <= _PLAIN_TYPES
        self.classes = tuple(_CLASSES[t] for t in self.types if t != "null") if plain else None
        self.accepts = _type_test(self.types) if self.types and not plain else None  # the other type tests
        self.null_ok = "null" in self.types
        self.enum = schema["enum"] if isinstance(schema.get("enum"), list) else None
        self.rules = not schema.keys().isdisjoint(_RULE_KEYS)
        self.bounds = not schema.keys().isdisjoint(_BOUND_KEYS)
        declared = schema.get("properties")
        self.declared = declared if isinstance(declared, dict) else {}
        self.extra = schema.get("additionalProperties")
        self.open_ended = schema.get("x-kubernetes-preserve-unknown-fields") is True or self.extra is True
        self.embedded = schema.get("x-kubernetes-embedded-resource") is True
        self.required = schema.get("required") or ()
        self.items = schema["items"] if isinstance(schema.get("items"), dict) else None
        # nothing more to check of a value that is neither an object nor an array once its type is right
        self.scalar_done = self.enum is None and not self.rules and not self.bounds
        # the exact types of scalar values this schema takes with no check at all (most leaves of an object):
        # the walk skips them without a call
        self.passing = frozenset(
            kind for name in self.types for kind in _PASSING.get(name, ())) if self.scalar_done or self.types_only else frozenset()
        # an object with nothing to check but its type and fields (most of Kubernetes' definitions): a mapping
        # value goes straight to the fields
        self.plain_object = (self.classes == (dict,) and not self.types_only and self.enum is None and not self.rules
                             and not self.bounds)
        # the plans of what the value's fields and items lead to under some defs (a `$ref` leads elsewhere under
        # others), so that the walk goes from plan to plan without looking schemas up again:
        # (defs, {field: plan} filled on first use, the additionalProperties plan, the items plan)
        self.links: tuple = (None, {}, None, None)

    def link(self, defs: dict, plans: dict) -> tuple:
        """The links under `defs`, read now (replacing those under other defs) and set in one assignment, so that
        a walk in another thread sees them whole."""
        extra = _plan(self.extra, defs, plans) if isinstance(self.extra, dict) else None
        items = _plan(self.items, defs, plans) if self.items is not None else None
        self.links = links = (defs, {}, extra, items)
        return links


_RULE_KEYS = ("allOf", "anyOf", "oneOf", "not")
_BOUND_KEYS = ("pattern", "minLength", "maxLength", "minimum", "maximum", "multipleOf", "minItems", "maxItems",
               "uniqueItems", "minProperties", "maxProperties")


_CLASSES = {"object": dict, "string": str, "array": list}
_PLAIN_TYPES = frozenset({*_CLASSES, "null"})
# JSON type -> the exact Python types that are that JSON type whatever their value (not bool for integer: a subclass)
_PASSING = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def _type_test(types: tuple) -> Callable[[Any], bool]:
    """Whether a value is of one of `types` (for those _Plan.classes does not cover: integer, number, boolean)."""
    return lambda value: any(_is(value, t) for t in types)


def _plan(schema: Any, defs: dict, plans: dict) -> _Plan | None:
    """The plan of the schema a `$ref` chain leads to (its `schema`), or None when it leads to no schema; kept in
    `plans`."""
    start = schema
    while isinstance(schema, dict) and "$ref" in schema:
        schema = defs.get(str(schema["$ref"])[len(REF_PREFIX):], {})
    if not isinstance(schema, dict):
        return None
    entry = plans.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = (schema, _Plan(schema), None)
        plans[id(schema)] = entry
    if start is not schema and isinstance(start, dict):
        # the entry holds both schemas and the defs, so their ids are never reused meanwhile
        plans[id(start)] = (start, entry[1], defs, schema)
    return entry[1]


def _check(value: Any, schema: Any, defs: dict, path: tuple, closed: bool, found: list[Finding], plans: dict) -> None:
    entry = plans.get(id(schema))
    if entry is not None and entry[0] is schema and (entry[2] is None or entry[2] is defs):
        plan = entry[1]
    else:
        plan = _plan(schema, defs, plans)
        if plan is None:
            return
    _walk(value, plan, defs, path, closed, found, plans)


def _walk(value: Any, plan: _Plan, defs: dict, path: tuple, closed: bool, found: list[Finding], plans: dict) -> None:
    """`_check` once the schema's plan is known: fields and items go from plan to plan (see _Plan.link)."""
    if plan.plain_object and type(value) is dict:
        _object(value, plan, defs, path, closed, found, plans)
        return
    if value is None and plan.nullable:
        return
    classes = plan.classes
    if classes is not None:
        if not isinstance(value, classes) and not (plan.null_ok and _json_type(value) == "null"):
            found.append((path, _type_reason(list(plan.types), value)))
            return
    elif plan.accepts is not None and not plan.accepts(value):
        found.append((path, _type_reason(list(plan.types), value)))
        return
    if plan.types_only or (plan.scalar_done and not isinstance(value, (dict, list))):
        return
    if plan.enum is not None and value not in plan.enum:
        found.append((path, f"must be one of {', '.join(repr(v) for v in plan.enum if v is not None)}"))
    if plan.rules:
        _rules(value, plan.schema, defs, path, closed, found, plans)
    if plan.bounds:
        _bounds(value, plan.schema, path, found)
    if isinstance(value, dict):
        _object(value, plan, defs, path, closed, found, plans)
    elif isinstance(value, list) and plan.items is not None:
        links = plan.links
        if links[0] is not defs:
            links = plan.link(defs, plans)
        items = links[3]
        if items is None:
            return  # a `$ref` to no schema: nothing to check
        passing, plain_object = items.passing, items.plain_object
        for index, item in enumerate(value):
            kind = type(item)
            if kind is dict and plain_object:  # what _walk would do first, without its call
                _object(item, items, defs, path + (index,), closed, found, plans)
            elif kind not in passing:  # a scalar of a type its schema takes as it is needs no walk
                _walk(item, items, defs, path + (index,), closed, found, plans)


def _object(value: dict, plan: _Plan, defs: dict, path: tuple, closed: bool, found: list[Finding], plans: dict) -> None:
    for name in plan.required:
        if name not in value:
            found.append((path, f"{name!r} is required"))
    links = plan.links
    if links[0] is not defs:
        links = plan.link(defs, plans)
    _, fields, extra, _ = links
    if extra is not None and not plan.declared:
        # a map whose values share one schema (labels, annotations, data, resource limits): no field has its own
        passing = extra.passing
        for key, item in value.items():
            if type(item) not in passing:
                _walk(item, extra, defs, path + (key,), closed, found, plans)
        return
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            field = _field_plan(plan, fields, extra, key, defs, path, closed, found, plans)
            if field is None:
                continue
        kind = type(item)
        if kind is dict and field.plain_object:  # what _walk would do first, without its call
            _object(item, field, defs, path + (key,), closed, found, plans)
        elif kind not in field.passing:  # a scalar of a type its schema takes as it is needs no walk
            _walk(item, field, defs, path + (key,), closed, found, plans)


def _field_plan(plan: _Plan, fields: dict, extra: _Plan | None, key: Any, defs: dict, path: tuple, closed: bool,
                found: list[Finding], plans: dict) -> _Plan | None:
    """The plan of field `key` of an object (kept in `fields`, its links, when declared), or None when it is not
    walked: allowed without a schema, or refused as unknown (appended to `found`)."""
    if key in plan.declared:
        field = _plan(plan.declared[key], defs, plans)
        if field is not None:  # None: a `$ref` to no schema, nothing to check
            fields[key] = field
        return field
    if isinstance(plan.extra, dict):
        return extra
    if not (plan.embedded and key in RESOURCE_FIELDS) and (plan.extra is False or (closed and not plan.open_ended)):
        found.append((path + (key,), "unknown field"))
    return None


def _rules(value: Any, schema: dict, defs: dict, path: tuple, closed: bool, found: list[Finding], plans: dict) -> None:
    """allOf / anyOf / oneOf / not, as rules the value must also follow."""
    for sub in schema.get("allOf") or ():
        _check(value, sub, defs, path, False, found, plans)
    options = schema.get("anyOf")
    if options and not any(_matches(value, sub, defs, plans) for sub in options):
        found.append((path, f"must match at least one of {len(options)} alternatives (anyOf)"))
    options = schema.get("oneOf")
    if options and not _only_types(options):
        matching = sum(1 for sub in options if _matches(value, sub, defs, plans))
        if matching != 1:
            found.append((path, f"must match exactly one of {len(options)} alternatives (oneOf); it matches {matching}"))
    if isinstance(schema.get("not"), dict) and _matches(value, schema["not"], defs, plans):
        found.append((path, "matches a schema it must not match (not)"))


def _matches(value: Any, schema: Any, defs: dict, plans: dict) -> bool:
    found: list[Finding] = []
    if isinstance(schema, dict):
        _check(value, schema, defs, (), False, found, plans)  # open: a rule's subschema only constrains what it names
    return not found


def _bounds(value: Any, schema: dict, path: tuple, found: list[Finding]) -> None:
    if isinstance(value, str):
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and _pattern(pattern) is not None and not _pattern(pattern).search(value):
            found.append((path, f"does not match the pattern {pattern!r}"))
        _at_least(len(value), schema.get("minLength"), path, "must be at least {} characters long", found)
        _at_most(len(value), schema.get("maxLength"), path, "must be at most {} characters long", found)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        if _number(minimum) and (value < minimum or (schema.get("exclusiveMinimum") is True and value == minimum)):
            found.append((path, f"must be {'above' if schema.get('exclusiveMinimum') is True else 'at least'} {minimum}"))
        if _number(maximum) and (value > maximum or (schema.get("exclusiveMaximum") is True and value == maximum)):
            found.append((path, f"must be {'below' if schema.get('exclusiveMaximum') is True else 'at most'} {maximum}"))
        step = schema.get("multipleOf")
        if _number(step) and step > 0 and (value / step) != int(value / step):
            found.append((path, f"must be a multiple of {step}"))
    elif isinstance(value, list):
        _at_least(len(value), schema.get("minItems"), path, "must have at least {} items", found)
        _at_most(len(value), schema.get("maxItems"), path, "must have at most {} items", found)
        if schema.get("uniqueItems") is True and len({repr(item) for item in value}) != len(value):
            found.append((path, "must not hold the same item twice"))
    elif isinstance(value, dict):
        _at_least(len(value), schema.get("minProperties"), path, "must have at least {} fields", found)
        _at_most(len(value), schema.get("maxProperties"), path, "must have at most {} fields", found)


def _at_least(size: int, limit: Any, path: tuple, reason: str, found: list[Finding]) -> None:
    if _number(limit) and size < limit:
        found.append((path, reason.format(limit)))


def _at_most(size: int, limit: Any, path: tuple, reason: str, found: list[Finding]) -> None:
    if _number(limit) and size > limit:
        found.append((path, reason.format(limit)))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@functools.lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None  # an RE2 construct Python lacks: not checked rather than wrongly refused


def _only_types(options: Any) -> bool:
    return isinstance(options, list) and bool(options) and all(
        isinstance(o, dict) and set(o) <= {"type", "format"} and "type" in o for o in options)


def _types(schema: dict) -> list[str]:
    declared = schema.get("type")
    return [] if declared is None else declared if isinstance(declared, list) else [declared]


def _is(value: Any, json_type: str) -> bool:
    if json_type == "object":
        return isinstance(value, dict)
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "array":
        return isinstance(value, list)
    if json_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer()
    if json_type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return _json_type(value) == json_type


def _type_reason(types: list[str], value: Any) -> str:
    expected = [t for t in types if t != "null"]
    return f"must be of type {' or '.join(expected)}, not {_json_type(value)}"
