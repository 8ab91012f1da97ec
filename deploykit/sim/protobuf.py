"""Decoding Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`).

client-go's typed clients (Helm 4's release storage, `kubectl create
configmap|secret|namespace|serviceaccount|deployment|job|...`, `kubectl run`,
`kubectl expose`) send objects as protobuf:
the magic `k8s\\x00`, then a `runtime.Unknown` (1: typeMeta {1: apiVersion,
2: kind}, 2: raw = the object's own message). This module owns a small
wire-format reader and the field numbers of the messages those clients
write (ObjectMeta and its parts, Secret, ConfigMap, Namespace,
ServiceAccount, DeleteOptions, the access reviews of `kubectl auth can-i`,
and the fields kubectl's generators set on Deployment, Pod, Job, CronJob,
Service, RBAC, Ingress, PodDisruptionBudget and ResourceQuota), turning them into the JSON form the rest of
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
    # apimachinery helpers
    "LabelSelector": {1: ("matchLabels", _map(STR)), 2: ("matchExpressions", _rep(_msg("LabelSelectorRequirement")))},
    "LabelSelectorRequirement": {1: ("key", STR), 2: ("operator", STR), 3: ("values", _rep(STR))},
    "IntOrString": {1: ("type", INT), 2: ("intVal", INT), 3: ("strVal", STR)},
    "Quantity": {1: ("string", STR)},
    # workloads, as `kubectl create deployment|job|cronjob` and `kubectl run` write them
    "Deployment": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("DeploymentSpec")),
                   3: ("status", _msg("Empty"))},
    "DeploymentSpec": {1: ("replicas", INT), 2: ("selector", _msg("LabelSelector")),
                       3: ("template", _msg("PodTemplateSpec")), 4: ("strategy", _msg("DeploymentStrategy")),
                       5: ("minReadySeconds", INT), 6: ("revisionHistoryLimit", INT), 7: ("paused", BOOL),
                       9: ("progressDeadlineSeconds", INT)},
    "DeploymentStrategy": {1: ("type", STR), 2: ("rollingUpdate", _msg("RollingUpdateDeployment"))},
    "RollingUpdateDeployment": {1: ("maxUnavailable", _msg("IntOrString")), 2: ("maxSurge", _msg("IntOrString"))},
    "Job": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("JobSpec")), 3: ("status", _msg("Empty"))},
    "JobSpec": {1: ("parallelism", INT), 2: ("completions", INT), 3: ("activeDeadlineSeconds", INT),
                7: ("backoffLimit", INT), 4: ("selector", _msg("LabelSelector")), 5: ("manualSelector", BOOL),
                6: ("template", _msg("PodTemplateSpec")), 8: ("ttlSecondsAfterFinished", INT),
                9: ("completionMode", STR), 10: ("suspend", BOOL), 14: ("podReplacementPolicy", STR)},
    "CronJob": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("CronJobSpec")), 3: ("status", _msg("Empty"))},
    "CronJobSpec": {1: ("schedule", STR), 8: ("timeZone", STR), 2: ("startingDeadlineSeconds", INT),
                    3: ("concurrencyPolicy", STR), 4: ("suspend", BOOL), 5: ("jobTemplate", _msg("JobTemplateSpec")),
                    6: ("successfulJobsHistoryLimit", INT), 7: ("failedJobsHistoryLimit", INT)},
    "JobTemplateSpec": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("JobSpec"))},
    "Pod": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("PodSpec")), 3: ("status", _msg("Empty"))},
    "PodTemplateSpec": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("PodSpec"))},
    "PodSpec": {2: ("containers", _rep(_msg("Container"))), 20: ("initContainers", _rep(_msg("Container"))),
                3: ("restartPolicy", STR), 4: ("terminationGracePeriodSeconds", INT),
                5: ("activeDeadlineSeconds", INT), 6: ("dnsPolicy", STR), 7: ("nodeSelector", _map(STR)),
                8: ("serviceAccountName", STR), 9: ("serviceAccount", STR),
                21: ("automountServiceAccountToken", BOOL), 10: ("nodeName", STR), 11: ("hostNetwork", BOOL),
                15: ("imagePullSecrets", _rep(_msg("LocalObjectReference"))), 16: ("hostname", STR),
                17: ("subdomain", STR), 19: ("schedulerName", STR), 24: ("priorityClassName", STR),
                25: ("priority", INT), 30: ("enableServiceLinks", BOOL)},
    "Container": {1: ("name", STR), 2: ("image", STR), 3: ("command", _rep(STR)), 4: ("args", _rep(STR)),
                  5: ("workingDir", STR), 6: ("ports", _rep(_msg("ContainerPort"))), 7: ("env", _rep(_msg("EnvVar"))),
                  8: ("resources", _msg("ResourceRequirements")), 24: ("restartPolicy", STR),
                  13: ("terminationMessagePath", STR), 20: ("terminationMessagePolicy", STR),
                  14: ("imagePullPolicy", STR), 16: ("stdin", BOOL), 17: ("stdinOnce", BOOL), 18: ("tty", BOOL)},
    "ContainerPort": {1: ("name", STR), 2: ("hostPort", INT), 3: ("containerPort", INT), 4: ("protocol", STR),
                      5: ("hostIP", STR)},
    "EnvVar": {1: ("name", STR), 2: ("value", STR)},
    "ResourceRequirements": {1: ("limits", _map(_msg("Quantity"))), 2: ("requests", _map(_msg("Quantity")))},
    # services, RBAC, ingress, disruption budgets, quotas (`kubectl create service|role|...|quota`, `expose`)
    "Service": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("ServiceSpec")), 3: ("status", _msg("Empty"))},
    "ServiceSpec": {1: ("ports", _rep(_msg("ServicePort"))), 2: ("selector", _map(STR)), 3: ("clusterIP", STR),
                    18: ("clusterIPs", _rep(STR)), 4: ("type", STR), 5: ("externalIPs", _rep(STR)),
                    7: ("sessionAffinity", STR), 10: ("externalName", STR), 11: ("externalTrafficPolicy", STR),
                    19: ("ipFamilies", _rep(STR)), 17: ("ipFamilyPolicy", STR), 22: ("internalTrafficPolicy", STR)},
    "ServicePort": {1: ("name", STR), 2: ("protocol", STR), 6: ("appProtocol", STR), 3: ("port", INT),
                    4: ("targetPort", _msg("IntOrString")), 5: ("nodePort", INT)},
    "Role": {1: ("metadata", _msg("ObjectMeta")), 2: ("rules", _rep(_msg("PolicyRule")))},
    "PolicyRule": {1: ("verbs", _rep(STR)), 2: ("apiGroups", _rep(STR)), 3: ("resources", _rep(STR)),
                   4: ("resourceNames", _rep(STR)), 5: ("nonResourceURLs", _rep(STR))},
    "RoleBinding": {1: ("metadata", _msg("ObjectMeta")), 2: ("subjects", _rep(_msg("Subject"))),
                    3: ("roleRef", _msg("RoleRef"))},
    "Subject": {1: ("kind", STR), 2: ("apiGroup", STR), 3: ("name", STR), 4: ("namespace", STR)},
    "RoleRef": {1: ("apiGroup", STR), 2: ("kind", STR), 3: ("name", STR)},
    "Ingress": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("IngressSpec")), 3: ("status", _msg("Empty"))},
    "IngressSpec": {4: ("ingressClassName", STR), 1: ("defaultBackend", _msg("IngressBackend")),
                    2: ("tls", _rep(_msg("IngressTLS"))), 3: ("rules", _rep(_msg("IngressRule")))},
    "IngressRule": {1: ("host", STR), 2: ("", _msg("IngressRuleValue"))},  # inline in JSON
    "IngressRuleValue": {1: ("http", _msg("HTTPIngressRuleValue"))},
    "HTTPIngressRuleValue": {1: ("paths", _rep(_msg("HTTPIngressPath")))},
    "HTTPIngressPath": {1: ("path", STR), 3: ("pathType", STR), 2: ("backend", _msg("IngressBackend"))},
    "IngressBackend": {4: ("service", _msg("IngressServiceBackend"))},
    "IngressServiceBackend": {1: ("name", STR), 2: ("port", _msg("ServiceBackendPort"))},
    "ServiceBackendPort": {1: ("name", STR), 2: ("number", INT)},
    "IngressTLS": {1: ("hosts", _rep(STR)), 2: ("secretName", STR)},
    "PodDisruptionBudget": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("PodDisruptionBudgetSpec")),
                            3: ("status", _msg("Empty"))},
    "PodDisruptionBudgetSpec": {1: ("minAvailable", _msg("IntOrString")), 2: ("selector", _msg("LabelSelector")),
                                3: ("maxUnavailable", _msg("IntOrString")),
                                4: ("unhealthyPodEvictionPolicy", STR)},
    "ResourceQuota": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("ResourceQuotaSpec")),
                      3: ("status", _msg("Empty"))},
    "ResourceQuotaSpec": {1: ("hard", _map(_msg("Quantity"))), 2: ("scopes", _rep(STR))},
    # access reviews (`kubectl auth can-i`)
    "SelfSubjectAccessReview": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("SelfSubjectAccessReviewSpec")),
                                3: ("status", _msg("Empty"))},
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", _msg("ResourceAttributes")),
                                    2: ("nonResourceAttributes", _msg("NonResourceAttributes"))},
    "ResourceAttributes": {1: ("namespace", STR), 2: ("verb", STR), 3: ("group", STR), 4: ("version", STR),
                           5: ("resource", STR), 6: ("subresource", STR), 7: ("name", STR)},
    "NonResourceAttributes": {1: ("path", STR), 2: ("verb", STR)},
    "SelfSubjectRulesReview": {1: ("metadata", _msg("ObjectMeta")), 2: ("spec", _msg("SelfSubjectRulesReviewSpec")),
                               3: ("status", _msg("Empty"))},
    "SelfSubjectRulesReviewSpec": {1: ("namespace", STR)},
    "Empty": {},  # a status on create: the server resets it anyway
    "DeleteOptions": {1: ("gracePeriodSeconds", INT), 2: ("preconditions", _msg("Preconditions")),
                      3: ("orphanDependents", BOOL), 4: ("propagationPolicy", STR), 5: ("dryRun", _rep(STR)),
                      6: ("ignoreStoreReadErrorWithClusterBreakingPotential", BOOL)},
    "Preconditions": {1: ("uid", STR), 2: ("resourceVersion", STR)},
}

# (apiVersion, kind) of request bodies we decode -> message.
DECODABLE = {
    ("v1", "Secret"): "Secret", ("v1", "ConfigMap"): "ConfigMap", ("v1", "Namespace"): "Namespace",
    ("v1", "ServiceAccount"): "ServiceAccount", ("v1", "Pod"): "Pod", ("v1", "Service"): "Service",
    ("v1", "ResourceQuota"): "ResourceQuota",
    ("apps/v1", "Deployment"): "Deployment", ("batch/v1", "Job"): "Job", ("batch/v1", "CronJob"): "CronJob",
    ("rbac.authorization.k8s.io/v1", "Role"): "Role", ("rbac.authorization.k8s.io/v1", "ClusterRole"): "Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "RoleBinding",
    ("networking.k8s.io/v1", "Ingress"): "Ingress", ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget",
    ("meta.k8s.io/v1", "DeleteOptions"): "DeleteOptions", ("v1", "DeleteOptions"): "DeleteOptions",
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "SelfSubjectAccessReview",
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): "SelfSubjectRulesReview",
}

# Fields that are pointers in Go: a zero or false on the wire is a value the user set, not an absent field.
_POINTER_SCALARS = {
    "replicas", "revisionHistoryLimit", "progressDeadlineSeconds", "terminationGracePeriodSeconds",
    "activeDeadlineSeconds", "parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished",
    "startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "priority",
    "deletionGracePeriodSeconds", "gracePeriodSeconds", "immutable", "automountServiceAccountToken",
    "manualSelector", "suspend", "enableServiceLinks", "controller", "blockOwnerDeletion", "orphanDependents",
    "maxUnavailable", "maxSurge", "minAvailable",
}


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
            out.setdefault(json_name, {})[key] = _value(kind[1], entry.get(2, b""))
        else:
            decoded = _value(kind, value)
            # gogo-protobuf writes every non-pointer scalar; JSON omits the empty ones (omitempty).
            if not isinstance(decoded, dict) and decoded in ("", 0) and json_name not in _POINTER_SCALARS:
                continue  # also drops False (== 0)
            if json_name == "":  # an inline struct (IngressRuleValue): its fields join the parent's
                out.update(decoded)
            else:
                out[json_name] = decoded
    return out


def _value(kind: Any, value: Any) -> Any:
    if isinstance(kind, tuple) and kind[0] == "msg":
        decoded = decode_message(value, kind[1])
        if kind[1] == "Time":
            return _time(decoded)
        if kind[1] == "FieldsV1":
            return decoded.get("Raw", {})
        if kind[1] == "IntOrString":
            return decoded.get("strVal", "") if decoded.get("type") == 1 else decoded.get("intVal", 0)
        if kind[1] == "Quantity":
            return decoded.get("string", "")
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
