"""Decoding Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`)."""

from __future__ import annotations

from typing import Any

from deploykit.sim import statuses


def decode_object(raw: bytes, *, api_version: str, kind: str) -> dict[str, Any]:
    raise statuses.unsupported_media_type("application/vnd.kubernetes.protobuf", ["application/json"])
