"""API versions Kubernetes stopped serving, and what replaced them (the Kubernetes deprecation guide's facts).

Owns the table from https://kubernetes.io/docs/reference/using-api/deprecation-guide/
(the stable and beta APIs of built-in kinds) and `removal`, which says, for an
object's apiVersion and kind and a target version, whether the target still
serves it and what to use instead. A chart written for an older cluster
(`policy/v1beta1` PodDisruptionBudget) then fails with the replacement named
rather than with "no matches for kind" from the API server.

Must not: talk to a cluster or decide a problem's level (checking does).
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Removal(NamedTuple):
    """One apiVersion and kind a release stopped serving (a table row only looked up: a NamedTuple)."""

    api_version: str
    kind: str
    removed_in: tuple[int, int]
    replacement: str | None  # an apiVersion; None: the kind is gone (see `note`)
    note: str = ""

    @property
    def release(self) -> str:
        return f"{self.removed_in[0]}.{self.removed_in[1]}"


def _each(api_versions: tuple[str, ...], kinds: tuple[str, ...], removed_in: tuple[int, int], replacement: str | None,
          note: str = "") -> list[Removal]:
    return [Removal(api, kind, removed_in, replacement, note) for api in api_versions for kind in kinds]


_RBAC = ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
_WORKLOADS = ("Deployment", "DaemonSet", "ReplicaSet", "StatefulSet")
_FLOWCONTROL = ("FlowSchema", "PriorityLevelConfiguration")

TABLE: tuple[Removal, ...] = tuple([
    # 1.16
    *_each(("extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"), _WORKLOADS, (1, 16), "apps/v1",
           "spec.selector is required and immutable"),
    *_each(("extensions/v1beta1",), ("NetworkPolicy",), (1, 16), "networking.k8s.io/v1"),
    *_each(("extensions/v1beta1",), ("PodSecurityPolicy",), (1, 16), "policy/v1beta1"),
    # 1.22
    *_each(("admissionregistration.k8s.io/v1beta1",), ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
           (1, 22), "admissionregistration.k8s.io/v1", "webhooks[*].sideEffects and admissionReviewVersions are required"),
    *_each(("apiextensions.k8s.io/v1beta1",), ("CustomResourceDefinition",), (1, 22), "apiextensions.k8s.io/v1",
           "spec.versions[*].schema.openAPIV3Schema is required and must be structural"),
    *_each(("apiregistration.k8s.io/v1beta1",), ("APIService",), (1, 22), "apiregistration.k8s.io/v1"),
    *_each(("authentication.k8s.io/v1beta1",), ("TokenReview",), (1, 22), "authentication.k8s.io/v1"),
    *_each(("authorization.k8s.io/v1beta1",), ("LocalSubjectAccessReview", "SelfSubjectAccessReview", "SubjectAccessReview"),
           (1, 22), "authorization.k8s.io/v1", "spec.group was renamed spec.groups"),
    *_each(("certificates.k8s.io/v1beta1",), ("CertificateSigningRequest",), (1, 22), "certificates.k8s.io/v1",
           "spec.signerName is required"),
    *_each(("coordination.k8s.io/v1beta1",), ("Lease",), (1, 22), "coordination.k8s.io/v1"),
    *_each(("extensions/v1beta1", "networking.k8s.io/v1beta1"), ("Ingress",), (1, 22), "networking.k8s.io/v1",
           "backend.serviceName/servicePort became backend.service.name/port, and pathType is required"),
    *_each(("networking.k8s.io/v1beta1",), ("IngressClass",), (1, 22), "networking.k8s.io/v1"),
    *_each(("rbac.authorization.k8s.io/v1beta1",), _RBAC, (1, 22), "rbac.authorization.k8s.io/v1"),
    *_each(("scheduling.k8s.io/v1beta1",), ("PriorityClass",), (1, 22), "scheduling.k8s.io/v1"),
    *_each(("storage.k8s.io/v1beta1",), ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"), (1, 22),
           "storage.k8s.io/v1"),
    # 1.25
    *_each(("batch/v1beta1",), ("CronJob",), (1, 25), "batch/v1"),
    *_each(("discovery.k8s.io/v1beta1",), ("EndpointSlice",), (1, 25), "discovery.k8s.io/v1",
           "topology[\"kubernetes.io/hostname\"] became nodeName"),
    *_each(("events.k8s.io/v1beta1",), ("Event",), (1, 25), "events.k8s.io/v1"),
    *_each(("autoscaling/v2beta1",), ("HorizontalPodAutoscaler",), (1, 25), "autoscaling/v2",
           "targetAverageUtilization became target.averageUtilization"),
    *_each(("policy/v1beta1",), ("PodDisruptionBudget",), (1, 25), "policy/v1",
           "an empty spec.selector ({}) now selects every pod of the namespace"),
    *_each(("policy/v1beta1",), ("PodSecurityPolicy",), (1, 25), None,
           "use Pod Security Admission (pod-security.kubernetes.io/* namespace labels) "
           "or a policy engine, and drop the object from the chart"),
    *_each(("node.k8s.io/v1beta1",), ("RuntimeClass",), (1, 25), "node.k8s.io/v1"),
    # 1.26
    *_each(("flowcontrol.apiserver.k8s.io/v1beta1",), _FLOWCONTROL, (1, 26), "flowcontrol.apiserver.k8s.io/v1beta3"),
    *_each(("autoscaling/v2beta2",), ("HorizontalPodAutoscaler",), (1, 26), "autoscaling/v2"),
    # 1.27
    *_each(("storage.k8s.io/v1beta1",), ("CSIStorageCapacity",), (1, 27), "storage.k8s.io/v1"),
    # 1.29
    *_each(("flowcontrol.apiserver.k8s.io/v1beta2",), _FLOWCONTROL, (1, 29), "flowcontrol.apiserver.k8s.io/v1"),
    # 1.32
    *_each(("flowcontrol.apiserver.k8s.io/v1beta3",), ("FlowSchema",), (1, 32), "flowcontrol.apiserver.k8s.io/v1"),
    *_each(("flowcontrol.apiserver.k8s.io/v1beta3",), ("PriorityLevelConfiguration",), (1, 32),
           "flowcontrol.apiserver.k8s.io/v1",
           "spec.limited.nominalConcurrencyShares: 0 now means 0 (v1beta3 turned it into the default, 30)"),
])

_BY_KEY = {(r.api_version, r.kind): r for r in TABLE}


def removal(api_version: str, kind: str, *, kube_version: str) -> str | None:
    """Why and how to move an object off an apiVersion `kube_version` no longer serves; None when it still does.

    The replacement is followed while the target no longer serves it either
    (flowcontrol v1beta1 -> v1beta3 -> v1 on 1.32+).
    """
    entry = _BY_KEY.get((api_version, kind))
    if entry is None or not _removed(entry, kube_version):
        return None
    notes, last = [entry.note] if entry.note else [], entry
    while last.replacement and (after := _BY_KEY.get((last.replacement, kind))) and _removed(after, kube_version):
        last = after
        notes += [after.note] if after.note else []
    advice = f"use {last.replacement}" if last.replacement else "there is no replacement API"
    return (f"{api_version} {kind} is no longer served since Kubernetes {entry.release} (the target is {kube_version}): "
            + "; ".join([advice, *notes]))


def deprecated(api_version: str, kind: str, *, kube_version: str) -> str | None:
    """For a target that still serves an apiVersion the table lists: when it goes and what replaces it."""
    entry = _BY_KEY.get((api_version, kind))
    if entry is None or _removed(entry, kube_version):
        return None
    advice = f"move to {entry.replacement}" if entry.replacement else "plan its removal"
    return f"{api_version} {kind} is deprecated and no longer served from Kubernetes {entry.release}: {advice}"


def _removed(entry: Removal, kube_version: str) -> bool:
    """True when `kube_version` no longer serves the entry's apiVersion (an unreadable version counts as new)."""
    match = re.match(r"^v?(\d+)\.(\d+)", kube_version.strip())
    return match is None or (int(match[1]), int(match[2])) >= entry.removed_in
