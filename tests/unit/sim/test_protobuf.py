"""Decoding the protobuf bodies client-go sends (Helm's release Secrets, kubectl create ...)."""

from __future__ import annotations

import base64

import pytest

from deploykit.sim import protobuf, statuses


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number: int, value: bytes | str | int | bool) -> bytes:
    if isinstance(value, bool) or isinstance(value, int):
        return varint(number << 3) + varint(int(value))
    raw = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(raw)) + raw


def entry(key: str, value: bytes | str) -> bytes:
    return field(1, key) + field(2, value)


def envelope(api_version: str, kind: str, body: bytes) -> bytes:
    type_meta = field(1, api_version) + field(2, kind)
    return protobuf.MAGIC + field(1, type_meta) + field(2, body)


def test_secret_with_binary_data_labels_and_type():
    """A Helm release Secret decodes to JSON with base64 data, labels and type."""
    meta = field(1, "sh.helm.release.v1.demo.v1") + field(3, "default") + field(11, entry("owner", "helm")) \
        + field(11, entry("name", "demo")) + field(2, "")
    body = field(1, meta) + field(2, entry("release", b"\x1f\x8b\x00payload")) + field(3, "helm.sh/release.v1")
    obj = protobuf.decode_object(envelope("v1", "Secret", body), api_version="v1", kind="Secret")
    assert obj == {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "sh.helm.release.v1.demo.v1", "namespace": "default",
                     "labels": {"owner": "helm", "name": "demo"}},
        "data": {"release": base64.b64encode(b"\x1f\x8b\x00payload").decode()},
        "type": "helm.sh/release.v1",
    }


def test_configmap_immutable_and_binary_data():
    """ConfigMap data, binaryData and immutable survive decoding."""
    body = field(1, field(1, "cfg")) + field(2, entry("a", "1")) + field(3, entry("bin", b"\x00\x01")) + field(4, True)
    obj = protobuf.decode_object(envelope("v1", "ConfigMap", body), api_version="v1", kind="ConfigMap")
    assert obj["data"] == {"a": "1"} and obj["binaryData"] == {"bin": "AAE="} and obj["immutable"] is True


def test_namespace_with_finalizers_and_owner_reference():
    """Nested messages (spec, ownerReferences) and repeated strings decode."""
    owner = field(1, "Thing") + field(3, "parent") + field(4, "uid-1") + field(5, "v1") + field(6, True)
    meta = field(1, "apps") + field(13, owner) + field(14, "example.com/f")
    body = field(1, meta) + field(2, field(1, "kubernetes"))
    obj = protobuf.decode_object(envelope("v1", "Namespace", body), api_version="v1", kind="Namespace")
    assert obj["spec"] == {"finalizers": ["kubernetes"]}
    assert obj["metadata"]["ownerReferences"] == [
        {"kind": "Thing", "name": "parent", "uid": "uid-1", "apiVersion": "v1", "controller": True}]
    assert obj["metadata"]["finalizers"] == ["example.com/f"]


def test_time_fields_become_rfc3339():
    """metav1.Time (seconds, nanos) becomes an RFC 3339 UTC string."""
    meta = field(1, "t") + field(8, field(1, 1_700_000_000))
    obj = protobuf.decode_object(envelope("v1", "ConfigMap", field(1, meta)), api_version="v1", kind="ConfigMap")
    assert obj["metadata"]["creationTimestamp"] == "2023-11-14T22:13:20Z"


def test_delete_options_with_preconditions():
    """A protobuf DeleteOptions body gives propagationPolicy and preconditions."""
    body = field(2, field(1, "uid-9")) + field(4, "Foreground")
    options = protobuf.decode_delete_options(envelope("meta.k8s.io/v1", "DeleteOptions", body))
    assert options == {"preconditions": {"uid": "uid-9"}, "propagationPolicy": "Foreground"}


def test_other_kinds_are_unsupported_media_type():
    """A protobuf body of a kind the simulator does not decode gets 415, which clients report clearly."""
    with pytest.raises(statuses.ApiError) as caught:
        protobuf.decode_object(envelope("apps/v1", "StatefulSet", b""), api_version="apps/v1", kind="StatefulSet")
    assert caught.value.code == 415 and caught.value.reason == "UnsupportedMediaType"


def test_missing_magic_is_bad_request():
    """A body without the k8s protobuf magic is a 400, not a crash."""
    with pytest.raises(statuses.ApiError) as caught:
        protobuf.decode_object(b"\x0a\x03abc", api_version="v1", kind="Secret")
    assert caught.value.code == 400


def test_truncated_body_is_bad_request():
    """A truncated message is refused with 400."""
    with pytest.raises(statuses.ApiError) as caught:
        protobuf.decode_object(envelope("v1", "Secret", field(1, "x"))[:-3], api_version="v1", kind="Secret")
    assert caught.value.code == 400


def test_deployment_with_zero_replicas_int_or_string_and_quantities():
    """Pointer zeros survive (replicas: 0), IntOrString and Quantity become their JSON forms."""
    rolling = field(1, field(1, 0) + field(2, 0)) + field(2, field(1, 1) + field(3, "25%"))
    container = field(1, "app") + field(2, "nginx:1") + field(8, field(1, entry("cpu", field(1, "500m")))) \
        + field(16, False)
    template = field(1, field(11, entry("app", "web"))) + field(2, field(2, container))
    spec = field(1, 0) + field(2, field(1, entry("app", "web"))) + field(3, template) \
        + field(4, field(1, "RollingUpdate") + field(2, rolling))
    obj = protobuf.decode_object(envelope("apps/v1", "Deployment", field(1, field(1, "web")) + field(2, spec)),
                                 api_version="apps/v1", kind="Deployment")
    assert obj["spec"]["replicas"] == 0
    assert obj["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": "25%"}
    assert obj["spec"]["template"]["spec"]["containers"] == [
        {"name": "app", "image": "nginx:1", "resources": {"limits": {"cpu": "500m"}}}]


def test_ingress_rule_value_is_inlined():
    """IngressRule's embedded rule value appears as `http` next to `host`, as in JSON."""
    backend = field(4, field(1, "svc") + field(2, field(2, 8080)))
    path = field(1, "/api") + field(3, "Prefix") + field(2, backend)
    rule = field(1, "example.com") + field(2, field(1, field(1, path)))
    obj = protobuf.decode_object(envelope("networking.k8s.io/v1", "Ingress", field(1, field(1, "i")) + field(2, field(3, rule))),
                                 api_version="networking.k8s.io/v1", kind="Ingress")
    assert obj["spec"]["rules"] == [{"host": "example.com", "http": {"paths": [
        {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "svc", "port": {"number": 8080}}}}]}}]
