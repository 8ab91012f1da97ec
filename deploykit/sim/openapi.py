"""OpenAPI documents: /openapi/v3 (index and one document per group-version) and /openapi/v2.

Owns converting kubernetes-validate's JSON Schema definitions into OpenAPI
(`$ref` -> `#/components/schemas/...` or `#/definitions/...`,
`type: [x, "null"]` -> `type: x, nullable: true`), the path items kubectl
looks for before it delegates validation to the server (a `patch` operation
with `x-kubernetes-group-version-kind` and a `fieldValidation` parameter),
and CRD schemas for their group-versions. Documents are encoded once and
cached until a CRD changes the registry. Must not validate objects.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from deploykit.sim import definitions, resources

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_EXTRA = (_META + "Status", _META + "DeleteOptions", _META + "Patch", _META + "APIResourceList")
_PATCH_TYPES = ("application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
                "application/strategic-merge-patch+json")


def convert(schema: Any, ref_prefix: str) -> Any:
    """A JSON Schema node as OpenAPI: local refs re-pointed, nullable types collapsed."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(definitions.REF_PREFIX):
                out[key] = ref_prefix + value[len(definitions.REF_PREFIX):]
            elif key == "type" and isinstance(value, list):
                types = [t for t in value if t != "null"]
                if len(types) == 1:
                    out["type"] = types[0]
                elif types:
                    out["type"] = types[0]
                if "null" in value:
                    out["nullable"] = True
            else:
                out[key] = convert(value, ref_prefix)
        return out
    if isinstance(schema, list):
        return [convert(item, ref_prefix) for item in schema]
    return schema


def _refs(schema: Any, found: set[str]) -> None:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(definitions.REF_PREFIX):
            name = ref[len(definitions.REF_PREFIX):]
            if name not in found:
                found.add(name)
                _refs(definitions.all_definitions().get(name, {}), found)
        for value in schema.values():
            _refs(value, found)
    elif isinstance(schema, list):
        for item in schema:
            _refs(item, found)


def closure(names: list[str]) -> list[str]:
    found: set[str] = set()
    for name in names:
        if name not in found:
            found.add(name)
            _refs(definitions.all_definitions().get(name, {}), found)
    return sorted(found)


def _param(name: str, where: str = "query", kind: str = "string") -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": where, "schema": {"type": kind}, "uniqueItems": True}
    if where == "path":
        param["required"] = True
    return param


def _content(ref: str, types: tuple[str, ...] = ("application/json", "application/yaml",
                                                 "application/vnd.kubernetes.protobuf")) -> dict[str, Any]:
    return {t: {"schema": {"$ref": ref}} for t in types}


