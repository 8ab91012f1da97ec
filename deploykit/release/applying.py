"""Executing a plan: server-side apply in DESIGN.md's order, concurrently within a group, then pruning.

Objects are applied group by group (Namespaces and CRDs first, workloads
late; `charts.kinds.apply_rank`), up to CONCURRENCY at a time within a group.
CRDs are waited for until Established before the objects of their kinds. An
object whose immutable field changed and that asks for it is deleted and
recreated. Unchanged objects are not written. `Applied` says, also when the
apply stops half-way, what was written and what this attempt created, so
that a rollback can delete exactly that.

Must not: decide what to apply (the plan does), track readiness or print.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import itertools
import time
from collections.abc import Mapping, Sequence
from typing import Any

from deploykit import errors
from deploykit.charts import kinds
from deploykit.kube.client import Kube
from deploykit.kube.resources import ObjectRef
from deploykit.release import cancelling, killpoints
from deploykit.release.planning import Desired, is_immutable_refusal, namespace_exists
from deploykit.release.plans import CREATE, PRUNE, REPLACE, UPDATE, Operation

CONCURRENCY = 16
ESTABLISHED_TIMEOUT = 60.0


@dataclasses.dataclass
class Applied:
    """What an apply wrote: objects as the server returned them, and which of them it created."""

    objects: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # key (group, kind, namespace, name) -> reference, of each object this attempt brought into the cluster
    created: dict[tuple[str, str, str, str], ObjectRef] = dataclasses.field(default_factory=dict)
    pruned: list[ObjectRef] = dataclasses.field(default_factory=list)
    writes: int = 0


class ApplyFailed(errors.KubeError):
    """An object could not be applied; `applied` holds what was written before."""

    def __init__(self, message: str, *, applied: Applied, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message, hint=hint, status=status)
        self.applied = applied


def ensure_namespace(kube: Kube, namespace: str, applied: Applied) -> None:
    """Create the namespace if it does not exist (`--create-namespace`)."""
    if not namespace_exists(kube, namespace):
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        applied.writes += 1


def apply(
    kube: Kube, operations: Sequence[Operation], desired: Mapping[tuple, Desired], *, applied: Applied,
    replace_immutable: bool = False,
) -> Applied:
    """Apply every create, update and replace of the plan, group by group; raise ApplyFailed on the first refusal.

    With `replace_immutable` (a rollback), an update refused for an immutable field deletes and recreates the object.
    """
    writing = [op for op in operations if op.action in (CREATE, UPDATE, REPLACE)]
    ranked = sorted(writing, key=lambda op: kinds.apply_rank(op.api_version, op.kind))
    with concurrent.futures.ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        for _, group in itertools.groupby(ranked, key=lambda op: kinds.apply_rank(op.api_version, op.kind)):
            batch = list(group)
            futures = {pool.submit(_apply_one, kube, op, desired[op.key], replace_immutable): op for op in batch}
            failure = None
            for future in concurrent.futures.as_completed(futures):
                op = futures[future]
                try:
                    live = future.result()
                except errors.KubeError as exc:
                    failure = failure or (op, exc)
                    continue
                applied.objects.append(live)
                applied.writes += 2 if op.action == REPLACE else 1
                if op.action == CREATE:
                    applied.created[op.key] = ObjectRef(op.api_version, op.kind, op.namespace, op.name)
            if failure:
                op, exc = failure
                raise ApplyFailed(f"{op.ident} ({op.template or 'chart'}): the API server refused the apply: {exc.message}",
                                  applied=applied, hint=exc.hint, status=exc.status) from exc
            killpoints.reached("applied")
            cancelling.check()  # what the group wrote is in `applied`: a rollback finds all of it
            for op in batch:
                if op.kind == "CustomResourceDefinition":
                    wait_established(kube, op.name)
    return applied


def _apply_one(kube: Kube, op: Operation, item: Desired, replace_immutable: bool) -> dict[str, Any]:
    if op.action == REPLACE:
        return replace(kube, item.obj)
    try:
        return kube.apply(item.obj)
    except errors.KubeError as exc:
        if replace_immutable and is_immutable_refusal(exc):
            return replace(kube, item.obj)
        raise


def replace(kube: Kube, obj: Mapping[str, Any]) -> dict[str, Any]:
    """Delete the object, wait until it is gone, apply it anew (an immutable field changed)."""
    delete_and_wait(kube, ObjectRef.of(obj), propagation="Foreground", why="was deleted to be recreated")
    return kube.apply(obj)


def delete_and_wait(kube: Kube, ref: ObjectRef, *, propagation: str, why: str, timeout: float = 60.0) -> None:
    """Delete the object (if there) and wait until the API server no longer has it."""
    if not kube.delete(ref, propagation=propagation):
        return
    deadline = time.monotonic() + timeout
    while kube.get(ref) is not None:
        if time.monotonic() > deadline:
            raise errors.KubeError(f"{ref} {why}, but is still there after {timeout:.0f}s",
                                   hint="check its finalizers (kubectl get -o yaml)")
        time.sleep(0.05)


def wait_established(kube: Kube, name: str, timeout: float = ESTABLISHED_TIMEOUT) -> None:
    """Wait until a CRD is Established, so that objects of its kinds can be applied."""
    ref = ObjectRef("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, name)
    deadline = time.monotonic() + timeout
    while True:
        live = kube.get(ref) or {}
        conditions = (live.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions) and _served(kube, live):
            return
        if time.monotonic() > deadline:
            raise errors.KubeError(f"CustomResourceDefinition {name} is not Established after {timeout:.0f}s",
                                   hint="check the CRD's status conditions (kubectl describe crd)")
        time.sleep(0.05)


def _served(kube: Kube, crd: Mapping[str, Any]) -> bool:
    """True once discovery serves the CRD's kind in each served version (it may lag behind Established)."""
    spec = crd.get("spec") or {}
    kind = (spec.get("names") or {}).get("kind")
    versions = [v.get("name") for v in spec.get("versions") or [] if v.get("served", True)]
    return all(kube.discovery.has(f"{spec.get('group')}/{version}", kind) for version in versions if kind and version)


def prune(kube: Kube, operations: Sequence[Operation], *, applied: Applied) -> Applied:
    """Delete what the plan prunes, in reverse apply order."""
    pruning = [op for op in operations if op.action == PRUNE]
    for op in sorted(pruning, key=lambda op: -kinds.apply_rank(op.api_version, op.kind)):
        ref = ObjectRef(op.api_version, op.kind, op.namespace, op.name)
        if kube.delete(ref):
            applied.writes += 1
            applied.pruned.append(ref)
    return applied


def delete_created(kube: Kube, refs: Sequence[ObjectRef], *, deleted: list[ObjectRef] | None = None
                   ) -> list[ObjectRef]:
    """Delete the objects a failed attempt created (reverse apply order); return those that were still there.

    After each object, a safe point (`cancelling.check`; a rollback runs shielded): `deleted` (a new list unless
    given) holds what was deleted before a cancel stopped the loop."""
    deleted = [] if deleted is None else deleted
    for ref in sorted(refs, key=lambda r: -kinds.apply_rank(r.api_version, r.kind)):
        if kube.delete(ref, propagation="Background"):
            deleted.append(ref)
        killpoints.reached("deleted")
        cancelling.check()
    return deleted
