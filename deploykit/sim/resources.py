"""The kind registry: every resource type the simulator serves, built-in or from a CRD.

Owns the REST facts of each type (group, version, plural, singular, kind,
scope, shortNames, categories, verbs, subresources, how `metadata.generation`
moves) and lookups by URL segment, by apiVersion/kind or by storage collection. Objects of one type
are stored once per (group, plural), whatever version they are served at.
Must not hold objects or do I/O: the store and the server do.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Hashable, Iterator, TypeVar

T = TypeVar("T")

VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NAMESPACE_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")

# How a write moves metadata.generation (follows the real registry strategies).
GEN_NONE = "none"  # no generation (ConfigMap, Secret, Service...)
GEN_SPEC = "spec"  # +1 when spec changes
GEN_SPEC_ANNOTATIONS = "spec+annotations"  # Deployment: spec or annotations
GEN_CONTENT = "content"  # custom resources and CRDs: anything but metadata and status


@dataclasses.dataclass(frozen=True)
class Scale:
    """Where a /scale subresource reads and writes (JSON paths as CRDs spell them)."""

    spec_replicas: str = ".spec.replicas"
    status_replicas: str = ".status.replicas"
    label_selector: str | None = ".spec.selector"


@dataclasses.dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = VERBS
    status: bool = False
    scale: Scale | None = None
    generation: str = GEN_NONE
    # Names of subresources served by some other part of the simulator (pods/log, namespaces/finalize).
    extra_subresources: tuple[str, ...] = ()
    custom: bool = False
    # Rule for metadata.name: DNS "subdomain", "label", "label1035" (Services) or "path" (RBAC allows ':').
    name_rule: str = "subdomain"
    # Served from another collection's storage through `conversions` (events.k8s.io Event: core Events).
    storage: tuple[str, str] | None = None
    # CRD additionalPrinterColumns: ({name, type, format, description, priority, jsonPath}, ...).
    printer_columns: tuple[dict[str, Any], ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> tuple[str, str]:
        """Storage key: one collection per (group, plural), whatever the served version."""
        return self.storage or (self.group, self.plural)

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def subresources(self) -> tuple[str, ...]:
        subs = []
        if self.status:
            subs.append("status")
        if self.scale:
            subs.append("scale")
        return tuple(subs) + self.extra_subresources

    def base_path(self, namespace: str | None) -> str:
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{root}/namespaces/{namespace}/{self.plural}"
        return f"{root}/{self.plural}"


def _t(group: str, version: str, plural: str, kind: str, **kw: Any) -> ResourceType:
    singular = kw.pop("singular", kind.lower())
    return ResourceType(group=group, version=version, plural=plural, singular=singular, kind=kind, **kw)


_ALL = ("all",)
_SCALE = Scale()

BUILTINS: tuple[ResourceType, ...] = (
    _t("", "v1", "namespaces", "Namespace", namespaced=False, short_names=("ns",), status=True,
       verbs=NAMESPACE_VERBS, extra_subresources=("finalize",), name_rule="label"),
    _t("", "v1", "nodes", "Node", namespaced=False, short_names=("no",), status=True),
    _t("", "v1", "pods", "Pod", namespaced=True, short_names=("po",), categories=_ALL, status=True,
       generation=GEN_SPEC, extra_subresources=("log",)),
    _t("", "v1", "services", "Service", namespaced=True, short_names=("svc",), categories=_ALL, status=True,
       name_rule="label1035"),
    _t("", "v1", "configmaps", "ConfigMap", namespaced=True, short_names=("cm",)),
    _t("", "v1", "secrets", "Secret", namespaced=True),
    _t("", "v1", "serviceaccounts", "ServiceAccount", namespaced=True, short_names=("sa",)),
    _t("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", namespaced=True, short_names=("pvc",),
       status=True),
    _t("", "v1", "endpoints", "Endpoints", namespaced=True, short_names=("ep",), singular="endpoints"),
    _t("", "v1", "events", "Event", namespaced=True, short_names=("ev",)),
    _t("", "v1", "limitranges", "LimitRange", namespaced=True, short_names=("limits",)),
    _t("", "v1", "resourcequotas", "ResourceQuota", namespaced=True, short_names=("quota",), status=True),
    _t("apps", "v1", "deployments", "Deployment", namespaced=True, short_names=("deploy",), categories=_ALL,
       status=True, scale=_SCALE, generation=GEN_SPEC_ANNOTATIONS),
    _t("apps", "v1", "replicasets", "ReplicaSet", namespaced=True, short_names=("rs",), categories=_ALL,
       status=True, scale=_SCALE, generation=GEN_SPEC),
    _t("apps", "v1", "statefulsets", "StatefulSet", namespaced=True, short_names=("sts",), categories=_ALL,
       status=True, scale=_SCALE, generation=GEN_SPEC),
    _t("apps", "v1", "daemonsets", "DaemonSet", namespaced=True, short_names=("ds",), categories=_ALL,
       status=True, generation=GEN_SPEC),
    _t("apps", "v1", "controllerrevisions", "ControllerRevision", namespaced=True),
    _t("batch", "v1", "jobs", "Job", namespaced=True, categories=_ALL, status=True, generation=GEN_SPEC),
    _t("batch", "v1", "cronjobs", "CronJob", namespaced=True, short_names=("cj",), categories=_ALL,
       status=True, generation=GEN_SPEC),
    _t("networking.k8s.io", "v1", "ingresses", "Ingress", namespaced=True, short_names=("ing",), status=True,
       generation=GEN_SPEC),
    _t("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", namespaced=True,
       short_names=("netpol",), generation=GEN_SPEC),
    _t("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced=False),
    _t("rbac.authorization.k8s.io", "v1", "roles", "Role", namespaced=True, name_rule="path"),
    _t("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", namespaced=True, name_rule="path"),
    _t("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False, name_rule="path"),
    _t("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False,
       name_rule="path"),
    _t("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", namespaced=True, short_names=("pdb",),
       status=True, generation=GEN_SPEC),
    _t("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", namespaced=True,
       short_names=("hpa",), categories=_ALL, status=True, generation=GEN_SPEC),
    _t("coordination.k8s.io", "v1", "leases", "Lease", namespaced=True),
    _t("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", namespaced=True),
    _t("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", namespaced=False,
       short_names=("crd", "crds"), categories=("api-extensions",), status=True, generation=GEN_CONTENT),
    _t("events.k8s.io", "v1", "events", "Event", namespaced=True, short_names=("ev",), storage=("", "events")),
    # Created and answered, never stored (deploykit.sim.reviews).
    _t("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", namespaced=False,
       verbs=("create",)),
    _t("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", namespaced=False,
       verbs=("create",)),
)

# Groups in the order the real server lists them in discovery (kubectl shows them so).
GROUP_ORDER = (
    "", "apiextensions.k8s.io", "apps", "events.k8s.io", "authorization.k8s.io", "autoscaling", "batch",
    "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "coordination.k8s.io", "discovery.k8s.io",
)


def from_crd(crd: dict[str, Any]) -> list[ResourceType]:
    """The resource types a CustomResourceDefinition serves, one per served version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    types = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        subs = version.get("subresources") or {}
        scale = None
        if "scale" in subs:
            s = subs["scale"] or {}
            scale = Scale(
                spec_replicas=s.get("specReplicasPath", ".spec.replicas"),
                status_replicas=s.get("statusReplicasPath", ".status.replicas"),
                label_selector=s.get("labelSelectorPath"),
            )
        types.append(
            ResourceType(
                group=spec.get("group", ""),
                version=version["name"],
                plural=names.get("plural", ""),
                singular=names.get("singular") or names.get("kind", "").lower(),
                kind=names.get("kind", ""),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                status="status" in subs,
                scale=scale,
                generation=GEN_CONTENT,
                custom=True,
                printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
            )
        )
    return types


