"""The server's seam to the pure SSA core (`managing`, `patching`, `typeinfo`).

Owns calling the core and translating its `RequestError` / `ApplyConflict`
into `statuses.ApiError`, so the write path sees one error type. Must not
implement merge, patch or managed-fields semantics itself.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from deploykit.sim import managing, patching, statuses, typeinfo

T = TypeVar("T")
Schemas = typeinfo.Schemas


def _translated(call: Callable[[], T]) -> T:
    try:
        return call()
    except managing.RequestError as exc:
        body = exc.status()
        raise statuses.ApiError(body["code"], body.get("reason", ""), body.get("message", ""),
                                body.get("details")) from None


def new_schemas() -> typeinfo.Schemas:
    """Built-in types shared process-wide, CRD registrations private to one server."""
    return typeinfo.Schemas.fresh()


def apply(live: dict[str, Any] | None, config: dict[str, Any], *, manager: str, force: bool,
          subresource: str | None, has_status_subresource: bool, now: str, schemas: Schemas) -> dict[str, Any]:
    return _translated(lambda: managing.apply(
        live, config, manager=manager, force=force, subresource=subresource,
        has_status_subresource=has_status_subresource, now=now, schemas=schemas))


def update(live: dict[str, Any] | None, new: dict[str, Any], *, manager: str, subresource: str | None,
           has_status_subresource: bool, now: str, schemas: Schemas) -> dict[str, Any]:
    return _translated(lambda: managing.update(
        live, new, manager=manager, subresource=subresource, has_status_subresource=has_status_subresource,
        now=now, schemas=schemas))


def manager_name(field_manager: str | None, user_agent: str | None) -> str:
    return managing.manager_name(field_manager, user_agent)


def merge_patch(obj: dict[str, Any], patch: dict[str, Any]) -> Any:
    return _translated(lambda: patching.merge_patch(obj, patch))


def strategic_merge_patch(obj: dict[str, Any], patch: dict[str, Any], *, type_ref: Any) -> Any:
    return _translated(lambda: patching.strategic_merge_patch(obj, patch, type_ref=type_ref))


def json_patch(obj: dict[str, Any], operations: list[Any]) -> Any:
    return _translated(lambda: patching.json_patch(obj, operations))
