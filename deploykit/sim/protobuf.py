"""Decoding Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`).

client-go's typed clients (Helm 4's release storage, `kubectl create
configmap|secret|namespace|serviceaccount`) send core/v1 objects as protobuf:
the magic `k8s\\x00`, then a `runtime.Unknown` (1: typeMeta {1: apiVersion,
2: kind}, 2: raw = the object's own message). This module owns a small
wire-format reader and the field numbers of the few messages those clients
write (ObjectMeta and its parts, Secret, ConfigMap, Namespace,
ServiceAccount, DeleteOptions), turning them into the JSON form the rest of
the server handles. Anything else is a 415 with the real message. Answers are
always JSON. Must not know about HTTP or the store.
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

from deploykit.sim import statuses

MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"

# Field kinds.
STR, BYTES, INT, BOOL, RAW_JSON = "str", "bytes", "int", "bool", "rawjson"


def _msg(name: str) -> tuple[str, str]:
    return ("msg", name)


def _rep(kind: Any) -> tuple[str, Any]:
    return ("rep", kind)


def _map(kind: str) -> tuple[str, str]:
    return ("map", kind)


# message -> field number -> (JSON name, kind). Numbers from kubernetes/api and apimachinery generated.proto.
MESSAGES: dict[str, dict[int, tuple[str, Any]]] = {
    "TypeMeta": {1: ("apiVersion", STR), 2: ("kind", STR)},
    "Unknown": {1: ("typeMeta", _msg("TypeMeta")), 2: ("raw", BYTES), 3: ("contentEncoding", STR),
                4: ("contentType", STR)},
    "Time": {1: ("seconds", INT), 2: ("nanos", INT)},
    "ObjectMeta": {
        1: ("name", STR), 2: ("generateName", STR), 3: ("namespace", STR), 4: ("selfLink", STR), 5: ("uid", STR),
        6: ("resourceVersion", STR), 7: ("generation", INT), 8: ("creationTimestamp", _msg("Time")),
        9: ("deletionTimestamp", _msg("Time")), 10: ("deletionGracePeriodSeconds", INT),
        11: ("labels", _map(STR)), 12: ("annotations", _map(STR)),
        13: ("ownerReferences", _rep(_msg("OwnerReference"))), 14: ("finalizers", _rep(STR)),
        17: ("managedFields", _rep(_msg("ManagedFieldsEntry"))),
    },
    "OwnerReference": {1: ("kind", STR), 3: ("name", STR), 4: ("uid", STR), 5: ("apiVersion", STR),
                       6: ("controller", BOOL), 7: ("blockOwnerDeletion", BOOL)},
    "ManagedFieldsEntry": {1: ("manager", STR), 2: ("operation", STR), 3: ("apiVersion", STR),
                           4: ("time", _msg("Time")), 6: ("fieldsType", STR), 7: ("fieldsV1", _msg("FieldsV1")),
                           8: ("subresource", STR)},
    "FieldsV1": {1: ("Raw", RAW_JSON)},
    "ObjectReference": {1: ("kind", STR), 2: ("namespace", STR), 3: ("name", STR), 4: ("uid", STR),
                        5: ("apiVersion", STR), 6: ("resourceVersion", STR), 7: ("fieldPath", STR)},
    "LocalObjectReference": {1: ("name", STR)},
    "Secret": {1: ("metadata", _msg("ObjectMeta")), 2: ("data", _map(BYTES)), 3: ("type", STR),
               4: ("stringData", _map(STR)), 5: ("immutable", BOOL)},
    "ConfigMap": {1: ("metadata", _msg("ObjectMeta")), 2: ("data", _map(STR)), 3: ("binaryData", _map(BYTES)),
                  4: ("immutable", BOOL)},
    "Namespace": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("NamespaceSpec")),
                  3: ("status", _msg("NamespaceStatus"))},
    "NamespaceSpec": {1: ("finalizers", _rep(STR))},
    "NamespaceStatus": {1: ("phase", STR), 2: ("conditions", _rep(_msg("NamespaceCondition")))},
    "NamespaceCondition": {1: ("type", STR), 2: ("status", STR), 4: ("lastTransitionTime", _msg("Time")),
                           5: ("reason", STR), 6: ("message", STR)},
    "ServiceAccount": {1: ("metadata", _msg("ObjectMeta")), 2: ("secrets", _rep(_msg("ObjectReference"))),
                       3: ("imagePullSecrets", _rep(_msg("LocalObjectReference"))),
                       4: ("automountServiceAccountToken", BOOL)},
    "DeleteOptions": {1: ("gracePeriodSeconds", INT), 2: ("preconditions", _msg("Preconditions")),
                      3: ("orphanDependents", BOOL), 4: ("propagationPolicy", STR), 5: ("dryRun", _rep(STR)),
                      6: ("ignoreStoreReadErrorWithClusterBreakingPotential", BOOL)},
    "Preconditions": {1: ("uid", STR), 2: ("resourceVersion", STR)},
}

# (apiVersion, kind) of request bodies we decode -> message.
DECODABLE = {("v1", "Secret"): "Secret", ("v1", "ConfigMap"): "ConfigMap", ("v1", "Namespace"): "Namespace",
             ("v1", "ServiceAccount"): "ServiceAccount", ("meta.k8s.io/v1", "DeleteOptions"): "DeleteOptions",
             ("v1", "DeleteOptions"): "DeleteOptions"}


class DecodeError(ValueError):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise DecodeError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DecodeError("varint too long")


def fields(data: bytes) -> list[tuple[int, int, Any]]:
    """The raw (field number, wire type, value) triples of one message."""
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = int.from_bytes(data[pos:pos + 8], "little"), pos + 8
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise DecodeError("truncated length-delimited field")
            value, pos = data[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = int.from_bytes(data[pos:pos + 4], "little"), pos + 4
        else:
            raise DecodeError(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(kind: str, value: Any) -> Any:
    if kind == STR:
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)
    if kind == BYTES:
        return base64.b64encode(value).decode() if isinstance(value, bytes) else ""
    if kind == INT:
        return _signed(value)
    if kind == BOOL:
        return bool(value)
    if kind == RAW_JSON:
        return json.loads(value) if value else {}
    raise DecodeError(f"unknown kind {kind}")


def _time(message: dict[str, Any]) -> str:
    stamp = datetime.datetime.fromtimestamp(message.get("seconds", 0), tz=datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def decode_message(data: bytes, name: str) -> dict[str, Any]:
    schema = MESSAGES[name]
    out: dict[str, Any] = {}
    for number, _wire, value in fields(data):
        spec = schema.get(number)
        if spec is None:
            continue  # fields this server does not model are dropped, as an older server would
        json_name, kind = spec
        if isinstance(kind, tuple) and kind[0] == "rep":
            out.setdefault(json_name, []).append(_value(kind[1], value))
        elif isinstance(kind, tuple) and kind[0] == "map":
            entry = {n: v for n, _w, v in fields(value)}
            key = _scalar(STR, entry.get(1, b""))
            out.setdefault(json_name, {})[key] = _scalar(kind[1], entry.get(2, b""))
        else:
            decoded = _value(kind, value)
            # gogo-protobuf writes every optional scalar; JSON omits the empty ones (omitempty).
            if decoded == "" or (kind == INT and decoded == 0):
                continue
            out[json_name] = decoded
    return out


def _value(kind: Any, value: Any) -> Any:
    if isinstance(kind, tuple) and kind[0] == "msg":
        decoded = decode_message(value, kind[1])
        if kind[1] == "Time":
            return _time(decoded)
        if kind[1] == "FieldsV1":
            return decoded.get("Raw", {})
        return decoded
    return _scalar(kind, value)


def _unwrap(raw: bytes) -> tuple[str, str, bytes]:
    if not raw.startswith(MAGIC):
        raise DecodeError("missing the k8s protobuf magic number")
    unknown = decode_message(raw[len(MAGIC):], "Unknown")
    type_meta = unknown.get("typeMeta") or {}
    body = base64.b64decode(unknown.get("raw", ""))
    return type_meta.get("apiVersion", ""), type_meta.get("kind", ""), body


def decode_object(raw: bytes, *, api_version: str, kind: str) -> dict[str, Any]:
    """A protobuf request body as a JSON object (apiVersion and kind filled in from its type meta)."""
    try:
        body_version, body_kind, body = _unwrap(raw)
        message = DECODABLE.get((body_version or api_version, body_kind or kind))
        if message is None:
            raise statuses.unsupported_media_type(MEDIA_TYPE, ["application/json", "application/yaml"])
        obj = decode_message(body, message)
    except DecodeError as exc:
        raise statuses.bad_request(f"unable to decode protobuf body: {exc}") from None
    if message != "DeleteOptions":
        obj = {"apiVersion": body_version or api_version, "kind": body_kind or kind, **obj}
    return obj


def decode_delete_options(raw: bytes) -> dict[str, Any]:
    return decode_object(raw, api_version="meta.k8s.io/v1", kind="DeleteOptions")
