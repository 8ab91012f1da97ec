"""Facts about built-in Kubernetes kinds that rendering needs without a cluster.

Owns three tables keyed by (API group, kind): which kinds are cluster-scoped
(their objects get no namespace), the apply-order groups of DESIGN.md
("Apply, plan, atomic"), and which naming rule the API server applies to
each kind's metadata.name; plus the validators for those rules.

Must not: talk to a cluster (the kube package maps unknown kinds through
discovery) or know about templates.
"""

from __future__ import annotations

import functools
import re
import string

CLUSTER_SCOPED = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("authentication.k8s.io", "TokenReview"),
        ("authentication.k8s.io", "SelfSubjectReview"),
        ("authorization.k8s.io", "SelfSubjectAccessReview"),
        ("authorization.k8s.io", "SelfSubjectRulesReview"),
        ("authorization.k8s.io", "SubjectAccessReview"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("internal.apiserver.k8s.io", "StorageVersion"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("node.k8s.io", "RuntimeClass"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "ResourceSlice"),
        ("resource.k8s.io", "DeviceTaintRule"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("storagemigration.k8s.io", "StorageVersionMigration"),
    }
)

# Apply order: each group is applied (concurrently) after the previous one.
# Quotas, limit ranges and priority classes travel with namespaces: pods
# created later must already be subject to them.
APPLY_GROUPS: tuple[tuple[str, frozenset[tuple[str, str]]], ...] = (
    (
        "namespaces",
        frozenset({("", "Namespace"), ("", "ResourceQuota"), ("", "LimitRange"), ("scheduling.k8s.io", "PriorityClass")}),
    ),
    ("crds", frozenset({("apiextensions.k8s.io", "CustomResourceDefinition")})),
    (
        "rbac",
        frozenset(
            {
                ("", "ServiceAccount"),
                ("rbac.authorization.k8s.io", "Role"),
                ("rbac.authorization.k8s.io", "ClusterRole"),
                ("rbac.authorization.k8s.io", "RoleBinding"),
                ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
            }
        ),
    ),
    ("config", frozenset({("", "ConfigMap"), ("", "Secret")})),
    (
        "storage",
        frozenset(
            {
                ("storage.k8s.io", "StorageClass"),
                ("storage.k8s.io", "VolumeAttributesClass"),
                ("", "PersistentVolume"),
                ("", "PersistentVolumeClaim"),
            }
        ),
    ),
    ("services", frozenset({("", "Service")})),
    (
        "workloads",
        frozenset(
            {
                ("", "Pod"),
                ("", "ReplicationController"),
                ("apps", "ReplicaSet"),
                ("apps", "Deployment"),
                ("apps", "StatefulSet"),
                ("apps", "DaemonSet"),
                ("batch", "Job"),
                ("batch", "CronJob"),
            }
        ),
    ),
)
_GROUP_OF = {key: index for index, (_, keys) in enumerate(APPLY_GROUPS) for key in keys}


def group_of(api_version: str) -> str:
    """The API group of an apiVersion: `apps/v1` -> `apps`, `v1` -> `` (core)."""
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def apply_rank(api_version: str, kind: str) -> int:
    """Position of the kind's group in the apply order; everything unlisted comes last."""
    return _GROUP_OF.get((group_of(api_version), kind), len(APPLY_GROUPS))


def is_cluster_scoped(api_version: str, kind: str) -> bool:
    return (group_of(api_version), kind) in CLUSTER_SCOPED


# --- names, as the API server validates them --------------------------------

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Left to re to compile (and cache) for a Service name the plain test below does not accept: compiling it costs more
# than checking every name of a chart (the two above are needed anyway, for release names and namespaces).
_DNS1035 = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"


def is_dns_label(text: str) -> bool:
    """A DNS-1123 label's characters (a namespace, a Job): the length is the caller's to check."""
    return _LABEL.match(text) is not None


def is_dns_subdomain(text: str) -> bool:
    """A DNS-1123 subdomain's characters (most object names, a release name): the length is the caller's."""
    return _SUBDOMAIN.match(text) is not None


_LOWER_ALNUM = string.ascii_lowercase + string.digits


def plainly(text: str, ends: str, inner: str) -> bool:
    """Whether `text` is not empty, has only `ends` and `inner` characters, and starts and ends with one of `ends`:
    what most valid names look like, told without a regex. False says nothing: the regex decides then."""
    return text != "" and not text.strip(ends + inner) and text[0] in ends and text[-1] in ends

# kind -> (rule, max length). The default is a DNS-1123 subdomain of 253.
_NAME_RULES: dict[tuple[str, str], tuple[str, int]] = {
    ("", "Namespace"): ("label", 63),
    ("", "Service"): ("dns1035", 63),
    # A Job's name becomes the `job-name` label of its pods; a CronJob adds 11 characters to it.
    ("batch", "Job"): ("label", 63),
    ("batch", "CronJob"): ("subdomain", 52),
    ("rbac.authorization.k8s.io", "Role"): ("path", 253),
    ("rbac.authorization.k8s.io", "ClusterRole"): ("path", 253),
    ("rbac.authorization.k8s.io", "RoleBinding"): ("path", 253),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): ("path", 253),
}

_RULE_TEXT = {
    "label": "a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
    "dns1035": "a DNS-1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit",
    "subdomain": "a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit",
    "path": "a path segment: not '.', '..', and without '/' or '%'",
}


def _plain_dns1035(name: str) -> bool:
    """A DNS-1035 label as most are: lowercase letters, digits and inner '-', starting with a letter."""
    return plainly(name, _LOWER_ALNUM, "-") and name[0] in string.ascii_lowercase


_VALID_NAME = {
    "label": is_dns_label,
    "dns1035": lambda name: _plain_dns1035(name) or re.match(_DNS1035, name) is not None,
    "subdomain": is_dns_subdomain,
    "path": lambda name: name not in (".", "..") and "/" not in name and "%" not in name,
}


def name_problem(api_version: str, kind: str, name: str) -> str | None:
    """Why the API server would refuse `name` for this kind, or None when it is valid."""
    rule, limit = _NAME_RULES.get((group_of(api_version), kind), ("subdomain", 253))
    if len(name) > limit:
        return f"is {len(name)} characters long; a {kind} name may have at most {limit}"
    return None if _VALID_NAME[rule](name) else f"must be {_RULE_TEXT[rule]}"


@functools.lru_cache(maxsize=256)  # asked for every object rendered, mostly with one namespace
def namespace_problem(namespace: str) -> str | None:
    """Why `namespace` is not a valid namespace name, or None."""
    if len(namespace) > 63:
        return f"is {len(namespace)} characters long; a namespace name may have at most 63"
    return None if is_dns_label(namespace) else f"must be {_RULE_TEXT['label']}"
