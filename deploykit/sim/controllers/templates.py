"""Pod templates: the hashes that name ReplicaSets and revisions, template equality, pods from templates.

Owns `pod-template-hash` (an FNV-32a hash of the template, rendered in the
safe alphabet Kubernetes uses for generated names, so names look like
`web-7d4b9c8f5`), the ControllerRevision hash of StatefulSets and DaemonSets,
comparing templates while ignoring the hash label (how the deployment
controller finds the ReplicaSet of a template, and how `rollout undo` finds
it again), and building the Pod a workload controller creates from its
template. Pure.
"""

from __future__ import annotations

import json
from typing import Any

from deploykit.sim.controllers import objects

Obj = dict[str, Any]

HASH_LABEL = "pod-template-hash"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
_FNV_OFFSET, _FNV_PRIME = 0x811C9DC5, 0x01000193


def fnv32a(data: bytes) -> int:
    value = _FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def safe_encode(text: str) -> str:
    """rand.SafeEncodeString: no vowels, no confusable characters."""
    return "".join(_SAFE[ord(ch) % len(_SAFE)] for ch in text)


def compute_hash(value: Any, collision_count: int | None = None) -> str:
    raw = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        raw += str(collision_count).encode()
    return safe_encode(str(fnv32a(raw)))


def without_hash_label(template: Obj | None) -> Obj:
    template = dict(template or {})
    meta = dict(template.get("metadata") or {})
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != HASH_LABEL}
    if labels:
        meta["labels"] = labels
    else:
        meta.pop("labels", None)
    template["metadata"] = meta
    return template


def equal_ignoring_hash(a: Obj | None, b: Obj | None) -> bool:
    return without_hash_label(a) == without_hash_label(b)


def with_labels(template: Obj, extra: dict[str, str]) -> Obj:
    template = dict(template)
    meta = dict(template.get("metadata") or {})
    meta["labels"] = {**(meta.get("labels") or {}), **extra}
    template["metadata"] = meta
    return template


def pod_from_template(template: Obj, owner: Obj, *, name: str | None = None, generate_name: str | None = None,
                      extra_labels: dict[str, str] | None = None, spec_changes: Obj | None = None) -> Obj:
    """The Pod a controller creates: template labels, annotations, finalizers and spec, a controller ref."""
    tmeta = template.get("metadata") or {}
    meta: Obj = {"namespace": owner["metadata"]["namespace"]}
    if name:
        meta["name"] = name
    else:
        meta["generateName"] = generate_name or owner["metadata"]["name"] + "-"
    labels = {**(tmeta.get("labels") or {}), **(extra_labels or {})}
    if labels:
        meta["labels"] = labels
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        meta["finalizers"] = list(tmeta["finalizers"])
    meta["ownerReferences"] = [objects.controller_ref(owner)]
    spec = dict(template.get("spec") or {})
    if spec_changes:
        spec.update(spec_changes)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


__all__ = ["HASH_LABEL", "compute_hash", "equal_ignoring_hash", "pod_from_template", "safe_encode", "with_labels",
           "without_hash_label"]
