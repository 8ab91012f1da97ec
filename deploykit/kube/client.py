"""`Kube`: the small, typed face of the cluster that the rest of deploykit uses.

Objects go in and come out as plain dicts. Server-side apply uses field manager
`deploykit` with force by default. Namespaces are taken from the object; a
namespaced object without one is an error here, not a silent default.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from deploykit import errors
from deploykit.kube.connecting import Connection, connect
from deploykit.kube.discovering import Discovery
from deploykit.kube.lookupproxy import LookupProxy
from deploykit.kube.requesting import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, METADATA_LIST, Http, RetryPolicy
from deploykit.kube.resources import ObjectRef, ResourceType
from deploykit.kube.watching import ResumableWatch

FIELD_MANAGER = "deploykit"


class Kube:
    """A cluster connection with discovery, apply, reads, deletes, watches and logs."""

    def __init__(self, connection: Connection, *, retry: RetryPolicy | None = None, timeout: float = 30.0) -> None:
        self.connection = connection
        self.http = Http(connection, retry=retry, timeout=timeout)
        self.discovery = Discovery(self.http)
        self._lookup: LookupProxy | None = None

    @classmethod
    def connect(
        cls, *, kubeconfig: str | os.PathLike | None = None, context: str | None = None, timeout: float = 30.0
    ) -> "Kube":
        return cls(connect(kubeconfig=kubeconfig, context=context), timeout=timeout)

    def close(self) -> None:
        if self._lookup is not None:
            self._lookup.close()
        self.connection.close()

    def lookup_proxy(self) -> LookupProxy:
        """The endpoint Helm's `lookup` reads this cluster through (it notes the Secret values it passes on)."""
        if self._lookup is None:
            self._lookup = LookupProxy(self.http, namespace=self.connection.default_namespace)
        return self._lookup

    def __enter__(self) -> "Kube":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- resolution ---------------------------------------------------------
    def resource_for(self, api_version: str, kind: str) -> ResourceType:
        return self.discovery.resource_for(api_version, kind)

    def _located(self, ref: ObjectRef) -> tuple[ResourceType, str | None]:
        resource = self.resource_for(ref.api_version, ref.kind)
        if resource.namespaced and not ref.namespace:
            raise errors.KubeError(f"{ref.kind}/{ref.name} is namespaced but has no namespace")
        return resource, (ref.namespace if resource.namespaced else None)

    # -- reads --------------------------------------------------------------
    def get(self, ref: ObjectRef, *, subresource: str | None = None) -> dict | None:
        """The live object, or None if it does not exist."""
        resource, namespace = self._located(ref)
        try:
            return self.http.request("GET", resource.object_path(ref.name, namespace, subresource))
        except errors.ApiNotFoundError:
            return None

    def list(
        self, api_version: str, kind: str, *, namespace: str | None = None, label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[dict]:
        resource = self.resource_for(api_version, kind)
        answer = self.http.request(
            "GET", resource.collection_path(namespace if resource.namespaced else None),
            query={"labelSelector": label_selector, "fieldSelector": field_selector},
        ) or {}
        return [{"apiVersion": resource.api_version, "kind": resource.kind, **item} for item in answer.get("items", [])]

    def list_metadata(self, api_version: str, kind: str, *, namespace: str | None = None,
                      label_selector: str | None = None) -> list[dict]:
        """Like `list`, but only each object's metadata: cheap for large objects (release record Secrets)."""
        resource = self.resource_for(api_version, kind)
        answer = self.http.request(
            "GET", resource.collection_path(namespace if resource.namespaced else None),
            query={"labelSelector": label_selector}, accept=METADATA_LIST,
        ) or {}
        return [{"apiVersion": resource.api_version, "kind": resource.kind, "metadata": item.get("metadata") or {}}
                for item in answer.get("items", [])]

    def server_version(self) -> dict:
        return self.discovery.server_version()

    # -- writes -------------------------------------------------------------
    def apply(
        self, obj: Mapping[str, Any], *, field_manager: str = FIELD_MANAGER, force: bool = True, dry_run: bool = False,
        subresource: str | None = None,
    ) -> dict:
        """Server-side apply `obj`; returns the object as the server stored (or, dry run, would store) it."""
        ref = ObjectRef.of(obj)
        resource, namespace = self._located(ref)
        query = {"fieldManager": field_manager, "force": "true" if force else "false"}
        if dry_run:
            query["dryRun"] = "All"
        return self.http.request(
            "PATCH", resource.object_path(ref.name, namespace, subresource), query=query, body=dict(obj),
            content_type=APPLY_PATCH,
        )

    def create(self, obj: Mapping[str, Any], *, dry_run: bool = False, retry: bool = False) -> dict:
        """Create `obj`. With `retry`, a 5xx or a broken connection is retried too: the caller must then take a
        409 AlreadyExists as possibly its own earlier attempt, which landed (and check, e.g. by a mark it wrote)."""
        ref = ObjectRef.of(obj)
        resource, namespace = self._located(ref)
        query = {"fieldManager": FIELD_MANAGER, "dryRun": "All" if dry_run else None}
        return self.http.request("POST", resource.collection_path(namespace), query=query, body=dict(obj),
                                 idempotent=retry or None)

    def replace(self, obj: Mapping[str, Any]) -> dict:
        ref = ObjectRef.of(obj)
        resource, namespace = self._located(ref)
        return self.http.request(
            "PUT", resource.object_path(ref.name, namespace), query={"fieldManager": FIELD_MANAGER}, body=dict(obj)
        )

    def merge_patch(self, ref: ObjectRef, patch: Mapping[str, Any], *, subresource: str | None = None) -> dict:
        resource, namespace = self._located(ref)
        return self.http.request(
            "PATCH", resource.object_path(ref.name, namespace, subresource), query={"fieldManager": FIELD_MANAGER},
            body=dict(patch), content_type=MERGE_PATCH,
        )

    def json_patch(self, ref: ObjectRef, operations: list[Mapping[str, Any]]) -> dict:
        """A JSON patch (RFC 6902) of the object, as field manager deploykit (an Update: never a conflict)."""
        resource, namespace = self._located(ref)
        return self.http.request(
            "PATCH", resource.object_path(ref.name, namespace), query={"fieldManager": FIELD_MANAGER},
            body=[dict(op) for op in operations], content_type=JSON_PATCH,
        )

    def delete(
        self, ref: ObjectRef, *, propagation: str = "Background", dry_run: bool = False,
        grace_period_seconds: int | None = None, resource_version: str | None = None,
    ) -> bool:
        """Delete the object; False if it was already gone.

        With `resource_version`, only that version of it: ApiConflictError if it changed since (a lock's owner
        must not delete a lease another run took over).
        """
        resource, namespace = self._located(ref)
        body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
        if grace_period_seconds is not None:
            body["gracePeriodSeconds"] = grace_period_seconds
        if resource_version is not None:
            body["preconditions"] = {"resourceVersion": resource_version}
        if dry_run:
            body["dryRun"] = ["All"]
        try:
            self.http.request("DELETE", resource.object_path(ref.name, namespace), body=body)
        except errors.ApiNotFoundError:
            return False
        return True

    # -- watches and logs ---------------------------------------------------
    def watch(
        self, api_version: str, kind: str, *, namespace: str | None = None, label_selector: str | None = None,
        field_selector: str | None = None, server_timeout: int = 60,
    ) -> ResumableWatch:
        resource = self.resource_for(api_version, kind)
        return ResumableWatch(
            self.http, resource, namespace=namespace if resource.namespaced else None,
            label_selector=label_selector, field_selector=field_selector, server_timeout=server_timeout,
        )

    def pod_logs(
        self, namespace: str, pod: str, *, container: str | None = None, tail_lines: int | None = None,
        previous: bool = False,
    ) -> str:
        """The pod's log text (the crashed attempt's with previous=True); '' when there is none yet."""
        query = {
            "container": container, "tailLines": tail_lines, "previous": "true" if previous else None,
        }
        try:
            stream = self.http.open_stream(f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query=query, read_timeout=10)
        except errors.KubeError as exc:
            if exc.status in (400, 404):
                return ""
            raise
        return stream.read_text()

    def follow_pod_logs(self, namespace: str, pod: str, *, container: str) -> "FollowedLogs":
        """The container's log lines as they are written, until the container or the stream ends, or close()."""
        stream = self.http.open_stream(
            f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query={"container": container, "follow": "true"},
            read_timeout=3600,
        )
        return FollowedLogs(stream)


class FollowedLogs:
    """Log lines of one container as they come; close() from another thread ends a blocked read at once."""

    def __init__(self, stream: LineStream) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[str]:
        return self._stream.text_lines()

    def close(self) -> None:
        self._stream.close()
