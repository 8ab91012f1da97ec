"""Discovery documents: /version, /api, /apis, group-version resource lists, aggregated discovery v2.

Owns the shapes clients read to map kinds to URLs: legacy `APIVersions`,
`APIGroupList` and `APIResourceList` (subresources listed as
`deployments/status`), and `APIGroupDiscoveryList` (apidiscovery.k8s.io/v2)
for clients that ask for it. Documents are built from the registry and cached
until a CRD changes it. Must not serve HTTP: `rest` does.
"""

from __future__ import annotations

from typing import Any

from deploykit.sim import definitions, resources

GIT_VERSION = f"v{definitions.KUBE_VERSION}"

_SUB_VERBS = {"status": ["get", "patch", "update"], "scale": ["get", "patch", "update"], "log": ["get"],
              "finalize": ["update"]}


def version() -> dict[str, Any]:
    major, minor, _ = definitions.KUBE_VERSION.split(".")
    return {
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "minCompatibilityMajor": major,
        "minCompatibilityMinor": str(int(minor) - 1),
        "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.25.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def _with_names(entry: dict[str, Any], rt: resources.ResourceType) -> dict[str, Any]:
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    return entry


def _sub_kind(rt: resources.ResourceType, sub: str) -> tuple[str, str, str]:
    if sub == "scale":
        return ("autoscaling", "v1", "Scale")
    if sub == "log":
        return ("", "v1", "Pod")
    return (rt.group, rt.version, rt.kind)


class Discovery:
    def __init__(self, registry: resources.Registry) -> None:
        self.registry = registry
        self._cache = resources.Cache(registry)

    def api_versions(self, server_address: str) -> dict[str, Any]:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
        }

    def group_list(self) -> dict[str, Any]:
        return self._cache.get("groups", self._build_group_list)

    def _build_group_list(self) -> dict[str, Any]:
        groups = []
        for group, versions in self.registry.group_versions().items():
            if not group:
                continue
            listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
            groups.append({"name": group, "versions": listed, "preferredVersion": listed[0]})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def group(self, group: str) -> dict[str, Any] | None:
        for entry in self.group_list()["groups"]:
            if entry["name"] == group:
                return dict(entry, kind="APIGroup", apiVersion="v1")
        return None

    def resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        return self._cache.get(("resources", group, version), lambda: self._build_resource_list(group, version))

    def _build_resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        types = self.registry.in_group_version(group, version)
        if not types:
            return None
        listed: list[dict[str, Any]] = []
        for rt in sorted(types, key=lambda t: t.plural):
            listed.append(_with_names({
                "name": rt.plural,
                "singularName": rt.singular,
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": list(rt.verbs),
            }, rt))
            for sub in rt.subresources:
                g, v, kind = _sub_kind(rt, sub)
                sub_entry: dict[str, Any] = {"name": f"{rt.plural}/{sub}", "singularName": "",
                                             "namespaced": rt.namespaced, "kind": kind, "verbs": _SUB_VERBS[sub]}
                if (g, v) != (rt.group, rt.version):
                    sub_entry["group"], sub_entry["version"] = g, v
                listed.append(sub_entry)
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": listed}

    def aggregated(self, *, core: bool) -> dict[str, Any]:
        """`APIGroupDiscoveryList` of the core group (/api) or of all named groups (/apis)."""
        return self._cache.get(("aggregated", core), lambda: self._build_aggregated(core))

    def _build_aggregated(self, core: bool) -> dict[str, Any]:
        items = []
        for group, versions in self.registry.group_versions().items():
            if (group == "") != core:
                continue
            listed = []
            for version in versions:
                res = []
                for rt in sorted(self.registry.in_group_version(group, version), key=lambda t: t.plural):
                    entry = _with_names({
                        "resource": rt.plural,
                        "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
                        "scope": "Namespaced" if rt.namespaced else "Cluster",
                        "singularResource": rt.singular,
                        "verbs": list(rt.verbs),
                    }, rt)
                    subs = []
                    for sub in rt.subresources:
                        g, v, kind = _sub_kind(rt, sub)
                        subs.append({"subresource": sub, "responseKind": {"group": g, "version": v, "kind": kind},
                                     "verbs": _SUB_VERBS[sub]})
                    if subs:
                        entry["subresources"] = subs
                    res.append(entry)
                listed.append({"version": version, "resources": res, "freshness": "Current"})
            items.append({"metadata": {"name": group, "creationTimestamp": None}, "versions": listed})
        return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
                "items": items}
