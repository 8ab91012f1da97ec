"""Building the plan: a server-side dry-run apply of every object, compared with the live object.

For each object to apply it reads the live object, dry-runs the apply
(field manager `deploykit`, force) and compares the two: create, update with
field-level changes, unchanged, or replace (an immutable field changed and
the object asks for it). Objects the previous revision applied and this one
does not are pruned. Drift is a field the last revision applied whose live
value differs now, named with the field manager that owns it
(`spec.replicas: 3 -> 0 (changed by kubectl)`). Problems (an object owned by
someone else, one the API server refuses, a missing namespace) are all
collected and raised together, before anything is written.

Must not: write to the cluster (only dry runs), or put an unmasked value in
the plan.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.kube.client import Kube
from deploykit.kube.resources import ObjectRef
from deploykit.release import diffing, ownership
from deploykit.secrets import fingerprints
from deploykit.release.plans import CREATE, PRUNE, REPLACE, UNCHANGED, UPDATE, Operation

MASK = "<redacted>"
CONCURRENCY = 16
# How the API server says an update changed a field that cannot change.
IMMUTABLE_MARKERS = ("field is immutable", "is immutable", "may not change once set", "Forbidden: updates to")


@frozen
class Desired:
    """One object to apply (ownership-stamped, secret values in it) and the template it came from."""

    obj: dict[str, Any] = dataclasses.field(repr=False)
    template: str = ""
    # The object as the record keeps it (secret-derived strings fingerprinted): equal to the last revision's
    # recorded object when the chart and values did not change it.
    recorded: dict[str, Any] | None = dataclasses.field(default=None, repr=False)

    @functools.cached_property
    def ref(self) -> ObjectRef:  # worked out once: the plan, the apply and the record ask for it per object
        return ObjectRef.of(self.obj)

    @functools.cached_property
    def key(self) -> tuple[str, str, str, str]:
        ref = self.ref
        return (ref.group, ref.kind, ref.namespace or "", ref.name)


@frozen
class PlanContext:
    release: str
    namespace: str
    adopt: bool = False
    # Namespaces that do not exist yet and that the apply creates first (--create-namespace, Namespace objects).
    new_namespaces: frozenset[str] = frozenset()
    # Kinds the release's own CRDs declare: (group, kind); their objects cannot be dry-run before the CRD exists.
    new_kinds: frozenset[tuple[str, str]] = frozenset()
    mask: Callable[[str], str] = lambda text: text  # noqa: E731 - the run's redactor in practice
    digest_key: bytes = b"deploykit-plan"


def is_immutable_refusal(exc: errors.KubeError) -> bool:
    return exc.status == 422 and any(marker in exc.message for marker in IMMUTABLE_MARKERS)


def digest(obj: Mapping[str, Any], *, key: bytes) -> str:
    """Keyed digest of an object to apply: equal objects, equal digests; nothing readable from it."""
    return fingerprints.fingerprint(dict(obj), key=key)


def build_operations(
    kube: Kube, desired: Sequence[Desired], *, previous: Sequence[Mapping[str, Any]], context: PlanContext,
) -> list[Operation]:
    """One operation per desired object (in the order given) and one per object to prune."""
    problems: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        previous_by_key = {key_of(obj): obj for obj in previous}
        live = _live_objects(kube, desired, context, pool)
        results = list(pool.map(lambda d: _plan_one(kube, d, previous_by_key.get(d.key), context, live), desired))
    operations = []
    for operation, problem in results:
        if problem:
            problems.append(problem)
        elif operation:
            operations.append(operation)
    if problems:
        raise errors.PlanError(
            "the plan found objects that cannot be applied; nothing was changed:\n  " + "\n  ".join(problems),
            hint="fix the chart or values for each object named, or pass the flag the message suggests",
        )
    wanted = {d.key for d in desired}
    for obj in previous:
        if key_of(obj) not in wanted:
            pruned = _prune_operation(kube, obj, context)
            if pruned:
                operations.append(pruned)
    return operations


def _live_objects(
    kube: Kube, desired: Sequence[Desired], context: PlanContext, pool: concurrent.futures.Executor,
) -> dict[tuple, dict | errors.KubeError | None]:
    """The live object (or the error reading it) for each desired key: one list per kind and namespace, not a GET each."""
    groups: dict[tuple[str, str, str | None], list[Desired]] = {}
    for item in desired:
        ref = item.ref
        if (ref.group, ref.kind) in context.new_kinds or (ref.namespace and ref.namespace in context.new_namespaces):
            continue  # planned without reading (see _plan_one)
        groups.setdefault((ref.api_version, ref.kind, ref.namespace), []).append(item)

    def read(group: tuple[str, str, str | None]) -> dict[tuple, dict | errors.KubeError | None]:
        api_version, kind, namespace = group
        items = groups[group]
        try:
            if len(items) == 1:
                return {items[0].key: kube.get(items[0].ref)}
            listed = {obj["metadata"]["name"]: obj for obj in kube.list(api_version, kind, namespace=namespace)}
        except errors.KubeError as exc:
            return {item.key: exc for item in items}
        return {item.key: listed.get(item.ref.name) for item in items}

    found: dict[tuple, dict | errors.KubeError | None] = {}
    for part in pool.map(read, list(groups)):
        found.update(part)
    return found


def key_of(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(group, kind, namespace, name): how plans and revisions key an object."""
    ref = ObjectRef.of(obj)
    return (ref.group, ref.kind, ref.namespace or "", ref.name)