def _operations(rt: resources.ResourceType, ref: str) -> dict[str, Any]:
    gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
    status_ref = "#/components/schemas/" + _META + "Status"
    write = [_param("dryRun"), _param("fieldManager"), _param("fieldValidation")]
    ok = {"200": {"description": "OK", "content": _content(ref)}, "401": {"description": "Unauthorized"}}
    item_path: dict[str, Any] = {
        "parameters": [_param("name", "path")] + ([_param("namespace", "path")] if rt.namespaced else []),
        "get": {"operationId": f"read{rt.kind}", "responses": ok, "x-kubernetes-action": "get",
                "x-kubernetes-group-version-kind": gvk},
        "put": {"operationId": f"replace{rt.kind}", "parameters": write,
                "requestBody": {"content": _content(ref), "required": True},
                "responses": dict(ok, **{"201": {"description": "Created", "content": _content(ref)}}),
                "x-kubernetes-action": "put", "x-kubernetes-group-version-kind": gvk},
        "patch": {"operationId": f"patch{rt.kind}", "parameters": write + [_param("force", kind="boolean")],
                  "requestBody": {"content": {t: {"schema": {"$ref": "#/components/schemas/" + _META + "Patch"}}
                                              for t in _PATCH_TYPES}, "required": True},
                  "responses": dict(ok, **{"201": {"description": "Created", "content": _content(ref)}}),
                  "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk},
        "delete": {"operationId": f"delete{rt.kind}",
                   "parameters": [_param("dryRun"), _param("gracePeriodSeconds", kind="integer"),
                                  _param("propagationPolicy")],
                   "responses": {"200": {"description": "OK", "content": _content(status_ref)}},
                   "x-kubernetes-action": "delete", "x-kubernetes-group-version-kind": gvk},
    }
    list_path: dict[str, Any] = {
        "parameters": [_param("namespace", "path")] if rt.namespaced else [],
        "get": {"operationId": f"list{rt.kind}",
                "parameters": [_param("labelSelector"), _param("fieldSelector"), _param("limit", kind="integer"),
                               _param("continue"), _param("watch", kind="boolean"), _param("resourceVersion")],
                "responses": {"200": {"description": "OK"}}, "x-kubernetes-action": "list",
                "x-kubernetes-group-version-kind": gvk},
        "post": {"operationId": f"create{rt.kind}", "parameters": write,
                 "requestBody": {"content": _content(ref), "required": True},
                 "responses": dict(ok, **{"201": {"description": "Created", "content": _content(ref)}}),
                 "x-kubernetes-action": "post", "x-kubernetes-group-version-kind": gvk},
    }
    paths = {}
    base = rt.base_path("{namespace}")
    paths[base] = list_path
    paths[base + "/{name}"] = item_path
    for sub in rt.subresources:
        if sub not in ("status", "scale"):
            continue
        sub_ref = ("#/components/schemas/io.k8s.api.autoscaling.v1.Scale" if sub == "scale" else ref)
        sub_gvk = {"group": "autoscaling", "version": "v1", "kind": "Scale"} if sub == "scale" else gvk
        paths[f"{base}/{{name}}/{sub}"] = {
            "parameters": item_path["parameters"],
            "get": dict(item_path["get"], operationId=f"read{rt.kind}{sub.title()}", responses={
                "200": {"description": "OK", "content": _content(sub_ref)}}, **{"x-kubernetes-group-version-kind": sub_gvk}),
            "patch": dict(item_path["patch"], operationId=f"patch{rt.kind}{sub.title()}",
                          **{"x-kubernetes-group-version-kind": sub_gvk}),
            "put": dict(item_path["put"], operationId=f"replace{rt.kind}{sub.title()}",
                        **{"x-kubernetes-group-version-kind": sub_gvk}),
        }
    return paths


def _crd_schema_name(rt: resources.ResourceType) -> str:
    reversed_group = ".".join(reversed(rt.group.split(".")))
    return f"{reversed_group}.{rt.version}.{rt.kind}"


class Documents:
    """Encoded OpenAPI documents for the registry's current state."""

    def __init__(self, registry: resources.Registry, api: Any = None) -> None:
        self.registry = registry
        self.api = api
        self._cache = resources.Cache(registry)

    def _gv_paths(self) -> dict[str, tuple[str, str]]:
        found = {}
        for group, versions in self.registry.group_versions().items():
            for version in versions:
                key = f"apis/{group}/{version}" if group else f"api/{version}"
                found[key] = (group, version)
        return found

    def v3_index(self) -> bytes:
        return self._cache.get("index", self._build_v3_index)

    def v3(self, gv_path: str) -> bytes | None:
        def build() -> bytes | None:
            gv = self._gv_paths().get(gv_path)
            return None if gv is None else json.dumps(self._build_v3(*gv)).encode()

        return self._cache.get(gv_path, build)

    def v2(self) -> bytes:
        return self._cache.get("v2", self._build_v2)

    def _build_v3_index(self) -> bytes:
        paths = {}
        for key, (group, version) in self._gv_paths().items():
            kinds = sorted(f"{rt.plural}:{rt.kind}:{rt.namespaced}:{rt.subresources}"
                           for rt in self.registry.in_group_version(group, version))
            digest = hashlib.sha512(("|".join(kinds) + definitions.KUBE_VERSION).encode()).hexdigest()[:64]
            paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest.upper()}"}
        return json.dumps({"paths": paths}).encode()

    def _build_v3(self, group: str, version: str) -> dict[str, Any]:
        prefix = "#/components/schemas/"
        types = self.registry.in_group_version(group, version)
        names: list[str] = list(_EXTRA)
        paths: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for rt in types:
            if rt.custom:
                name = _crd_schema_name(rt)
                custom[name] = self._crd_component(rt)
                names.append(_META + "ObjectMeta")
            else:
                name = definitions.name_of(rt.group, rt.version, rt.kind) or ""
                names.append(name)
            if "scale" in rt.subresources:
                names.append("io.k8s.api.autoscaling.v1.Scale")
            paths.update(_operations(rt, prefix + name))
        defs = definitions.all_definitions()
        schemas = {n: convert(defs[n], prefix) for n in closure([n for n in names if n in defs])}
        schemas.update(custom)
        gv = f"{group}/{version}" if group else version
        return {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": f"v{definitions.KUBE_VERSION}"},
            "paths": paths,
            "components": {"schemas": schemas, "securitySchemes": {
                "BearerToken": {"type": "apiKey", "description": "Bearer Token authentication",
                                "name": "authorization", "in": "header"}}},
            "x-deploykit-group-version": gv,
        }

    def _crd_component(self, rt: resources.ResourceType) -> dict[str, Any]:
        root = {}
        if self.api is not None:
            root = self.api.schema_root(rt) or {}
        schema = json.loads(json.dumps(root)) if root else {"type": "object",
                                                              "x-kubernetes-preserve-unknown-fields": True}
        props = dict(schema.get("properties") or {})
        props["apiVersion"] = {"type": "string"}
        props["kind"] = {"type": "string"}
        props["metadata"] = {"$ref": "#/components/schemas/" + _META + "ObjectMeta"}
        schema["properties"] = props
        schema.setdefault("type", "object")
        schema["x-kubernetes-group-version-kind"] = [{"group": rt.group, "version": rt.version, "kind": rt.kind}]
        return schema

    def _build_v2(self) -> bytes:
        defs = definitions.all_definitions()
        prefix = "#/definitions/"
        doc = {
            "swagger": "2.0",
            "info": {"title": "Kubernetes", "version": f"v{definitions.KUBE_VERSION}"},
            "paths": {},
            "definitions": {name: convert(schema, prefix) for name, schema in defs.items()},
        }
        return json.dumps(doc).encode()
