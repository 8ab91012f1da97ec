"""The plan as data: what an upgrade will do to each object, serializable, masked, comparable.

Owns `Operation` (one object: create, update, replace, unchanged, prune, with
its field changes, the drift found on it, the live resourceVersion the plan
saw and a keyed digest of the object to apply) and `Plan` (the operations of
one release revision, in apply order), their JSON form with a schema version,
and the text a user reads.

Must not: hold a secret value. Secret data and every secret-derived string
are masked before an operation is built; the digest is keyed (HMAC), so the
plan file cannot be used to check guesses of what the object holds.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.release.diffing import FieldChange

SCHEMA_VERSION = "deploykit.io/plan.v1"
CREATE, UPDATE, REPLACE, UNCHANGED, PRUNE = "create", "update", "replace", "unchanged", "prune"
ACTIONS = (CREATE, UPDATE, REPLACE, UNCHANGED, PRUNE)
_SYMBOL = {CREATE: "+", UPDATE: "~", REPLACE: "-/+", UNCHANGED: "=", PRUNE: "-"}


@frozen
class Operation:
    action: str
    api_version: str
    kind: str
    namespace: str | None
    name: str
    template: str = ""
    changes: tuple[FieldChange, ...] = ()
    drift: tuple[FieldChange, ...] = ()
    live_version: str | None = None  # resourceVersion seen when planning (None: did not exist)
    digest: str = ""  # keyed digest of the object to apply ("" for prune)
    reason: str = ""  # why replace / why prune

    @property
    def ident(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"

    @property
    def key(self) -> tuple[str, str, str, str]:
        group = self.api_version.rpartition("/")[0]
        return (group, self.kind, self.namespace or "", self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action, "apiVersion": self.api_version, "kind": self.kind, "namespace": self.namespace,
            "name": self.name, "template": self.template, "changes": [c.to_dict() for c in self.changes],
            "drift": [c.to_dict() for c in self.drift], "liveVersion": self.live_version, "digest": self.digest,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Operation":
        if data.get("action") not in ACTIONS:
            raise ValueError(f"unknown action {data.get('action')!r}")
        return cls(
            action=data["action"], api_version=data["apiVersion"], kind=data["kind"], namespace=data.get("namespace"),
            name=data["name"], template=data.get("template", ""),
            changes=tuple(FieldChange.from_dict(c) for c in data.get("changes", [])),
            drift=tuple(FieldChange.from_dict(c) for c in data.get("drift", [])),
            live_version=data.get("liveVersion"), digest=data.get("digest", ""), reason=data.get("reason", ""),
        )


@frozen
class Adoption:
    """A release another tool installed that `upgrade --adopt` adopts before it applies the plan: which revision,
    the objects whose ownership moves to deploykit, those missing from the cluster, its crds/ CRDs (left shared)."""

    system: str
    release: str
    namespace: str
    revision: int
    objects: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    crds: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "objects": list(self.objects), "missing": list(self.missing),
                "crds": list(self.crds)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Adoption":
        return cls(system=data["system"], release=data["release"], namespace=data["namespace"],
                   revision=int(data["revision"]), objects=tuple(data.get("objects", [])),
                   missing=tuple(data.get("missing", [])), crds=tuple(data.get("crds", [])))


@frozen
class Plan:
    release: str
    namespace: str
    revision: int  # the revision an upgrade with this plan writes
    chart: str  # name-version
    operations: tuple[Operation, ...]
    inputs_digest: str = ""  # keyed digest of chart, values and secrets: unchanged inputs + empty plan = no-op
    previous_inputs_digest: str = ""
    hooks: tuple[str, ...] = ()  # `pre-upgrade Job ns/name`, in run order
    # The release's fingerprint key, sops-sealed (secrets/sealing.py): a first install applying this plan keys its
    # digests with it, as the plan did; later revisions take it from the last record.
    sealed_key: str | None = None
    # The CRDs of the charts' crds/ folders, applied first: create, update or unchanged, never prune (not the
    # release's objects: release/sharedcrds.py).
    crds: tuple[Operation, ...] = ()
    adopts: Adoption | None = None  # plan --adopt of a release Helm installed: adopted first, then upgraded

    @property
    def changed(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.action != UNCHANGED)

    @property
    def crds_changed(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.crds if op.action != UNCHANGED)

    @property
    def has_changes(self) -> bool:
        return bool(self.changed or self.crds_changed) or self.inputs_digest != self.previous_inputs_digest

    @property
    def drifted(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.drift)

    def counts(self) -> dict[str, int]:
        return {action: sum(op.action == action for op in self.operations) for action in ACTIONS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION, "release": self.release, "namespace": self.namespace,
            "revision": self.revision, "chart": self.chart, "inputsDigest": self.inputs_digest,
            "previousInputsDigest": self.previous_inputs_digest, "hooks": list(self.hooks),
            "summary": self.counts(), "operations": [op.to_dict() for op in self.operations],
            **({"sealedKey": self.sealed_key} if self.sealed_key else {}),
            **({"crds": [op.to_dict() for op in self.crds]} if self.crds else {}),
            **({"adopts": self.adopts.to_dict()} if self.adopts else {}),
        }

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "plan") -> "Plan":
        if not isinstance(data, Mapping) or data.get("schemaVersion") != SCHEMA_VERSION:
            found = data.get("schemaVersion") if isinstance(data, Mapping) else type(data).__name__
            raise errors.UsageError(f"{source}: not a deploykit plan (schemaVersion {found!r}, want {SCHEMA_VERSION})",
                                    hint="write plans with `deploykit plan RELEASE CHART --out FILE`")
        try:
            return cls(
                release=data["release"], namespace=data["namespace"], revision=int(data["revision"]),
                chart=data.get("chart", ""), inputs_digest=data.get("inputsDigest", ""),
                previous_inputs_digest=data.get("previousInputsDigest", ""), hooks=tuple(data.get("hooks", [])),
                operations=tuple(Operation.from_dict(op) for op in data["operations"]),
                sealed_key=data.get("sealedKey"), crds=tuple(Operation.from_dict(op) for op in data.get("crds", [])),
                adopts=Adoption.from_dict(data["adopts"]) if data.get("adopts") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.UsageError(f"{source}: damaged plan file ({exc.__class__.__name__}: {exc})",
                                    hint="make the plan again with `deploykit plan ... --out FILE`") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    text = text.replace("\n", "\\n")
    return text if len(text) <= 80 else text[:77] + "..."


def describe_change(change: FieldChange) -> str:
    if change.added:
        text = f"{change.path}: + {_short(change.after)}"
    elif change.removed:
        text = f"{change.path}: - {_short(change.before)}"
    else:
        text = f"{change.path}: {_short(change.before)} -> {_short(change.after)}"
    return f"{text} (changed by {change.manager})" if change.manager else text


def describe(plan: Plan, *, show_unchanged: bool = False) -> list[str]:
    """The plan as lines a reviewer reads: one per object, its field changes and drift indented."""
    lines = [f"Plan for release {plan.namespace}/{plan.release}, revision {plan.revision} ({plan.chart}):"]
    if plan.adopts is not None:
        lines += _adoption_lines(plan.adopts)
    shown_crds = [op for op in plan.crds if op.action != UNCHANGED or show_unchanged]
    if shown_crds:
        lines.append("  CRDs from crds/, applied first, never deleted:")
        lines += _operation_lines(shown_crds, indent="  ")
    lines += _operation_lines([op for op in plan.operations if op.action != UNCHANGED or op.drift or show_unchanged])
    lines += [f"  hook {hook}" for hook in plan.hooks]
    counts = plan.counts()
    summary = ", ".join([*(f"{n} crds/ CRD(s) to {a}" for a in (CREATE, UPDATE)
                           if (n := sum(op.action == a for op in plan.crds))),
                         *(f"{counts[a]} to {a}" for a in (CREATE, UPDATE, REPLACE, PRUNE) if counts[a])])
    drift = f"; drift on {len(plan.drifted)} object(s)" if plan.drifted else ""
    if plan.has_changes:
        lines.append(f"Plan: {summary or 'no object changes; inputs changed, a new revision is recorded'}{drift}.")
    else:
        lines.append(f"No changes: {counts[UNCHANGED]} object(s) up to date{drift}.")
    return lines


def _operation_lines(operations: list[Operation], *, indent: str = "") -> list[str]:
    """One line per operation, its field changes and drift indented below it."""
    lines = []
    for op in operations:
        reason = f" ({op.reason})" if op.reason else ""
        lines.append(f"{indent}  {_SYMBOL[op.action]:>3} {op.action:<9} {op.ident}{reason}")
        if op.action in (UPDATE, REPLACE):
            lines += [f"{indent}        {describe_change(change)}" for change in op.changes]
        lines += [f"{indent}        drift: {describe_change(change)}" for change in op.drift]
    return lines


def _adoption_lines(adoption: Adoption) -> list[str]:
    system = "Helm" if adoption.system == "helm" else adoption.system
    lines = [f"  adopts {system} release {adoption.namespace}/{adoption.release} revision {adoption.revision} first "
             f"(as revision 1); ownership moves to deploykit for {len(adoption.objects)} object(s):"]
    lines += [f"      {ident}" for ident in adoption.objects]
    lines += [f"      {ident} (in {system}'s manifest, not in the cluster)" for ident in adoption.missing]
    lines += [f"      {ident} (from crds/: stays shared, not the release's)" for ident in adoption.crds]
    return lines
