"""HTTP handling: URL routing, query options, content negotiation, errors as Status bodies.

Owns the translation between aiohttp requests and the internal `api.Api`:
which resource type, namespace, name and subresource a path names; which verb
a method means (get, list, watch, create, update, patch, delete,
deletecollection); parsing and checking query options (dryRun, fieldManager,
force, fieldValidation, selectors, limit/continue, propagationPolicy);
decoding bodies (JSON, YAML, protobuf for the kinds Helm writes) and encoding
answers (JSON, meta.k8s.io Table, PartialObjectMetadata, aggregated
discovery); `Warning` headers. Must not implement API semantics: `api` does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

from deploykit.sim import api as api_mod
from deploykit.sim import discovery as discovery_mod
from deploykit.sim import managing, openapi, protobuf, resources, statuses, tables, watching
from deploykit.sim import store as store_mod

log = logging.getLogger("deploykit.sim")

JSON = "application/json"
MAX_BODY = 3 * 1024 * 1024  # the real server's request body limit (3145728 bytes)
PROTOBUF = "application/vnd.kubernetes.protobuf"
_ITEM_VERBS = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_DRY_RUN_OPTIONS = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions",
                    "DELETE": "DeleteOptions"}


def json_response(obj: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=store_mod.encode(obj), status=status, content_type=JSON, headers=headers)


def error_response(exc: statuses.ApiError) -> web.Response:
    headers = {}
    if exc.code == 429 and exc.details and "retryAfterSeconds" in exc.details:
        headers["Retry-After"] = str(exc.details["retryAfterSeconds"])
    return json_response(exc.status(), status=exc.code, headers=headers)


class Target:
    """What a resource URL names."""

    __slots__ = ("rt", "namespace", "name", "subresource")

    def __init__(self, rt: resources.ResourceType, namespace: str | None, name: str | None,
                 subresource: str | None) -> None:
        self.rt = rt
        self.namespace = namespace
        self.name = name
        self.subresource = subresource


class Accept:
    """What the client asked for in `Accept`."""

    def __init__(self, header: str) -> None:
        self.table = False
        self.partial = False
        self.aggregated = False
        for part in header.split(","):
            fields = [f.strip() for f in part.split(";")]
            media = fields[0]
            params = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
            if media in (JSON, "*/*", "application/*", "application/yaml", ""):
                if params.get("as") == "Table" and params.get("g") == "meta.k8s.io":
                    self.table = True
                elif params.get("as") in ("PartialObjectMetadata", "PartialObjectMetadataList"):
                    self.partial = True
                elif params.get("as") == "APIGroupDiscoveryList" and params.get("v") == "v2":
                    self.aggregated = True


def _bool_param(value: str | None) -> bool:
    return value is not None and value.lower() not in ("0", "false")


class Handler:
    """The aiohttp handler for every path the simulator serves."""

    def __init__(self, *, api: api_mod.Api, server_address: Callable[[], str],
                 log_source: Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]] | None = None,
                 watch_options: watching.Options | None = None) -> None:
        self.api = api
        self.registry = api.registry
        self.discovery = discovery_mod.Discovery(api.registry)
        self.openapi = openapi.Documents(api.registry, api)
        self.server_address = server_address
        self.log_source = log_source
        self.watch_options = watch_options or watching.Options()
        # what /version answers; a test may report another version (the served APIs stay those of KUBE_VERSION)
        self.version_info = discovery_mod.version()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._route(request)
        except statuses.ApiError as exc:
            return error_response(exc)
        except web.HTTPRequestEntityTooLarge:
            return error_response(statuses.ApiError(
                413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY}"))
        except web.HTTPException:
            raise
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as exc:  # noqa: BLE001 - a simulator bug must still answer a Status, and be visible
            log.exception("internal error on %s %s", request.method, request.path)
            return error_response(statuses.internal(f"{type(exc).__name__} in the simulator (see its log)"))

    # --- routing -------------------------------------------------------------------

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        parts = [p for p in path.split("/") if p]
        accept = Accept(request.headers.get("Accept", ""))
        if not parts:
            return json_response({"paths": ["/api", "/api/v1", "/apis", "/openapi/v2", "/openapi/v3", "/version"]})
        head = parts[0]
        if head == "version":
            return json_response(self.version_info)
        if head in ("healthz", "readyz", "livez"):
            return web.Response(text="ok")
        if head == "openapi":
            return self._openapi(request, parts[1:])
        if head == "api":
            if len(parts) == 1:
                if accept.aggregated:
                    return self._aggregated(core=True)
                return json_response(self.discovery.api_versions(self.server_address()))
            return await self._group_version(request, accept, "", parts[1], parts[2:])
        if head == "apis":
            if len(parts) == 1:
                if accept.aggregated:
                    return self._aggregated(core=False)
                return json_response(self.discovery.group_list())
            if len(parts) == 2:
                group = self.discovery.group(parts[1])
                if group is None:
                    raise statuses.not_found_path()
                return json_response(group)
            return await self._group_version(request, accept, parts[1], parts[2], parts[3:])
        raise statuses.not_found_path()

    def _aggregated(self, *, core: bool) -> web.Response:
        body = store_mod.encode(self.discovery.aggregated(core=core))
        return web.Response(body=body, headers={
            "Content-Type": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"})

    def _openapi(self, request: web.Request, parts: list[str]) -> web.Response:
        if parts == ["v2"]:
            return web.Response(body=self.openapi.v2(), content_type=JSON)
        if parts == ["v3"]:
            return web.Response(body=self.openapi.v3_index(), content_type=JSON)
        if len(parts) >= 3 and parts[0] == "v3":
            doc = self.openapi.v3("/".join(parts[1:]))
            if doc is None:
                raise statuses.not_found_path()
            return web.Response(body=doc, content_type=JSON, headers={"Cache-Control": "public, immutable"})
        raise statuses.not_found_path()

    async def _group_version(self, request: web.Request, accept: Accept, group: str, version: str,
                             rest: list[str]) -> web.StreamResponse:
        if not rest:
            listed = self.discovery.resource_list(group, version)
            if listed is None:
                raise statuses.not_found_path()
            return json_response(listed)
        target = self._target(group, version, rest)
        return await self._resource(request, accept, target)

    def _target(self, group: str, version: str, parts: list[str]) -> Target:
        lookup = self.registry.lookup
        namespace = None
        if parts[0] == "namespaces" and len(parts) >= 3:
            candidate = lookup(group, version, parts[2])
            if candidate is not None and candidate.namespaced:
                namespace, parts = parts[1], parts[2:]
        if len(parts) > 3:
            raise statuses.not_found_path()
        rt = lookup(group, version, parts[0])
        if rt is None:
            raise statuses.not_found_path()
        name = parts[1] if len(parts) > 1 else None
        sub = parts[2] if len(parts) > 2 else None
        if sub is not None and sub not in rt.subresources:
            raise statuses.not_found_path()
        if rt.namespaced and namespace is None and name is not None:
            raise statuses.not_found_path()
        return Target(rt, namespace, name, sub)

    # --- resources -----------------------------------------------------------------

    async def _resource(self, request: web.Request, accept: Accept, target: Target) -> web.StreamResponse:
        method = request.method
        q = request.query
        rt = target.rt
        if target.name is None:
            if method == "GET":
                self._verb(rt, "watch" if _bool_param(q.get("watch")) else "list")
                if _bool_param(q.get("watch")):
                    return await watching.serve(request, api=self.api, rt=rt, namespace=target.namespace,
                                                table=accept.table, options=self.watch_options)
                return self._list(rt, target.namespace, q, accept)
            if method == "POST":
                return await self._create(request, target)
            if method == "DELETE":
                self._verb(rt, "deletecollection")
                options = await self._delete_options(request)
                result = self.api.delete_collection(
                    rt, target.namespace, label_selector=q.get("labelSelector"),
                    field_selector=q.get("fieldSelector"), propagation=options.get("propagationPolicy"),
                    dry_run=self._dry_run(q, "DELETE"))
                return json_response(result.obj, status=result.code)
            raise statuses.method_not_allowed()
        name = target.name
        sub = target.subresource
        self._verb(rt, _ITEM_VERBS.get(method, "get"))
        if method == "GET":
            if sub == "scale":
                return json_response(self.api.get_scale(rt, target.namespace, name))
            if sub == "log":
                return await self._log(request, rt, target.namespace, name)
            obj = self.api.get(rt, target.namespace, name)
            if accept.table:
                return json_response(tables.table(rt, [obj], now=self.api.clock(),
                                                  include_object=q.get("includeObject", "PartialObjectMetadata")))
            if accept.partial:
                return json_response(tables.partial(obj))
            return json_response(obj)
        if method == "PUT":
            body = await self._body(request, rt)
            self._field_manager_ok(q)
            self._no_force(q)
            if sub == "finalize":
                sub = None
            result = self.api.update(rt, target.namespace, name, body, manager=self._manager(request),
                                     subresource=sub, dry_run=self._dry_run(q, "PUT"),
                                     field_validation=self._field_validation(q))
            return self._result(result)
        if method == "PATCH":
            return await self._patch(request, target)
        if method == "DELETE":
            if sub is not None:
                raise statuses.method_not_allowed()
            options = await self._delete_options(request)
            propagation = q.get("propagationPolicy") or options.get("propagationPolicy")
            if propagation is None:
                orphan = q.get("orphanDependents", options.get("orphanDependents"))
                if orphan is not None and _bool_param(str(orphan)):
                    propagation = "Orphan"
            result = self.api.delete(rt, target.namespace, name, propagation=propagation,
                                     preconditions=options.get("preconditions"),
                                     grace_period=_grace_period(q.get("gracePeriodSeconds",
                                                                      options.get("gracePeriodSeconds"))),
                                     dry_run=self._dry_run(q, "DELETE") or "All" in (options.get("dryRun") or []))
            return json_response(result.obj, status=result.code)
        raise statuses.method_not_allowed()

    def _verb(self, rt: resources.ResourceType, verb: str) -> None:
        if verb not in rt.verbs:
            raise statuses.method_not_allowed()

    def _list(self, rt: resources.ResourceType, namespace: str | None, q: Any, accept: Accept) -> web.Response:
        try:
            limit = int(q.get("limit") or 0)
        except ValueError:
            raise statuses.bad_request(f"invalid limit: {q.get('limit')}") from None
        listed = self.api.list(rt, namespace, label_selector=q.get("labelSelector"),
                               field_selector=q.get("fieldSelector"), limit=limit,
                               continue_token=q.get("continue"))
        objs, meta = listed["items"], listed["metadata"]
        if accept.table:
            table = tables.table(rt, objs, now=self.api.clock(),
                                 include_object=q.get("includeObject", "PartialObjectMetadata"))
            table["metadata"] = meta
            return json_response(table)
        if accept.partial:
            return json_response({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                                  "metadata": meta, "items": [tables.partial(o) for o in objs]})
        # Items are encoded once per object version and reused: lists of many objects stay cheap.
        items = b",".join(self.api.store.encoded(rt.key, o) for o in objs)
        head = store_mod.encode({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta})
        body = head[:-1] + b',"items":[' + items + b"]}"
        return web.Response(body=body, content_type=JSON)

    async def _log(self, request: web.Request, rt: resources.ResourceType, namespace: str | None,
                   name: str) -> web.StreamResponse:
        """pods/log: the simulated kubelet answers (query options, follow streams); empty without one."""
        pod = self.api.get(rt, namespace, name)
        if self.log_source is None:
            return web.Response(text="", content_type="text/plain")
        return await self.log_source(request, pod)

    async def _create(self, request: web.Request, target: Target) -> web.Response:
        q = request.query
        self._verb(target.rt, "create")
        body = await self._body(request, target.rt)
        self._field_manager_ok(q)
        self._no_force(q)
        result = self.api.create(target.rt, target.namespace, body, manager=self._manager(request),
                                 dry_run=self._dry_run(q, "POST"), field_validation=self._field_validation(q))
        return self._result(result)

    async def _patch(self, request: web.Request, target: Target) -> web.Response:
        q = request.query
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type not in api_mod.PATCH_TYPES:
            raise statuses.unsupported_media_type(content_type, list(api_mod.PATCH_TYPES))
        raw = await request.read()
        if content_type == api_mod.APPLY:
            body = _decode_yaml_or_json(raw)
            if not q.get("fieldManager"):
                raise statuses.invalid("meta.k8s.io", "PatchOptions", "", [
                    statuses.required("fieldManager", "is required for apply patch")])
        else:
            body = _decode_json(raw)
            self._no_force(q)
        self._field_manager_ok(q)
        result = self.api.patch(
            target.rt, target.namespace, target.name or "", body, patch_type=content_type,
            manager=self._manager(request), force=_bool_param(q.get("force")) if "force" in q else False,
            subresource=target.subresource, dry_run=self._dry_run(q, "PATCH"),
            field_validation=self._field_validation(q))
        return self._result(result)

    def _result(self, result: api_mod.Result) -> web.Response:
        headers = {}
        if result.warnings:
            headers["Warning"] = ", ".join(
                '299 - "' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in result.warnings)
        return json_response(result.obj, status=result.code, headers=headers)

    # --- options -------------------------------------------------------------------

    def _manager(self, request: web.Request) -> str:
        return managing.manager_name(request.query.get("fieldManager"), request.headers.get("User-Agent"))

    def _field_manager_ok(self, q: Any) -> None:
        manager = q.get("fieldManager")
        if manager is not None and (len(manager) > 128 or not manager.isprintable()):
            raise statuses.invalid("meta.k8s.io", "PatchOptions", "", [
                statuses.invalid_value("fieldManager", manager, "must be less than 128 printable characters")])

    def _no_force(self, q: Any) -> None:
        if "force" in q:
            raise statuses.invalid("meta.k8s.io", "PatchOptions", "", [
                statuses.forbidden_field("force", "may not be specified for non-apply patch")])

    def _dry_run(self, q: Any, method: str) -> bool:
        values = q.getall("dryRun", [])
        for value in values:
            if value != "All":
                raise statuses.invalid("meta.k8s.io", _DRY_RUN_OPTIONS.get(method, "PatchOptions"), "", [
                    statuses.not_supported("dryRun", value, ["All"])])
        return bool(values)

    def _field_validation(self, q: Any) -> str:
        value = q.get("fieldValidation")
        if value is None:
            return api_mod.WARN
        if value not in (api_mod.STRICT, api_mod.WARN, api_mod.IGNORE):
            raise statuses.bad_request(
                f"fieldValidation: Invalid value: \"{value}\": fieldValidation must be one of Ignore, Warn, or Strict")
        return value

    async def _delete_options(self, request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        raw = await request.read()
        if not raw.strip():
            return {}
        if request.headers.get("Content-Type", "").split(";")[0].strip().lower() == PROTOBUF:
            return protobuf.decode_delete_options(raw)
        body = _decode_json(raw)
        return body if isinstance(body, dict) else {}

    async def _body(self, request: web.Request, rt: resources.ResourceType) -> Any:
        raw = await request.read()
        content_type = request.headers.get("Content-Type", JSON).split(";")[0].strip().lower()
        if content_type == PROTOBUF:
            return protobuf.decode_object(raw, api_version=rt.api_version, kind=rt.kind)
        if content_type in ("application/yaml", "application/apply-patch+yaml"):
            return _decode_yaml_or_json(raw)
        if content_type not in (JSON, "", "*/*"):
            raise statuses.unsupported_media_type(content_type, [JSON, "application/yaml", PROTOBUF])
        return _decode_json(raw)


def _grace_period(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise statuses.bad_request(f"invalid gracePeriodSeconds: {value}") from None


def _decode_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise statuses.bad_request(f"couldn't get version/kind; json parse error: {exc}") from None


def _decode_yaml_or_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        pass
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(raw, Loader=loader)
    except yaml.YAMLError as exc:
        raise statuses.bad_request(f"error decoding YAML: {exc}") from None
