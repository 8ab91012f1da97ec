"""Map apiVersion/kind to REST resources through the server's discovery documents.

Group versions are fetched lazily, once each, and fetched again on a miss
(a CRD created a moment ago). Pure lookups over the cached documents; the
only I/O is through `Http`.
"""

from __future__ import annotations

import threading

from deploykit import errors
from deploykit.kube.requesting import Http
from deploykit.kube.resources import ResourceType, split_api_version


def parse_resource_list(group: str, version: str, document: dict) -> dict[str, ResourceType]:
    """APIResourceList -> {kind: ResourceType} for the top-level resources (subresources folded in)."""
    subresources: dict[str, set[str]] = {}
    for item in document.get("resources", []):
        name = item.get("name", "")
        if "/" in name:
            parent, sub = name.split("/", 1)
            subresources.setdefault(parent, set()).add(sub)
    by_kind: dict[str, ResourceType] = {}
    for item in document.get("resources", []):
        name = item.get("name", "")
        if "/" in name:
            continue
        by_kind[item["kind"]] = ResourceType(
            group=group,
            version=version,
            kind=item["kind"],
            plural=name,
            namespaced=bool(item.get("namespaced")),
            verbs=frozenset(item.get("verbs", [])),
            subresources=frozenset(subresources.get(name, ())),
        )
    return by_kind


class Discovery:
    """Cached resolution of (apiVersion, kind) to a ResourceType."""

    def __init__(self, http: Http) -> None:
        self.http = http
        self._by_group_version: dict[str, dict[str, ResourceType]] = {}
        self._lock = threading.Lock()
        self._server_version: dict | None = None

    def _fetch(self, api_version: str) -> dict[str, ResourceType]:
        group, version = split_api_version(api_version)
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            document = self.http.request("GET", path)
        except errors.ApiNotFoundError:
            return {}
        return parse_resource_list(group, version, document or {})

    def resource_for(self, api_version: str, kind: str) -> ResourceType:
        """The REST resource serving `kind` in `api_version`; KubeError if the server has none."""
        with self._lock:
            cached = self._by_group_version.get(api_version)
        if cached is None or kind not in cached:
            fetched = self._fetch(api_version)
            with self._lock:
                self._by_group_version[api_version] = fetched
            cached = fetched
        try:
            return cached[kind]
        except KeyError:
            raise errors.KubeError(
                f"the cluster does not serve {kind} in {api_version}",
                hint="check the apiVersion, or install the CRD that defines this kind first",
            ) from None

    def has(self, api_version: str, kind: str | None = None) -> bool:
        try:
            if kind is None:
                return bool(self._fetch(api_version))
            self.resource_for(api_version, kind)
        except errors.KubeError:
            return False
        return True

    def group_versions(self) -> list[str]:
        """Every API version the server serves (`v1`, `apps/v1`, CRDs' `example.com/v1`), as Capabilities.APIVersions lists them."""
        core = self.http.request("GET", "/api") or {}
        groups = self.http.request("GET", "/apis") or {}
        found = [str(v) for v in core.get("versions") or []]
        for group in groups.get("groups") or []:
            found += [str(v.get("groupVersion")) for v in group.get("versions") or [] if v.get("groupVersion")]
        return found

    def server_version(self) -> dict:
        if self._server_version is None:
            self._server_version = self.http.request("GET", "/version") or {}
        return self._server_version
