"""Kubernetes `Status` failure bodies, raised as `ApiError` anywhere in the server.

Owns the exact reason, code, message and details the real API server sends for
each failure (NotFound, AlreadyExists, Conflict, Invalid, BadRequest, ...), so
clients that branch on them (kubectl, client-go, the Python client, Helm) see
what they expect. Must not know about HTTP or the store: handlers turn an
`ApiError` into a response, the write path raises it.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A request failed; `status()` is the body the server answers with."""

    def __init__(
        self, code: int, reason: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(name: str | None, group: str, kind: str, **more: Any) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    details.update(more)
    return details


def qualified(group: str, plural: str) -> str:
    """`deployments.apps`, or `configmaps` for the core group: how messages name a resource."""
    return f"{plural}.{group}" if group else plural


def not_found(group: str, plural: str, name: str) -> ApiError:
    return ApiError(
        404, "NotFound", f'{qualified(group, plural)} "{name}" not found', _details(name, group, plural)
    )


def namespace_not_found(namespace: str) -> ApiError:
    return not_found("", "namespaces", namespace)


def already_exists(group: str, plural: str, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified(group, plural)} "{name}" already exists',
        _details(name, group, plural),
    )


def conflict(group: str, plural: str, name: str, why: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(group, plural)} "{name}": {why}',
        _details(name, group, plural),
    )


def stale(group: str, plural: str, name: str) -> ApiError:
    return conflict(
        group,
        plural,
        name,
        "the object has been modified; please apply your changes to the latest version and try again",
    )


def uid_mismatch(group: str, plural: str, name: str, expected: str, actual: str) -> ApiError:
    return conflict(
        group,
        plural,
        name,
        f"Precondition failed: UID in precondition: {expected}, UID in object meta: {actual}",
    )


class Cause:
    """One field error of an Invalid answer: `spec.replicas: Invalid value: -1: must be >= 0`."""

    __slots__ = ("reason", "field", "detail")

    def __init__(self, reason: str, field: str, detail: str) -> None:
        self.reason = reason
        self.field = field
        self.detail = detail

    def text(self) -> str:
        return f"{self.field}: {self.detail}" if self.field else self.detail

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.detail, "field": self.field}


def render_value(value: Any) -> str:
    """A value as Go's %q/%v would print it in a field error, close enough for people to read."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def invalid_value(field: str, value: Any, why: str) -> Cause:
    return Cause("FieldValueInvalid", field, f"Invalid value: {render_value(value)}: {why}")


def required(field: str, why: str = "") -> Cause:
    return Cause("FieldValueRequired", field, "Required value" + (f": {why}" if why else ""))


def forbidden_field(field: str, why: str) -> Cause:
    return Cause("FieldValueForbidden", field, f"Forbidden: {why}")


def not_supported(field: str, value: Any, allowed: list[str]) -> Cause:
    quoted = ", ".join(f'"{a}"' for a in allowed)
    return Cause(
        "FieldValueNotSupported", field, f"Unsupported value: {render_value(value)}: supported values: {quoted}"
    )


def invalid(group: str, kind: str, name: str, causes: list[Cause]) -> ApiError:
    texts = [c.text() for c in causes]
    listed = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    gk = f"{kind}.{group}" if group else kind
    return ApiError(
        422,
        "Invalid",
        f'{gk} "{name}" is invalid: {listed}',
        _details(name, group, kind, causes=[c.as_dict() for c in causes]),
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def name_mismatch(given: Any, name: str) -> ApiError:
    return bad_request(f"the name of the object ({given}) does not match the name on the URL ({name})")


def method_not_allowed() -> ApiError:
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def unsupported_media_type(content_type: str, accepted: list[str]) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        f'the body of the request was in an unknown format - accepted media types include: {", ".join(accepted)}',
    )


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def namespace_terminating(group: str, plural: str, name: str, namespace: str) -> ApiError:
    return ApiError(
        403,
        "Forbidden",
        f"{qualified(group, plural)} \"{name}\" is forbidden: unable to create new content in namespace "
        f"{namespace} because it is being terminated",
        _details(
            name,
            group,
            plural,
            causes=[
                {
                    "reason": "NamespaceTerminating",
                    "message": f"namespace {namespace} is being terminated",
                    "field": "metadata.namespace",
                }
            ],
        ),
    )


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "TooManyRequests",
        "the server has received too many requests and has asked us to try again later",
        {"retryAfterSeconds": retry_after},
    )


def internal(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")


def unavailable(message: str) -> ApiError:
    return ApiError(503, "ServiceUnavailable", message)


def not_found_path() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def success(group: str, plural: str, name: str, uid: str) -> dict[str, Any]:
    """The body of a DELETE that removed the object at once."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": _details(name, group, plural, uid=uid),
    }
