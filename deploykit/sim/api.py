"""The internal API: every read and write of the simulator, shared by REST handlers and controllers.

Owns the request semantics between HTTP and the store: get/list with
selectors and pagination; create (generateName, AlreadyExists, namespace must
exist and not be terminating), update (resourceVersion and uid
preconditions), patch (apply, merge, strategic merge, JSON patch) on the main
resource and on `status` / `scale`, delete (finalizers, deletionTimestamp,
propagation Background / Foreground / Orphan), deletecollection; dryRun;
fieldValidation Strict / Warn / Ignore; metadata the server owns (uid,
creationTimestamp, generation; the store sets resourceVersion); no-op writes
(same object: no write, same resourceVersion).

Managed fields, defaults and patches are computed by the pure SSA core
(`managing`, `patching`, `defaulting`); kind rules by `strategies`,
`validating` and `objects`. Errors are `statuses.ApiError`. Must not know about HTTP.

For controllers (all on the server's loop thread):

    api.get(rt, ns, name)                      -> dict (raises ApiError 404)
    api.list(rt, ns, label_selector="a=b")     -> List dict
    api.store.subscribe(callback, key)         -> change events (store.Event)
    api.update(rt, ns, name, obj, manager="kube-controller-manager", subresource="status")
    api.patch(rt, ns, name, body, patch_type=MERGE, manager=..., subresource="status")
    api.apply(rt, ns, name, body, manager=..., force=True)
    api.create(rt, ns, body, manager=...) ; api.delete(rt, ns, name)

Every write returns a `Result(code, obj, warnings)`; writes go through the same
managedFields / resourceVersion / event path as a client's.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import random
import time
import uuid
from typing import Any, Callable

from deploykit.sim import conversions, definitions, managing, objects, patching, quotas, resources, selectors
from deploykit.sim import reviews, statuses, strategies, times, typeinfo, validating
from deploykit.sim import store as store_mod

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
PATCH_TYPES = (JSON_PATCH, MERGE, STRATEGIC, APPLY)

STRICT, WARN, IGNORE = "Strict", "Warn", "Ignore"
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


@dataclasses.dataclass
class Result:
    code: int
    obj: dict[str, Any]
    warnings: list[str] = dataclasses.field(default_factory=list)


class Api:
    def __init__(
        self,
        *,
        store: store_mod.Store | None = None,
        registry: resources.Registry | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store or store_mod.Store()
        self.registry = registry or resources.Registry()
        # Built-in types shared process-wide, CRD registrations private to this server.
        self.schemas = typeinfo.Schemas.fresh()
        self.clock = clock
        self._rng = random.Random()
        self._crd_schemas: dict[tuple[str, str, str], dict[str, Any]] = {}
        # Called with (rt, obj) after an object is removed for good; the collector hooks in here.
        self.on_removed: list[Callable[[resources.ResourceType, dict[str, Any]], None]] = []

    # --- helpers ------------------------------------------------------------------

    def now(self) -> str:
        return times.rfc3339(self.clock())

    def _ns(self, rt: resources.ResourceType, namespace: str | None) -> str:
        return (namespace or "") if rt.namespaced else ""

    def _live(self, rt: resources.ResourceType, namespace: str, name: str) -> dict[str, Any]:
        obj = self.store.get(rt.key, namespace, name)
        if obj is None:
            raise statuses.not_found(rt.group, rt.plural, name)
        return obj

    def served(self, rt: resources.ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """`obj` as served at `rt`'s version (CRD versions share storage without conversion)."""
        if obj.get("apiVersion") == rt.api_version or obj.get("kind") == "Status":
            return obj
        if rt.storage == conversions.CORE_EVENTS:
            return conversions.to_events_v1(obj)
        return dict(obj, apiVersion=rt.api_version)

    def _stored_as(self, rt: resources.ResourceType, body: Any) -> tuple[resources.ResourceType, Any]:
        """The type and body a write is stored as (events.k8s.io Events are core Events)."""
        if rt.storage is None:
            return rt, body
        storage_rt = self.registry.by_key(rt.storage)
        assert storage_rt is not None
        if isinstance(body, dict) and body.get("apiVersion", rt.api_version) == rt.api_version:
            body = conversions.to_core(dict(body, apiVersion=rt.api_version, kind=rt.kind))
        return storage_rt, body

    def _served_result(self, rt: resources.ResourceType, result: Result) -> Result:
        return Result(result.code, self.served(rt, result.obj), result.warnings) if rt.storage else result

    def schema_root(self, rt: resources.ResourceType) -> dict[str, Any] | None:
        if rt.custom:
            return self._crd_schemas.get((rt.group, rt.version, rt.kind))
        return definitions.schema_of(rt.group, rt.version, rt.kind)

    def _check_namespace(self, rt: resources.ResourceType, namespace: str, name: str) -> None:
        if not rt.namespaced:
            return
        if not namespace:
            raise statuses.bad_request("the server could not find the requested resource")
        ns = self.store.get(("", "namespaces"), "", namespace)
        if ns is None:
            raise statuses.namespace_not_found(namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise statuses.namespace_terminating(rt.group, rt.plural, name, namespace)

    def _fields(self, rt: resources.ResourceType, obj: dict[str, Any],
                validation: str) -> tuple[dict[str, Any], list[str]]:
        """Drop undeclared fields; Strict raises, Warn returns warnings."""
        if validation == IGNORE and not rt.custom:
            return obj, []
        pruned, unknown = validating.prune_unknown(obj, root=self.schema_root(rt), custom=rt.custom)
        if not unknown:
            return obj, []
        if validation == STRICT:
            raise validating.strict_decoding_error(unknown)
        if validation == WARN:
            return pruned, [f'unknown field "{p}"' for p in unknown]
        return pruned, []

    def _check_body(self, rt: resources.ResourceType, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise statuses.bad_request("the body of the request must be an object")
        api_version = body.get("apiVersion")
        kind = body.get("kind")
        if api_version and api_version != rt.api_version:
            raise statuses.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({rt.api_version})"
            )
        if kind and kind != rt.kind:
            raise statuses.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
        out = dict(body, apiVersion=rt.api_version, kind=rt.kind)
        meta = body.get("metadata")
        if meta is not None and not isinstance(meta, dict):
            raise statuses.bad_request("metadata must be an object")
        out["metadata"] = dict(meta or {})
        return out

    def _set_namespace(self, rt: resources.ResourceType, obj: dict[str, Any], namespace: str) -> None:
        meta = obj["metadata"]
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise statuses.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)

    def _prepare(self, rt: resources.ResourceType, obj: dict[str, Any], live: dict[str, Any] | None) -> dict[str, Any]:
        """Kind strategies after defaulting and managed fields: allocation, folding, CRD status."""
        if rt.group == "":
            if rt.kind == "Secret":
                obj = strategies.fold_string_data(obj)
            elif rt.kind == "Service":
                obj = self._prepare_service(obj, live)
            elif rt.kind == "Namespace":
                obj = strategies.prepare_namespace(obj)
        elif rt.group == "batch" and rt.kind == "Job" and live is None:
            obj = strategies.prepare_job(obj, obj["metadata"]["uid"])
        elif rt.group == "apiextensions.k8s.io" and live is None:
            obj = strategies.crd_established(obj, self.now())
        return obj

    def _prepare_service(self, obj: dict[str, Any], live: dict[str, Any] | None) -> dict[str, Any]:
        used_ips, used_ports = [], []
        if live is None or not (live.get("spec") or {}).get("clusterIP") or (obj.get("spec") or {}).get("type") \
                in ("NodePort", "LoadBalancer"):
            for svc in self.store.list(("", "services")):
                spec = svc.get("spec") or {}
                used_ips.extend(spec.get("clusterIPs") or [])
                used_ports.extend(p.get("nodePort") for p in spec.get("ports") or [] if p.get("nodePort"))
        return strategies.prepare_service(obj, live, used_ips, used_ports)

    def _generate_name(self, rt: resources.ResourceType, namespace: str, prefix: str) -> str:
        prefix = prefix[: 63 - 5]
        for _ in range(8):
            name = prefix + "".join(self._rng.choice(_NAME_CHARS) for _ in range(5))
            if self.store.get(rt.key, namespace, name) is None:
                return name
        raise statuses.already_exists(rt.group, rt.plural, name)

    def _commit(self, rt: resources.ResourceType, obj: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
        obj = objects.ordered(obj)
        if dry_run:
            return obj
        stored = self.store.put(rt.key, obj)
        self._after_write(rt, stored)
        return stored

    def _after_write(self, rt: resources.ResourceType, obj: dict[str, Any]) -> None:
        if rt.group == "apiextensions.k8s.io" and rt.kind == "CustomResourceDefinition":
            if not obj["metadata"].get("deletionTimestamp"):
                self.register_crd(obj)

    def register_crd(self, crd: dict[str, Any]) -> None:
        self.registry.register_crd(crd)
        self.schemas.register_crd(crd)
        spec = crd.get("spec") or {}
        kind = (spec.get("names") or {}).get("kind", "")
        for version in spec.get("versions") or []:
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if schema is not None:
                self._crd_schemas[(spec["group"], version["name"], kind)] = schema

    def _unregister_crd(self, crd: dict[str, Any]) -> None:
        for rt in self.registry.unregister_crd(crd["metadata"]["name"]):
            self._crd_schemas.pop((rt.group, rt.version, rt.kind), None)
            for obj in self.store.list(rt.key):
                meta = obj["metadata"]
                self._remove(rt, meta.get("namespace", ""), meta["name"])
        try:
            self.schemas.unregister_crd(crd)
        except KeyError:
            pass

    def _remove(self, rt: resources.ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        gone = self.store.remove(rt.key, namespace, name)
        if gone is not None:
            if rt.group == "apiextensions.k8s.io" and rt.kind == "CustomResourceDefinition":
                self._unregister_crd(gone)
            for hook in self.on_removed:
                hook(rt, gone)
        return gone

    # --- reads --------------------------------------------------------------------

    def get(self, rt: resources.ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
        return self.served(rt, self._live(rt, self._ns(rt, namespace), name))

    def list_objects(
        self,
        rt: resources.ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        labels = selectors.parse_labels(label_selector)
        fields = selectors.parse_fields(field_selector, key=(rt.group, rt.plural), custom=rt.custom)
        ns = namespace if rt.namespaced and namespace else None
        objs = self.store.list(rt.key, ns)
        if rt.storage:
            objs = [self.served(rt, o) for o in objs]
        if not labels.empty:
            objs = [o for o in objs if labels.matches(o["metadata"].get("labels"))]
        if not fields.empty:
            objs = [o for o in objs if fields.matches(o)]
        return objs

    def list(
        self,
        rt: resources.ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> dict[str, Any]:
        """A List of the selected objects, one page of `limit` when asked (continue token in metadata).

        Items are the stored objects themselves where the served version is the stored one: treat
        them as read-only (the REST layer reuses their cached encoding by identity).
        """
        objs = self.list_objects(rt, namespace, label_selector=label_selector, field_selector=field_selector)
        rv = self.store.resource_version
        start = 0
        if continue_token:
            try:
                token = json.loads(base64.urlsafe_b64decode(continue_token.encode()))
                after = tuple(token["start"])
                rv = int(token["rv"])
            except (ValueError, KeyError, TypeError) as exc:
                raise statuses.bad_request(f"continue key is not valid: {exc}") from None
            start = next((i for i, o in enumerate(objs)
                          if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > after), len(objs))
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        page = objs[start:]
        if limit and limit > 0 and len(page) > limit:
            page = page[:limit]
            last = page[-1]["metadata"]
            token = {"rv": rv, "start": [last.get("namespace", ""), last["name"]]}
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
            meta["remainingItemCount"] = len(objs) - start - limit
        return {"apiVersion": rt.api_version, "kind": rt.list_kind, "metadata": meta,
                "items": [self.served(rt, o) for o in page]}

    # --- create -------------------------------------------------------------------

    def create(
        self,
        rt: resources.ResourceType,
        namespace: str | None,
        body: Any,
        *,
        manager: str,
        dry_run: bool = False,
        field_validation: str = WARN,
    ) -> Result:
        if rt.storage:
            store_rt, body = self._stored_as(rt, body)
            return self._served_result(rt, self.create(store_rt, namespace, body, manager=manager, dry_run=dry_run,
                                                       field_validation=field_validation))
        namespace = self._ns(rt, namespace)
        obj = self._check_body(rt, body)
        if reviews.is_review(rt):
            return Result(201, reviews.answer(rt, obj))
        self._set_namespace(rt, obj, namespace)
        meta = obj["metadata"]
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = self._generate_name(rt, namespace, meta["generateName"])
            else:
                raise statuses.invalid(rt.group, rt.kind, "", [
                    statuses.required("metadata.name", "name or generateName is required")])
        name = meta["name"]
        self._check_namespace(rt, namespace, name)
        obj, warnings = self._fields(rt, obj, field_validation)
        meta = obj["metadata"]
        obj["metadata"] = objects.strip_server_meta(meta)
        obj = objects.reset_status(rt, obj, None, None)
        obj = managing.update(None, obj, manager=manager, subresource=None, has_status_subresource=rt.status,
                              now=self.now(), schemas=self.schemas)
        if self.store.get(rt.key, namespace, name) is not None:
            raise statuses.already_exists(rt.group, rt.plural, name)
        obj = objects.stamp_new(rt, obj, uid=str(uuid.uuid4()), now=self.now())
        obj = self._prepare(rt, obj, None)
        validating.check(rt, obj)
        self._admit_quota(rt, obj, namespace)
        return Result(201, self.served(rt, self._commit(rt, obj, dry_run=dry_run)), warnings)

    def _admit_quota(self, rt: resources.ResourceType, obj: dict[str, Any], namespace: str) -> None:
        """ResourceQuota admission of a new object, whichever verb creates it (POST or server-side apply)."""
        if rt.key == ("", "pods"):
            quotas.check_pod(obj, quotas=self.store.list(("", "resourcequotas"), namespace),
                             pods=self.store.list(rt.key, namespace))

    # --- update -------------------------------------------------------------------

    def _preconditions(self, rt: resources.ResourceType, live: dict[str, Any], meta: dict[str, Any]) -> None:
        name = live["metadata"]["name"]
        rv = meta.get("resourceVersion")
        if rv and rv != live["metadata"].get("resourceVersion"):
            raise statuses.stale(rt.group, rt.plural, name)
        uid = meta.get("uid")
        if uid and uid != live["metadata"].get("uid"):
            raise statuses.uid_mismatch(rt.group, rt.plural, name, uid, live["metadata"].get("uid", ""))

    def _finish_update(
        self,
        rt: resources.ResourceType,
        live: dict[str, Any],
        new: dict[str, Any],
        *,
        dry_run: bool,
        warnings: list[str],
        subresource: str | None = None,
    ) -> Result:
        new = objects.carry_meta(rt, live, new, subresource=subresource)
        new = self._prepare(rt, new, live)
        validating.check(rt, new, live)
        if new == live:
            return Result(200, self.served(rt, live), warnings)
        meta = new["metadata"]
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            if not dry_run:
                self._remove(rt, meta.get("namespace", ""), meta["name"])
            return Result(200, self.served(rt, new), warnings)
        return Result(200, self.served(rt, self._commit(rt, new, dry_run=dry_run)), warnings)

    def update(
        self,
        rt: resources.ResourceType,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        manager: str,
        subresource: str | None = None,
        dry_run: bool = False,
        field_validation: str = WARN,
    ) -> Result:
        """PUT of the main resource or of /status."""
        if rt.storage:
            store_rt, body = self._stored_as(rt, body)
            return self._served_result(rt, self.update(store_rt, namespace, name, body, manager=manager,
                                                       subresource=subresource, dry_run=dry_run,
                                                       field_validation=field_validation))
        namespace = self._ns(rt, namespace)
        if subresource == "scale":
            return self._write_scale(rt, namespace, name, body, patch_type=None, manager=manager,
                                     dry_run=dry_run)
        obj = self._check_body(rt, body)
        meta = obj["metadata"]
        if meta.get("name") and meta["name"] != name:
            raise statuses.name_mismatch(meta["name"], name)
        meta["name"] = name
        self._set_namespace(rt, obj, namespace)
        live = self._live(rt, namespace, name)
        self._preconditions(rt, live, meta)
        obj, warnings = self._fields(rt, obj, field_validation)
        return self._update_with(rt, live, obj, manager=manager, subresource=subresource, dry_run=dry_run,
                                 warnings=warnings)

    def _update_with(self, rt: resources.ResourceType, live: dict[str, Any], obj: dict[str, Any], *, manager: str,
                     subresource: str | None, dry_run: bool, warnings: list[str]) -> Result:
        if rt.kind == "Secret" and rt.group == "":
            obj = strategies.fold_string_data(obj)
        obj = objects.reset_status(rt, obj, live, subresource)
        obj = managing.update(live, obj, manager=manager, subresource=subresource, has_status_subresource=rt.status,
                              now=self.now(), schemas=self.schemas)
        return self._finish_update(rt, live, obj, dry_run=dry_run, warnings=warnings, subresource=subresource)

    # --- patch --------------------------------------------------------------------

    def patch(
        self,
        rt: resources.ResourceType,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        patch_type: str,
        manager: str,
        force: bool = False,
        subresource: str | None = None,
        dry_run: bool = False,
        field_validation: str = WARN,
    ) -> Result:
        namespace = self._ns(rt, namespace)
        if patch_type == APPLY:
            return self.apply(rt, namespace, name, body, manager=manager, force=force, subresource=subresource,
                              dry_run=dry_run, field_validation=field_validation)
        if subresource == "scale":
            return self._write_scale(rt, namespace, name, body, patch_type=patch_type, manager=manager,
                                     dry_run=dry_run)
        served_rt = rt
        if rt.storage:
            rt = self._stored_as(rt, None)[0]
        live = self._live(rt, namespace, name)
        view = self.served(served_rt, live)
        patched = self._patched(served_rt, view, body, patch_type)
        if not isinstance(patched, dict):
            raise statuses.bad_request("the patch result is not an object")
        if served_rt.storage:
            patched = self._stored_as(served_rt, patched)[1]
        meta = patched.get("metadata")
        if not isinstance(meta, dict):
            patched["metadata"] = meta = {}
        if meta.get("name", name) != name:
            raise statuses.name_mismatch(meta.get("name"), name)
        obj = self._check_body(rt, patched)
        self._preconditions(rt, live, obj["metadata"])
        obj["metadata"]["name"] = name
        self._set_namespace(rt, obj, namespace)
        obj, warnings = self._fields(rt, obj, field_validation)
        return self._served_result(served_rt, self._update_with(
            rt, live, obj, manager=manager, subresource=subresource, dry_run=dry_run, warnings=warnings))

    def _patched(self, rt: resources.ResourceType, view: dict[str, Any], body: Any, patch_type: str) -> Any:
        if patch_type == MERGE:
            if not isinstance(body, dict):
                raise statuses.bad_request("merge patch must be a JSON object")
            return patching.merge_patch(view, body)
        if patch_type == STRATEGIC:
            if not isinstance(body, dict):
                raise statuses.bad_request("strategic merge patch must be a JSON object")
            if rt.custom:
                raise statuses.unsupported_media_type(patch_type, [JSON_PATCH, MERGE, APPLY])
            return patching.strategic_merge_patch(view, body, type_ref=self.schemas.type_of(rt.api_version, rt.kind))
        if patch_type == JSON_PATCH:
            if not isinstance(body, list):
                raise statuses.bad_request("json patch must be a JSON array of operations")
            return patching.json_patch(view, body)
        raise statuses.unsupported_media_type(patch_type, list(PATCH_TYPES))

    # --- apply --------------------------------------------------------------------

    def apply(
        self,
        rt: resources.ResourceType,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        manager: str,
        force: bool = False,
        subresource: str | None = None,
        dry_run: bool = False,
        field_validation: str = WARN,
    ) -> Result:
        """Server-side apply (PATCH application/apply-patch+yaml); creates the object when missing.

        `field_validation` cannot soften an apply: undeclared fields fail it in the SSA core, as they do
        on a real server; the parameter is accepted so every write takes the same options.
        """
        if rt.storage:
            store_rt, body = self._stored_as(rt, body)
            return self._served_result(rt, self.apply(store_rt, namespace, name, body, manager=manager, force=force,
                                                      subresource=subresource, dry_run=dry_run))
        namespace = self._ns(rt, namespace)
        if not isinstance(body, dict):
            raise statuses.bad_request("apply patch must be an object")
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if (api_version, kind) != (rt.api_version, rt.kind) and subresource != "scale":
            gv = api_version or ""
            shown = gv if "/" in gv else f"/{gv}"
            raise statuses.bad_request(f"invalid object type: {shown}, Kind={kind or ''}")
        meta = body.get("metadata")
        if not isinstance(meta, dict):
            meta = {}
        if meta.get("name") and meta["name"] != name:
            raise statuses.name_mismatch(meta["name"], name)
        if "managedFields" in meta and meta["managedFields"] is not None:
            raise statuses.bad_request("metadata.managedFields must be nil")
        config = dict(body, metadata=dict(meta, name=name))
        self._set_namespace(rt, config, namespace)
        live = self.store.get(rt.key, namespace, name)
        if subresource == "scale":
            config = self._scale_config(rt, live, name, config)
        # Unknown fields fail the apply itself whatever fieldValidation says (the SSA core's typed
        # conversion refuses them), as on a real server.
        warnings: list[str] = []
        if live is None:
            if subresource:
                raise statuses.not_found(rt.group, rt.plural, name)
            if meta.get("uid"):
                raise statuses.conflict(rt.group, rt.plural, name, "uid mismatch")
            self._check_namespace(rt, namespace, name)
            config["metadata"] = objects.strip_server_meta(config["metadata"])
            obj = self._apply_core(rt, None, config, manager=manager, force=force, subresource=None)
            obj = objects.reset_status(rt, obj, None, None)
            obj = objects.stamp_new(rt, obj, uid=str(uuid.uuid4()), now=self.now())
            obj = self._prepare(rt, obj, None)
            validating.check(rt, obj)
            self._admit_quota(rt, obj, namespace)
            return Result(201, self.served(rt, self._commit(rt, obj, dry_run=dry_run)), warnings)
        self._preconditions(rt, live, meta)
        config["metadata"].pop("resourceVersion", None)
        config["metadata"].pop("uid", None)
        obj = self._apply_core(rt, self.served(rt, live), config, manager=manager, force=force,
                               subresource=subresource)
        if subresource != "scale":
            obj = objects.reset_status(rt, obj, live, subresource)
        return self._finish_update(rt, live, obj, dry_run=dry_run, warnings=warnings, subresource=subresource)

    def _apply_core(self, rt: resources.ResourceType, live: dict[str, Any] | None, config: dict[str, Any], *,
                    manager: str, force: bool, subresource: str | None) -> dict[str, Any]:
        return managing.apply(live, config, manager=manager, force=force, subresource=subresource,
                              has_status_subresource=rt.status, now=self.now(), schemas=self.schemas)

    # --- scale --------------------------------------------------------------------

    def scale_of(self, rt: resources.ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """The autoscaling/v1 Scale view of an object."""
        return objects.scale_view(rt, obj)

    def get_scale(self, rt: resources.ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
        if rt.scale is None:
            raise statuses.not_found_path()
        return self.scale_of(rt, self._live(rt, self._ns(rt, namespace), name))

    def _scale_config(self, rt: resources.ResourceType, live: dict[str, Any] | None, name: str,
                      config: dict[str, Any]) -> dict[str, Any]:
        if rt.scale is None:
            raise statuses.not_found_path()
        replicas = (config.get("spec") or {}).get("replicas")
        out = {"apiVersion": rt.api_version, "kind": rt.kind, "metadata": config["metadata"]}
        if replicas is not None:
            objects.set_path(out, rt.scale.spec_replicas, replicas)
        return out

    def _write_scale(self, rt: resources.ResourceType, namespace: str, name: str, body: Any, *,
                     patch_type: str | None, manager: str, dry_run: bool) -> Result:
        if rt.scale is None:
            raise statuses.not_found_path()
        live = self._live(rt, namespace, name)
        view = self.scale_of(rt, live)
        scale = body if patch_type is None else self._patched(rt, view, body, patch_type)
        if not isinstance(scale, dict):
            raise statuses.bad_request("the scale body must be an object")
        meta = scale.get("metadata") or {}
        self._preconditions(rt, live, meta)
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise statuses.invalid("autoscaling", "Scale", name, [
                statuses.invalid_value("spec.replicas", replicas, "must be greater than or equal to 0")])
        new = copy.deepcopy(self.served(rt, live))
        objects.set_path(new, rt.scale.spec_replicas, replicas)
        new = managing.update(self.served(rt, live), new, manager=manager, subresource="scale",
                              has_status_subresource=rt.status, now=self.now(), schemas=self.schemas)
        result = self._finish_update(rt, live, new, dry_run=dry_run, warnings=[])
        return Result(200, self.scale_of(rt, result.obj), [])

    # --- delete -------------------------------------------------------------------

    def delete(
        self,
        rt: resources.ResourceType,
        namespace: str | None,
        name: str,
        *,
        propagation: str | None = None,
        preconditions: dict[str, Any] | None = None,
        dry_run: bool = False,
        grace_period: int | None = None,
    ) -> Result:
        if rt.storage:
            return self._served_result(rt, self.delete(self._stored_as(rt, None)[0], namespace, name,
                                                       propagation=propagation, preconditions=preconditions,
                                                       dry_run=dry_run, grace_period=grace_period))
        namespace = self._ns(rt, namespace)
        live = self._live(rt, namespace, name)
        if preconditions:
            self._preconditions(rt, live, preconditions)
        if propagation not in (None, "Background", "Foreground", "Orphan"):
            raise statuses.invalid("meta.k8s.io", "DeleteOptions", "", [
                statuses.not_supported("propagationPolicy", propagation, ["Foreground", "Background", "Orphan"])])
        meta = live["metadata"]
        if rt.group == "" and rt.kind == "Namespace":
            propagation = propagation or "Background"
            if meta.get("deletionTimestamp"):
                return Result(200, live)
            status = dict(live.get("status") or {}, phase="Terminating")
            new = dict(live, status=status, metadata=dict(meta, deletionTimestamp=self.now(),
                                                           deletionGracePeriodSeconds=0))
            return Result(200, self._commit(rt, new, dry_run=dry_run))
        if rt.group == "" and rt.kind == "Pod":
            graceful = self._delete_pod_gracefully(rt, live, grace_period, dry_run=dry_run)
            if graceful is not None:
                return graceful
        finalizers = list(meta.get("finalizers") or [])
        has_dependents = bool(self.store.dependents(meta.get("uid", "")))
        if propagation == "Orphan" and not dry_run:
            self.orphan_dependents(meta.get("uid", ""))
        if propagation == "Foreground" and has_dependents and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        if finalizers:
            if meta.get("deletionTimestamp") and finalizers == meta.get("finalizers"):
                return Result(200, self.served(rt, live))
            new_meta = dict(meta, finalizers=finalizers)
            new_meta.setdefault("deletionTimestamp", self.now())
            new_meta.setdefault("deletionGracePeriodSeconds", 0)
            if meta.get("generation") is not None:
                new_meta["generation"] = meta["generation"] + 1
            stored = self._commit(rt, dict(live, metadata=new_meta), dry_run=dry_run)
            return Result(202 if propagation == "Foreground" else 200, self.served(rt, stored))
        # The pod, service and service account storages set ReturnDeletedObject: typed clients expect the object.
        returns_object = rt.group == "" and rt.kind in ("Pod", "Service", "ServiceAccount")
        if dry_run:
            if returns_object:
                return Result(200, self.served(rt, live))
            return Result(200, statuses.success(rt.group, rt.plural, name, meta.get("uid", "")))
        gone = self._remove(rt, namespace, name)
        if returns_object and gone is not None:
            return Result(200, self.served(rt, gone))
        return Result(200, statuses.success(rt.group, rt.plural, name, meta.get("uid", "")))

    def _delete_pod_gracefully(self, rt: resources.ResourceType, live: dict[str, Any], grace_period: int | None, *,
                               dry_run: bool) -> Result | None:
        """A pod on a node is not removed at once: deletionTimestamp becomes now + grace and the kubelet
        removes it (grace 0) once its containers stopped. None: remove now (grace 0, unscheduled or
        finished pods, as the real pod strategy's CheckGracefulDelete decides)."""
        meta, spec = live["metadata"], live.get("spec") or {}
        if grace_period is None:
            grace_period = spec.get("terminationGracePeriodSeconds", 30)
        if grace_period <= 0 or not spec.get("nodeName") or (live.get("status") or {}).get("phase") in (
                "Succeeded", "Failed"):
            return None
        current = meta.get("deletionGracePeriodSeconds")
        if meta.get("deletionTimestamp") and current is not None and current <= grace_period:
            return Result(200, live)
        new_meta = dict(meta, deletionTimestamp=times.rfc3339(self.clock() + grace_period),
                        deletionGracePeriodSeconds=grace_period)
        if meta.get("generation") is not None:
            new_meta["generation"] = meta["generation"] + 1
        return Result(200, self._commit(rt, dict(live, metadata=new_meta), dry_run=dry_run))

    def bind_pod(self, namespace: str, name: str, node: str) -> dict[str, Any]:
        """pods/binding: set spec.nodeName and the PodScheduled condition as the real binding storage does
        (no managedFields entry, no generation bump). 409 when the pod is bound or being deleted."""
        rt = self.registry.lookup("", "v1", "pods")
        assert rt is not None
        live = self._live(rt, namespace, name)
        spec = live.get("spec") or {}
        if spec.get("nodeName"):
            raise statuses.conflict("", "pods", name, f'pod {name} is already assigned to node "{spec["nodeName"]}"')
        if live["metadata"].get("deletionTimestamp"):
            raise statuses.conflict("", "pods", name, f"pod {name} is being deleted, cannot be assigned to a host")
        status = dict(live.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                           "lastTransitionTime": self.now()})
        status["conditions"] = conditions
        return self._commit(rt, dict(live, spec=dict(spec, nodeName=node), status=status), dry_run=False)

    def orphan_dependents(self, owner_uid: str) -> None:
        """Remove ownerReferences to `owner_uid` from its dependents (propagationPolicy Orphan)."""
        for key, namespace, name in self.store.dependents(owner_uid):
            obj = self.store.get(key, namespace, name)
            rt = self.registry.by_key(key)
            if obj is None or rt is None:
                continue
            refs = [r for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid") != owner_uid]
            meta = dict(obj["metadata"])
            if refs:
                meta["ownerReferences"] = refs
            else:
                meta.pop("ownerReferences", None)
            self.store.put(key, dict(obj, metadata=meta))

    def delete_collection(
        self,
        rt: resources.ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        propagation: str | None = None,
        dry_run: bool = False,
    ) -> Result:
        objs = self.list_objects(rt, namespace, label_selector=label_selector, field_selector=field_selector)
        for obj in objs:
            meta = obj["metadata"]
            try:
                self.delete(rt, meta.get("namespace"), meta["name"], propagation=propagation, dry_run=dry_run)
            except statuses.ApiError as exc:
                if exc.code != 404:
                    raise
        return Result(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})

    def remove_finalizer(self, rt: resources.ResourceType, obj: dict[str, Any], finalizer: str) -> None:
        """Drop one finalizer (the collector's foregroundDeletion, the namespace's `kubernetes`)."""
        meta = obj["metadata"]
        current = self.store.get(rt.key, meta.get("namespace", ""), meta["name"])
        if current is None:
            return
        cmeta = current["metadata"]
        finalizers = [f for f in cmeta.get("finalizers") or [] if f != finalizer]
        if cmeta.get("deletionTimestamp") and not finalizers:
            self._remove(rt, cmeta.get("namespace", ""), cmeta["name"])
            return
        new_meta = dict(cmeta, finalizers=finalizers) if finalizers else {
            k: v for k, v in cmeta.items() if k != "finalizers"}
        self.store.put(rt.key, dict(current, metadata=new_meta))

    def finalize_namespace(self, name: str) -> None:
        """The namespace is empty: remove it for good."""
        rt = self.registry.lookup("", "v1", "namespaces")
        assert rt is not None
        self._remove(rt, "", name)