def _plan_one(
    kube: Kube, item: Desired, previous: Mapping[str, Any] | None, context: PlanContext, live_objects: Mapping[tuple, Any],
) -> tuple[Operation | None, str | None]:
    ref = item.ref
    base = dict(api_version=ref.api_version, kind=ref.kind, namespace=ref.namespace, name=ref.name,
                template=item.template, digest=digest(item.obj, key=context.digest_key))
    where = f"{ref.kind} {ref.namespace + '/' if ref.namespace else ''}{ref.name} ({item.template or 'chart'})"
    if (ref.group, ref.kind) in context.new_kinds and not kube.discovery.has(ref.api_version, ref.kind):
        return Operation(CREATE, reason="its CRD is created by this release", **base), None
    if ref.namespace and ref.namespace in context.new_namespaces:
        return Operation(CREATE, reason=f"namespace {ref.namespace} is created first", **base), None
    live = live_objects.get(item.key)
    if isinstance(live, errors.KubeError):
        return None, f"{where}: {live.message}"
    if live is not None and not context.adopt and not ownership.belongs_to(live, release=context.release,
                                                                          namespace=context.namespace):
        owner = ownership.owner(live) or "no release (created outside deploykit)"
        return None, (f"{where} exists and belongs to {owner}; deploykit does not take it over silently "
                      f"({ownership.takeover_hint(live)})")
    if previous is not None and live is not None and item.recorded == previous and _live_holds(previous, live):
        # Applied as is last time, and every field of it still has that value: applying again changes nothing.
        return Operation(UNCHANGED, live_version=_version(live), **base), None
    try:
        dry = kube.apply(item.obj, dry_run=True)
    except errors.KubeError as exc:
        message = context.mask(exc.message)
        if live is not None and is_immutable_refusal(exc):
            if ownership.replaces_on_immutable(item.obj):
                return Operation(REPLACE, live_version=_version(live), reason="an immutable field changed", **base), None
            return None, (f"{where}: {_immutable_fields(message)} cannot change (immutable); annotate the object "
                          f"{ownership.REPLACE}: {ownership.REPLACE_ON_IMMUTABLE} to delete and recreate it")
        if exc.status == 404 and ref.namespace and "namespace" in exc.message.lower():
            return None, f"{where}: namespace {ref.namespace} does not exist (pass --create-namespace to create it)"
        return None, f"{where}: the API server refused it: {message}"
    drift = tuple(_drift(previous, live, context)) if previous is not None and live is not None else ()
    if live is None:
        return Operation(CREATE, drift=drift, **base), None
    changes = tuple(_masked(c, ref.kind, context) for c in diffing.changes(live, dry))
    action = UPDATE if changes else UNCHANGED
    return Operation(action, changes=changes, drift=drift, live_version=_version(live), **base), None