class Registry:
    """Lookup of served resource types; CRDs add and remove theirs at run time.

    `changes` counts registrations so caches of discovery and OpenAPI documents
    know when to rebuild.
    """

    def __init__(self) -> None:
        self._by_path: dict[tuple[str, str, str], ResourceType] = {}
        self._crd_types: dict[str, list[ResourceType]] = {}
        self.changes = 0
        for rt in BUILTINS:
            self._add(rt)

    def _add(self, rt: ResourceType) -> None:
        self._by_path[(rt.group, rt.version, rt.plural)] = rt

    def register_crd(self, crd: dict[str, Any]) -> list[ResourceType]:
        name = crd["metadata"]["name"]
        self.unregister_crd(name)
        types = from_crd(crd)
        for rt in types:
            self._add(rt)
        self._crd_types[name] = types
        self.changes += 1
        return types

    def unregister_crd(self, name: str) -> list[ResourceType]:
        types = self._crd_types.pop(name, [])
        for rt in types:
            self._by_path.pop((rt.group, rt.version, rt.plural), None)
        if types:
            self.changes += 1
        return types

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The type served as `api_version` / `kind` (what an ownerReference or a manifest names)."""
        for rt in self._by_path.values():
            if rt.kind == kind and rt.api_version == api_version:
                return rt
        return None

    def by_key(self, key: tuple[str, str]) -> ResourceType | None:
        """Any served version of the collection `key` (the preferred one: first registered)."""
        for rt in self._by_path.values():
            if rt.key == key:
                return rt
        return None

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(list(self._by_path.values()))

    def group_versions(self) -> dict[str, list[str]]:
        """group -> served versions, preferred first, groups in discovery order."""
        found: dict[str, list[str]] = {}
        for rt in self._by_path.values():
            versions = found.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        ordered = {g: found[g] for g in GROUP_ORDER if g in found}
        ordered.update({g: v for g, v in sorted(found.items()) if g not in ordered})
        return {g: sorted(v, key=version_priority) for g, v in ordered.items()}

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self._by_path.values() if rt.group == group and rt.version == version]


class Cache:
    """Documents built from the registry (discovery, OpenAPI), kept until a CRD changes it."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._items: dict[Hashable, Any] = {}
        self._seen = -1

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        if self._seen != self.registry.changes:
            self._items.clear()
            self._seen = self.registry.changes
        if key not in self._items:
            self._items[key] = build()
        return self._items[key]


def version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes version ordering: GA before beta before alpha, higher numbers first."""
    import re

    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (3, 0, 0)
    major = int(match.group(1))
    stage = {None: 0, "beta": 1, "alpha": 2}[match.group(2)]
    minor = int(match.group(3) or 0)
    return (stage, -major, -minor)