def _immutable_fields(message: str) -> str:
    """`spec.template, spec.selector` from the API server's Invalid message (which quotes the whole new value)."""
    fields = re.findall(r"(?:^|[:,]\s)((?:spec|metadata|data|type|immutable)[\w.\[\]-]*): (?:Invalid value|Forbidden)", message)
    return ", ".join(dict.fromkeys(fields)) or "a field"


def namespace_exists(kube: Kube, namespace: str) -> bool:
    return kube.get(ObjectRef("v1", "Namespace", None, namespace)) is not None


def _version(live: Mapping[str, Any]) -> str | None:
    return (live.get("metadata") or {}).get("resourceVersion")


def _drift(applied: Mapping[str, Any], live: Mapping[str, Any], context: PlanContext) -> list[diffing.FieldChange]:
    """Fields the last revision applied whose live value differs now, with the manager that changed them."""
    found = []
    live_plain = diffing.normalized(live)
    for path, value in diffing.leaves(diffing.normalized(applied)):
        current = diffing.value_at(live_plain, path)
        if diffing.is_missing(current) or current == value:
            continue
        if _holds_fingerprint(value):
            # A secret: the record holds its keyed fingerprint; the live value drifted if its fingerprint differs.
            if not (fingerprints.PATTERN.fullmatch(value) and isinstance(current, str)):
                continue
            if fingerprints.fingerprint(current, key=context.digest_key) == value:
                continue
            value, current = MASK, MASK
        manager = diffing.owner_of(live, path)
        if manager == "deploykit":
            continue
        change = diffing.FieldChange(diffing.format_path(path), value, current, manager=manager or "unknown")
        found.append(_masked(change, str(applied.get("kind")), context))
    return found


def _live_holds(applied: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """True when every field the last revision applied has that very value in the live object."""
    live_plain = diffing.normalized(live)
    for path, value in diffing.leaves(diffing.normalized(applied)):
        if _holds_fingerprint(value) or diffing.value_at(live_plain, path) != value:
            return False  # a secret-derived value cannot be compared with the live one: let the dry run decide
    return True


def _holds_fingerprint(value: Any) -> bool:
    """True for a recorded value derived from a secret (fingerprinted, or masked where no fingerprint fits)."""
    return isinstance(value, str) and ("hmac-sha256:" in value or MASK in value)


def _masked(change: diffing.FieldChange, kind: str, context: PlanContext) -> diffing.FieldChange:
    secret_data = kind == "Secret" and change.path.split(".")[0] in ("data", "stringData")
    return dataclasses.replace(
        change, before=_mask_value(change.before, context, secret_data), after=_mask_value(change.after, context, secret_data)
    )


def _mask_value(value: Any, context: PlanContext, whole: bool) -> Any:
    if value is None:
        return None
    if whole:
        return MASK
    if isinstance(value, str):
        return context.mask(value)
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False)
        masked = context.mask(text)
        return value if masked == text else json.loads(masked) if _loads(masked) else MASK
    return value


def _loads(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _prune_operation(kube: Kube, obj: Mapping[str, Any], context: PlanContext) -> Operation | None:
    ref = ObjectRef.of(obj)
    try:
        live = kube.get(ref)
    except errors.KubeError:
        live = None  # its kind is gone (CRD removed): nothing left to prune
    if live is None or not ownership.belongs_to(live, release=context.release, namespace=context.namespace):
        return None
    if ownership.keeps(live) or ownership.keeps(obj):
        return None
    return Operation(PRUNE, api_version=ref.api_version, kind=ref.kind, namespace=ref.namespace, name=ref.name,
                     live_version=_version(live), reason="no longer in the chart")
